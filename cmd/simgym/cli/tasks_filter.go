package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/simgym/simgym/eval/runner"
)

// tasksFilter implements `simgym tasks filter --with RUN --without RUN
// --out FILE`: the tasks the tool-using run solves in at least
// --min-pass of its trials and the tool-less run fails in all of its.
// The tasks are copied from the tool-using run's tasks.jsonl when it has
// one (so the output serves as --tasks), else written as {env, task}.
func tasksFilter(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tasks filter", flag.ContinueOnError)
	with := fs.String("with", "", "run folder of the tool-using run (simgym eval)")
	without := fs.String("without", "", "run folder of the tool-less run (simgym eval --no-tools)")
	minPass := fs.Float64("min-pass", 0.5, "share of the tool-using run's trials that must succeed")
	out := fs.String("out", "", "JSONL file to write the kept tasks to")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *with == "" || *without == "" || *out == "" {
		return fmt.Errorf("%w: --with, --without and --out are required", errUsage)
	}
	if *minPass <= 0 || *minPass > 1 {
		return fmt.Errorf("%w: --min-pass must be in (0, 1]", errUsage)
	}
	type tally struct{ trials, wins int }
	read := func(dir string) (map[string]*tally, error) {
		rs, err := runner.ReadLog(filepath.Join(dir, evalEpisodesFile))
		if err != nil {
			return nil, fmt.Errorf("tasks filter: %w", err)
		}
		m := map[string]*tally{}
		for _, r := range rs {
			k := r.Env + "\x00" + r.Task
			if m[k] == nil {
				m[k] = &tally{}
			}
			m[k].trials++
			if r.Success {
				m[k].wins++
			}
		}
		return m, nil
	}
	tw, err := read(*with)
	if err != nil {
		return err
	}
	tn, err := read(*without)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	solved, memorised, unplayed := 0, 0, 0
	for k, t := range tw {
		if float64(t.wins) < *minPass*float64(t.trials) {
			continue
		}
		solved++
		n := tn[k]
		switch {
		case n == nil:
			unplayed++
		case n.wins > 0:
			memorised++
		default:
			keep[k] = true
		}
	}
	if err := writeKept(*out, filepath.Join(*with, evalTasksFile), keep); err != nil {
		return err
	}
	sum := map[string]any{"tasks": len(tw), "solved_with_tools": solved, "solved_without_tools": memorised, "not_played_without": unplayed, "kept": len(keep), "out": *out}
	return writeSummary(stdout, *asJSON, []string{"tasks", "solved_with_tools", "solved_without_tools", "not_played_without", "kept", "out"}, sum)
}

// writeKept writes the kept tasks: their lines of the run's tasks file
// when it has one, else {env, task} objects.
func writeKept(out, tasksFile string, keep map[string]bool) error {
	var lines [][]byte
	if fh, err := os.Open(tasksFile); err == nil {
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for n := 1; sc.Scan(); n++ {
			var t struct {
				ID     string `json:"id"`
				Domain string `json:"domain"`
			}
			if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
				fh.Close()
				return fmt.Errorf("tasks filter: %s:%d: %w", tasksFile, n, err)
			}
			if keep[t.Domain+"\x00"+t.ID] {
				lines = append(lines, append([]byte(nil), sc.Bytes()...))
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return fmt.Errorf("tasks filter: %s: %w", tasksFile, err)
		}
	} else {
		var keys []string
		for k := range keep {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var e, t string
			for i := range k {
				if k[i] == 0 {
					e, t = k[:i], k[i+1:]
					break
				}
			}
			line, _ := json.Marshal(map[string]string{"env": e, "task": t})
			lines = append(lines, line)
		}
	}
	var data []byte
	for _, l := range lines {
		data = append(append(data, l...), '\n')
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("tasks filter: %w", err)
	}
	return nil
}
