package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// runTasks implements `simgym tasks --n N --seed S --out FILE.jsonl`.
func runTasks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "filter" {
		return tasksFilter(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("tasks", flag.ContinueOnError)
	world := fs.String("world", "", "generated world module (default: the world compiled in)")
	domainName := fs.String("domain", "", "sample in this domain only (default: all, evenly)")
	n := fs.Int("n", 100, "tasks to sample")
	seed := fs.Int64("seed", 1, "seed of the walks")
	stateSeed := fs.Int64("state-seed", 1, "seed of the initial state")
	out := fs.String("out", "", "JSONL file to write the tasks to")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	rewriteURL := fs.String("rewrite-with", "", "paraphrase instructions with this OpenAI-compatible API root (key from OPENAI_API_KEY)")
	rewriteModel := fs.String("model", "", "model of --rewrite-with")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *world != "" {
		return runInWorld(ctx, *world, "tasks", args, stdout, stderr)
	}
	if *out == "" || *n <= 0 {
		return fmt.Errorf("%w: --out and a positive --n are required", errUsage)
	}
	if (*rewriteURL == "") != (*rewriteModel == "") {
		return fmt.Errorf("%w: --rewrite-with and --model go together", errUsage)
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
			stats.Add(samplers[i].Stats())
		}
	}
	var rewrite *task.RewriteCounts
	if *rewriteURL != "" {
		ep := &policy.Endpoint{BaseURL: strings.TrimRight(*rewriteURL, "/"), APIKey: os.Getenv("OPENAI_API_KEY"), Model: *rewriteModel}
		rc, err := task.Rewrite(ctx, all, func(ctx context.Context, instr string) (string, error) {
			msg, _, err := ep.Complete(ctx, []chat.Message{{Role: chat.System, Content: task.RewritePrompt}, {Role: chat.User, Content: instr}}, nil)
			return msg.Content, err
		})
		if err != nil {
			return err
		}
		rewrite = &rc
	}
	// Verify what is written, independently of sampling.
	verified, rejected := 0, 0
	distinct := map[string]bool{}
	skeletons := map[string]bool{}
	lengths := map[string]int{}
	shapes := map[string]int{}
	var defects task.Defects
	single := 0
	for _, t := range all {
		d := domains.Lookup(t.Domain)
		v, err := task.Verify(ctx, d, t)
		if err != nil {
			return err
		}
		df, err := task.Audit(ctx, d, t)
		if err != nil {
			return err
		}
		defects.Add(df)
		skeletons[t.Skeleton] = true
		lengths[fmt.Sprint(len(t.Actions))]++
		shapes[t.Shape]++
		if len(t.Actions) == 1 {
			single++
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
		"dropped_incoherent": stats.Incoherent, "incoherent_defects": stats.Defects, "defects": defects,
		"skeletons": len(skeletons), "chain_lengths": lengths, "shapes": topShapes(shapes, 15), "distinct_shapes": len(shapes),
		"single_call": round3(float64(single) / float64(max(1, len(all)))),
	}
	keys := []string{"tasks", "verified", "perturbed_rejected", "distinct", "skeletons", "single_call", "chain_lengths", "distinct_shapes", "shapes", "defects", "seconds", "tried", "dropped_failed", "dropped_degenerate", "dropped_duplicate", "dropped_unverified", "dropped_incoherent", "incoherent_defects", "out"}
	if rewrite != nil {
		summary["rewrites"] = *rewrite
		keys = append(keys, "rewrites")
	}
	if err := writeSummary(stdout, *asJSON, keys, summary); err != nil {
		return err
	}
	if len(all) < *n {
		fmt.Fprintf(stderr, "simgym tasks: only %d of %d tasks could be sampled\n", len(all), *n)
	}
	return nil
}

// topShapes keeps the n most common chain shapes (ties by name).
func topShapes(shapes map[string]int, n int) map[string]int {
	names := make([]string, 0, len(shapes))
	for s := range shapes {
		names = append(names, s)
	}
	sort.Slice(names, func(i, j int) bool {
		if shapes[names[i]] != shapes[names[j]] {
			return shapes[names[i]] > shapes[names[j]]
		}
		return names[i] < names[j]
	})
	out := map[string]int{}
	for _, s := range names[:min(n, len(names))] {
		out[s] = shapes[s]
	}
	return out
}
