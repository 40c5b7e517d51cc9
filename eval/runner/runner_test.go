package runner_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/internal/evaltest"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/report"
	"github.com/simgym/simgym/eval/runner"
	"github.com/simgym/simgym/internal/testenv"
)

// defaultTasks is what `simgym serve` samples at start: 20 per
// environment with seed 1. Under the race detector a prefix of each
// environment's tasks stands in, to keep the package fast.
func defaultTasks(t *testing.T) []*task.Task {
	if testenv.RaceEnabled {
		return evaltest.Tasks(t, 4)
	}
	return evaltest.Tasks(t, 20)
}

func items(ts []*task.Task) []runner.Item {
	out := make([]runner.Item, len(ts))
	for i, t := range ts {
		out[i] = runner.Item{Env: t.Domain, Task: t.ID, Length: len(t.Actions)}
	}
	return out
}

// TestOracleScoresOne plays the ground truth of every default task twice
// over the websocket: success and pass^k are 1 everywhere.
func TestOracleScoresOne(t *testing.T) {
	ts := defaultTasks(t)
	url, g := evaltest.Gym(t, ts, env.DefaultLimits)
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: policy.NewOracle(ts), Trials: 2, Concurrency: 8})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Failed, st.Errors)
	assert.Equal(t, 2*len(ts), st.Ran)
	require.Len(t, res, 2*len(ts))
	for _, r := range res {
		require.True(t, r.Success, "%s trial %d: reward %v", r.Task, r.Trial, r.Reward)
		assert.Equal(t, r.Length, r.Steps)
		assert.Zero(t, r.ToolErrors)
		assert.True(t, r.StateMatch && r.OutputsMatch)
	}
	r := report.Build(res, report.Options{K: 2})
	assert.Equal(t, 1.0, r.Overall.Success.Value)
	assert.Len(t, r.Domains, 10)
	for _, g := range append(r.Domains, r.Overall) {
		require.Len(t, g.PassHatK, 2)
		for k, v := range g.PassHatK {
			assert.Equal(t, 1.0, v.Value, "%s pass^%d", g.Name, k+1)
		}
	}
	assert.Equal(t, 0, g.Manager().Open(), "every episode is closed")
}

// TestRandomIsAFloor: random valid calls score far below the oracle.
func TestRandomIsAFloor(t *testing.T) {
	ts := defaultTasks(t)
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.Random{Seed: 1}, Trials: 2})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Failed, st.Errors)
	r := report.Build(res, report.Options{K: 2})
	assert.Less(t, r.Overall.Success.Value, 0.1)
	assert.Greater(t, r.Overall.MeanSteps.Value, 0.9, "random makes calls")
	assert.Greater(t, r.Overall.MeanToolErrors.Value, 0.0, "random calls often fail")
	// Same seed, same draws.
	again, _, err := runner.Run(context.Background(), items(ts[:5]), runner.Options{URL: url, Policy: &policy.Random{Seed: 1}, Trials: 2})
	require.NoError(t, err)
	for i := range again {
		assert.Equal(t, calls(res[indexOf(res, again[i].Key())].Messages), calls(again[i].Messages))
	}
}

func indexOf(rs []runner.Result, key string) int {
	for i, r := range rs {
		if r.Key() == key {
			return i
		}
	}
	return -1
}

func calls(msgs []chat.Message) []string {
	var out []string
	for _, c := range chat.Calls(msgs) {
		out = append(out, c.Function.Name+c.Function.Arguments)
	}
	return out
}

// TestResume interrupts a run after a few episodes, tears the log's last
// line as a crash mid-write would, and reruns: the finished episodes are
// not played again and every (task, trial) ends up logged once.
func TestResume(t *testing.T) {
	ts := defaultTasks(t)[:12]
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	log := filepath.Join(t.TempDir(), "episodes.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	opt := runner.Options{URL: url, Policy: policy.NewOracle(ts), Trials: 2, Concurrency: 3, Log: log,
		OnResult: func(runner.Result, runner.Progress) {
			if n++; n == 5 {
				cancel()
			}
		}}
	first, st, err := runner.Run(ctx, items(ts), opt)
	require.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, len(first), 5)
	assert.Less(t, len(first), 24, "the interruption stopped the run")
	assert.Equal(t, len(first), st.Ran)
	logged, err := runner.ReadLog(log)
	require.NoError(t, err)
	require.Len(t, logged, len(first))
	done := map[string]bool{}
	for _, r := range logged {
		done[r.Key()] = true
	}
	// A torn write at the end of the log.
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"env":"account_card","task":"x","tri`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	var mu sync.Mutex
	played := map[string]int{}
	var last runner.Progress
	opt.OnResult = func(r runner.Result, p runner.Progress) {
		mu.Lock()
		defer mu.Unlock()
		played[r.Key()]++
		last = p
	}
	all, st, err := runner.Run(context.Background(), items(ts), opt)
	require.NoError(t, err)
	assert.Equal(t, len(first), st.Resumed)
	assert.Equal(t, 24-len(first), st.Ran)
	for k := range done {
		assert.Zero(t, played[k], "a finished episode is not played again")
	}
	for k, c := range played {
		assert.Equal(t, 1, c, k)
	}
	assert.Equal(t, runner.Progress{Done: 24, Total: 24, Success: 24}, last)
	require.Len(t, all, 24)
	keys := map[string]bool{}
	for _, r := range all {
		assert.False(t, keys[r.Key()], "no duplicate %s", r.Key())
		keys[r.Key()] = true
		assert.True(t, r.Success)
		assert.NotEmpty(t, r.Tools, "resumed episodes get their tools back")
	}
	logged, err = runner.ReadLog(log)
	require.NoError(t, err)
	assert.Len(t, logged, 24, "the torn line is gone and each episode is logged once")
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	envs := map[string]bool{}
	for _, tk := range ts {
		envs[tk.Domain] = true
	}
	assert.Equal(t, len(envs), strings.Count(string(data), `{"toolset":`), "each environment's tools are logged once")

	// A third run has nothing left to do.
	_, st, err = runner.Run(context.Background(), items(ts), opt)
	require.NoError(t, err)
	assert.Equal(t, runner.Stats{Resumed: 24}, st)

	// Another policy may not resume this log.
	_, _, err = runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.Random{}, Log: log})
	assert.ErrorContains(t, err, "policy oracle, not random")
}

// busy calls the first tool forever.
type busy struct{}

func (busy) Name() string { return "busy" }
func (busy) Start(_ context.Context, ep policy.Episode) (policy.Agent, error) {
	return busyAgent{ep.Tools[0].Function.Name}, nil
}

type busyAgent struct{ tool string }

func (a busyAgent) Next(context.Context, []chat.Message) (chat.Message, chat.Usage, error) {
	c1 := chat.NewToolCall("a", a.tool, json.RawMessage(`{}`))
	c2 := chat.NewToolCall("b", a.tool, json.RawMessage(`{}`))
	return chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{c1, c2}}, chat.Usage{}, nil
}

// TestStepLimits: the gym's step limit truncates an episode, and so does
// the runner's own when the gym has none; calls past the limit are left
// out of the conversation.
func TestStepLimits(t *testing.T) {
	ts := defaultTasks(t)[:2]
	url, _ := evaltest.Gym(t, ts, env.Limits{MaxSteps: 3})
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: busy{}})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Failed, st.Errors)
	for _, r := range res {
		assert.True(t, r.Truncated)
		assert.Equal(t, 3, r.Steps)
		assert.Len(t, chat.Calls(r.Messages), 3)
		assert.Zero(t, r.Reward)
		checkConversation(t, r.Messages)
	}
	url, _ = evaltest.Gym(t, ts, env.Limits{})
	res, _, err = runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: busy{}, MaxSteps: 5})
	require.NoError(t, err)
	for _, r := range res {
		assert.True(t, r.Truncated)
		assert.Equal(t, 5, r.Steps)
		assert.Len(t, chat.Calls(r.Messages), 5)
		checkConversation(t, r.Messages)
	}
}

// checkConversation checks the chat format's invariants: system, user,
// then assistant messages whose every call is answered by a tool message
// with its id, in order.
func checkConversation(t *testing.T, msgs []chat.Message) {
	t.Helper()
	require.GreaterOrEqual(t, len(msgs), 2)
	assert.Equal(t, chat.System, msgs[0].Role)
	assert.Equal(t, chat.User, msgs[1].Role)
	var pending []string
	for _, m := range msgs[2:] {
		switch m.Role {
		case chat.Assistant:
			require.Empty(t, pending, "calls answered before the next assistant turn")
			for _, c := range m.ToolCalls {
				assert.Equal(t, "function", c.Type)
				pending = append(pending, c.ID)
			}
		case chat.Tool:
			require.NotEmpty(t, pending, "a tool message answers a call")
			assert.Equal(t, pending[0], m.ToolCallID)
			pending = pending[1:]
		case chat.User:
			assert.NotEmpty(t, m.Content)
		default:
			t.Fatalf("unexpected role %q", m.Role)
		}
	}
	assert.Empty(t, pending)
}

// TestOpenAIPolicy plays episodes with the openai policy against a real
// gym and a scripted chat-completions endpoint that behaves like a
// capable model: it asks the user a question first, then makes the
// ground truth's calls in one turn, reads their results from the tool
// messages and answers. The endpoint fails with 429 and 503 on its first
// requests, which the policy retries.
func TestOpenAIPolicy(t *testing.T) {
	ts := defaultTasks(t)[:6]
	byInstruction := map[string]*task.Task{}
	for _, tk := range ts {
		byInstruction[tk.Instruction] = tk
	}
	require.Len(t, byInstruction, len(ts), "the script finds tasks by instruction")
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	var mu sync.Mutex
	requests := 0
	var problems []string
	problem := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, format)
		mu.Unlock()
	}
	base := evaltest.ChatServer(t, func(req evaltest.ChatRequest) evaltest.ChatReply {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		switch n {
		case 1:
			return evaltest.ChatReply{Status: 429, RetryAfter: "0"}
		case 2:
			return evaltest.ChatReply{Status: 503}
		}
		if req.Auth != "Bearer sk-test" || req.Model != "scripted" {
			problem("auth or model")
		}
		var tools []map[string]any
		if json.Unmarshal(req.Tools, &tools) != nil || len(tools) == 0 {
			problem("no tools")
		}
		msgs := req.Messages
		tk := byInstruction[msgs[1].Content]
		if tk == nil {
			problem("unknown instruction")
			return evaltest.ChatReply{Message: chat.Message{Content: "?"}}
		}
		last := msgs[len(msgs)-1]
		usage := [2]int{100, 10}
		switch {
		case len(msgs) == 2:
			return evaltest.ChatReply{Message: chat.Message{Content: "Could you confirm what you need?"}, Usage: usage}
		case last.Role == chat.User:
			if !strings.Contains(last.Content, tk.Instruction) {
				problem("the scripted user restates the instruction")
			}
			var calls []chat.ToolCall
			for i, a := range tk.Actions {
				calls = append(calls, chat.NewToolCall("call_x"+string(rune('a'+i)), a.Tool, a.Arguments))
			}
			return evaltest.ChatReply{Message: chat.Message{ToolCalls: calls}, Usage: usage}
		default:
			var obs []json.RawMessage
			for _, m := range msgs {
				if m.Role == chat.Tool {
					obs = append(obs, json.RawMessage(m.Content))
				}
			}
			if len(obs) != len(tk.Actions) {
				problem("every call's result comes back as a tool message")
			}
			return evaltest.ChatReply{Message: chat.Message{Content: "Done: " + task.Answer(tk, obs)}, Usage: usage}
		}
	})
	e := &policy.Endpoint{BaseURL: base, APIKey: "sk-test", Model: "scripted", Backoff: time.Millisecond, Concurrency: 2}
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e}, Concurrency: 3})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Failed, st.Errors)
	assert.Empty(t, problems)
	assert.Equal(t, 2, e.RetriesMade())
	require.Len(t, res, len(ts))
	for _, r := range res {
		assert.True(t, r.Success, "%s: %v", r.Task, r.Answer)
		assert.Equal(t, "openai:scripted", r.Policy)
		assert.Equal(t, 1, r.UserTurns)
		assert.Equal(t, chat.Usage{PromptTokens: 300, CompletionTokens: 30, Requests: 3}, r.Usage)
		checkConversation(t, r.Messages)
		assert.Contains(t, r.Answer, "Could you confirm", "the answer is everything the agent said")
	}
	assert.Equal(t, chat.Usage{PromptTokens: 300 * len(ts), CompletionTokens: 30 * len(ts), Requests: 3 * len(ts)}, e.Usage())
}

// TestOpenAIBadCalls: a model's call with arguments that are not JSON,
// or with no tool name, reaches the agent as a tool error, not a failure
// of the run.
func TestOpenAIBadCalls(t *testing.T) {
	ts := defaultTasks(t)[:1]
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	base := evaltest.ChatServer(t, func(req evaltest.ChatRequest) evaltest.ChatReply {
		if len(req.Messages) == 2 {
			return evaltest.ChatReply{Message: chat.Message{ToolCalls: []chat.ToolCall{
				chat.NewToolCall("c1", ts[0].Actions[0].Tool, json.RawMessage(`{"broken": `)),
				{ID: "c2", Type: "function", Function: chat.FunctionCall{Name: "", Arguments: "{}"}},
			}}}
		}
		return evaltest.ChatReply{Message: chat.Message{Content: "Sorry."}}
	})
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: &policy.Endpoint{BaseURL: base, Model: "m"}}})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Failed, st.Errors)
	require.Len(t, res, 1)
	assert.Equal(t, 2, res[0].Steps)
	assert.Equal(t, 2, res[0].ToolErrors)
	assert.Zero(t, res[0].Reward)
	checkConversation(t, res[0].Messages)
	assert.Contains(t, res[0].Messages[3].Content, "want a JSON object, got a string")
	assert.Contains(t, res[0].Messages[4].Content, "action needs exactly one of tool or answer")
}

// TestEndpointDown: an endpoint that keeps failing makes episodes fail,
// counted and not logged, so a rerun retries them.
func TestEndpointDown(t *testing.T) {
	ts := defaultTasks(t)[:2]
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	base := evaltest.ChatServer(t, func(evaltest.ChatRequest) evaltest.ChatReply { return evaltest.ChatReply{Status: 500} })
	log := filepath.Join(t.TempDir(), "episodes.jsonl")
	e := &policy.Endpoint{BaseURL: base, Model: "m", Retries: 2, Backoff: time.Millisecond}
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e}, Log: log})
	require.NoError(t, err)
	assert.Empty(t, res)
	assert.Equal(t, 2, st.Failed)
	require.NotEmpty(t, st.Errors)
	assert.Contains(t, st.Errors[0], "500")
	assert.Contains(t, st.Errors[0], "gave up after 2 retries")
	logged, err := runner.ReadLog(log)
	require.NoError(t, err)
	assert.Empty(t, logged)
}
