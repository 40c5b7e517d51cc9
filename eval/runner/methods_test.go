package runner_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/export"
	"github.com/simgym/simgym/eval/internal/evaltest"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/runner"
)

var doneRe = regexp.MustCompile(`DONE=(\d+)`)

// model is a scripted chat-completions model that knows each task's
// ground truth: it plays the next gold call, counting the calls made
// from its context (tool results, plus a DONE=n its summaries and
// reports carry), summarises when asked, writes IterResearch reports,
// and fuses samples by taking the first attempt's answer.
type model struct {
	mu   sync.Mutex
	byQ  map[string]*task.Task
	reqs []evaltest.ChatRequest
	seq  int
}

func newModel(ts []*task.Task) *model {
	m := &model{byQ: map[string]*task.Task{}}
	for _, t := range ts {
		m.byQ[t.Instruction] = t
	}
	return m
}

func (m *model) find(text string) *task.Task {
	for q, t := range m.byQ {
		if strings.HasPrefix(text, q) || strings.Contains(text, "Request:\n"+q) {
			return t
		}
	}
	return nil
}

// progress reads a scripted model's request: its system prompt, the
// user message that carries the question (the second message, or the
// only one), and how many calls the agent has made, counted from the
// tool results in the context plus the DONE=n a summary or report
// carries.
func progress(req evaltest.ChatRequest) (sys, user string, done int) {
	sys, user = req.Messages[0].Content, req.Messages[len(req.Messages)-1].Content
	if len(req.Messages) > 1 {
		user = req.Messages[1].Content
	}
	if mm := doneRe.FindAllStringSubmatch(user, -1); len(mm) > 0 {
		done, _ = strconv.Atoi(mm[len(mm)-1][1])
	}
	for _, msg := range req.Messages {
		if msg.Role == chat.Tool {
			done++
		}
	}
	return sys, user, done
}

func (m *model) reply(req evaltest.ChatRequest) evaltest.ChatReply {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	m.seq++
	id := m.seq
	m.mu.Unlock()
	sys, user, done := progress(req)
	switch {
	case sys == agentctx.SummaryPrompt:
		return evaltest.ChatReply{Message: chat.Message{Content: fmt.Sprintf("Evidence: DONE=%d\nGaps: the rest\nNext steps: go on", done+strings.Count(user, "[result of "))}, Usage: [2]int{10, 5}}
	case sys == agentctx.SynthesisPrompt:
		i := strings.Index(user, "Final answer:\n")
		ans := strings.SplitN(user[i+len("Final answer:\n"):], "\n", 2)[0]
		return evaltest.ChatReply{Message: chat.Message{Content: ans}}
	}
	t := m.find(user)
	if t == nil {
		return evaltest.ChatReply{Message: chat.Message{Content: "I do not know."}}
	}
	iter := strings.HasSuffix(sys, agentctx.IterPrompt)
	if done < len(t.Actions) && len(req.Tools) > 4 {
		a := t.Actions[done]
		msg := chat.Message{ToolCalls: []chat.ToolCall{chat.NewToolCall(fmt.Sprintf("c%d", id), a.Tool, a.Arguments)}}
		if iter {
			msg.Content = fmt.Sprintf("<report>DONE=%d</report>", done+1)
		}
		return evaltest.ChatReply{Message: msg, Usage: [2]int{100, 10}}
	}
	ans := "Done. " + task.Answer(t, t.Observations)
	if iter {
		ans = fmt.Sprintf("<report>DONE=%d</report>", done) + ans
	}
	return evaltest.ChatReply{Message: chat.Message{Content: ans}, Usage: [2]int{100, 10}}
}

// longTasks picks tasks of at least n gold calls, up to max of them.
func longTasks(t *testing.T, n, max int) []*task.Task {
	var out []*task.Task
	for _, tk := range evaltest.Tasks(t, 4) {
		if len(tk.Actions) >= n && len(out) < max {
			out = append(out, tk)
		}
	}
	require.NotEmpty(t, out)
	return out
}

func endpoint(url string) *policy.Endpoint {
	return &policy.Endpoint{BaseURL: url, Model: "scripted", Retries: -1, Concurrency: 4}
}

// TestReSum: every two rounds the context is summarised and restarts as
// [system, question + summary]; the summary carries the progress, so the
// replayed ground truth still scores 1; the segments rebuild the
// trajectory and each carries its reward.
func TestReSum(t *testing.T) {
	ts := longTasks(t, 3, 6)
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	m := newModel(ts)
	e := endpoint(evaltest.ChatServer(t, m.reply))
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e},
		Context: runner.ContextOptions{Mode: runner.ModeReSum, SummaryEvery: 2, Summarizer: &policy.LLMSummarizer{Endpoint: e}}})
	require.NoError(t, err)
	require.Zero(t, st.Failed, st.Errors)
	restarts := 0
	for _, req := range m.reqs {
		if len(req.Messages) > 1 && strings.Contains(req.Messages[1].Content, agentctx.SummaryMarker) && req.Messages[0].Content == policy.SystemPrompt {
			if len(req.Messages) == 2 {
				restarts++
			}
			assert.True(t, strings.HasPrefix(req.Messages[1].Content, m.find(req.Messages[1].Content).Instruction), "the restart starts with the question")
		}
	}
	assert.Positive(t, restarts, "some request came right after a summary, with the context restarted")
	for _, r := range res {
		assert.Equal(t, "openai:scripted+resum", r.Policy)
		assert.True(t, r.Success, "%s: the summary carried the progress", r.Task)
		require.Len(t, r.Segments, len(r.Messages))
		assert.Positive(t, r.Segments[len(r.Segments)-1], "%s: %d gold calls, a summary every 2 rounds", r.Task, r.Length)
	}
	segs := export.Segments(res)
	var rebuilt = map[string][]chat.Message{}
	for _, s := range segs {
		k := fmt.Sprint(s.Env, s.TaskID, s.Trial)
		var r runner.Result
		for _, x := range res {
			if fmt.Sprint(x.Env, x.Task, x.Trial) == k {
				r = x
			}
		}
		assert.Equal(t, r.Reward, s.Reward, "each segment carries the trajectory's reward")
		assert.Equal(t, chat.System, s.Messages[0].Role)
		if s.Segment == 0 {
			rebuilt[k] = append(rebuilt[k], s.Messages...)
		} else {
			assert.Contains(t, s.Messages[1].Content, agentctx.SummaryMarker)
			rebuilt[k] = append(rebuilt[k], s.Messages[1:]...)
		}
	}
	for _, r := range res {
		assert.Equal(t, r.Messages, rebuilt[fmt.Sprint(r.Env, r.Task, r.Trial)], "the segments add up to the trajectory")
	}
}

// TestIterResearch: every request carries the workspace only (system
// and one user message: question, report, last action and result)
// within the round budget; the reports are kept, one per round.
func TestIterResearch(t *testing.T) {
	ts := longTasks(t, 2, 6)
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	m := newModel(ts)
	e := endpoint(evaltest.ChatServer(t, m.reply))
	const budget = 700
	res, st, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e},
		Context: runner.ContextOptions{Mode: runner.ModeIterResearch, RoundTokens: budget}})
	require.NoError(t, err)
	require.Zero(t, st.Failed, st.Errors)
	require.NotEmpty(t, m.reqs)
	for _, req := range m.reqs {
		require.Len(t, req.Messages, 2)
		assert.Equal(t, chat.System, req.Messages[0].Role)
		assert.Equal(t, chat.User, req.Messages[1].Role)
		assert.LessOrEqual(t, agentctx.EstimateTokens(req.Messages), budget)
		assert.Contains(t, req.Messages[1].Content, "Your report so far:")
	}
	for _, r := range res {
		assert.Equal(t, runner.ModeIterResearch, r.Mode)
		assert.Len(t, r.Reports, r.Length+1, "one report a round")
		assert.Equal(t, fmt.Sprintf("DONE=%d", r.Length), r.Reports[len(r.Reports)-1])
		assert.Equal(t, r.Length, r.Steps)
		assert.NotContains(t, r.Answer, "<report>")
	}
}

// TestSynthesis: the synthesis call sees exactly the question and the N
// samples' final reports and answers; the fused answer is scored by the
// gym in its base sample's state.
func TestSynthesis(t *testing.T) {
	ts := longTasks(t, 1, 5)
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	m := newModel(ts)
	e := endpoint(evaltest.ChatServer(t, m.reply))
	res, _, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e}, Trials: 3})
	require.NoError(t, err)
	m.reqs = nil
	fused, err := runner.Synthesize(context.Background(), res, runner.SynthOptions{URL: url, Synthesizer: &policy.LLMSynthesizer{Endpoint: e}})
	require.NoError(t, err)
	require.Len(t, fused, len(ts))
	require.Len(t, m.reqs, len(ts), "one synthesis call a task")
	for _, f := range fused {
		require.Len(t, f.Samples, 3)
		var samples []agentctx.Sample
		for _, s := range f.Samples {
			samples = append(samples, agentctx.Sample{Report: s.Report, Answer: s.Answer})
		}
		var req *evaltest.ChatRequest
		for i := range m.reqs {
			if m.find(m.reqs[i].Messages[1].Content).ID == f.Task {
				req = &m.reqs[i]
			}
		}
		require.NotNil(t, req)
		var tk *task.Task
		for _, x := range ts {
			if x.ID == f.Task {
				tk = x
			}
		}
		assert.Equal(t, agentctx.SynthesisRequest(tk.Instruction, samples), req.Messages, "synthesis sees only the reports and answers")
		assert.True(t, f.Success, "%s: the fused answer is the samples' (right) answer", f.Task)
	}
}

// TestExpand: each step's fork is in the parent's state at that step
// (its fingerprint equals a fresh replay's), every rollout starts there,
// and advantages are each candidate's mean over the step's mean.
func TestExpand(t *testing.T) {
	var ts []*task.Task
	for _, tk := range longTasks(t, 3, 100) {
		if tk.Fingerprint != domains.Fingerprint(nil) && len(ts) < 2 {
			ts = append(ts, tk) // it writes: the state changes on the way
		}
	}
	require.Len(t, ts, 2)
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	m := newModel(ts)
	e := endpoint(evaltest.ChatServer(t, m.reply))
	res, _, err := runner.Run(context.Background(), items(ts), runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e}})
	require.NoError(t, err)
	last := 0
	tree, err := runner.Expand(context.Background(), res, runner.ExpandOptions{URL: url, Policy: &policy.OpenAI{Endpoint: e}, Alternatives: 1, Rollouts: 2, Concurrency: 3,
		OnProgress: func(done, total int) { last = total; assert.LessOrEqual(t, done, total) }})
	require.NoError(t, err)
	c, err := client.Dial(context.Background(), url, client.Options{})
	require.NoError(t, err)
	defer c.Close()
	steps := 0
	fps := map[string]bool{}
	for _, r := range res {
		steps += r.Length + 1
	}
	require.Len(t, tree, steps)
	assert.Equal(t, steps*2*2, last)
	for _, st := range tree {
		// A fresh replay of the parent's first ToolSteps calls.
		var r runner.Result
		for _, x := range res {
			if x.Task == st.Task {
				r = x
			}
		}
		rr, err := c.Reset(context.Background(), r.Env, r.Task, nil)
		require.NoError(t, err)
		for _, tc := range chat.Calls(r.Messages)[:st.ToolSteps] {
			_, err := c.Step(context.Background(), rr.Episode, protocol.Action{Tool: tc.Function.Name, Arguments: []byte(tc.Function.Arguments)})
			require.NoError(t, err)
		}
		sr, err := c.Step(context.Background(), rr.Episode, protocol.Answer(""))
		require.NoError(t, err)
		want := runner.FingerprintOf(sr)
		require.NotEmpty(t, want)
		assert.Equal(t, want, st.Fingerprint, "%s step %d", st.Task, st.Step)
		fps[st.Task+st.Fingerprint] = true
		require.Len(t, st.Candidates, 2)
		assert.True(t, st.Candidates[0].Original)
		adv := 0.0
		for _, cand := range st.Candidates {
			require.Len(t, cand.Rewards, 2)
			for _, s := range cand.Starts {
				assert.Equal(t, want, s, "the rollout starts in the step's state")
			}
			assert.InDelta(t, cand.Mean-st.Mean, cand.Advantage, 1e-9)
			adv += cand.Advantage
			assert.Equal(t, 1.0, cand.Mean, "the scripted model finishes the task from any step")
		}
		assert.InDelta(t, 0, adv, 1e-9)
	}
	assert.Greater(t, len(fps), len(res), "the state changes along a trajectory")
}
