package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
)

// fasRecord is one line of `simgym corpus fas`: a question, the plan of
// facts to establish, and the first action a careful agent takes.
type fasRecord struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Plan     []string `json:"plan"`
	// FirstAction is a search tool call in the OpenAI format's parts.
	FirstAction fasAction `json:"first_action"`
}

type fasAction struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
}

// corpusFAS implements `simgym corpus fas --simwiki DIR --out FILE.jsonl`.
func corpusFAS(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus fas", flag.ContinueOnError)
	dir := fs.String("simwiki", "", "SimWiki folder (simgym corpus simwiki)")
	out := fs.String("out", "", "JSONL file to write (question, plan, first action) a line")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *dir == "" || *out == "" {
		return fmt.Errorf("%w: --simwiki and --out are required", errUsage)
	}
	path := filepath.Join(*dir, simwiki.TasksFile)
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("corpus fas: %w", err)
	}
	defer fh.Close()
	tasks, err := webqa.ReadJSONL(fh)
	if err != nil {
		return fmt.Errorf("corpus fas: %s: %w", path, err)
	}
	of, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("corpus fas: %w", err)
	}
	w := bufio.NewWriter(of)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	written, skipped := 0, 0
	for _, t := range tasks {
		rec, ok := fasOf(t)
		if !ok {
			skipped++
			continue
		}
		if err := enc.Encode(rec); err != nil {
			of.Close()
			return fmt.Errorf("corpus fas: %s: %w", *out, err)
		}
		written++
	}
	if err := w.Flush(); err != nil {
		of.Close()
		return fmt.Errorf("corpus fas: %s: %w", *out, err)
	}
	if err := of.Close(); err != nil {
		return fmt.Errorf("corpus fas: %s: %w", *out, err)
	}
	return writeSummary(stdout, *asJSON, []string{"tasks", "written", "skipped", "out"}, map[string]any{"tasks": len(tasks), "written": written, "skipped": skipped, "out": *out})
}

// fasOf makes a task's record from its gold hops (its evidence, in
// reading order). A task without evidence has no plan and is skipped.
func fasOf(t webqa.Task) (fasRecord, bool) {
	if len(t.Evidence) == 0 {
		return fasRecord{}, false
	}
	rec := fasRecord{ID: t.ID, Question: t.Question}
	for i, ev := range t.Evidence {
		subject := ev.Title
		if i > 0 && !strings.Contains(t.Question, ev.Title) {
			subject = ev.Title + " (found in step " + fmt.Sprint(i) + ")"
		}
		switch {
		case ev.Key == "":
			rec.Plan = append(rec.Plan, fmt.Sprintf("%d. Identify the article the facts lead to: %s.", i+1, subject))
		default:
			rec.Plan = append(rec.Plan, fmt.Sprintf("%d. Establish the %s of %s.", i+1, strings.ToLower(ev.Key), subject))
		}
	}
	if t.Derive == webqa.DeriveYearsBetween {
		rec.Plan = append(rec.Plan, fmt.Sprintf("%d. Compute the years between the last two dates.", len(t.Evidence)+1))
	}
	// The careful first search: the first hop's article when the
	// question names it, else the question's own words (the entity is
	// only described).
	q := t.Evidence[0].Title
	if !strings.Contains(t.Question, q) {
		q = strings.TrimRight(strings.TrimSpace(t.Question), "?")
	}
	args, _ := json.Marshal(map[string]any{"query": q})
	rec.FirstAction = fasAction{Tool: web.ToolSearch, Arguments: args}
	return rec, true
}
