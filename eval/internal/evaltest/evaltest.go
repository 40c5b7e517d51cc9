// Package evaltest serves the default world's gym on loopback for the
// evaluation's tests: a real server, spoken to over the websocket
// protocol by the real client.
package evaltest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin" // the default world
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/eval/chat"
)

var (
	mu     sync.Mutex
	cached = map[int][]*task.Task{}
)

// Tasks samples perEnv tasks in every default domain with seed 1, as
// `simgym serve` does at start (20 per environment is its default). The
// tasks are sampled once per process and size.
func Tasks(tb testing.TB, perEnv int) []*task.Task {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if ts, ok := cached[perEnv]; ok {
		return ts
	}
	var all []*task.Task
	for _, d := range domains.All() {
		ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(context.Background(), perEnv)
		if err != nil {
			tb.Fatalf("sample %s: %v", d.Name, err)
		}
		all = append(all, ts...)
	}
	cached[perEnv] = all
	return all
}

// Gym serves the tasks' environments on loopback under the limits and
// returns the websocket URL and the server. It stops with the test.
func Gym(tb testing.TB, tasks []*task.Task, lim env.Limits) (string, *gym.Server) {
	tb.Helper()
	by := map[string][]*task.Task{}
	for _, t := range tasks {
		by[t.Domain] = append(by[t.Domain], t)
	}
	var envs []*env.Environment
	for _, d := range domains.All() {
		if len(by[d.Name]) > 0 {
			envs = append(envs, env.NewEnvironment(d, by[d.Name]))
		}
	}
	g := gym.New(env.NewManager(envs, lim), gym.Options{})
	srv := httptest.NewServer(g)
	tb.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/gym", g
}

// ChatRequest is what a fake chat-completions endpoint receives.
type ChatRequest struct {
	Model    string          `json:"model"`
	Messages []chat.Message  `json:"messages"`
	Tools    json.RawMessage `json:"tools"`
	// Auth is the Authorization header.
	Auth string `json:"-"`
}

// ChatReply is what it answers: a status (0 means 200), an optional
// Retry-After header, and either a message or a raw body.
type ChatReply struct {
	Status     int
	RetryAfter string
	Message    chat.Message
	Body       string
	Usage      [2]int // prompt and completion tokens
}

// ChatServer serves the chat-completions protocol at /v1 with a script
// deciding each reply: the LLM endpoint's stand-in (the gym is real).
func ChatServer(tb testing.TB, script func(ChatRequest) ChatReply) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var req ChatRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Auth = r.Header.Get("Authorization")
		rep := script(req)
		if rep.RetryAfter != "" {
			w.Header().Set("Retry-After", rep.RetryAfter)
		}
		if rep.Status != 0 && rep.Status != http.StatusOK {
			http.Error(w, `{"error":{"message":"scripted failure"}}`, rep.Status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if rep.Body != "" {
			_, _ = io.WriteString(w, rep.Body)
			return
		}
		msg := rep.Message
		msg.Role = chat.Assistant
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-test", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": "stop"}},
			"usage":   map[string]int{"prompt_tokens": rep.Usage[0], "completion_tokens": rep.Usage[1], "total_tokens": rep.Usage[0] + rep.Usage[1]},
		})
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/v1"
}
