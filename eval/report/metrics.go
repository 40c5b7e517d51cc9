// Package report turns finished episodes into an evaluation's numbers
// and documents: success rate, pass^k (tau-bench's estimator) and pass@k
// for k = 1..K, mean steps and tool errors, per domain, per ground-truth
// length and overall, each with a seeded bootstrap confidence interval
// over tasks; report.json, report.md and PNG plots; and the comparison
// of two runs.
package report

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"gonum.org/v1/gonum/stat"

	"github.com/simgym/simgym/eval/runner"
)

// PassHatK is tau-bench's pass^k estimate for one task: the chance that
// k trials drawn without replacement from n, c of them successes, all
// succeed: C(c,k) / C(n,k). It is NaN when k > n.
func PassHatK(n, c, k int) float64 {
	if k <= 0 || k > n || c < 0 || c > n {
		return math.NaN()
	}
	return ratio(c, n, k)
}

// PassAtK is the unbiased pass@k estimate for one task: the chance that
// at least one of k trials drawn from n succeeds: 1 - C(n-c,k) / C(n,k).
// It is NaN when k > n.
func PassAtK(n, c, k int) float64 {
	if k <= 0 || k > n || c < 0 || c > n {
		return math.NaN()
	}
	return 1 - ratio(n-c, n, k)
}

// ratio is C(a,k) / C(n,k) as a product, exact enough and never
// overflowing: prod over i < k of (a-i) / (n-i).
func ratio(a, n, k int) float64 {
	if a < k {
		return 0
	}
	r := 1.0
	for i := range k {
		r *= float64(a-i) / float64(n-i)
	}
	return r
}

// TaskStat is one task's episodes.
type TaskStat struct {
	Env  string `json:"env"`
	Task string `json:"task"`
	// Length is the ground truth's number of tool calls (0: unknown).
	Length int `json:"length,omitempty"`
	// Trials played, Successes among them.
	Trials    int `json:"trials"`
	Successes int `json:"successes"`
	// Steps and ToolErrors are means per trial.
	Steps      float64 `json:"steps"`
	ToolErrors float64 `json:"tool_errors"`
}

// Key identifies a task across runs.
func (t TaskStat) Key() string { return t.Env + "\x00" + t.Task }

// TaskStats groups episodes by task, sorted by env and task.
func TaskStats(results []runner.Result) []TaskStat {
	by := map[string]*TaskStat{}
	var keys []string
	for _, r := range results {
		k := r.Env + "\x00" + r.Task
		t := by[k]
		if t == nil {
			t = &TaskStat{Env: r.Env, Task: r.Task, Length: r.Length}
			by[k] = t
			keys = append(keys, k)
		}
		t.Trials++
		if r.Success {
			t.Successes++
		}
		t.Steps += float64(r.Steps)
		t.ToolErrors += float64(r.ToolErrors)
	}
	sort.Strings(keys)
	out := make([]TaskStat, len(keys))
	for i, k := range keys {
		t := by[k]
		t.Steps /= float64(t.Trials)
		t.ToolErrors /= float64(t.Trials)
		out[i] = *t
	}
	return out
}

// Interval is an estimate and its bootstrap confidence interval. Values
// are NaN-free in JSON: an estimate with no data is null.
type Interval struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Bootstrap says how intervals are computed.
type Bootstrap struct {
	// Resamples of the tasks (default 1000).
	Resamples int `json:"resamples"`
	// Seed makes the intervals repeatable.
	Seed uint64 `json:"seed"`
	// Level is the interval's coverage (default 0.95).
	Level float64 `json:"level"`
}

func (b Bootstrap) withDefaults() Bootstrap {
	if b.Resamples <= 0 {
		b.Resamples = 1000
	}
	if b.Level <= 0 || b.Level >= 1 {
		b.Level = 0.95
	}
	return b
}

// Group is the metrics of a set of tasks.
type Group struct {
	// Name is "overall", a domain, or a ground-truth length.
	Name string `json:"name"`
	// Length is set on groups by ground-truth length.
	Length   int `json:"length,omitempty"`
	Tasks    int `json:"tasks"`
	Episodes int `json:"episodes"`
	// Success is the mean over tasks of each task's success rate.
	Success Interval `json:"success"`
	// PassHatK[k-1] is pass^k, PassAtK[k-1] pass@k, over the tasks with
	// at least k trials.
	PassHatK []Interval `json:"pass_hat_k"`
	PassAtK  []Interval `json:"pass_at_k"`
	// MeanSteps and MeanToolErrors are per episode, averaged over tasks.
	MeanSteps      Interval `json:"mean_steps"`
	MeanToolErrors Interval `json:"mean_tool_errors"`
}

// metric is a per-task value; NaN leaves the task out.
type metric func(TaskStat) float64

// estimate is a metric's mean over tasks and its bootstrap interval.
func estimate(ts []TaskStat, m metric, idx [][]int, level float64) Interval {
	vals := make([]float64, len(ts))
	for i, t := range ts {
		vals[i] = m(t)
	}
	iv := Interval{Value: nanMean(vals, nil)}
	if len(idx) == 0 || math.IsNaN(iv.Value) {
		iv.Low, iv.High = iv.Value, iv.Value
		return iv
	}
	means := make([]float64, 0, len(idx))
	for _, sample := range idx {
		if v := nanMean(vals, sample); !math.IsNaN(v) {
			means = append(means, v)
		}
	}
	iv.Low, iv.High = percentiles(means, level)
	return iv
}

// percentiles returns the interval of the given coverage of xs.
func percentiles(xs []float64, level float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(xs)
	a := (1 - level) / 2
	return stat.Quantile(a, stat.Empirical, xs, nil), stat.Quantile(1-a, stat.Empirical, xs, nil)
}

// nanMean is the mean of vals (at the indices, when given) skipping NaN.
func nanMean(vals []float64, idx []int) float64 {
	sum, n := 0.0, 0
	add := func(v float64) {
		if !math.IsNaN(v) {
			sum += v
			n++
		}
	}
	if idx == nil {
		for _, v := range vals {
			add(v)
		}
	} else {
		for _, i := range idx {
			add(vals[i])
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// resamples draws the bootstrap's task indices, seeded by the seed and
// the group's name so each group's intervals are repeatable on their own.
func resamples(n int, b Bootstrap, name string) [][]int {
	if n == 0 {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(b.Seed, h.Sum64()))
	out := make([][]int, b.Resamples)
	for i := range out {
		s := make([]int, n)
		for j := range s {
			s[j] = rng.IntN(n)
		}
		out[i] = s
	}
	return out
}

// NewGroup computes a group's metrics for k = 1..K.
func NewGroup(name string, ts []TaskStat, k int, b Bootstrap) Group {
	b = b.withDefaults()
	g := Group{Name: name, Tasks: len(ts)}
	for _, t := range ts {
		g.Episodes += t.Trials
	}
	idx := resamples(len(ts), b, name)
	g.Success = estimate(ts, func(t TaskStat) float64 { return float64(t.Successes) / float64(t.Trials) }, idx, b.Level)
	for kk := 1; kk <= k; kk++ {
		g.PassHatK = append(g.PassHatK, estimate(ts, func(t TaskStat) float64 { return PassHatK(t.Trials, t.Successes, kk) }, idx, b.Level))
		g.PassAtK = append(g.PassAtK, estimate(ts, func(t TaskStat) float64 { return PassAtK(t.Trials, t.Successes, kk) }, idx, b.Level))
	}
	g.MeanSteps = estimate(ts, func(t TaskStat) float64 { return t.Steps }, idx, b.Level)
	g.MeanToolErrors = estimate(ts, func(t TaskStat) float64 { return t.ToolErrors }, idx, b.Level)
	return g
}

// groups splits task stats by a key, in key order.
func groupBy(ts []TaskStat, key func(TaskStat) string) ([]string, map[string][]TaskStat) {
	m := map[string][]TaskStat{}
	var keys []string
	for _, t := range ts {
		k := key(t)
		if _, ok := m[k]; !ok {
			keys = append(keys, k)
		}
		m[k] = append(m[k], t)
	}
	sort.Strings(keys)
	return keys, m
}

// byLength groups the tasks of known length, shortest first.
func byLength(ts []TaskStat, k int, b Bootstrap) []Group {
	m := map[int][]TaskStat{}
	for _, t := range ts {
		if t.Length > 0 {
			m[t.Length] = append(m[t.Length], t)
		}
	}
	lens := make([]int, 0, len(m))
	for l := range m {
		lens = append(lens, l)
	}
	sort.Ints(lens)
	out := make([]Group, len(lens))
	for i, l := range lens {
		out[i] = NewGroup("length "+strconv.Itoa(l), m[l], k, b)
		out[i].Length = l
	}
	return out
}

// MarshalJSON writes NaN (no data) as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	f := func(x float64) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "null"
		}
		return strconv.FormatFloat(round(x), 'f', -1, 64)
	}
	return []byte(`{"value":` + f(iv.Value) + `,"low":` + f(iv.Low) + `,"high":` + f(iv.High) + `}`), nil
}

// UnmarshalJSON reads null as NaN.
func (iv *Interval) UnmarshalJSON(data []byte) error {
	var raw struct{ Value, Low, High *float64 }
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	g := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*iv = Interval{Value: g(raw.Value), Low: g(raw.Low), High: g(raw.High)}
	return nil
}

// round keeps six decimals, enough for any rate and free of float noise.
func round(x float64) float64 { return math.Round(x*1e6) / 1e6 }
