package taubench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// fakeChat is a chat-completions server playing both sides: requests for
// model "agent" get the task's ground truth, one call a turn, then the
// outputs; requests for model "user" get a first line naming the task,
// then "###STOP###" once the agent says it is done. It keeps every
// request's messages, by side.
type fakeChat struct {
	t     *testing.T
	s     *Suite
	mu    sync.Mutex
	reqs  map[string][][]chat.Message // by model
	tools map[string][]string         // tool names the agent was offered, by task
}

func (f *fakeChat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string         `json:"model"`
		Messages []chat.Message `json:"messages"`
		Tools    []struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.reqs[req.Model] = append(f.reqs[req.Model], req.Messages)
	f.mu.Unlock()
	var msg map[string]any
	switch req.Model {
	case "user":
		// The instruction is in the system prompt; the user names its task.
		task := -1
		for _, tk := range f.s.Tasks {
			if strings.Contains(req.Messages[0].Content, tk.Instruction) {
				task = tk.Index
			}
		}
		last := req.Messages[len(req.Messages)-1].Content
		text := "Yes, go ahead."
		switch {
		case last == policy.TaubenchGreeting:
			text = fmt.Sprintf("I am the user of task %d.", task)
		case strings.HasPrefix(last, "Your request is done"):
			text = policy.StopSignal
		}
		msg = map[string]any{"role": "assistant", "content": text}
	case "agent":
		var task int
		if _, err := fmt.Sscanf(req.Messages[1].Content, "I am the user of task %d.", &task); err != nil {
			http.Error(w, "no task in "+req.Messages[1].Content, http.StatusBadRequest)
			return
		}
		var names []string
		for _, tl := range req.Tools {
			names = append(names, tl.Function.Name)
		}
		f.mu.Lock()
		f.tools[fmt.Sprint(task)] = names
		f.mu.Unlock()
		tk := f.s.Tasks[task]
		calls := 0
		for _, m := range req.Messages {
			if m.Role == chat.Tool {
				calls++
			}
		}
		if calls < len(tk.Actions) {
			a := tk.Actions[calls]
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []map[string]any{{
				"id": fmt.Sprintf("call_%d", calls), "type": "function",
				"function": map[string]any{"name": a.Name, "arguments": string(a.Kwargs)},
			}}}
		} else {
			msg = map[string]any{"role": "assistant", "content": "Your request is done: " + strings.Join(tk.Outputs, ", ") + "."}
		}
	default:
		http.Error(w, "unknown model "+req.Model, http.StatusBadRequest)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"choices": []map[string]any{{"message": msg, "finish_reason": "stop"}},
		"usage":   map[string]int{"prompt_tokens": 10, "completion_tokens": 2},
	})
}

// TestTaubenchLLMConventions plays a model agent against a model user,
// both answered by one fake chat-completions server, on three tasks (a
// booking, one with outputs, one that ends by a transfer), and checks
// the messages each side was sent follow tau-bench's conventions: the
// agent's system prompt is the policy and its first turn is the user's
// first message, with tau-bench's tools (respond is not one: a message
// without tool calls is the response); the user's system prompt holds
// the instruction and the stop signal, and its conversation opens with
// the agent's greeting; the user's "###STOP###" ends the episode, and so
// does the transfer, after which the user is not asked again.
func TestTaubenchLLMConventions(t *testing.T) {
	s := testSuite(t)
	f := &fakeChat{t: t, s: s, reqs: map[string][][]chat.Message{}, tools: map[string][]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	user := &LLMUser{User: policy.TaubenchUser{Endpoint: &policy.Endpoint{BaseURL: srv.URL, Model: "user", Retries: -1}}}
	url := serve(t, s, user)
	agent := &policy.OpenAI{Endpoint: &policy.Endpoint{BaseURL: srv.URL, Model: "agent", Retries: -1}}
	transfer := 13
	require.Equal(t, TransferTool, s.Tasks[transfer].Actions[len(s.Tasks[transfer].Actions)-1].Name)
	results, err := Evaluate(context.Background(), EvalOptions{URL: url, Policy: agent, Suite: s, Tasks: []int{0, 2, transfer}, Concurrency: 1})
	require.NoError(t, err)
	require.Len(t, results, 3)
	for _, r := range results {
		assert.Equal(t, 1.0, r.Reward, "task %d: %s", r.TaskID, r.Info["reward_info"])
		want := "user_stop"
		if r.TaskID == transfer {
			want = "transfer"
		}
		assert.Equal(t, want, r.Info["reason"], "task %d", r.TaskID)
		if want == "user_stop" {
			last := r.Traj[len(r.Traj)-1]
			assert.Equal(t, chat.User, last.Role)
			assert.Equal(t, policy.StopSignal, last.Content, "task %d ends on the user's stop", r.TaskID)
		}
	}

	// The agent's side.
	for _, msgs := range f.reqs["agent"] {
		require.GreaterOrEqual(t, len(msgs), 2)
		assert.Equal(t, chat.System, msgs[0].Role)
		assert.Equal(t, s.Policy, msgs[0].Content, "the agent's system prompt is the policy")
		assert.Equal(t, chat.User, msgs[1].Role, "the user speaks first")
		assert.Regexp(t, `^I am the user of task \d+\.$`, msgs[1].Content)
	}
	for task, names := range f.tools {
		assert.Len(t, names, 14, "task %s: tau-bench's 14 tools", task)
		assert.NotContains(t, names, RespondTool, "task %s", task)
		assert.Contains(t, names, "think")
		assert.Contains(t, names, TransferTool)
	}

	// The user's side.
	perTask := map[int]int{}
	for _, msgs := range f.reqs["user"] {
		require.GreaterOrEqual(t, len(msgs), 2)
		assert.Equal(t, chat.System, msgs[0].Role)
		assert.Contains(t, msgs[0].Content, "Instruction: ")
		assert.Contains(t, msgs[0].Content, policy.StopSignal)
		assert.Equal(t, chat.User, msgs[1].Role)
		assert.Equal(t, policy.TaubenchGreeting, msgs[1].Content, "the user model's conversation opens with the agent's greeting")
		// From the user's side the roles swap: agent messages are "user",
		// its own replies "assistant", alternating.
		for i, m := range msgs[1:] {
			want := chat.User
			if i%2 == 1 {
				want = chat.Assistant
			}
			assert.Equal(t, want, m.Role, "user message %d", i+1)
		}
		for _, tk := range s.Tasks {
			if strings.Contains(msgs[0].Content, tk.Instruction) {
				perTask[tk.Index]++
			}
		}
	}
	assert.Equal(t, 2, perTask[0], "task 0: the opening, then the agent's closing message")
	assert.Equal(t, 2, perTask[2])
	assert.Equal(t, 1, perTask[transfer], "after the transfer the user is not asked again")
}
