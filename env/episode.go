// Package env runs episodes: each has its own in-memory SQLite state
// started from a domain's seeded snapshot, takes tool calls and a final
// answer, can be forked, and is scored against its task's ground truth.
// The websocket gym (env/gym) and its clients (env/client, env/python)
// serve it to trainers.
package env

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/env/protocol"
)

// Errors named for what went wrong, so callers and the protocol layer can
// tell them apart.
var (
	ErrUnknownEnv     = errors.New("unknown environment")
	ErrUnknownTask    = errors.New("unknown task")
	ErrUnknownEpisode = errors.New("unknown episode")
	ErrEpisodeExpired = errors.New("episode expired")
	ErrEpisodeDone    = errors.New("episode is done")
	ErrBadAction      = errors.New("bad action")
	ErrLimit          = errors.New("limit reached")
)

// Turn is one step of an episode's history.
type Turn struct {
	Action      protocol.Action `json:"action"`
	Observation json.RawMessage `json:"observation"`
	Error       bool            `json:"error,omitempty"`
}

// StepResult is what a step returns.
type StepResult struct {
	Observation json.RawMessage   `json:"observation"`
	Reward      float64           `json:"reward"`
	Done        bool              `json:"done"`
	Truncated   bool              `json:"truncated"`
	Info        protocol.StepInfo `json:"info"`
}

// Episode is one agent's run of a task.
type Episode struct {
	ID string
	// EnvName names the environment.
	EnvName string
	Start   time.Time
	info    WorldInfo
	mu      sync.Mutex
	run     Run
	taskID  string
	instr   string
	system  string // a conversational run's system prompt
	turns   []Turn
	calls   int // tool calls so far, for process signals
	done    bool
	outcome *Outcome
	last    time.Time
	owner   uint64
}

func newEpisode(id string, info WorldInfo, run Run, owner uint64) *Episode {
	now := time.Now()
	return &Episode{ID: id, EnvName: info.Name, Start: now, info: info, run: run,
		taskID: run.TaskID(), instr: run.Instruction(), system: systemOf(run), last: now, owner: owner}
}

// TaskID is the episode's task.
func (e *Episode) TaskID() string { return e.taskID }

// Instruction is what the user asked for.
func (e *Episode) Instruction() string { return e.instr }

// Turns returns a copy of the episode's history.
func (e *Episode) Turns() []Turn {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Turn(nil), e.turns...)
}

// Outcome returns how the episode ended, or nil while it runs.
func (e *Episode) Outcome() *Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.outcome
}

// Done reports whether the episode has ended.
func (e *Episode) Done() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

// Observation returns what the agent sees at reset.
func (e *Episode) Observation() protocol.Observation {
	return protocol.Observation{Instruction: e.instr, Tools: e.info.Tools, System: e.system}
}

// finish ends the episode with an answer; e.mu is held.
func (e *Episode) finish(ctx context.Context, answer string) (Outcome, error) {
	out, err := e.run.Finish(ctx, answer)
	if err != nil {
		return Outcome{}, fmt.Errorf("episode %s: %w", e.ID, err)
	}
	e.done, e.outcome = true, &out
	return out, nil
}

// step runs one action. maxSteps bounds tool calls; reaching it ends the
// episode (truncated) with its reward computed as is.
func (e *Episode) step(ctx context.Context, a protocol.Action, maxSteps int) (StepResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return StepResult{}, fmt.Errorf("episode %s: %w", e.ID, ErrEpisodeDone)
	}
	e.last = time.Now()
	switch {
	case a.Answer != nil:
		out, err := e.finish(ctx, *a.Answer)
		if err != nil {
			return StepResult{}, err
		}
		obs, _ := json.Marshal(map[string]string{"status": "episode finished"})
		e.turns = append(e.turns, Turn{Action: a, Observation: obs})
		return StepResult{Observation: obs, Reward: out.Reward, Done: true,
			Info: protocol.StepInfo{Step: len(e.turns), Result: out.Result, Score: out.Score, Reason: "answer"}}, nil
	case a.Tool == "":
		return StepResult{}, fmt.Errorf("%w: an action needs a tool or an answer", ErrBadAction)
	}
	out, sig, err := e.run.Call(ctx, e.calls, a.Tool, a.Arguments)
	e.calls++
	info := protocol.StepInfo{Step: len(e.turns) + 1, Signal: sig}
	switch {
	case err == nil:
	case domains.IsToolError(err):
		info.ToolError = true
		out, _ = json.Marshal(map[string]string{"error": err.Error()})
	default:
		return StepResult{}, fmt.Errorf("episode %s: %s: %w", e.ID, a.Tool, err)
	}
	e.turns = append(e.turns, Turn{Action: a, Observation: out, Error: info.ToolError})
	r := StepResult{Observation: out, Info: info}
	if reason := endedBy(e.run); reason != "" {
		// The conversation is over (the user stopped, or was handed to a
		// human): score it as it stands.
		res, err := e.finish(ctx, "")
		if err != nil {
			return StepResult{}, err
		}
		r.Done, r.Reward = true, res.Reward
		r.Info.Result, r.Info.Score, r.Info.Reason = res.Result, res.Score, reason
		return r, nil
	}
	if maxSteps > 0 && e.calls >= maxSteps {
		res, err := e.finish(ctx, "")
		if err != nil {
			return StepResult{}, err
		}
		r.Done, r.Truncated, r.Reward = true, true, res.Reward
		r.Info.Result, r.Info.Score, r.Info.Reason = res.Result, res.Score, "step_limit"
	}
	return r, nil
}

// fork copies the episode into a new one owned by owner.
func (e *Episode) fork(ctx context.Context, id string, owner uint64) (*Episode, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.run == nil {
		return nil, fmt.Errorf("episode %s: %w", e.ID, ErrEpisodeDone)
	}
	run, err := e.run.Fork(ctx)
	if err != nil {
		return nil, fmt.Errorf("fork %s: %w", e.ID, err)
	}
	f := newEpisode(id, e.info, run, owner)
	f.turns = append([]Turn(nil), e.turns...)
	f.calls, f.done = e.calls, e.done
	if e.outcome != nil {
		o := *e.outcome
		f.outcome = &o
	}
	return f, nil
}

// close frees the episode's state.
func (e *Episode) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.run != nil {
		e.run.Close()
		e.run = nil
	}
	e.done = true
}
