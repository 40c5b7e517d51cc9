// Package env runs episodes: each has its own in-memory SQLite state
// started from a domain's seeded snapshot, takes tool calls and a final
// answer, can be forked, and is scored against its task's ground truth.
// The websocket gym (env/gym) and its clients (env/client, env/python)
// serve it to trainers.
package env

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

// Errors named for what went wrong, so callers and the protocol layer can
// tell them apart.
var (
	ErrUnknownEnv     = errors.New("unknown environment")
	ErrUnknownTask    = errors.New("unknown task")
	ErrUnknownEpisode = errors.New("unknown episode")
	ErrEpisodeDone    = errors.New("episode is done")
	ErrBadAction      = errors.New("bad action")
	ErrLimit          = errors.New("limit reached")
)

// Action is what an agent does in a step: a tool call, or its final
// answer to the user.
type Action struct {
	Tool      string          `json:"tool,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Answer    *string         `json:"answer,omitempty"`
}

// Turn is one step of an episode's history.
type Turn struct {
	Action      Action          `json:"action"`
	Observation json.RawMessage `json:"observation"`
	Error       bool            `json:"error,omitempty"`
}

// Observation is what reset shows the agent.
type Observation struct {
	Instruction string               `json:"instruction"`
	Tools       []domains.OpenAITool `json:"tools"`
}

// StepResult is what a step returns.
type StepResult struct {
	Observation json.RawMessage `json:"observation"`
	Reward      float64         `json:"reward"`
	Done        bool            `json:"done"`
	Truncated   bool            `json:"truncated"`
	Info        StepInfo        `json:"info"`
}

// StepInfo carries the step's process signal and, when the episode
// ends, why it earned its reward.
type StepInfo struct {
	Step      int          `json:"step"`
	ToolError bool         `json:"tool_error,omitempty"`
	Signal    *task.Step   `json:"signal,omitempty"`
	Result    *task.Result `json:"result,omitempty"`
	// Reason says why the episode ended: answer, step_limit.
	Reason string `json:"reason,omitempty"`
}

// Episode is one agent's run of a task.
type Episode struct {
	ID     string
	Env    *Environment
	Task   *task.Task
	Start  time.Time
	mu     sync.Mutex
	db     *sql.DB
	stmts  *domains.StmtCache
	turns  []Turn
	calls  int // tool calls so far, for process signals
	done   bool
	result *task.Result
	last   time.Time
	owner  uint64
}

// Turns returns a copy of the episode's history.
func (e *Episode) Turns() []Turn {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Turn(nil), e.turns...)
}

// Result returns the episode's final score, or nil while it runs.
func (e *Episode) Result() *task.Result {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.result
}

// Done reports whether the episode has ended.
func (e *Episode) Done() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.done
}

// Observation returns what the agent sees at reset.
func (e *Episode) Observation() Observation {
	return Observation{Instruction: e.Task.Instruction, Tools: e.Env.Domain.OpenAITools()}
}

// step runs one action. maxSteps bounds tool calls; reaching it ends the
// episode (truncated) with its reward computed as is.
func (e *Episode) step(ctx context.Context, a Action, maxSteps int) (StepResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return StepResult{}, fmt.Errorf("episode %s: %w", e.ID, ErrEpisodeDone)
	}
	e.last = time.Now()
	d := e.Env.Domain
	if e.stmts == nil {
		e.stmts = domains.NewStmtCache(e.db)
	}
	ctx = domains.WithStmtCache(ctx, e.stmts)
	switch {
	case a.Answer != nil:
		res, err := task.Evaluate(ctx, d, e.db, e.Task, *a.Answer)
		if err != nil {
			return StepResult{}, fmt.Errorf("episode %s: %w", e.ID, err)
		}
		e.done, e.result = true, &res
		obs, _ := json.Marshal(map[string]string{"status": "episode finished"})
		e.turns = append(e.turns, Turn{Action: a, Observation: obs})
		return StepResult{Observation: obs, Reward: res.Reward, Done: true, Info: StepInfo{Step: len(e.turns), Result: &res, Reason: "answer"}}, nil
	case a.Tool == "":
		return StepResult{}, fmt.Errorf("%w: an action needs a tool or an answer", ErrBadAction)
	}
	sig := task.StepSignal(e.Task, e.calls, task.Action{Tool: a.Tool, Arguments: a.Arguments})
	e.calls++
	out, err := d.Call(ctx, e.db, a.Tool, a.Arguments)
	info := StepInfo{Step: len(e.turns) + 1, Signal: &sig}
	toolErr := false
	switch {
	case err == nil:
	case domains.IsToolError(err):
		toolErr = true
		out, _ = json.Marshal(map[string]string{"error": err.Error()})
	default:
		return StepResult{}, fmt.Errorf("episode %s: %s: %w", e.ID, a.Tool, err)
	}
	info.ToolError = toolErr
	e.turns = append(e.turns, Turn{Action: a, Observation: out, Error: toolErr})
	r := StepResult{Observation: out, Info: info}
	if maxSteps > 0 && e.calls >= maxSteps {
		res, err := task.Evaluate(ctx, d, e.db, e.Task, "")
		if err != nil {
			return StepResult{}, fmt.Errorf("episode %s: %w", e.ID, err)
		}
		e.done, e.result = true, &res
		r.Done, r.Truncated, r.Reward = true, true, res.Reward
		r.Info.Result, r.Info.Reason = &res, "step_limit"
	}
	return r, nil
}

// close frees the episode's database.
func (e *Episode) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stmts != nil {
		e.stmts.Close()
		e.stmts = nil
	}
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
	e.done = true
}
