package runner_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/internal/evaltest"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/runner"
	"github.com/simgym/simgym/internal/simwikitest"
)

// webGym serves a small SimWiki as the web environment "simwiki" and
// returns its URL and a few of its questions.
func webGym(t *testing.T, n int) (string, []webqa.Task) {
	t.Helper()
	ww, tasks := simwikitest.World(t, 300, 5)
	require.GreaterOrEqual(t, len(tasks), n)
	tasks = tasks[:n]
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(ww))
	srv := httptest.NewServer(gym.New(m, gym.Options{}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/gym", tasks
}

// webModel is a scripted researcher for SimWiki questions: it searches
// the question three times (counting searches from its context: tool
// results, or the DONE=n its summaries and reports carry), then answers
// the gold answer.
type webModel struct {
	mu   sync.Mutex
	byQ  map[string]string
	reqs []evaltest.ChatRequest
	seq  int
}

const webSearches = 3

func (m *webModel) reply(req evaltest.ChatRequest) evaltest.ChatReply {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	m.seq++
	id := m.seq
	m.mu.Unlock()
	sys, user, done := progress(req)
	if sys == agentctx.SummaryPrompt {
		return evaltest.ChatReply{Message: chat.Message{Content: fmt.Sprintf("Evidence: DONE=%d\nGaps: none\nNext steps: answer", done+strings.Count(user, "[result of "))}}
	}
	var answer, question string
	for q, a := range m.byQ {
		if strings.HasPrefix(user, q) || strings.Contains(user, "Request:\n"+q) {
			answer, question = a, q
		}
	}
	if answer == "" {
		return evaltest.ChatReply{Message: chat.Message{Content: "I do not know."}}
	}
	iter := strings.HasSuffix(sys, agentctx.IterPrompt)
	if done < webSearches {
		args := []byte(fmt.Sprintf(`{"query":%q,"top_k":3}`, question))
		msg := chat.Message{ToolCalls: []chat.ToolCall{chat.NewToolCall(fmt.Sprintf("c%d", id), "search", args)}}
		if iter {
			msg.Content = fmt.Sprintf("<report>DONE=%d</report>", done+1)
		}
		return evaltest.ChatReply{Message: msg}
	}
	if iter {
		return evaltest.ChatReply{Message: chat.Message{Content: fmt.Sprintf("<report>DONE=%d</report>%s", done, answer)}}
	}
	return evaltest.ChatReply{Message: chat.Message{Content: answer}}
}

// TestContextModesOnAWebWorld: ReSum and IterResearch run on the offline
// web as on domains: over the real gym, a researcher that searches and
// answers scores 1 on SimWiki questions; ReSum's context restarts after
// each summary and IterResearch's requests carry the workspace only.
func TestContextModesOnAWebWorld(t *testing.T) {
	url, tasks := webGym(t, 4)
	var its []runner.Item
	byQ := map[string]string{}
	for _, tk := range tasks {
		its = append(its, runner.Item{Env: "simwiki", Task: tk.ID})
		byQ[tk.Question] = tk.Answer
	}
	for _, mode := range []string{runner.ModeReSum, runner.ModeIterResearch} {
		t.Run(mode, func(t *testing.T) {
			m := &webModel{byQ: byQ}
			e := endpoint(evaltest.ChatServer(t, m.reply))
			opt := runner.Options{URL: url, Policy: &policy.OpenAI{Endpoint: e}, Context: runner.ContextOptions{Mode: mode}}
			if mode == runner.ModeReSum {
				opt.Context.SummaryEvery = 1
				opt.Context.Summarizer = &policy.LLMSummarizer{Endpoint: e}
			}
			res, st, err := runner.Run(context.Background(), its, opt)
			require.NoError(t, err)
			require.Zero(t, st.Failed, st.Errors)
			require.Len(t, res, len(tasks))
			for _, r := range res {
				assert.True(t, r.Success, "%s %s: reward %v", mode, r.Task, r.Reward)
			}
			restarts := 0
			for _, req := range m.reqs {
				if mode == runner.ModeIterResearch && req.Messages[0].Content != agentctx.SummaryPrompt {
					assert.Len(t, req.Messages, 2, "an IterResearch request is the workspace only")
				}
				if len(req.Messages) == 2 && strings.Contains(req.Messages[1].Content, agentctx.SummaryMarker) {
					restarts++
				}
			}
			if mode == runner.ModeReSum {
				assert.Positive(t, restarts, "the context restarts after a summary")
			}
		})
	}
}
