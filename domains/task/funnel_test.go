package task_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/task"
)

// funnelTasks samples tasks in a few default domains and returns one
// with a write (and a read before it) and one that only reads.
func funnelTasks(t *testing.T) (all []*task.Task, write, read *task.Task) {
	t.Helper()
	ctx := context.Background()
	var ds []*domains.Domain
	for _, d := range domains.All() {
		if d.Name != "airline" && len(ds) < 4 {
			ds = append(ds, d) // airline needs SIMGYM_DATA
		}
	}
	for _, d := range ds {
		ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, 8)
		require.NoError(t, err)
		for _, tk := range ts {
			all = append(all, tk)
			op := d.Model.Op(tk.Actions[0].Tool)
			switch {
			case write == nil && len(tk.Changes) > 0 && len(tk.Actions) >= 2 && op != nil && !op.Kind.IsWrite():
				write = tk
			case read == nil && len(tk.Changes) == 0:
				read = tk
			}
		}
	}
	require.NotNil(t, write, "a task that reads then writes")
	require.NotNil(t, read, "a task that only reads")
	return all, write, read
}

// withoutLastWrite is the task's actions less its last write.
func withoutLastWrite(t *testing.T, tk *task.Task) []task.Action {
	t.Helper()
	d := domains.Lookup(tk.Domain)
	require.NotNil(t, d, tk.Domain)
	for i := len(tk.Actions) - 1; i >= 0; i-- {
		if op := d.Model.Op(tk.Actions[i].Tool); op != nil && op.Kind.IsWrite() {
			return append(append([]task.Action(nil), tk.Actions[:i]...), tk.Actions[i+1:]...)
		}
	}
	t.Fatalf("task %s has no write", tk.ID)
	return nil
}

func with(actions []task.Action, i int, a task.Action) []task.Action {
	out := append([]task.Action(nil), actions...)
	out[i] = a
	return out
}

func TestFunnelStages(t *testing.T) {
	ctx := context.Background()
	all, write, read := funnelTasks(t)
	f := task.NewFunnel(all)
	first := write.Actions[0]
	cases := []struct {
		name   string
		c      task.Candidate
		passed string
		failed string
		reason string
	}{
		{"ground truth", task.Candidate{Task: write.ID, Actions: write.Actions}, task.StageExact, "", ""},
		{"read-only ground truth", task.Candidate{Task: read.ID, Actions: read.Actions}, task.StageExact, "", ""},
		{"unknown tool", task.Candidate{Task: write.ID, Actions: with(write.Actions, 0, task.Action{Tool: "no_such_tool", Arguments: first.Arguments})},
			"", task.StageFormat, "no tool \"no_such_tool\""},
		{"undeclared argument", task.Candidate{Task: write.ID, Actions: with(write.Actions, 0, task.Action{Tool: first.Tool, Arguments: json.RawMessage(`{"zz_not_an_argument": 1}`)})},
			"", task.StageFormat, "invalid arguments for " + first.Tool},
		{"arguments not JSON", task.Candidate{Task: write.ID, Actions: with(write.Actions, 0, task.Action{Tool: first.Tool, Arguments: json.RawMessage(`{"broken`)})},
			"", task.StageFormat, "not JSON"},
		{"unknown domain", task.Candidate{Task: "x", Domain: "no_such_domain", Actions: write.Actions},
			"", task.StageFormat, "unknown domain"},
		{"write dropped", task.Candidate{Task: write.ID, Actions: withoutLastWrite(t, write)},
			task.StageFormat, task.StageTerminal, "final state"},
		{"unknown task", task.Candidate{Task: "no-such-task", Domain: write.Domain, Actions: write.Actions},
			task.StageFormat, task.StageTerminal, "no ground truth"},
		{"an extra read", task.Candidate{Task: write.ID, Actions: append([]task.Action{first}, write.Actions...)},
			task.StageTerminal, task.StageExact, "calls, ground truth"},
		{"another read first", task.Candidate{Task: read.ID, Actions: with(read.Actions, 0, otherRead(t, read))},
			task.StageTerminal, task.StageExact, "call 0"},
	}
	var cands []task.Candidate
	for _, c := range cases {
		v, err := f.Check(ctx, c.c)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.passed, v.Passed, c.name)
		assert.Equal(t, c.failed, v.Failed, c.name)
		assert.Equal(t, c.failed == "", v.Kept, c.name)
		assert.Contains(t, v.Reason, c.reason, c.name)
		cands = append(cands, c.c)
	}

	verdicts, counts, err := f.Run(ctx, cands)
	require.NoError(t, err)
	require.Len(t, verdicts, len(cases))
	assert.Equal(t, task.FunnelCounts{Input: 10, Kept: 2, Stages: []task.StageCount{
		{Stage: task.StageFormat, In: 10, Passed: 6, Dropped: 4},
		{Stage: task.StageTerminal, In: 6, Passed: 4, Dropped: 2},
		{Stage: task.StageExact, In: 4, Passed: 2, Dropped: 2},
	}}, counts)
	// The counts add up: every candidate is dropped once or kept.
	dropped := 0
	for i, s := range counts.Stages {
		assert.Equal(t, s.In, s.Passed+s.Dropped)
		if i > 0 {
			assert.Equal(t, counts.Stages[i-1].Passed, s.In)
		}
		dropped += s.Dropped
	}
	assert.Equal(t, counts.Input, dropped+counts.Kept)
}

// otherRead returns the read task's first call with other arguments
// drawn from the tool's schema: still valid, and a read leaves the state
// as the ground truth's.
func otherRead(t *testing.T, tk *task.Task) task.Action {
	t.Helper()
	d := domains.Lookup(tk.Domain)
	a := tk.Actions[0]
	gen := &domains.ArgGen{Domain: d, Rand: rand.New(rand.NewPCG(1, 2))}
	for range 100 {
		args := gen.Valid(context.Background(), nil, d.Tool(a.Tool))
		if !task.StepSignal(tk, 0, task.Action{Tool: a.Tool, Arguments: args}).Exact {
			return task.Action{Tool: a.Tool, Arguments: args}
		}
	}
	t.Fatalf("no other arguments for %s", a.Tool)
	return a
}

// TestFunnelCancelled: a cancelled context stops filtering.
func TestFunnelCancelled(t *testing.T) {
	all, write, _ := funnelTasks(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := task.NewFunnel(all).Run(ctx, []task.Candidate{{Task: write.ID, Actions: write.Actions}})
	assert.ErrorIs(t, err, context.Canceled)
}
