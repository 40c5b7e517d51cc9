package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/simgym/simgym/tools/graph"
	"github.com/simgym/simgym/tools/spec"
)

// benchPipeline measures `simgym domains` on a spec collection: wall
// time and peak heap.
func benchPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench pipeline", flag.ContinueOnError)
	var specs multiFlag
	fs.Var(&specs, "specs", "spec file, folder or archive (repeat)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	specs = append(specs, fs.Args()...)
	if len(specs) == 0 {
		return fmt.Errorf("%w: --specs is required (e.g. ../shared/data/apisguru-30k.tar.gz)", errUsage)
	}
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse+ms.StackInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	cat, err := spec.Read(ctx, specs, spec.Options{})
	if err != nil {
		return err
	}
	read := time.Since(start)
	f, err := graph.Build(ctx, cat, graph.Options{Seed: 1})
	close(stop)
	<-done
	if err != nil {
		return err
	}
	summary := map[string]any{
		"tools": len(f.Tools), "domains": len(f.Domains), "modularity": f.Modularity, "nmi": f.NMI,
		"read_seconds": round3(read.Seconds()), "seconds": round3(time.Since(start).Seconds()),
		"peak_heap_bytes": peak,
	}
	return writeSummary(stdout, *asJSON, []string{"tools", "domains", "modularity", "nmi", "read_seconds", "seconds", "peak_heap_bytes"}, summary)
}
