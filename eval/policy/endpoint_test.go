package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// chatServer answers chat completions with fn's status and body.
func chatServer(t *testing.T, fn func(n int, req map[string]any, w http.ResponseWriter)) string {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v1/chat/completions", r.URL.Path)
		var req map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		fn(int(n.Add(1)), req, w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

const okReply = `{"choices":[{"message":{"role":"assistant","content":"hello"}}],"usage":{"prompt_tokens":7,"completion_tokens":3}}`

func TestRetriesRateLimitsThenSucceeds(t *testing.T) {
	base := chatServer(t, func(n int, _ map[string]any, w http.ResponseWriter) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "0.001")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case 2:
			http.Error(w, "oops", http.StatusBadGateway)
		default:
			_, _ = w.Write([]byte(okReply))
		}
	})
	e := &policy.Endpoint{BaseURL: base, Model: "m", Backoff: time.Millisecond}
	msg, u, err := e.Complete(context.Background(), []chat.Message{{Role: chat.User, Content: "hi"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, chat.Message{Role: chat.Assistant, Content: "hello"}, msg)
	assert.Equal(t, chat.Usage{PromptTokens: 7, CompletionTokens: 3, Requests: 1}, u)
	assert.Equal(t, 2, e.RetriesMade())
	assert.Equal(t, u, e.Usage())
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	base := chatServer(t, func(_ int, _ map[string]any, w http.ResponseWriter) {
		http.Error(w, `{"error":{"message":"bad model"}}`, http.StatusBadRequest)
	})
	e := &policy.Endpoint{BaseURL: base, Model: "m", Backoff: time.Millisecond}
	_, _, err := e.Complete(context.Background(), nil, nil)
	var ee *policy.EndpointError
	require.True(t, errors.As(err, &ee), "%v", err)
	assert.Equal(t, http.StatusBadRequest, ee.Status)
	assert.Contains(t, err.Error(), "bad model")
	assert.Zero(t, e.RetriesMade())
}

func TestGivesUpAfterRetries(t *testing.T) {
	base := chatServer(t, func(_ int, _ map[string]any, w http.ResponseWriter) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	e := &policy.Endpoint{BaseURL: base, Model: "m", Retries: 3, Backoff: time.Millisecond}
	_, _, err := e.Complete(context.Background(), nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gave up after 3 retries")
	assert.Equal(t, 3, e.RetriesMade())
}

// TestRequestTimeout: a request that hangs past the timeout is retried;
// the retry's answer is used.
func TestRequestTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	base := chatServer(t, func(n int, _ map[string]any, w http.ResponseWriter) {
		if n == 1 {
			<-release // hangs until the test ends
			return
		}
		_, _ = w.Write([]byte(okReply))
	})
	e := &policy.Endpoint{BaseURL: base, Model: "m", Timeout: 50 * time.Millisecond, Backoff: time.Millisecond}
	msg, _, err := e.Complete(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "hello", msg.Content)
	assert.Equal(t, 1, e.RetriesMade())
}

// TestRequestShape: the request carries the model, the messages in the
// chat format (tool calls with JSON-string arguments, tool results with
// their call id) and the tools; the reply's tool calls come back with
// their arguments as a JSON string, even from a server that sends an
// object.
func TestRequestShape(t *testing.T) {
	var got map[string]any
	base := chatServer(t, func(_ int, req map[string]any, w http.ResponseWriter) {
		got = req
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"get_card","arguments":"{\"card_id\":\"c1\"}"}},
			{"type":"function","function":{"name":"list_cards","arguments":{"limit":2}}}]}}]}`))
	})
	temp := 0.0
	e := &policy.Endpoint{BaseURL: base, APIKey: "k", Model: "m", Temperature: &temp, MaxTokens: 64}
	tools := []protocol.Tool{{Type: "function", Function: protocol.Function{Name: "get_card", Parameters: json.RawMessage(`{"type":"object"}`)}}}
	msgs := []chat.Message{
		{Role: chat.System, Content: "s"}, {Role: chat.User, Content: "u"},
		{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall("c0", "get_card", json.RawMessage(`{"card_id":"c0"}`))}},
		{Role: chat.Tool, ToolCallID: "c0", Content: `{"id":"c0"}`},
	}
	msg, u, err := e.Complete(context.Background(), msgs, tools)
	require.NoError(t, err)
	assert.Equal(t, "m", got["model"])
	assert.Equal(t, 0.0, got["temperature"])
	assert.EqualValues(t, 64, got["max_tokens"])
	assert.Equal(t, "auto", got["tool_choice"])
	assert.Len(t, got["tools"], 1)
	sent := got["messages"].([]any)
	require.Len(t, sent, 4)
	asst := sent[2].(map[string]any)
	assert.Nil(t, asst["content"], "a tool-calling turn has null content")
	call := asst["tool_calls"].([]any)[0].(map[string]any)["function"].(map[string]any)
	assert.Equal(t, `{"card_id":"c0"}`, call["arguments"], "arguments travel as a JSON string")
	assert.Equal(t, "c0", sent[3].(map[string]any)["tool_call_id"])

	require.Len(t, msg.ToolCalls, 2)
	assert.Equal(t, `{"card_id":"c1"}`, msg.ToolCalls[0].Function.Arguments)
	assert.Equal(t, `{"limit":2}`, msg.ToolCalls[1].Function.Arguments)
	assert.Equal(t, "call_1", msg.ToolCalls[1].ID, "a missing id is made up")
	assert.Equal(t, chat.Usage{Requests: 1}, u, "no usage reported, none counted")
}

// TestConcurrencyLimit: no more requests than the limit are in flight.
func TestConcurrencyLimit(t *testing.T) {
	var inflight, peak atomic.Int64
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	base := chatServer(t, func(_ int, _ map[string]any, w http.ResponseWriter) {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-release
		inflight.Add(-1)
		_, _ = w.Write([]byte(okReply))
	})
	e := &policy.Endpoint{BaseURL: base, Model: "m", Concurrency: 2}
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := e.Complete(context.Background(), nil, nil)
			assert.NoError(t, err)
		}()
	}
	<-entered
	<-entered
	close(release)
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(2))
	assert.Equal(t, 6, e.Usage().Requests)
}

// TestLLMUser: the model playing the user sees the instruction in its
// prompt and the conversation with the roles swapped, without tool
// traffic.
func TestLLMUser(t *testing.T) {
	var got map[string]any
	base := chatServer(t, func(_ int, req map[string]any, w http.ResponseWriter) {
		got = req
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":" The card ending in 1234. "}}],"usage":{"prompt_tokens":5,"completion_tokens":2}}`))
	})
	u := &policy.LLMUser{Endpoint: &policy.Endpoint{BaseURL: base, Model: "m"}}
	ep := policy.Episode{Instruction: "Activate the card whose last four is 1234."}
	msgs := []chat.Message{
		{Role: chat.System, Content: policy.SystemPrompt}, {Role: chat.User, Content: ep.Instruction},
		{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall("c", "list_cards", nil)}},
		{Role: chat.Tool, ToolCallID: "c", Content: "[]"},
		{Role: chat.Assistant, Content: "Which card?"},
	}
	reply, usage, err := u.Reply(context.Background(), ep, msgs)
	require.NoError(t, err)
	assert.Equal(t, "The card ending in 1234.", reply)
	assert.Equal(t, 5, usage.PromptTokens)
	sent := got["messages"].([]any)
	require.Len(t, sent, 3)
	assert.Contains(t, sent[0].(map[string]any)["content"], ep.Instruction)
	assert.Equal(t, "assistant", sent[1].(map[string]any)["role"])
	assert.Equal(t, map[string]any{"role": "user", "content": "Which card?"}, sent[2])
	assert.Nil(t, got["tools"])
}

func TestIsQuestion(t *testing.T) {
	assert.True(t, policy.IsQuestion(chat.Message{Role: chat.Assistant, Content: "Which card do you mean? "}))
	assert.False(t, policy.IsQuestion(chat.Message{Role: chat.Assistant, Content: "Done."}))
	assert.False(t, policy.IsQuestion(chat.Message{Role: chat.Assistant, Content: "Why?", ToolCalls: []chat.ToolCall{{ID: "x"}}}))
}

// TestRandomDrawsSchemaValidCalls: the random policy's calls name the
// offered tools and their arguments pass the schemas; the episode ends
// with a short answer after a few calls.
func TestRandomDrawsSchemaValidCalls(t *testing.T) {
	tools := []protocol.Tool{{Type: "function", Function: protocol.Function{Name: "set_limit",
		Parameters: json.RawMessage(`{"type":"object","properties":{"card_id":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":9},"mode":{"type":"string","enum":["a","b"]}},"required":["card_id","limit"],"additionalProperties":false}`)}}}
	p := &policy.Random{Seed: 3, MaxCalls: 4}
	a, err := p.Start(context.Background(), policy.Episode{Env: "e", TaskID: "t", Tools: tools})
	require.NoError(t, err)
	var msgs []chat.Message
	for range 10 {
		m, _, err := a.Next(context.Background(), msgs)
		require.NoError(t, err)
		msgs = append(msgs, m)
		if len(m.ToolCalls) == 0 {
			assert.NotEmpty(t, m.Content)
			break
		}
		c := m.ToolCalls[0]
		assert.Equal(t, "set_limit", c.Function.Name)
		var args map[string]any
		require.NoError(t, json.Unmarshal([]byte(c.Function.Arguments), &args))
		assert.IsType(t, "", args["card_id"])
		assert.GreaterOrEqual(t, args["limit"], 1.0)
		assert.LessOrEqual(t, args["limit"], 9.0)
		if m, ok := args["mode"]; ok {
			assert.Contains(t, []any{"a", "b"}, m)
		}
	}
	calls := len(chat.Calls(msgs))
	assert.True(t, calls >= 1 && calls <= 4, "%d calls", calls)
	assert.Empty(t, msgs[len(msgs)-1].ToolCalls, "ends with an answer")
}

// TestUnreachableIsNotRetried: a refused connection or an unknown host
// fails at once, naming the URL and the cause, however many retries are
// allowed and however long their backoff.
func TestUnreachableIsNotRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String() + "/v1"
	require.NoError(t, ln.Close())
	cases := []struct{ base, cause string }{
		{refused, "connection refused"},
		{"http://no-such-host.invalid/v1", "no such host"},
	}
	for _, c := range cases {
		var retried []int
		e := &policy.Endpoint{BaseURL: c.base, Model: "m", Retries: 6, Backoff: time.Hour,
			OnRetry: func(attempt int, _ time.Duration, _ error) { retried = append(retried, attempt) }}
		_, _, err := e.Complete(context.Background(), nil, nil)
		require.Error(t, err)
		assert.True(t, policy.Unreachable(err), "%v", err)
		assert.Contains(t, err.Error(), c.base+"/chat/completions")
		assert.Contains(t, err.Error(), c.cause)
		assert.Contains(t, err.Error(), "not retried")
		assert.Empty(t, retried)
		assert.Zero(t, e.RetriesMade())
	}
}

// TestOnRetryIsTold: each retry is reported with its attempt, wait and
// cause before it is made.
func TestOnRetryIsTold(t *testing.T) {
	base := chatServer(t, func(n int, _ map[string]any, w http.ResponseWriter) {
		if n <= 2 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(okReply))
	})
	var attempts []int
	var causes []string
	e := &policy.Endpoint{BaseURL: base, Model: "m", Backoff: time.Millisecond,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			attempts = append(attempts, attempt)
			causes = append(causes, err.Error())
			assert.Positive(t, wait)
		}}
	_, _, err := e.Complete(context.Background(), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, attempts)
	for _, c := range causes {
		assert.Contains(t, c, "503")
	}
}
