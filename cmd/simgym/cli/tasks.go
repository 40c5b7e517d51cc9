package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

// runTasks implements `simgym tasks --n N --seed S --out FILE.jsonl`.
func runTasks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	world := fs.String("world", "", "generated world module (default: the world compiled in)")
	domainName := fs.String("domain", "", "sample in this domain only (default: all, evenly)")
	n := fs.Int("n", 100, "tasks to sample")
	seed := fs.Int64("seed", 1, "seed of the walks")
	stateSeed := fs.Int64("state-seed", 1, "seed of the initial state")
	out := fs.String("out", "", "JSONL file to write the tasks to")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *world != "" {
		return runInWorld(ctx, *world, "tasks", args, stdout, stderr)
	}
	if *out == "" || *n <= 0 {
		return fmt.Errorf("%w: --out and a positive --n are required", errUsage)
	}
	ds, err := selectDomains(*domainName)
	if err != nil {
		return err
	}
	start := time.Now()
	want := make([]int, len(ds))
	for i := range *n {
		want[i%len(ds)]++
	}
	var all []*task.Task
	var stats task.Stats
	bar := newProgress(stderr, *n, "sampling tasks")
	samplers := make([]*task.Sampler, len(ds))
	got := make([][]*task.Task, len(ds))
	// Rounds: each domain is asked for its share; what some domains cannot
	// give is asked again of those that gave all they were asked for.
	for round := 0; round < 8; round++ {
		progress := false
		for i, d := range ds {
			if want[i] <= 0 {
				continue
			}
			if samplers[i] == nil {
				samplers[i] = task.NewSampler(d, task.Options{Seed: *seed, StateSeed: *stateSeed})
			}
			ts, err := samplers[i].Sample(ctx, want[i])
			if err != nil {
				return fmt.Errorf("sample %s: %w", d.Name, err)
			}
			got[i] = append(got[i], ts...)
			progress = progress || len(ts) > 0
			if bar != nil {
				_ = bar.Add(len(ts))
			}
			if len(ts) < want[i] {
				want[i] = -1 // exhausted
			} else {
				want[i] = 0
			}
		}
		short := *n
		for i := range got {
			short -= len(got[i])
		}
		if short <= 0 || !progress {
			break
		}
		var open []int
		for i := range want {
			if want[i] == 0 {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			break
		}
		for k := 0; k < short; k++ {
			want[open[k%len(open)]]++
		}
	}
	for i := range ds {
		for k, t := range got[i] {
			// Ids stay unique across rounds.
			t.ID = fmt.Sprintf("%s-%d-%03d", ds[i].Name, *seed, k)
		}
		all = append(all, got[i]...)
		if samplers[i] != nil {
			st := samplers[i].Stats()
			stats.Tried += st.Tried
			stats.Failed += st.Failed
			stats.Degenerate += st.Degenerate
			stats.Duplicate += st.Duplicate
			stats.Unverified += st.Unverified
		}
	}
	// Verify what is written, independently of sampling.
	verified, rejected := 0, 0
	distinct := map[string]bool{}
	for _, t := range all {
		v, err := task.Verify(ctx, domains.Lookup(t.Domain), t)
		if err != nil {
			return err
		}
		if v.Replay {
			verified++
		}
		if v.PerturbedRejected {
			rejected++
		}
		tools := make([]string, len(t.Actions))
		for i, a := range t.Actions {
			tools[i] = a.Tool
		}
		distinct[strings.Join(tools, ">")] = true
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("write tasks %s: %w", *out, err)
	}
	w := bufio.NewWriter(f)
	if err := task.WriteJSONL(w, all); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write tasks %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write tasks %s: %w", *out, err)
	}
	summary := map[string]any{
		"tasks": len(all), "verified": verified, "perturbed_rejected": rejected,
		"distinct": len(distinct), "seconds": round3(time.Since(start).Seconds()),
		"tried": stats.Tried, "dropped_failed": stats.Failed, "dropped_degenerate": stats.Degenerate,
		"dropped_duplicate": stats.Duplicate, "dropped_unverified": stats.Unverified, "out": *out,
	}
	if err := writeSummary(stdout, *asJSON, []string{"tasks", "verified", "perturbed_rejected", "distinct", "seconds", "tried", "dropped_failed", "dropped_degenerate", "dropped_duplicate", "dropped_unverified", "out"}, summary); err != nil {
		return err
	}
	if len(all) < *n {
		fmt.Fprintf(stderr, "simgym tasks: only %d of %d tasks could be sampled\n", len(all), *n)
	}
	return nil
}
