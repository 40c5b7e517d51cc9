package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/runner"
)

// MethodsPlot is the plot of an agent method beside plain ReAct.
const MethodsPlot = "methods.png"

// Methods sets an agent method's figures beside plain ReAct's on the
// same tasks.
type Methods struct {
	// Method names it: resum, iterresearch, synthesis, expansion,
	// no-tools; Baseline names the ReAct run.
	Method   string `json:"method"`
	Baseline string `json:"baseline"`
	// Figures are per-task means over the tasks both runs played, each
	// with its bootstrap interval and the paired difference.
	Figures []MethodFigure `json:"figures"`
	// ReSum: segments per episode.
	Segments *Interval `json:"segments,omitempty"`
	// IterResearch: rounds per episode, the final report's length in
	// bytes, and the final reports.
	Rounds       *Interval     `json:"rounds,omitempty"`
	ReportBytes  *Interval     `json:"report_bytes,omitempty"`
	FinalReports []FinalReport `json:"final_reports,omitempty"`
	// Synthesis and Expansion: those methods' own figures.
	Synthesis *Synthesis `json:"synthesis,omitempty"`
	Expansion *Expansion `json:"expansion,omitempty"`
}

// MethodFigure is one metric of the method and of ReAct.
type MethodFigure struct {
	Metric string   `json:"metric"`
	Tasks  int      `json:"tasks"`
	Method Interval `json:"method"`
	ReAct  Interval `json:"react"`
	// Diff is Method - ReAct, paired by task.
	Diff Interval `json:"diff"`
}

// FinalReport is an IterResearch episode's last report.
type FinalReport struct {
	Env    string `json:"env"`
	Task   string `json:"task"`
	Trial  int    `json:"trial"`
	Report string `json:"report"`
}

// Synthesis is Research-Synthesis's figures.
type Synthesis struct {
	// N is the samples per task; Curve pass@n and majority-vote
	// accuracy over the first n samples, n = 1..N.
	N     int            `json:"n"`
	Curve []SynthesisAtN `json:"curve"`
	// Fused is the fused answer's accuracy.
	Fused Interval        `json:"fused"`
	Tasks []SynthesisTask `json:"tasks"`
}

// SynthesisAtN is the figures over the first n samples.
type SynthesisAtN struct {
	N        int      `json:"n"`
	PassAtN  Interval `json:"pass_at_n"`
	Majority Interval `json:"majority"`
}

// SynthesisTask is one task's figures at N.
type SynthesisTask struct {
	Env      string  `json:"env"`
	Task     string  `json:"task"`
	PassAtN  bool    `json:"pass_at_n"`
	Majority bool    `json:"majority"`
	Fused    bool    `json:"fused"`
	Reward   float64 `json:"fused_reward"`
}

// Expansion is the step-level expansion's figures.
type Expansion struct {
	Steps    int `json:"steps"`
	Rollouts int `json:"rollouts"`
	// Original is the mean reward of the original actions' rollouts,
	// Alternatives that of the sampled ones (per step).
	Original     Interval `json:"original"`
	Alternatives Interval `json:"alternatives"`
	// Better counts steps where some alternative's mean beat the
	// original's.
	Better int `json:"better"`
}

// MethodInput is what BuildMethods reads.
type MethodInput struct {
	Method, Baseline string
	Results, ReAct   []runner.Result
	Fused            []runner.Fused
	Tree             []runner.TreeStep
	Bootstrap        Bootstrap
}

// BuildMethods computes a method's figures beside ReAct's.
func BuildMethods(in MethodInput) *Methods {
	bs := in.Bootstrap.withDefaults()
	m := &Methods{Method: in.Method, Baseline: in.Baseline}
	type perTask map[string]float64
	mean := func(rs []runner.Result, f func(runner.Result) float64) perTask {
		sum, n := perTask{}, perTask{}
		for _, r := range rs {
			k := r.Env + "\x00" + r.Task
			sum[k] += f(r)
			n[k]++
		}
		for k := range sum {
			sum[k] /= n[k]
		}
		return sum
	}
	success := func(r runner.Result) float64 { return b2f(r.Success) }
	tokens := func(r runner.Result) float64 { return float64(r.Usage.PromptTokens + r.Usage.CompletionTokens) }
	steps := func(r runner.Result) float64 { return float64(r.Steps) }
	react := map[string]perTask{"success": mean(in.ReAct, success), "tokens_per_episode": mean(in.ReAct, tokens), "steps": mean(in.ReAct, steps)}
	meth := map[string]perTask{"success": mean(in.Results, success), "tokens_per_episode": mean(in.Results, tokens), "steps": mean(in.Results, steps)}
	order := []string{"success", "steps", "tokens_per_episode"}
	if len(in.Fused) > 0 {
		s := &Synthesis{}
		pass, maj, fused := perTask{}, perTask{}, perTask{}
		for _, f := range in.Fused {
			k := f.Env + "\x00" + f.Task
			s.N = max(s.N, len(f.Samples))
			pass[k] = b2f(anyWins(f.Samples, len(f.Samples)))
			maj[k] = b2f(majorityWins(f.Samples, len(f.Samples)))
			fused[k] = b2f(f.Success)
			s.Tasks = append(s.Tasks, SynthesisTask{Env: f.Env, Task: f.Task, PassAtN: pass[k] == 1, Majority: maj[k] == 1, Fused: f.Success, Reward: f.Reward})
		}
		for n := 1; n <= s.N; n++ {
			pn, mn := map[string]float64{}, map[string]float64{}
			for _, f := range in.Fused {
				k := f.Env + "\x00" + f.Task
				pn[k] = b2f(anyWins(f.Samples, n))
				mn[k] = b2f(majorityWins(f.Samples, n))
			}
			s.Curve = append(s.Curve, SynthesisAtN{N: n, PassAtN: boot(pn, bs, fmt.Sprint("pass", n)), Majority: boot(mn, bs, fmt.Sprint("maj", n))})
		}
		s.Fused = boot(fused, bs, "fused")
		m.Synthesis = s
		meth["pass_at_n"], meth["majority"], meth["fused"] = pass, maj, fused
		for _, k := range []string{"pass_at_n", "majority", "fused"} {
			react[k] = react["success"]
		}
		order = append([]string{"fused", "majority", "pass_at_n"}, order...)
	}
	for _, name := range order {
		m.Figures = append(m.Figures, figure(name, meth[name], react[name], bs))
	}
	var segs, rounds, rep []float64
	for _, r := range in.Results {
		if r.Mode == runner.ModeReSum {
			n := 1
			for _, s := range r.Segments {
				n = max(n, s+1)
			}
			segs = append(segs, float64(n))
		}
		if r.Mode == runner.ModeIterResearch {
			rounds = append(rounds, float64(len(r.Reports)))
			fr := runner.FinalReport(r)
			rep = append(rep, float64(len(fr)))
			m.FinalReports = append(m.FinalReports, FinalReport{Env: r.Env, Task: r.Task, Trial: r.Trial, Report: fr})
		}
	}
	if len(segs) > 0 {
		iv := bootValues(segs, bs, "segments")
		m.Segments = &iv
	}
	if len(rounds) > 0 {
		a, b := bootValues(rounds, bs, "rounds"), bootValues(rep, bs, "report")
		m.Rounds, m.ReportBytes = &a, &b
	}
	if len(in.Tree) > 0 {
		x := &Expansion{Steps: len(in.Tree)}
		var orig, alts []float64
		for _, st := range in.Tree {
			var o float64
			bestAlt := math.Inf(-1)
			for _, c := range st.Candidates {
				x.Rollouts += len(c.Rewards)
				if c.Original {
					o = c.Mean
					orig = append(orig, c.Mean)
				} else {
					alts = append(alts, c.Mean)
					bestAlt = max(bestAlt, c.Mean)
				}
			}
			if bestAlt > o {
				x.Better++
			}
		}
		x.Original, x.Alternatives = bootValues(orig, bs, "original"), bootValues(alts, bs, "alternatives")
		m.Expansion = x
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// anyWins: some of the first n samples succeeded.
func anyWins(ss []runner.SampleOutcome, n int) bool {
	for _, s := range ss[:min(n, len(ss))] {
		if s.Reward == 1 {
			return true
		}
	}
	return false
}

// majorityWins: the most frequent answer among the first n samples
// (normalised; ties go to the earliest) is a successful one.
func majorityWins(ss []runner.SampleOutcome, n int) bool {
	ss = ss[:min(n, len(ss))]
	count := map[string]int{}
	best, bestN := -1, 0
	for i, s := range ss {
		k := agentctx.Normalize(s.Answer)
		count[k]++
		if count[k] > bestN {
			best, bestN = i, count[k]
		}
	}
	if best < 0 {
		return false
	}
	// The earliest sample with the winning answer stands for it.
	win := agentctx.Normalize(ss[best].Answer)
	for _, s := range ss {
		if agentctx.Normalize(s.Answer) == win {
			return s.Reward == 1
		}
	}
	return false
}

func figure(name string, meth, react map[string]float64, bs Bootstrap) MethodFigure {
	var keys []string
	for k := range meth {
		if _, ok := react[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	a, b, d := make([]float64, len(keys)), make([]float64, len(keys)), make([]float64, len(keys))
	for i, k := range keys {
		a[i], b[i] = meth[k], react[k]
		d[i] = a[i] - b[i]
	}
	return MethodFigure{Metric: name, Tasks: len(keys), Method: bootValues(a, bs, "m\x00"+name), ReAct: bootValues(b, bs, "r\x00"+name), Diff: bootValues(d, bs, "d\x00"+name)}
}

func boot(vals map[string]float64, bs Bootstrap, name string) Interval {
	var keys []string
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	xs := make([]float64, len(keys))
	for i, k := range keys {
		xs[i] = vals[k]
	}
	return bootValues(xs, bs, name)
}

// bootValues is the mean of xs with its percentile bootstrap interval.
func bootValues(xs []float64, bs Bootstrap, name string) Interval {
	bs = bs.withDefaults()
	iv := Interval{Value: nanMean(xs, nil)}
	var means []float64
	for _, s := range resamples(len(xs), bs, name) {
		if v := nanMean(xs, s); !math.IsNaN(v) {
			means = append(means, v)
		}
	}
	iv.Low, iv.High = percentiles(means, bs.Level)
	return iv
}

// methodsMarkdown renders the methods section.
func (m *Methods) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## %s beside ReAct\n\nReAct run: %s. Per-task means over the tasks both played, with %s intervals; the difference is paired by task.\n\n", m.Method, m.Baseline, "bootstrap")
	b.WriteString("| metric | tasks | " + m.Method + " | ReAct | difference |\n|---|---|---|---|---|\n")
	for _, f := range m.Figures {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", f.Metric, f.Tasks, ci(f.Method), ci(f.ReAct), signedCI(f.Diff))
	}
	if m.Segments != nil {
		fmt.Fprintf(&b, "\nReSum segments per episode: %s\n", ci(*m.Segments))
	}
	if m.Rounds != nil {
		fmt.Fprintf(&b, "\nIterResearch rounds per episode: %s; final report bytes: %s (the reports are in report.json)\n", ci(*m.Rounds), ci(*m.ReportBytes))
	}
	if s := m.Synthesis; s != nil {
		b.WriteString("\n| n | pass@n | majority vote |\n|---|---|---|\n")
		for _, c := range s.Curve {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", c.N, ci(c.PassAtN), ci(c.Majority))
		}
		fmt.Fprintf(&b, "\nFused answer at N = %d: %s\n\n| task | pass@N | majority | fused |\n|---|---|---|---|\n", s.N, ci(s.Fused))
		for _, t := range s.Tasks {
			fmt.Fprintf(&b, "| %s/%s | %v | %v | %v |\n", t.Env, t.Task, t.PassAtN, t.Majority, t.Fused)
		}
	}
	if x := m.Expansion; x != nil {
		fmt.Fprintf(&b, "\nStep-level expansion: %d steps, %d rollouts; original actions' mean reward %s, alternatives' %s; an alternative beat the original at %d steps (tree.jsonl).\n",
			x.Steps, x.Rollouts, ci(x.Original), ci(x.Alternatives), x.Better)
	}
	return b.String()
}

// methodsPlot draws each figure of the method beside ReAct's, with
// their intervals (success-like figures only: those in [0, 1]).
func (m *Methods) plot(path string) error {
	p := plot.New()
	p.Title.Text = m.Method + " beside ReAct"
	p.Y.Label.Text = "per-task mean"
	p.Y.Min, p.Y.Max = 0, 1.02
	var labels []string
	var mv, rv plotter.Values
	var me, re errorBars
	for _, f := range m.Figures {
		if f.Metric == "steps" || f.Metric == "tokens_per_episode" {
			continue
		}
		labels = append(labels, f.Metric)
		for _, x := range []struct {
			iv   Interval
			vals *plotter.Values
			errs *errorBars
		}{{f.Method, &mv, &me}, {f.ReAct, &rv, &re}} {
			v := x.iv.Value
			if math.IsNaN(v) {
				v = 0
			}
			*x.vals = append(*x.vals, v)
			*x.errs = append(*x.errs, [3]float64{v, x.iv.Low, x.iv.High})
		}
	}
	w := vg.Points(20)
	legend := plot.NewLegend()
	for i, s := range []struct {
		name string
		vals plotter.Values
	}{{m.Method, mv}, {"ReAct", rv}} {
		bars, err := plotter.NewBarChart(s.vals, w)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(2*i-1) * w / 2
		p.Add(bars)
		legend.Add(s.name, bars)
	}
	p.Add(plotter.NewGrid())
	p.NominalX(labels...)
	return savePNG(p, &legend, path, 6*vg.Inch, 4*vg.Inch, 1.5*vg.Inch)
}
