// Package catalog regenerates simgym's tau-bench domains (the packages
// under domains/taubench) from tau-bench's own tool specs, read from the
// shared data folder (SIMGYM_DATA). The specs are data written by others
// and stay outside this repository; only the generated code is checked in.
// After changing the specs or the generator, run
//
//	SIMGYM_DATA=../shared/data go test ./domains/taubench/catalog -run TestTaubenchUpToDate -update
//
// The generator clusters a spec's tools into domains; tau-bench's airline
// tools would fall into five clusters (bookings, reservations and users,
// flight search, calculate, think), but tau-bench serves them as one
// environment over one database. So Generate skips clustering and hands
// all 14 tools to codegen.Generate as one codegen.Domain named "airline".
package catalog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/simgym/simgym/domains/codegen"
	"github.com/simgym/simgym/tools"
	"github.com/simgym/simgym/tools/spec"
)

// ImportPath is where the tau-bench packages live.
const ImportPath = "github.com/simgym/simgym/domains/taubench"

// AirlineSpec is the airline domain's tool spec (tau-bench's 14 tools in
// OpenAI tool format), relative to the shared data folder. It is also the
// source recorded in the generated files, so they do not depend on where
// the data folder is.
const AirlineSpec = "taubench/airline/tools.json"

// AirlineDescription describes the generated airline domain.
const AirlineDescription = "tau-bench's airline customer service: users, their reservations and payment methods, and the flights they book."

// Generate builds the files of domains/taubench (world.go and the airline
// package) from the specs in dataDir, the shared data folder.
func Generate(ctx context.Context, dataDir string) (*codegen.Response, error) {
	path := filepath.Join(dataDir, filepath.FromSlash(AirlineSpec))
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("taubench catalog: %w", err)
	}
	// Read the document under its data-relative name, then name the tools
	// as spec.Read would.
	ts, skipped := spec.ReadDocument(AirlineSpec, data)
	if len(skipped) > 0 {
		return nil, fmt.Errorf("taubench catalog: %s: %d tools skipped, first: %s", path, len(skipped), skipped[0].Reason)
	}
	cat := &tools.Catalog{Tools: ts}
	cat.Finalize()
	resp, err := codegen.Generate(ctx, codegen.Request{
		ImportPath: ImportPath,
		Source:     AirlineSpec,
		Domains:    []codegen.Domain{{Name: "airline", Description: AirlineDescription, Tools: cat.Tools}},
	})
	if err != nil {
		return nil, fmt.Errorf("taubench catalog: %w", err)
	}
	return resp, nil
}
