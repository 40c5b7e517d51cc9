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

	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/agentctx"
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
	Answer   string          `json:"answer"`
	Messages []chat.Message  `json:"messages"`
	Tools    []protocol.Tool `json:"tools,omitempty"`
	// Mode is the context method that played the episode (react,
	// resum, iterresearch; empty: react).
	Mode string `json:"mode,omitempty"`
	// Segments gives each message's ReSum segment, from 0 (one per
	// message; nil outside ReSum).
	Segments []int `json:"segments,omitempty"`
	// Reports are IterResearch's reports, one per round.
	Reports  []string   `json:"reports,omitempty"`
	Usage    chat.Usage `json:"usage"`
	Seconds  float64    `json:"seconds"`
	Finished time.Time  `json:"finished"`
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
	// Context is the context method (default: plain ReAct).
	Context ContextOptions
	// NoTools plays without tools: the agent is offered none and answers
	// from what it knows.
	NoTools bool
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
	if err := opt.Context.check(); err != nil {
		return nil, st, err
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
			if r.Policy != opt.PolicyName() {
				return nil, st, fmt.Errorf("resume %s: it holds episodes of policy %s, not %s; use another output folder", opt.Log, r.Policy, opt.PolicyName())
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
	rr, err := c.Reset(ctx, w.Env, w.Task, nil)
	if err != nil {
		return Result{Env: w.Env, Task: w.Task, Trial: w.trial}, fmt.Errorf("reset: %w", err)
	}
	defer closeEpisode(ctx, c, rr.Episode)
	e, err := newEpisode(ctx, c, opt, w, rr)
	if err != nil {
		return e.res, err
	}
	if err := e.converse(ctx); err != nil {
		return e.res, err
	}
	e.done(start)
	return e.res, nil
}

// closeEpisode frees an episode, which may be over already.
func closeEpisode(ctx context.Context, c *client.Client, id string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = c.CloseEpisode(cctx, id)
}

// newEpisode sets up an episode the gym has just reset.
func newEpisode(ctx context.Context, c *client.Client, opt Options, w work, rr *protocol.Reply) (*episode, error) {
	e := &episode{c: c, opt: opt, res: Result{Env: w.Env, Task: w.Task, Trial: w.trial, Policy: opt.PolicyName(), Length: w.Length, Mode: opt.Context.mode()}}
	e.id, e.res.Episode = rr.Episode, rr.Episode
	var obs protocol.Observation
	if err := json.Unmarshal(rr.Observation, &obs); err != nil {
		return e, fmt.Errorf("reset: observation: %w", err)
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
	tools := obs.Tools
	system := policy.SystemPrompt
	if opt.NoTools {
		tools, system = nil, policy.NoToolsPrompt
	}
	e.res.Tools = tools
	e.ep = policy.Episode{Env: w.Env, TaskID: w.Task, Trial: w.trial, Instruction: obs.Instruction, Tools: tools, MaxSteps: e.maxSteps}
	var err error
	if e.agent, err = opt.Policy.Start(ctx, e.ep); err != nil {
		return e, err
	}
	e.system = system
	e.add(chat.Message{Role: chat.System, Content: system})
	e.add(chat.Message{Role: chat.User, Content: obs.Instruction})
	return e, nil
}

// done fills in what a finished episode's result lacks.
func (e *episode) done(start time.Time) {
	e.res.Messages = e.msgs
	if e.opt.Context.mode() == ModeReSum {
		e.res.Segments = e.segs
	}
	e.res.Seconds = time.Since(start).Seconds()
	e.res.Finished = time.Now().UTC()
}

// episode is one episode being played.
type episode struct {
	c        *client.Client
	opt      Options
	id       string
	ep       policy.Episode
	agent    policy.Agent
	maxSteps int
	system   string
	// msgs is the whole trajectory, segs each message's ReSum segment.
	msgs []chat.Message
	segs []int
	res  Result
	// ReSum: the context the agent sees, its segment and its rounds.
	view   []chat.Message
	seg    int
	rounds int
	// IterResearch: the report, the last action and its response, and
	// the final answer.
	report, action, response string
	final                    *string
}

// add appends a message to the trajectory and to the agent's context.
func (e *episode) add(m chat.Message) {
	e.msgs = append(e.msgs, m)
	e.segs = append(e.segs, e.seg)
	e.view = append(e.view, m)
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
		msg, err := e.next(ctx)
		if err != nil {
			return err
		}
		end, err := e.handle(ctx, msg)
		if err != nil || end {
			return err
		}
	}
}

// next asks the agent for its next message, in the context its method
// gives it.
func (e *episode) next(ctx context.Context) (chat.Message, error) {
	var view []chat.Message
	switch e.opt.Context.mode() {
	case ModeReSum:
		if err := e.maybeSummarize(ctx); err != nil {
			return chat.Message{}, err
		}
		view = e.view
	case ModeIterResearch:
		view = e.workspace()
	default:
		view = e.msgs
	}
	msg, u, err := e.agent.Next(ctx, view)
	e.res.Usage = e.res.Usage.Add(u)
	if err != nil {
		return msg, err
	}
	msg.Role = chat.Assistant
	if e.opt.NoTools {
		msg.ToolCalls = nil // there are none to call
	}
	return msg, nil
}

// handle plays one assistant message: its tool calls, a question to the
// user, or the final answer. It reports whether the episode ended.
func (e *episode) handle(ctx context.Context, msg chat.Message) (bool, error) {
	msg.Role = chat.Assistant
	e.rounds++
	iter := e.opt.Context.mode() == ModeIterResearch
	if iter {
		rep, rest := agentctx.ParseReport(msg.Content)
		if rep != "" {
			e.report = rep
		}
		e.res.Reports = append(e.res.Reports, e.report)
		if len(msg.ToolCalls) == 0 {
			e.final = &rest
			if rest == "" {
				e.final = &e.report
			}
		}
	}
	at := len(e.msgs)
	e.add(msg)
	if len(msg.ToolCalls) == 0 {
		if policy.IsQuestion(msg) && e.res.UserTurns < e.opt.MaxUserTurns {
			reply, u, err := e.opt.User.Reply(ctx, e.ep, e.msgs)
			e.res.Usage = e.res.Usage.Add(u)
			if err != nil {
				return true, fmt.Errorf("user: %w", err)
			}
			e.res.UserTurns++
			e.add(chat.Message{Role: chat.User, Content: reply})
			if iter {
				e.final = nil
				_, q := agentctx.ParseReport(msg.Content)
				e.action, e.response = "asked the user: "+q, reply
			}
			return false, nil
		}
		return true, e.answer(ctx)
	}
	ran := 0
	var end *protocol.Reply
	for _, tc := range msg.ToolCalls {
		if e.res.Steps >= e.maxSteps {
			break
		}
		sr, err := e.call(ctx, tc)
		if err != nil {
			return true, err
		}
		ran++
		if sr != nil && sr.Done {
			end = sr // the gym's step limit ended the episode
			break
		}
	}
	// Calls that never ran are not part of the episode.
	e.msgs[at].ToolCalls = msg.ToolCalls[:ran]
	e.view[len(e.view)-(len(e.msgs)-at)].ToolCalls = msg.ToolCalls[:ran]
	if iter {
		var acts, resps []string
		for i, tc := range msg.ToolCalls[:ran] {
			acts = append(acts, tc.Function.Name+" "+tc.Function.Arguments)
			resps = append(resps, e.msgs[at+1+i].Content)
		}
		e.action, e.response = strings.Join(acts, "\n"), strings.Join(resps, "\n")
	}
	if end != nil {
		return true, e.finish(end)
	}
	return false, nil
}

// call runs one tool call through the gym and appends its tool message.
// A call the gym refuses as a request (one without a tool name) comes
// back to the agent as a tool error, as a bad call would.
func (e *episode) call(ctx context.Context, tc chat.ToolCall) (*protocol.Reply, error) {
	msg := chat.Message{Role: chat.Tool, ToolCallID: tc.ID, Name: tc.Function.Name}
	sr, err := e.c.Step(ctx, e.id, toAction(tc))
	var ce *protocol.Error
	switch {
	case errors.As(err, &ce) && ce.Code == "invalid_request":
		data, _ := json.Marshal(map[string]string{"error": ce.Message})
		msg.Content = string(data)
		e.res.ToolErrors++
		sr = nil
	case err != nil:
		return nil, fmt.Errorf("step %s: %w", tc.Function.Name, err)
	default:
		var si protocol.StepInfo
		_ = json.Unmarshal(sr.Info, &si)
		msg.Content = string(sr.Observation)
		if si.ToolError {
			e.res.ToolErrors++
		}
	}
	e.res.Steps++
	e.add(msg)
	return sr, nil
}

// toAction makes a tool call the gym's action.
func toAction(tc chat.ToolCall) protocol.Action {
	args := json.RawMessage(tc.Function.Arguments)
	if !json.Valid(args) {
		// Not JSON: pass the text on as a string, which the gym rejects
		// with a message the agent can read.
		args, _ = json.Marshal(tc.Function.Arguments)
	}
	return protocol.Action{Tool: tc.Function.Name, Arguments: args}
}

// answer sends everything the agent said to the user as the final
// answer, and scores the episode.
func (e *episode) answer(ctx context.Context) error {
	switch {
	case e.final != nil:
		e.res.Answer = *e.final
	case e.opt.Context.mode() == ModeIterResearch:
		e.res.Answer = e.report // cut short: the report is all there is
	default:
		e.res.Answer = assistantText(e.msgs)
	}
	sr, err := e.c.Step(ctx, e.id, protocol.Answer(e.res.Answer))
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return e.finish(sr)
}

// finish reads the reward of the step that ended the episode.
func (e *episode) finish(sr *protocol.Reply) error {
	var si protocol.StepInfo
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
