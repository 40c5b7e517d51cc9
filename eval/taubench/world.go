package taubench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
)

// World is the suite as a gym environment (env.World): each episode is
// one conversation between the agent and a simulated user on one task.
type World struct {
	s     *Suite
	user  User
	tools []protocol.Tool
	ids   []string
}

// RespondParameters is the respond tool's JSON schema.
var RespondParameters = json.RawMessage(`{"type":"object","properties":{"content":{"type":"string","description":"The message to the user."}},"required":["content"],"additionalProperties":false}`)

// NewWorld serves the suite's tasks with the given user (nil: a
// ScriptedUser).
func NewWorld(s *Suite, u User) *World {
	if u == nil {
		u = ScriptedUser{}
	}
	w := &World{s: s, user: u}
	w.tools = append(w.tools, protocol.ToolsOf(s.domain)...)
	w.tools = append(w.tools, protocol.Tool{Type: "function", Function: protocol.Function{
		Name:        RespondTool,
		Description: "Respond to the user: send them a message. Their reply is the observation.",
		Parameters:  RespondParameters,
	}})
	for _, t := range s.Tasks {
		w.ids = append(w.ids, t.ID())
	}
	return w
}

// Info implements env.World.
func (w *World) Info() env.WorldInfo {
	return env.WorldInfo{Name: EnvName, Description: "tau-bench's airline customer service, its 50 test tasks, with a simulated user.", Tools: w.tools, TaskIDs: w.ids}
}

// Start implements env.World: a task by id ("7" or "test-7"), or the
// seed's (seed mod 50).
func (w *World) Start(ctx context.Context, taskID string, seed *int64) (env.Run, error) {
	var t *Task
	switch {
	case taskID != "":
		var ok bool
		if t, ok = w.s.Task(taskID); !ok {
			return nil, fmt.Errorf("%w %q in %s (want 0..%d or test-N)", env.ErrUnknownTask, taskID, EnvName, len(w.s.Tasks)-1)
		}
	case len(w.s.Tasks) == 0:
		return nil, fmt.Errorf("%w: %s has no tasks", env.ErrUnknownTask, EnvName)
	default:
		s := int64(0)
		if seed != nil {
			s = *seed
		}
		t = w.s.Tasks[int(uint64(s)%uint64(len(w.s.Tasks)))]
	}
	db, err := w.s.domain.NewDB(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("reset %s: %w", EnvName, err)
	}
	u, first, err := w.user.Open(ctx, t)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reset %s task %d: %w", EnvName, t.Index, err)
	}
	r := &run{s: w.s, t: t, db: db, stmts: domains.NewStmtCache(db), user: u, first: first}
	if strings.Contains(first, StopSignal) {
		r.ended = "user_stop"
	}
	return r, nil
}

// run is one conversation: its database, its user, and what the agent
// said to the user.
type run struct {
	s     *Suite
	t     *Task
	db    *sql.DB
	stmts *domains.StmtCache
	user  UserSession
	first string
	said  []string
	ended string
}

func (r *run) TaskID() string      { return r.t.ID() }
func (r *run) Instruction() string { return r.first }
func (r *run) System() string      { return r.s.Policy }
func (r *run) Ended() string       { return r.ended }

func (r *run) Call(ctx context.Context, _ int, tool string, args json.RawMessage) (json.RawMessage, *task.Step, error) {
	if tool == RespondTool {
		var a struct {
			Content *string `json:"content"`
		}
		if err := json.Unmarshal(args, &a); err != nil || a.Content == nil {
			return nil, nil, domains.Errorf(`Error: respond takes {"content": "the message to the user"}`)
		}
		r.said = append(r.said, *a.Content)
		reply, err := r.user.Reply(ctx, *a.Content, func() (bool, error) { return r.goalMet(ctx) })
		if err != nil {
			return nil, nil, fmt.Errorf("%s task %d: %w", EnvName, r.t.Index, err)
		}
		if strings.Contains(reply, StopSignal) {
			r.ended = "user_stop"
		}
		out, _ := json.Marshal(reply)
		return out, nil, nil
	}
	out, err := r.s.domain.Call(domains.WithStmtCache(ctx, r.stmts), r.db, tool, args)
	if tool == TransferTool && err == nil {
		r.ended = "transfer"
	}
	return out, nil, err
}

// goalMet reports whether the episode would score 1 now.
func (r *run) goalMet(ctx context.Context) (bool, error) {
	res, err := r.s.Reward(ctx, r.t, r.db, r.said)
	return res.Reward == 1, err
}

func (r *run) Finish(ctx context.Context, answer string) (env.Outcome, error) {
	if answer != "" {
		r.said = append(r.said, answer)
	}
	res, err := r.s.Reward(ctx, r.t, r.db, r.said)
	if err != nil {
		return env.Outcome{}, err
	}
	return env.Outcome{Reward: res.Reward, Score: res}, nil
}

func (r *run) Fork(ctx context.Context) (env.Run, error) {
	db, err := domains.Clone(ctx, r.db)
	if err != nil {
		return nil, fmt.Errorf("fork: %w", err)
	}
	return &run{s: r.s, t: r.t, db: db, stmts: domains.NewStmtCache(db), user: r.user.Fork(), first: r.first,
		said: append([]string(nil), r.said...), ended: r.ended}, nil
}

func (r *run) Close() {
	r.stmts.Close()
	r.db.Close()
}
