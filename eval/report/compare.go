package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Diff is one metric of two runs and their difference B - A.
type Diff struct {
	Metric string   `json:"metric"`
	A      Interval `json:"a"`
	B      Interval `json:"b"`
	Diff   Interval `json:"diff"`
}

// GroupDiff compares one group (overall or a domain) of two runs.
type GroupDiff struct {
	Name string `json:"name"`
	// TasksA and TasksB count each run's tasks in the group.
	TasksA int `json:"tasks_a"`
	TasksB int `json:"tasks_b"`
	// Paired: both runs played the same tasks, so the difference's
	// interval resamples tasks together (a paired bootstrap); otherwise
	// each run's tasks are resampled on their own.
	Paired  bool   `json:"paired"`
	Metrics []Diff `json:"metrics"`
}

// Comparison sets two runs side by side.
type Comparison struct {
	A         string      `json:"a"`
	B         string      `json:"b"`
	Groups    []GroupDiff `json:"groups"`
	Bootstrap Bootstrap   `json:"bootstrap"`
}

// Compare compares run b with run a (named by their folders or
// policies): success and pass^k for the k both have, overall and for
// each domain both played.
func Compare(nameA string, a *Report, nameB string, b *Report, bs Bootstrap) *Comparison {
	bs = bs.withDefaults()
	c := &Comparison{A: nameA, B: nameB, Bootstrap: bs}
	k := min(a.K, b.K)
	metrics := []struct {
		name string
		m    metric
	}{{"success", func(t TaskStat) float64 { return float64(t.Successes) / float64(t.Trials) }}}
	for kk := 1; kk <= k; kk++ {
		metrics = append(metrics, struct {
			name string
			m    metric
		}{fmt.Sprintf("pass^%d", kk), func(t TaskStat) float64 { return PassHatK(t.Trials, t.Successes, kk) }})
	}
	ga := append([]Group{a.Overall}, a.Domains...)
	gb := map[string]Group{b.Overall.Name: b.Overall}
	for _, g := range b.Domains {
		gb[g.Name] = g
	}
	tasksOf := func(r *Report, group string) []TaskStat {
		if group == "overall" {
			return r.Tasks
		}
		var out []TaskStat
		for _, t := range r.Tasks {
			if t.Env == group {
				out = append(out, t)
			}
		}
		return out
	}
	for _, g := range ga {
		if _, ok := gb[g.Name]; !ok {
			continue
		}
		ta, tb := tasksOf(a, g.Name), tasksOf(b, g.Name)
		gd := GroupDiff{Name: g.Name, TasksA: len(ta), TasksB: len(tb), Paired: sameTasks(ta, tb)}
		for _, mt := range metrics {
			d := Diff{Metric: mt.name}
			d.A = estimate(ta, mt.m, resamples(len(ta), bs, "a\x00"+g.Name), bs.Level)
			d.B = estimate(tb, mt.m, resamples(len(tb), bs, "b\x00"+g.Name), bs.Level)
			if gd.Paired {
				d.Diff = pairedDiff(ta, tb, mt.m, bs, g.Name)
			} else {
				d.Diff = unpairedDiff(ta, tb, mt.m, bs, g.Name)
			}
			gd.Metrics = append(gd.Metrics, d)
		}
		c.Groups = append(c.Groups, gd)
	}
	return c
}

// sameTasks reports whether two lists hold the same tasks.
func sameTasks(a, b []TaskStat) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	ka, kb := keys(a), keys(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return false
		}
	}
	return true
}

func keys(ts []TaskStat) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key()
	}
	sort.Strings(out)
	return out
}

// pairedDiff bootstraps the mean per-task difference over the tasks
// both runs played.
func pairedDiff(a, b []TaskStat, m metric, bs Bootstrap, name string) Interval {
	byKey := map[string]TaskStat{}
	for _, t := range b {
		byKey[t.Key()] = t
	}
	d := make([]float64, len(a))
	for i, t := range a {
		d[i] = m(byKey[t.Key()]) - m(t)
	}
	idx := resamples(len(d), bs, "diff\x00"+name)
	iv := Interval{Value: nanMean(d, nil)}
	var means []float64
	for _, s := range idx {
		if v := nanMean(d, s); !math.IsNaN(v) {
			means = append(means, v)
		}
	}
	iv.Low, iv.High = percentiles(means, bs.Level)
	return iv
}

// unpairedDiff bootstraps the difference of the means, resampling each
// run's tasks on its own.
func unpairedDiff(a, b []TaskStat, m metric, bs Bootstrap, name string) Interval {
	va, vb := values(a, m), values(b, m)
	iv := Interval{Value: nanMean(vb, nil) - nanMean(va, nil)}
	ia, ib := resamples(len(va), bs, "a\x00"+name), resamples(len(vb), bs, "b\x00"+name)
	if len(ia) == 0 || len(ib) == 0 {
		iv.Low, iv.High = math.NaN(), math.NaN()
		return iv
	}
	var means []float64
	for i := range ia {
		if v := nanMean(vb, ib[i]) - nanMean(va, ia[i]); !math.IsNaN(v) {
			means = append(means, v)
		}
	}
	iv.Low, iv.High = percentiles(means, bs.Level)
	return iv
}

func values(ts []TaskStat, m metric) []float64 {
	out := make([]float64, len(ts))
	for i, t := range ts {
		out[i] = m(t)
	}
	return out
}

// Markdown renders the comparison as a table per metric.
func (c *Comparison) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Comparison\n\n- A: %s\n- B: %s\n\nDifferences are B - A with %.0f%% bootstrap intervals over tasks (%d resamples; paired when both runs played the same tasks). "+
		"An interval that excludes 0 marks a difference the tasks support.\n", c.A, c.B, 100*c.Bootstrap.Level, c.Bootstrap.Resamples)
	if len(c.Groups) == 0 {
		b.WriteString("\nThe runs have no group in common.\n")
		return b.String()
	}
	for mi, d := range c.Groups[0].Metrics {
		fmt.Fprintf(&b, "\n## %s\n\n| group | tasks A | tasks B | A | B | B - A | paired |\n|---|---:|---:|---|---|---|---|\n", d.Metric)
		for _, g := range c.Groups {
			if mi >= len(g.Metrics) {
				continue
			}
			m := g.Metrics[mi]
			mark := ""
			if !math.IsNaN(m.Diff.Low) && (m.Diff.Low > 0 || m.Diff.High < 0) {
				mark = " *"
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %s%s | %v |\n", g.Name, g.TasksA, g.TasksB, ci(m.A), ci(m.B), signedCI(m.Diff), mark, g.Paired)
		}
	}
	return b.String()
}

func signedCI(iv Interval) string {
	if math.IsNaN(iv.Value) {
		return "n/a"
	}
	return fmt.Sprintf("%+.3f [%+.3f, %+.3f]", iv.Value, iv.Low, iv.High)
}

// Summary is the comparison's JSON summary: the overall differences.
func (c *Comparison) Summary() map[string]any {
	s := map[string]any{"a": c.A, "b": c.B}
	for _, g := range c.Groups {
		if g.Name != "overall" {
			continue
		}
		s["tasks_a"], s["tasks_b"], s["paired"] = g.TasksA, g.TasksB, g.Paired
		for _, m := range g.Metrics {
			s[m.Metric] = map[string]any{"a": num(m.A.Value), "b": num(m.B.Value), "diff": num(m.Diff.Value), "diff_ci": []any{num(m.Diff.Low), num(m.Diff.High)}}
		}
	}
	s["groups"] = len(c.Groups)
	return s
}
