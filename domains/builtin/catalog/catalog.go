// Package catalog holds the hand-written API specs of simgym's embedded
// default world (the YAML files beside this one) and regenerates the
// world's packages in domains/builtin from them. After changing the
// catalog or the generator, run
//
//	go test ./domains/builtin/catalog -run TestBuiltinUpToDate -update
package catalog

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/simgym/simgym/domains/codegen"
	"github.com/simgym/simgym/tools/graph"
	"github.com/simgym/simgym/tools/spec"
)

// ImportPath is where the default world's packages live.
const ImportPath = "github.com/simgym/simgym/domains/builtin"

// Seed and Resolution cluster the catalog into the default world.
const (
	Seed       = 1
	Resolution = 1.0
)

//go:embed *.yaml
var catalog embed.FS

// FS returns the embedded API specs.
func FS() fs.FS { return catalog }

// Generate rebuilds the default world's files from the catalog folder
// (a path on disk: the tools record it as their source file).
func Generate(ctx context.Context, catalogDir string) (*codegen.Response, error) {
	files, err := filepath.Glob(filepath.Join(catalogDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("catalog %s: no *.yaml specs (%v)", catalogDir, err)
	}
	cat, err := spec.Read(ctx, files, spec.Options{Workers: 1})
	if err != nil {
		return nil, err
	}
	if len(cat.Skipped) > 0 {
		return nil, fmt.Errorf("catalog: %d specs skipped, first: %s: %s", len(cat.Skipped), cat.Skipped[0].File, cat.Skipped[0].Reason)
	}
	df, err := graph.Build(ctx, cat, graph.Options{Seed: Seed, Resolution: Resolution, Workers: 1})
	if err != nil {
		return nil, err
	}
	return codegen.Generate(ctx, codegen.FromDomainFile(df, ImportPath, "domains/builtin/catalog", 0))
}
