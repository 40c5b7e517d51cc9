// Package runner plays a policy's episodes through the gym exactly as a
// trainer does, over the websocket protocol with the Go client: many
// episodes in parallel, K trials of each task, every finished episode
// appended to a log as it completes so an interrupted run resumes where
// it stopped.
package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// Item is one task to play.
type Item struct {
	Env  string `json:"env"`
	Task string `json:"task"`
	// Length is the ground truth's number of tool calls (0: unknown).
	Length int `json:"length,omitempty"`
}

// Result is one finished episode.
type Result struct {
	Env   string `json:"env"`
	Task  string `json:"task"`
	Trial int    `json:"trial"`
	// Episode is the gym's episode id.
	Episode string `json:"episode"`
	Policy  string `json:"policy"`
	// Reward is the gym's reward; Success is Reward == 1.
	Reward  float64 `json:"reward"`
	Success bool    `json:"success"`
	// StateMatch and OutputsMatch say which part of the reward failed.
	StateMatch   bool `json:"state_match"`
	OutputsMatch bool `json:"outputs_match"`
	// Steps counts tool calls, ToolErrors those that failed, UserTurns
	// the questions the simulated user answered.
	Steps      int `json:"steps"`
	ToolErrors int `json:"tool_errors"`
	UserTurns  int `json:"user_turns"`
	// Truncated: the step limit ended the episode.
	Truncated bool `json:"truncated"`
	// Length is the ground truth's number of tool calls (0: unknown).
	Length int `json:"length,omitempty"`
	// Answer is what was sent to the gym as the final answer.
	Answer   string               `json:"answer"`
	Messages []chat.Message       `json:"messages"`
	Tools    []domains.OpenAITool `json:"tools,omitempty"`
	Usage    chat.Usage           `json:"usage"`
	Seconds  float64              `json:"seconds"`
	Finished time.Time            `json:"finished"`
}

// Key identifies a (task, trial) pair.
func (r *Result) Key() string { return key(r.Env, r.Task, r.Trial) }

func key(envName, taskID string, trial int) string {
	return fmt.Sprintf("%s\x00%s\x00%d", envName, taskID, trial)
}

// Progress is reported after each finished episode.
type Progress struct {
	// Done counts finished episodes (resumed ones included) of Total.
	Done, Total int
	// Success counts the successful ones among Done.
	Success int
	// Failed counts episodes that hit an error (they are not logged, so
	// a rerun retries them).
	Failed int
}

// Options configure a run.
type Options struct {
	// URL is the gym's websocket address (ws://host:port/v1/gym); Token
	// its bearer token, if it wants one.
	URL, Token string
	// Policy plays the episodes; User answers their questions (default
	// policy.ScriptedUser).
	Policy policy.Policy
	User   policy.User
	// Trials per task (default 1).
	Trials int
	// Concurrency bounds the episodes played at once (default 8).
	Concurrency int
	// MaxSteps bounds tool calls per episode (default: the gym's limit,
	// or 50 when it has none); the episode then ends with the answer
	// given so far.
	MaxSteps int
	// MaxUserTurns bounds the questions answered per episode (default 3);
	// past it, a question counts as the final answer.
	MaxUserTurns int
	// Log is the JSONL file finished episodes are appended to. Episodes
	// already in it are not played again. Empty: no log.
	Log string
	// OnResult, when set, is called after each finished episode (one at
	// a time).
	OnResult func(Result, Progress)
}

// Stats say what a run did.
type Stats struct {
	// Ran counts episodes played now, Resumed those found in the log,
	// Failed those that hit an error.
	Ran, Resumed, Failed int
	// Errors holds the first few errors.
	Errors []string
}

// MaxErrors bounds Stats.Errors.
const MaxErrors = 10

// Run plays every item Trials times and returns all finished episodes
// (the log's included), sorted by env, task and trial. Episodes that hit
// an error are counted in Stats, not returned; the run goes on without
// them. A cancelled ctx stops the run: what finished is logged, and the
// error is ctx's.
func Run(ctx context.Context, items []Item, opt Options) ([]Result, Stats, error) {
	var st Stats
	if opt.Policy == nil {
		return nil, st, errors.New("run: no policy")
	}
	if opt.User == nil {
		opt.User = policy.ScriptedUser{}
	}
	if opt.Trials <= 0 {
		opt.Trials = 1
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.MaxUserTurns <= 0 {
		opt.MaxUserTurns = 3
	}
	var log *Log
	var results []Result
	done := map[string]bool{}
	if opt.Log != "" {
		var prev []Result
		var err error
		log, prev, err = OpenLog(opt.Log)
		if err != nil {
			return nil, st, err
		}
		defer log.Close()
		for _, r := range prev {
			if r.Policy != opt.Policy.Name() {
				return nil, st, fmt.Errorf("resume %s: it holds episodes of policy %s, not %s; use another output folder", opt.Log, r.Policy, opt.Policy.Name())
			}
			if !done[r.Key()] {
				done[r.Key()] = true
				results = append(results, r)
			}
		}
	}
	// Only the pairs asked for count: a log may hold more.
	wanted := map[string]bool{}
	var todo []work
	for trial := range opt.Trials {
		for _, it := range items {
			k := key(it.Env, it.Task, trial)
			wanted[k] = true
			if !done[k] {
				todo = append(todo, work{it, trial})
			}
		}
	}
	kept := results[:0]
	for _, r := range results {
		if wanted[r.Key()] {
			kept = append(kept, r)
		}
	}
	results = kept
	st.Resumed = len(results)
	prog := Progress{Done: len(results), Total: len(results) + len(todo)}
	for _, r := range results {
		if r.Success {
			prog.Success++
		}
	}
	if len(todo) == 0 {
		sortResults(results)
		return results, st, nil
	}

	c, err := client.Dial(ctx, opt.URL, client.Options{Token: opt.Token})
	if err != nil {
		return nil, st, err
	}
	defer c.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	jobs := make(chan work)
	var wg sync.WaitGroup
	for range min(opt.Concurrency, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range jobs {
				r, err := play(ctx, c, opt, w)
				mu.Lock()
				if err == nil && log != nil {
					err = log.Append(r)
				}
				switch {
				case err == nil:
					results = append(results, r)
					st.Ran++
					prog.Done++
					if r.Success {
						prog.Success++
					}
				case ctx.Err() != nil:
					// Cut short by the interruption: not a failure.
				default:
					st.Failed++
					prog.Failed++
					if len(st.Errors) < MaxErrors {
						st.Errors = append(st.Errors, fmt.Sprintf("%s/%s trial %d: %v", w.Env, w.Task, w.trial, err))
					}
					if errors.Is(err, client.ErrClosed) || errors.Is(err, errLog) {
						cancel(err)
					}
				}
				if err == nil && opt.OnResult != nil {
					opt.OnResult(r, prog)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, w := range todo {
		select {
		case jobs <- w:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	sortResults(results)
	if err := context.Cause(ctx); err != nil {
		return results, st, err
	}
	return results, st, nil
}

type work struct {
	Item
	trial int
}

func sortResults(rs []Result) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Env != b.Env {
			return a.Env < b.Env
		}
		if a.Task != b.Task {
			return a.Task < b.Task
		}
		return a.Trial < b.Trial
	})
}

// play runs one episode.
func play(ctx context.Context, c *client.Client, opt Options, w work) (Result, error) {
	start := time.Now()
	e := &episode{c: c, opt: opt, res: Result{Env: w.Env, Task: w.Task, Trial: w.trial, Policy: opt.Policy.Name(), Length: w.Length}}
	rr, err := c.Reset(ctx, w.Env, w.Task, nil)
	if err != nil {
		return e.res, fmt.Errorf("reset: %w", err)
	}
	e.id, e.res.Episode = rr.Episode, rr.Episode
	defer func() {
		// The episode may be over already; closing frees it either way.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.CloseEpisode(cctx, rr.Episode)
	}()
	var obs env.Observation
	if err := json.Unmarshal(rr.Observation, &obs); err != nil {
		return e.res, fmt.Errorf("reset: observation: %w", err)
	}
	var info struct {
		MaxSteps int `json:"max_steps"`
	}
	_ = json.Unmarshal(rr.Info, &info)
	e.maxSteps = opt.MaxSteps
	if info.MaxSteps > 0 && (e.maxSteps <= 0 || info.MaxSteps < e.maxSteps) {
		e.maxSteps = info.MaxSteps
	}
	if e.maxSteps <= 0 {
		e.maxSteps = 50
	}
	e.res.Tools = obs.Tools
	e.ep = policy.Episode{Env: w.Env, TaskID: w.Task, Trial: w.trial, Instruction: obs.Instruction, Tools: obs.Tools, MaxSteps: e.maxSteps}
	if e.agent, err = opt.Policy.Start(ctx, e.ep); err != nil {
		return e.res, err
	}
	e.msgs = []chat.Message{{Role: chat.System, Content: policy.SystemPrompt}, {Role: chat.User, Content: obs.Instruction}}
	if err := e.converse(ctx); err != nil {
		return e.res, err
	}
	e.res.Messages = e.msgs
	e.res.Seconds = time.Since(start).Seconds()
	e.res.Finished = time.Now().UTC()
	return e.res, nil
}

// episode is one episode being played.
type episode struct {
	c        *client.Client
	opt      Options
	id       string
	ep       policy.Episode
	agent    policy.Agent
	maxSteps int
	msgs     []chat.Message
	res      Result
}

// converse plays the conversation until the final answer or the step
// limit.
func (e *episode) converse(ctx context.Context) error {
	for {
		if e.res.Steps >= e.maxSteps {
			if err := e.answer(ctx); err != nil {
				return err
			}
			e.res.Truncated = true
			return nil
		}
		msg, u, err := e.agent.Next(ctx, e.msgs)
		e.res.Usage = e.res.Usage.Add(u)
		if err != nil {
			return err
		}
		msg.Role = chat.Assistant
		at := len(e.msgs)
		e.msgs = append(e.msgs, msg)
		if len(msg.ToolCalls) == 0 {
			if policy.IsQuestion(msg) && e.res.UserTurns < e.opt.MaxUserTurns {
				reply, u, err := e.opt.User.Reply(ctx, e.ep, e.msgs)
				e.res.Usage = e.res.Usage.Add(u)
				if err != nil {
					return fmt.Errorf("user: %w", err)
				}
				e.res.UserTurns++
				e.msgs = append(e.msgs, chat.Message{Role: chat.User, Content: reply})
				continue
			}
			return e.answer(ctx)
		}
		ran := 0
		var end *client.Reply
		for _, tc := range msg.ToolCalls {
			if e.res.Steps >= e.maxSteps {
				break
			}
			sr, err := e.call(ctx, tc)
			if err != nil {
				return err
			}
			ran++
			if sr != nil && sr.Done {
				end = sr // the gym's step limit ended the episode
				break
			}
		}
		// Calls that never ran are not part of the episode.
		e.msgs[at].ToolCalls = msg.ToolCalls[:ran]
		if end != nil {
			return e.finish(end)
		}
	}
}

// call runs one tool call through the gym and appends its tool message.
// A call the gym refuses as a request (one without a tool name) comes
// back to the agent as a tool error, as a bad call would.
func (e *episode) call(ctx context.Context, tc chat.ToolCall) (*client.Reply, error) {
	args := json.RawMessage(tc.Function.Arguments)
	if !json.Valid(args) {
		// Not JSON: pass the text on as a string, which the gym rejects
		// with a message the agent can read.
		args, _ = json.Marshal(tc.Function.Arguments)
	}
	msg := chat.Message{Role: chat.Tool, ToolCallID: tc.ID, Name: tc.Function.Name}
	sr, err := e.c.Step(ctx, e.id, client.Action{Tool: tc.Function.Name, Arguments: args})
	var ce *client.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "invalid_request":
		data, _ := json.Marshal(map[string]string{"error": ce.Message})
		msg.Content = string(data)
		e.res.ToolErrors++
		sr = nil
	case err != nil:
		return nil, fmt.Errorf("step %s: %w", tc.Function.Name, err)
	default:
		var si env.StepInfo
		_ = json.Unmarshal(sr.Info, &si)
		msg.Content = string(sr.Observation)
		if si.ToolError {
			e.res.ToolErrors++
		}
	}
	e.res.Steps++
	e.msgs = append(e.msgs, msg)
	return sr, nil
}

// answer sends everything the agent said to the user as the final
// answer, and scores the episode.
func (e *episode) answer(ctx context.Context) error {
	e.res.Answer = assistantText(e.msgs)
	sr, err := e.c.Step(ctx, e.id, client.Answer(e.res.Answer))
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return e.finish(sr)
}

// finish reads the reward of the step that ended the episode.
func (e *episode) finish(sr *client.Reply) error {
	var si env.StepInfo
	if err := json.Unmarshal(sr.Info, &si); err != nil {
		return fmt.Errorf("step: info: %w", err)
	}
	e.res.Reward = sr.Reward
	e.res.Success = sr.Reward == 1
	e.res.Truncated = sr.Truncated
	if si.Result != nil {
		e.res.StateMatch, e.res.OutputsMatch = si.Result.Info.StateMatch, si.Result.Info.OutputsMatch
	}
	return nil
}

// assistantText joins what the agent said to the user. The answer is
// scored on all of it, as tau-bench scores outputs over every response.
func assistantText(msgs []chat.Message) string {
	var parts []string
	for _, m := range msgs {
		if m.Role == chat.Assistant && strings.TrimSpace(m.Content) != "" {
			parts = append(parts, strings.TrimSpace(m.Content))
		}
	}
	return strings.Join(parts, "\n")
}
