package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/eval/report"
	"github.com/simgym/simgym/eval/runner"
)

// TestPassHatKByHand checks the estimators against numbers worked out by
// hand.
func TestPassHatKByHand(t *testing.T) {
	// n = 4 trials, c = 2 successes.
	assert.InDelta(t, 0.5, report.PassHatK(4, 2, 1), 1e-12)   // 2/4
	assert.InDelta(t, 1.0/6, report.PassHatK(4, 2, 2), 1e-12) // C(2,2)/C(4,2) = 1/6
	assert.Equal(t, 0.0, report.PassHatK(4, 2, 3))            // C(2,3) = 0
	assert.InDelta(t, 0.5, report.PassAtK(4, 2, 1), 1e-12)    // 1 - 2/4
	assert.InDelta(t, 5.0/6, report.PassAtK(4, 2, 2), 1e-12)  // 1 - C(2,2)/C(4,2)
	assert.Equal(t, 1.0, report.PassAtK(4, 2, 3))             // C(2,3) = 0
	assert.InDelta(t, 0.4, report.PassHatK(5, 4, 3), 1e-12)   // C(4,3)/C(5,3) = 4/10
	assert.InDelta(t, 0.7, report.PassAtK(5, 2, 2), 1e-12)    // 1 - C(3,2)/C(5,2) = 1 - 3/10
	assert.True(t, math.IsNaN(report.PassHatK(2, 1, 3)), "k > n has no estimate")
	assert.Equal(t, 1.0, report.PassHatK(3, 3, 3))
	assert.Equal(t, 0.0, report.PassAtK(3, 0, 3))

	// Three tasks of three trials: 3, 1 and 0 successes.
	// pass^1 = (1 + 1/3 + 0)/3 = 4/9; pass^2 = (1 + 0 + 0)/3 = 1/3;
	// pass^3 = 1/3; pass@2 = (1 + (1 - C(2,2)/C(3,2)) + 0)/3 = (1 + 2/3)/3 = 5/9.
	res := episodes(map[string][]bool{"a": {true, true, true}, "b": {false, true, false}, "c": {false, false, false}})
	r := report.Build(res, report.Options{K: 3, Bootstrap: report.Bootstrap{Seed: 1}})
	g := r.Overall
	assert.Equal(t, 3, g.Tasks)
	assert.Equal(t, 9, g.Episodes)
	assert.InDelta(t, 4.0/9, g.Success.Value, 1e-6)
	assert.InDelta(t, 4.0/9, g.PassHatK[0].Value, 1e-6)
	assert.InDelta(t, 1.0/3, g.PassHatK[1].Value, 1e-6)
	assert.InDelta(t, 1.0/3, g.PassHatK[2].Value, 1e-6)
	assert.InDelta(t, 5.0/9, g.PassAtK[1].Value, 1e-6)
	assert.InDelta(t, 2.0/3, g.PassAtK[2].Value, 1e-6)
	for k, iv := range g.PassHatK {
		assert.LessOrEqual(t, iv.Low, iv.Value, "pass^%d", k+1)
		assert.GreaterOrEqual(t, iv.High, iv.Value, "pass^%d", k+1)
		assert.GreaterOrEqual(t, iv.Low, 0.0)
		assert.LessOrEqual(t, iv.High, 1.0)
	}
	assert.Less(t, g.Success.Low, g.Success.High, "tasks that differ give an interval of some width")
}

// episodes makes results: per task, the outcome of each trial.
func episodes(outcomes map[string][]bool) []runner.Result {
	var out []runner.Result
	for taskID, trials := range outcomes {
		for i, ok := range trials {
			r := runner.Result{Env: "env_" + taskID[:1], Task: taskID, Trial: i, Policy: "p", Success: ok, Steps: 2, Length: len(taskID)}
			if ok {
				r.Reward = 1
			} else {
				r.ToolErrors = 1
			}
			out = append(out, r)
		}
	}
	return out
}

// TestBootstrapIsSeeded: the same seed gives the same intervals, and a
// metric that is the same on every task has a zero-width interval.
func TestBootstrapIsSeeded(t *testing.T) {
	outcomes := map[string][]bool{}
	for i := range 30 {
		outcomes[fmt.Sprintf("t%02d", i)] = []bool{i%2 == 0, i%3 == 0}
	}
	res := episodes(outcomes)
	a := report.Build(res, report.Options{Bootstrap: report.Bootstrap{Seed: 7}})
	b := report.Build(res, report.Options{Bootstrap: report.Bootstrap{Seed: 7}})
	c := report.Build(res, report.Options{Bootstrap: report.Bootstrap{Seed: 8}})
	assert.Equal(t, a.Overall, b.Overall)
	assert.NotEqual(t, a.Overall.Success, c.Overall.Success)
	assert.Equal(t, 2, a.K, "K defaults to the most trials a task had")
	assert.Equal(t, 2.0, a.Overall.MeanSteps.Low)
	assert.Equal(t, 2.0, a.Overall.MeanSteps.High)
	s := a.Overall.Success
	assert.True(t, s.Low < s.Value && s.Value < s.High, "%+v", s)
	// A 95% interval of a mean over 30 tasks of rates in [0, 1] is
	// roughly +- 2 standard errors: about 0.3 wide here.
	assert.InDelta(t, 0.3, s.High-s.Low, 0.15)
}

// TestWriteAndRead writes report.json, report.md and the plots, and
// reads the report back.
func TestWriteAndRead(t *testing.T) {
	res := episodes(map[string][]bool{"a": {true, true}, "bb": {false, true}, "ccc": {false, false}})
	r := report.Build(res, report.Options{K: 2, Bootstrap: report.Bootstrap{Seed: 1, Resamples: 200}})
	dir := t.TempDir()
	require.NoError(t, r.Write(dir))
	for _, f := range []string{report.JSONFile, report.MarkdownFile, report.PassPlot, report.LengthPlot} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		if filepath.Ext(f) == ".png" {
			assert.True(t, bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")), "%s is a PNG", f)
		}
	}
	back, err := report.Read(dir)
	require.NoError(t, err)
	want, _ := json.Marshal(r.Overall)
	got, _ := json.Marshal(back.Overall)
	assert.JSONEq(t, string(want), string(got), "the numbers survive the trip (to six decimals)")
	assert.Equal(t, r.Tasks, back.Tasks)
	assert.Equal(t, []string{report.PassPlot, report.LengthPlot}, back.Plots)
	require.Len(t, back.ByLength, 3)
	assert.Equal(t, 1, back.ByLength[0].Length)
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| overall | 3 | 6 | 0.500 [")
	assert.Contains(t, string(md), "pass^2")
	assert.Contains(t, string(md), "![pass_hat_k](pass_hat_k.png)")

	// The summary is JSON with pass_hat_k for k = 1..K.
	sum := r.Summary()
	data, err := json.Marshal(sum)
	require.NoError(t, err)
	var back2 map[string]any
	require.NoError(t, json.Unmarshal(data, &back2))
	phk := back2["pass_hat_k"].([]any)
	require.Len(t, phk, 2)
	assert.InDelta(t, 0.5, phk[0], 1e-6)
	assert.InDelta(t, 1.0/3, phk[1], 1e-6)
	assert.EqualValues(t, 6, back2["episodes"])
}

// TestNoDataIsNull: a pass^k no task has enough trials for is null in
// JSON, not an encoding failure.
func TestNoDataIsNull(t *testing.T) {
	r := report.Build(episodes(map[string][]bool{"a": {true}}), report.Options{K: 3})
	data, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(data), `{"value":null,"low":null,"high":null}`)
	var back report.Report
	require.NoError(t, json.Unmarshal(data, &back))
	assert.True(t, math.IsNaN(back.Overall.PassHatK[2].Value))
	require.NoError(t, r.Write(t.TempDir()))
}

// TestCompare: two runs on the same tasks are compared paired; the
// difference and its interval come out per group.
func TestCompare(t *testing.T) {
	outA, outB := map[string][]bool{}, map[string][]bool{}
	for i := range 40 {
		id := fmt.Sprintf("t%02d", i)
		outA[id] = []bool{i%4 == 0, i%4 == 0}
		outB[id] = []bool{i%4 != 3, i%2 == 0}
	}
	a := report.Build(episodes(outA), report.Options{Bootstrap: report.Bootstrap{Seed: 1}})
	b := report.Build(episodes(outB), report.Options{Bootstrap: report.Bootstrap{Seed: 1}})
	c := report.Compare("A", a, "B", b, report.Bootstrap{Seed: 1})
	require.NotEmpty(t, c.Groups)
	o := c.Groups[0]
	assert.Equal(t, "overall", o.Name)
	assert.True(t, o.Paired)
	require.Len(t, o.Metrics, 3) // success, pass^1, pass^2
	s := o.Metrics[0]
	assert.Equal(t, "success", s.Metric)
	assert.InDelta(t, 0.25, s.A.Value, 1e-9)
	assert.InDelta(t, (0.75+0.5)/2, s.B.Value, 1e-9)
	assert.InDelta(t, s.B.Value-s.A.Value, s.Diff.Value, 1e-9)
	assert.Greater(t, s.Diff.Low, 0.0, "B is better, and the tasks say so")
	assert.Less(t, s.Diff.Low, s.Diff.High)
	assert.Contains(t, c.Markdown(), "| overall | 40 | 40 |")
	sum := c.Summary()
	assert.Equal(t, true, sum["paired"])

	// Runs on different tasks: unpaired.
	outC := map[string][]bool{"x1": {true}, "x2": {false}}
	cc := report.Build(episodes(outC), report.Options{})
	c2 := report.Compare("A", a, "C", cc, report.Bootstrap{Seed: 1})
	assert.False(t, c2.Groups[0].Paired)
	assert.InDelta(t, 0.5-0.25, c2.Groups[0].Metrics[0].Diff.Value, 1e-9)
	assert.Len(t, c2.Groups[0].Metrics, 2, "only the k both runs have")
}
