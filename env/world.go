package env

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env/protocol"
)

// World is what an environment's episodes act in: a domain's database
// (Environment), or another world such as the offline web.
type World interface {
	// Info names and describes the world.
	Info() WorldInfo
	// Start begins an episode on a task given by id, or chosen by seed.
	Start(ctx context.Context, taskID string, seed *int64) (Run, error)
}

// WorldInfo describes a world to clients.
type WorldInfo struct {
	Name        string
	Description string
	Tools       []protocol.Tool
	TaskIDs     []string
}

// Outcome is how an episode ended.
type Outcome struct {
	Reward float64
	// Result is a domain task's score (state and outputs), when the
	// world is a domain.
	Result *task.Result
	// Score is another world's account of the reward.
	Score any
}

// Run is one episode's own state in a world.
type Run interface {
	TaskID() string
	Instruction() string
	// Call runs tool call number n (from 0) and returns its observation
	// and process signal. A *domains.ToolError is the agent's to read;
	// other errors are internal.
	Call(ctx context.Context, n int, tool string, args json.RawMessage) (json.RawMessage, *task.Step, error)
	// Finish scores the episode given the agent's answer.
	Finish(ctx context.Context, answer string) (Outcome, error)
	// Fork copies the run's state into an independent run.
	Fork(ctx context.Context) (Run, error)
	// Close frees the run's state.
	Close()
}

// Info describes the domain environment. Callers must not change what
// it returns: it is made once and shared.
func (e *Environment) Info() WorldInfo {
	e.infoOnce.Do(func() {
		e.info = WorldInfo{Name: e.Name, Description: e.Domain.Description, Tools: protocol.ToolsOf(e.Domain), TaskIDs: e.TaskIDs()}
	})
	return e.info
}

// Start begins an episode on a fresh copy of the task's initial state.
func (e *Environment) Start(ctx context.Context, taskID string, seed *int64) (Run, error) {
	t, err := e.taskFor(ctx, taskID, seed)
	if err != nil {
		return nil, err
	}
	db, err := e.Domain.NewDB(ctx, t.StateSeed)
	if err != nil {
		return nil, fmt.Errorf("reset %s: %w", e.Name, err)
	}
	return &domainRun{d: e.Domain, task: t, db: db, stmts: domains.NewStmtCache(db)}, nil
}

// domainRun is an episode's private database and its task.
type domainRun struct {
	d     *domains.Domain
	task  *task.Task
	db    *sql.DB
	stmts *domains.StmtCache
}

func (r *domainRun) TaskID() string      { return r.task.ID }
func (r *domainRun) Instruction() string { return r.task.Instruction }

func (r *domainRun) Call(ctx context.Context, n int, tool string, args json.RawMessage) (json.RawMessage, *task.Step, error) {
	sig := task.StepSignal(r.task, n, task.Action{Tool: tool, Arguments: args})
	out, err := r.d.Call(domains.WithStmtCache(ctx, r.stmts), r.db, tool, args)
	return out, &sig, err
}

func (r *domainRun) Finish(ctx context.Context, answer string) (Outcome, error) {
	res, err := task.Evaluate(ctx, r.d, r.db, r.task, answer)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Reward: res.Reward, Result: &res}, nil
}

func (r *domainRun) Fork(ctx context.Context) (Run, error) {
	db, err := domains.Clone(ctx, r.db)
	if err != nil {
		return nil, fmt.Errorf("fork: %w", err)
	}
	return &domainRun{d: r.d, task: r.task, db: db, stmts: domains.NewStmtCache(db)}, nil
}

func (r *domainRun) Close() {
	r.stmts.Close()
	r.db.Close()
}
