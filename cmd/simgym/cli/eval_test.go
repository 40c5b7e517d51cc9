package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/simgym/simgym/domains/builtin" // the default world, as the binary has it
)

// TestEvalCommand runs `simgym eval` on the default world (a small
// sample of its tasks) with the oracle and the random policy, resumes a
// finished run, and compares the two runs.
func TestEvalCommand(t *testing.T) {
	dir := t.TempDir()
	oracle, random := filepath.Join(dir, "oracle"), filepath.Join(dir, "random")
	code, out, stderr := runCmd(t, "eval", "--policy", "oracle", "--trials", "2", "--tasks-per-env", "2", "--out", oracle, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum), "stdout is one JSON object: %q", out)
	for _, k := range []string{"episodes", "success", "pass_hat_k", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 40, sum["episodes"])
	assert.EqualValues(t, 1, sum["success"])
	assert.Equal(t, []any{1.0, 1.0}, sum["pass_hat_k"])
	assert.EqualValues(t, 40, sum["ran"])
	for _, f := range []string{"report.json", "report.md", "pass_hat_k.png", "success_by_length.png", "trajectories.jsonl", "trajectories.filtered.jsonl", "episodes.jsonl", "tasks.jsonl", "run.json"} {
		_, err := os.Stat(filepath.Join(oracle, f))
		assert.NoError(t, err, f)
	}
	funnel := sum["funnel"].(map[string]any)
	assert.EqualValues(t, 40, funnel["kept"])

	// Run again: everything is resumed, nothing replayed.
	code, out, stderr = runCmd(t, "eval", "--policy", "oracle", "--trials", "2", "--tasks-per-env", "2", "--out", oracle, "--json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	assert.EqualValues(t, 40, sum["resumed"])
	assert.EqualValues(t, 0, sum["ran"])

	// The random policy on the same tasks (the oracle run's sample).
	code, out, stderr = runCmd(t, "eval", "--policy", "random", "--trials", "2", "--tasks", filepath.Join(oracle, "tasks.jsonl"), "--out", random, "--json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	assert.Less(t, sum["success"].(float64), 0.2)

	code, out, stderr = runCmd(t, "eval", "--compare", random, oracle, "--json")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	assert.Equal(t, true, sum["paired"])
	success := sum["success"].(map[string]any)
	assert.Greater(t, success["diff"].(float64), 0.8)
	code, out, _ = runCmd(t, "eval", "--compare", random, oracle)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "| overall | 20 | 20 |")
}

func TestEvalUsage(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"eval", "--out", "x"}, "--policy is required"},
		{[]string{"eval", "--policy", "oracle"}, "--out is required"},
		{[]string{"eval", "--policy", "genius", "--out", "x"}, "unknown policy"},
		{[]string{"eval", "--policy", "oracle", "--server", "ws://127.0.0.1:1/v1/gym", "--out", "x"}, "needs the tasks' ground truth"},
		{[]string{"eval", "--policy", "openai", "--model", "", "--out", "x"}, "needs --model"},
		{[]string{"eval", "--compare", "a"}, "two run folders"},
		{[]string{"eval", "--from-record", "r.sqlite"}, "--from-record needs --out"},
	}
	for _, c := range cases {
		code, out, stderr := runCmd(t, c.args...)
		assert.Equal(t, 2, code, "%v", c.args)
		assert.Empty(t, out)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}

// TestEvalOpenAI wires the openai policy to a chat-completions endpoint
// (a scripted stand-in here): key from $OPENAI_API_KEY, --base-url,
// --model, the LLM user, and token counts in the summary.
func TestEvalOpenAI(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string           `json:"model"`
			Messages []map[string]any `json:"messages"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization")+" "+req.Model)
		mu.Unlock()
		content := "I could not finish that."
		if len(req.Messages) == 2 && req.Messages[0]["role"] == "system" && req.Messages[1]["role"] == "user" {
			content = "Which one do you mean?" // the agent's first turn asks
		}
		fmt.Fprintf(w, `{"choices":[{"message":{"role":"assistant","content":%q}}],"usage":{"prompt_tokens":11,"completion_tokens":4}}`, content)
	}))
	defer srv.Close()
	t.Setenv("OPENAI_API_KEY", "sk-cli")
	out := filepath.Join(t.TempDir(), "llm")
	code, stdout, stderr := runCmd(t, "eval", "--policy", "openai", "--model", "tiny", "--base-url", srv.URL+"/v1", "--user", "llm",
		"--env", "account_card", "--tasks-per-env", "2", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	assert.Equal(t, "openai:tiny", sum["policy"])
	assert.EqualValues(t, 2, sum["episodes"])
	assert.EqualValues(t, 0, sum["success"])
	// Per episode: the question, the user's answer, the final answer.
	assert.EqualValues(t, 6, sum["requests"])
	assert.EqualValues(t, 66, sum["prompt_tokens"])
	assert.EqualValues(t, 24, sum["completion_tokens"])
	for _, a := range auth {
		assert.Equal(t, "Bearer sk-cli tiny", a)
	}
}
