package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/runner"
)

// Files a report writes into its folder.
const (
	JSONFile     = "report.json"
	MarkdownFile = "report.md"
	PassPlot     = "pass_hat_k.png"
	LengthPlot   = "success_by_length.png"
)

// Report is an evaluation's numbers.
type Report struct {
	// Policy played the episodes; K is the trials per task asked for.
	Policy string `json:"policy"`
	K      int    `json:"k"`
	// Episodes counts finished episodes, Failed those that hit an error.
	Episodes int `json:"episodes"`
	Failed   int `json:"failed"`
	// Overall, per domain and per ground-truth length.
	Overall  Group   `json:"overall"`
	Domains  []Group `json:"domains"`
	ByLength []Group `json:"by_length,omitempty"`
	// Tasks are the per-task counts the numbers come from.
	Tasks []TaskStat `json:"tasks"`
	// Funnel counts what the trajectory filter let through (nil: not run).
	Funnel *task.FunnelCounts `json:"funnel,omitempty"`
	// FunnelNote says why the funnel did not run, when it did not.
	FunnelNote string `json:"funnel_note,omitempty"`
	// Usage is the LLM endpoint's token count, all episodes together.
	Usage     chat.Usage `json:"usage"`
	Seconds   float64    `json:"seconds"`
	Bootstrap Bootstrap  `json:"bootstrap"`
	// Plots are the PNG files written beside the report.
	Plots []string `json:"plots,omitempty"`
	// Methods sets an agent method beside plain ReAct (nil: ReAct ran).
	Methods *Methods `json:"methods,omitempty"`
}

// Options configure Build.
type Options struct {
	Policy string
	// K is the trials per task (default: the most any task had).
	K         int
	Bootstrap Bootstrap
}

// Build computes a report from finished episodes.
func Build(results []runner.Result, opt Options) *Report {
	ts := TaskStats(results)
	k := opt.K
	if k <= 0 {
		for _, t := range ts {
			k = max(k, t.Trials)
		}
	}
	b := opt.Bootstrap.withDefaults()
	r := &Report{Policy: opt.Policy, K: k, Episodes: len(results), Tasks: ts, Bootstrap: b}
	if r.Policy == "" && len(results) > 0 {
		r.Policy = results[0].Policy
	}
	for _, res := range results {
		r.Usage = r.Usage.Add(res.Usage)
	}
	r.Overall = NewGroup("overall", ts, k, b)
	keys, by := groupBy(ts, func(t TaskStat) string { return t.Env })
	for _, env := range keys {
		r.Domains = append(r.Domains, NewGroup(env, by[env], k, b))
	}
	r.ByLength = byLength(ts, k, b)
	return r
}

// Summary is the command's JSON summary of a report.
func (r *Report) Summary() map[string]any {
	phk := make([]any, len(r.Overall.PassHatK))
	pak := make([]any, len(r.Overall.PassAtK))
	for i := range phk {
		phk[i] = num(r.Overall.PassHatK[i].Value)
		pak[i] = num(r.Overall.PassAtK[i].Value)
	}
	s := map[string]any{
		"policy":           r.Policy,
		"episodes":         r.Episodes,
		"tasks":            r.Overall.Tasks,
		"trials":           r.K,
		"success":          num(r.Overall.Success.Value),
		"success_ci":       []any{num(r.Overall.Success.Low), num(r.Overall.Success.High)},
		"pass_hat_k":       phk,
		"pass_at_k":        pak,
		"mean_steps":       num(r.Overall.MeanSteps.Value),
		"mean_tool_errors": num(r.Overall.MeanToolErrors.Value),
		"failed":           r.Failed,
		"seconds":          math.Round(r.Seconds*1000) / 1000,
	}
	if r.Usage.Requests > 0 {
		s["prompt_tokens"] = r.Usage.PromptTokens
		s["completion_tokens"] = r.Usage.CompletionTokens
		s["requests"] = r.Usage.Requests
	}
	if r.Funnel != nil {
		f := map[string]any{"input": r.Funnel.Input, "kept": r.Funnel.Kept}
		for _, st := range r.Funnel.Stages {
			f[st.Stage] = st.Passed
		}
		s["funnel"] = f
	}
	return s
}

// num makes a value JSON-safe: NaN becomes null.
func num(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return round(x)
}

// Write writes report.json, report.md and the plots into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	plots, err := r.writePlots(dir)
	if err != nil {
		return err
	}
	if r.Methods != nil && len(r.Methods.Figures) > 0 {
		if err := r.Methods.plot(filepath.Join(dir, MethodsPlot)); err != nil {
			return err
		}
		plots = append(plots, MethodsPlot)
	}
	r.Plots = plots
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := writeFile(filepath.Join(dir, JSONFile), append(data, '\n')); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, MarkdownFile), []byte(r.Markdown()))
}

// writeFile writes through a temporary file, so a reader never sees
// half a file.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Read reads the report.json of a run folder (or the file itself).
func Read(path string) (*Report, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, JSONFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	return &r, nil
}

// Markdown renders the report as tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Evaluation: %s\n\n", r.Policy)
	fmt.Fprintf(&b, "%d episodes over %d tasks, %d trials each", r.Episodes, r.Overall.Tasks, r.K)
	if r.Failed > 0 {
		fmt.Fprintf(&b, " (%d failed with an error and are left out)", r.Failed)
	}
	fmt.Fprintf(&b, ", in %.1f s. Intervals: %.0f%% bootstrap over tasks (%d resamples, seed %d).\n\n",
		r.Seconds, 100*r.Bootstrap.Level, r.Bootstrap.Resamples, r.Bootstrap.Seed)
	b.WriteString("pass^k is tau-bench's estimate that all k trials of a task succeed (mean over tasks of C(c,k)/C(n,k)); ")
	b.WriteString("pass@k that at least one does (1 - C(n-c,k)/C(n,k)).\n\n")

	b.WriteString("## Success and pass^k\n\n")
	groups := append([]Group{r.Overall}, r.Domains...)
	b.WriteString("| group | tasks | episodes | success |")
	for k := 1; k <= r.K; k++ {
		fmt.Fprintf(&b, " pass^%d |", k)
	}
	b.WriteString("\n|---|---:|---:|---|")
	for k := 1; k <= r.K; k++ {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "| %s | %d | %d | %s |", g.Name, g.Tasks, g.Episodes, ci(g.Success))
		for k := 0; k < r.K; k++ {
			fmt.Fprintf(&b, " %s |", ciAt(g.PassHatK, k))
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## pass@k, steps and tool errors\n\n| group |")
	for k := 1; k <= r.K; k++ {
		fmt.Fprintf(&b, " pass@%d |", k)
	}
	b.WriteString(" mean steps | mean tool errors |\n|---|")
	for k := 1; k <= r.K; k++ {
		b.WriteString("---|")
	}
	b.WriteString("---|---|\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "| %s |", g.Name)
		for k := 0; k < r.K; k++ {
			fmt.Fprintf(&b, " %s |", ciAt(g.PassAtK, k))
		}
		fmt.Fprintf(&b, " %s | %s |\n", ci(g.MeanSteps), ci(g.MeanToolErrors))
	}

	if len(r.ByLength) > 0 {
		b.WriteString("\n## Success by task length\n\nLength is the number of tool calls in the task's ground truth.\n\n| length | tasks | episodes | success | mean steps |\n|---:|---:|---:|---|---|\n")
		for _, g := range r.ByLength {
			fmt.Fprintf(&b, "| %d | %d | %d | %s | %s |\n", g.Length, g.Tasks, g.Episodes, ci(g.Success), ci(g.MeanSteps))
		}
	}

	b.WriteString("\n## Trajectory filter\n\n")
	if r.Funnel != nil {
		fmt.Fprintf(&b, "%d trajectories in, %d kept. Stages, in order: format (every call names a real tool with schema-valid arguments), "+
			"terminal (replaying the calls leaves the ground truth's final state), exact (the ground truth's calls and arguments).\n\n", r.Funnel.Input, r.Funnel.Kept)
		b.WriteString("| stage | in | passed | dropped |\n|---|---:|---:|---:|\n")
		for _, s := range r.Funnel.Stages {
			fmt.Fprintf(&b, "| %s | %d | %d | %d |\n", s.Stage, s.In, s.Passed, s.Dropped)
		}
	} else {
		note := r.FunnelNote
		if note == "" {
			note = "not run"
		}
		fmt.Fprintf(&b, "Not run: %s.\n", note)
	}

	if r.Usage.Requests > 0 {
		fmt.Fprintf(&b, "\n## Tokens\n\n%d requests, %d prompt tokens, %d completion tokens.\n", r.Usage.Requests, r.Usage.PromptTokens, r.Usage.CompletionTokens)
	}
	if r.Methods != nil {
		b.WriteString(r.Methods.markdown())
	}
	if len(r.Plots) > 0 {
		b.WriteString("\n## Plots\n\n")
		for _, p := range r.Plots {
			fmt.Fprintf(&b, "![%s](%s)\n\n", strings.TrimSuffix(p, ".png"), p)
		}
	}
	return b.String()
}

// ci renders an interval as "0.500 [0.300, 0.700]".
func ci(iv Interval) string {
	if math.IsNaN(iv.Value) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f [%.3f, %.3f]", iv.Value, iv.Low, iv.High)
}

func ciAt(ivs []Interval, i int) string {
	if i >= len(ivs) {
		return "n/a"
	}
	return ci(ivs[i])
}
