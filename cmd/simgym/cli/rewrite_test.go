package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
)

// TestTasksRewriteWith: `tasks --rewrite-with URL --model M` sends each
// instruction to a chat-completions server (an httptest one speaking
// OpenAI's protocol) and keeps a paraphrase only when every fact the
// task needs is still in it; the summary counts kept and refused
// rewrites, and every written task still verifies.
func TestTasksRewriteWith(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	var models, systems []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) < 2 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		calls++
		n := calls
		models = append(models, req.Model)
		systems = append(systems, req.Messages[0].Content)
		mu.Unlock()
		// Every other paraphrase keeps the instruction's words; the rest
		// drop them all, which the fact check must refuse.
		content := "Hello there. " + req.Messages[len(req.Messages)-1].Content
		if n%2 == 0 {
			content = "Could you sort out that thing for me?"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": content}}},
			"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
		})
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "tasks.jsonl")
	code, stdout, stderr := runCmd(t, "tasks", "--n", "12", "--seed", "3", "--domain", "account_card",
		"--rewrite-with", srv.URL+"/v1", "--model", "para-1", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum struct {
		Tasks    int `json:"tasks"`
		Verified int `json:"verified"`
		Rewrites struct {
			Kept, Refused, Failed int
		} `json:"rewrites"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 12, calls, "one paraphrase asked per task")
	assert.Equal(t, sum.Tasks, sum.Rewrites.Kept+sum.Rewrites.Refused+sum.Rewrites.Failed)
	assert.Equal(t, 6, sum.Rewrites.Kept)
	assert.Equal(t, 6, sum.Rewrites.Refused)
	assert.Equal(t, sum.Tasks, sum.Verified, "rewritten tasks still verify")
	for i := range models {
		assert.Equal(t, "para-1", models[i])
		assert.Equal(t, task.RewritePrompt, systems[i])
	}
	ts, err := task.ReadJSONL(out)
	require.NoError(t, err)
	kept := 0
	for _, tk := range ts {
		if strings.HasPrefix(tk.Instruction, "Hello there. ") {
			kept++
		}
		assert.NotContains(t, tk.Instruction, "that thing", "a paraphrase that lost the facts is not kept")
	}
	assert.Equal(t, 6, kept)
}
