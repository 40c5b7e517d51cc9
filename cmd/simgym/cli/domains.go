package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/simgym/simgym/tools/graph"
	"github.com/simgym/simgym/tools/spec"
)

// runDomains implements `simgym domains --specs PATH... --out DIR`.
// Specs under --spec-boundary operations stay whole, one domain each
// unless Louvain joins them with others.
func runDomains(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("domains", flag.ContinueOnError)
	var specs multiFlag
	fs.Var(&specs, "specs", "spec file, folder or .tar.gz `PATH`; several may follow the flag (--specs a.json b.json), or repeat it")
	out := fs.String("out", "", "output folder for domains.json")
	resolution := fs.Float64("resolution", 1, "Louvain resolution: higher gives more, smaller domains")
	seed := fs.Uint64("seed", 1, "seed for Louvain's node order")
	neighbours := fs.Int("neighbours", 10, "similar tools each tool links to")
	boundary := fs.Int("spec-boundary", 60, "keep each spec with fewer operations than this in one domain (0: cluster every tool on its own)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	specs = append(specs, fs.Args()...)
	if len(specs) == 0 {
		return fmt.Errorf("%w: --specs is required", errUsage)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required (the folder domains.json is written into)", errUsage)
	}
	if *boundary < 0 {
		return fmt.Errorf("%w: --spec-boundary must not be negative", errUsage)
	}
	if *resolution <= 0 {
		return fmt.Errorf("%w: --resolution must be positive", errUsage)
	}
	// Parsing thousands of specs makes much short-lived garbage; a soft
	// limit keeps the heap of a 30k-operation run well under 2 GiB.
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(1 << 30)
	}
	start := time.Now()
	opt := spec.Options{}
	bar := newProgress(stderr, 1, "reading specs")
	if bar != nil {
		opt.Progress = func(done, total int) {
			bar.ChangeMax(total)
			_ = bar.Set(done)
		}
	}
	cat, err := spec.Read(ctx, specs, opt)
	finishProgress(bar)
	if err != nil {
		return err
	}
	if len(cat.Tools) == 0 {
		return fmt.Errorf("no tools found in %v (%d inputs skipped)", []string(specs), len(cat.Skipped))
	}
	spin := newSpinner(stderr, fmt.Sprintf("linking %d tools by parameter similarity and clustering them (Louvain)", len(cat.Tools)))
	df, err := graph.Build(ctx, cat, graph.Options{Resolution: *resolution, Seed: *seed, Neighbours: *neighbours, SpecBoundary: *boundary})
	finishProgress(spin)
	if err != nil {
		return err
	}
	data, err := df.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	path := filepath.Join(*out, "domains.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	summary := map[string]any{
		"specs":            df.Specs,
		"tools":            len(df.Tools),
		"skipped":          len(df.Skipped),
		"repaired":         len(df.Repaired),
		"domains":          len(df.Domains),
		"specs_kept_whole": graph.SpecsKeptWhole(df.Tools, *boundary),
		"edges":            df.Edges,
		"modularity":       df.Modularity,
		"nmi":              df.NMI,
		"seconds":          round3(time.Since(start).Seconds()),
		"out":              path,
	}
	return writeSummary(stdout, *asJSON, []string{"specs", "tools", "skipped", "repaired", "domains", "specs_kept_whole", "edges", "modularity", "nmi", "seconds", "out"}, summary)
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}
