package task

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/domains"
)

// The funnel filters agent trajectories for training, as AgentScaler
// does: a trajectory is kept only when it passes every stage, in order.
const (
	// StageFormat: every call names a real tool of the task's domain,
	// with arguments valid against the tool's JSON Schema.
	StageFormat = "format"
	// StageTerminal: replaying the calls on a fresh copy of the task's
	// initial state leaves the ground truth's final state.
	StageTerminal = "terminal"
	// StageExact: the calls are the ground truth's, tool for tool and
	// argument for argument.
	StageExact = "exact"
)

// Stages lists the funnel's stages in order.
var Stages = []string{StageFormat, StageTerminal, StageExact}

// Candidate is a trajectory to filter: the task it attempted and the
// calls it made.
type Candidate struct {
	// Task is the task's id.
	Task string
	// Domain is the domain the calls ran in (default: the task's).
	Domain string
	// Actions are the calls, in order.
	Actions []Action
}

// Verdict is how far a candidate got.
type Verdict struct {
	// Passed is the last stage passed ("" when none).
	Passed string `json:"passed"`
	// Kept: every stage passed.
	Kept bool `json:"kept"`
	// Failed is the stage that rejected the candidate, Reason why.
	Failed string `json:"failed,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// StageCount says how many candidates reached a stage and how many of
// those it let through.
type StageCount struct {
	Stage   string `json:"stage"`
	In      int    `json:"in"`
	Passed  int    `json:"passed"`
	Dropped int    `json:"dropped"`
}

// FunnelCounts are a funnel run's numbers: Input candidates, each
// stage's in, passed and dropped (a stage's In is the previous stage's
// Passed), and Kept, the last stage's Passed.
type FunnelCounts struct {
	Input  int          `json:"input"`
	Stages []StageCount `json:"stages"`
	Kept   int          `json:"kept"`
}

// Funnel filters candidates against the ground truth of known tasks.
type Funnel struct {
	tasks map[string]*Task
}

// NewFunnel makes a funnel for the given tasks.
func NewFunnel(tasks []*Task) *Funnel {
	f := &Funnel{tasks: make(map[string]*Task, len(tasks))}
	for _, t := range tasks {
		f.tasks[t.ID] = t
	}
	return f
}

// Check runs one candidate through the stages. Its error is only for
// what stops filtering altogether (a cancelled ctx); a candidate that
// fails to replay is rejected, with the reason.
func (f *Funnel) Check(ctx context.Context, c Candidate) (Verdict, error) {
	var v Verdict
	t := f.tasks[c.Task]
	dom := c.Domain
	if dom == "" && t != nil {
		dom = t.Domain
	}
	d := domains.Lookup(dom)
	reject := func(stage, format string, args ...any) (Verdict, error) {
		v.Failed, v.Reason = stage, fmt.Sprintf(format, args...)
		return v, nil
	}
	if d == nil {
		return reject(StageFormat, "unknown domain %q", dom)
	}
	for i, a := range c.Actions {
		tool := d.Tool(a.Tool)
		if tool == nil {
			return reject(StageFormat, "call %d: no tool %q in %s", i, a.Tool, d.Name)
		}
		if err := f.validate(tool, a.Arguments); err != nil {
			return reject(StageFormat, "call %d: %v", i, err)
		}
	}
	v.Passed = StageFormat
	if t == nil {
		return reject(StageTerminal, "unknown task %q: no ground truth", c.Task)
	}
	if t.Domain != d.Name {
		return reject(StageTerminal, "task %s is in %s, the calls in %s", t.ID, t.Domain, d.Name)
	}
	_, changes, err := Replay(ctx, d, t, c.Actions)
	if err != nil {
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		return reject(StageTerminal, "replay: %v", err)
	}
	if fp := domains.Fingerprint(changes); fp != t.Fingerprint {
		return reject(StageTerminal, "final state %s, ground truth %s", short(fp), short(t.Fingerprint))
	}
	v.Passed = StageTerminal
	if len(c.Actions) != len(t.Actions) {
		return reject(StageExact, "%d calls, ground truth %d", len(c.Actions), len(t.Actions))
	}
	for i, a := range c.Actions {
		if !StepSignal(t, i, a).Exact {
			return reject(StageExact, "call %d: %s%s, ground truth %s%s", i, a.Tool, compact(a.Arguments), t.Actions[i].Tool, compact(t.Actions[i].Arguments))
		}
	}
	v.Passed, v.Kept = StageExact, true
	return v, nil
}

// Run checks every candidate and counts what each stage let through.
func (f *Funnel) Run(ctx context.Context, cands []Candidate) ([]Verdict, FunnelCounts, error) {
	out := make([]Verdict, len(cands))
	for i, c := range cands {
		v, err := f.Check(ctx, c)
		if err != nil {
			return nil, FunnelCounts{}, err
		}
		out[i] = v
	}
	return out, CountVerdicts(out), nil
}

// CountVerdicts tallies verdicts stage by stage.
func CountVerdicts(vs []Verdict) FunnelCounts {
	fc := FunnelCounts{Input: len(vs)}
	in := len(vs)
	for si, stage := range Stages {
		passed := 0
		for _, v := range vs {
			if stageIndex(v.Passed) >= si {
				passed++
			}
		}
		fc.Stages = append(fc.Stages, StageCount{Stage: stage, In: in, Passed: passed, Dropped: in - passed})
		in = passed
	}
	fc.Kept = in
	return fc
}

func stageIndex(s string) int {
	for i, x := range Stages {
		if x == s {
			return i
		}
	}
	return -1
}

// validate checks a call's arguments as domains.Domain.Call does before
// running a tool.
func (f *Funnel) validate(t *domains.Tool, raw json.RawMessage) error {
	_, err := t.Validate(raw)
	return err
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
