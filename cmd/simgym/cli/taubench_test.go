package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	tbsuite "github.com/simgym/simgym/eval/taubench"
	"github.com/simgym/simgym/internal/testenv"
)

// TestEvalTaubenchSuite runs `simgym eval --suite taubench-airline` with
// the oracle over the loopback websocket: all 50 of tau-bench's test
// tasks score 1 for both trials, and results.json is tau-bench's results
// shape (task_id, reward, info, traj, trial).
func TestEvalTaubenchSuite(t *testing.T) {
	dir := testenv.Data(t, "taubench/airline")
	testenv.SkipIfRace(t, "100 episodes; the suite's own tests cover the protocol under -race")
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "eval", "--suite", "taubench-airline", "--taubench", dir, "--policy", "oracle", "--trials", "2", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	assert.EqualValues(t, 100, sum["episodes"])
	assert.EqualValues(t, 1, sum["average_reward"])
	assert.EqualValues(t, 1, sum["pass^1"])
	assert.EqualValues(t, 1, sum["pass^2"])
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	var results []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &results))
	require.Len(t, results, 100)
	for _, r := range results {
		for _, k := range []string{"task_id", "reward", "info", "traj", "trial"} {
			assert.Contains(t, r, k)
		}
		var info map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(r["info"], &info))
		for _, k := range []string{"task", "source", "reward_info"} {
			assert.Contains(t, info, k)
		}
	}

	// Usage errors.
	code, _, stderr = runCmd(t, "eval", "--suite", "taubench-airline", "--taubench", dir, "--policy", "random", "--out", out)
	assert.Equal(t, 2, code, stderr)
	code, _, stderr = runCmd(t, "eval", "--suite", "tau2", "--taubench", dir, "--policy", "oracle", "--out", out)
	assert.Equal(t, 2, code, stderr)
}

// TestBenchTaubench runs `simgym bench taubench` once over the 50 tasks
// and reads its per-episode figures.
func TestBenchTaubench(t *testing.T) {
	dir := testenv.Data(t, "taubench/airline")
	testenv.SkipIfRace(t, "a benchmark of 100 episodes")
	code, stdout, stderr := runCmd(t, "bench", "taubench", "--taubench", dir, "--rounds", "1", "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	assert.EqualValues(t, 50, sum["episodes"])
	for _, k := range []string{"episode_ms", "reset_ms", "steps_ms", "reward_ms"} {
		assert.Greater(t, sum[k].(float64), 0.0, k)
	}
	assert.Equal(t, taubenchRewardQuote, sum["taubench_python_reward"])
}

// TestServeTaubench starts `simgym serve --taubench DIR` and plays the
// start of an episode over the websocket: the reset shows tau-bench's
// policy as the system prompt, the scripted user's first message and the
// tools with respond; respond's observation is the user's reply.
func TestServeTaubench(t *testing.T) {
	dir := testenv.Data(t, "taubench/airline")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--taubench", dir, "--no-web", "--tasks-per-env", "1", "--addr", "127.0.0.1:0", "--json"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	var addr struct {
		Addr string `json:"addr"`
	}
	require.NoError(t, json.NewDecoder(pr).Decode(&addr))
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	c, err := client.Dial(ctx, "ws://"+addr.Addr+"/v1/gym", client.Options{})
	require.NoError(t, err)
	defer c.Close()
	rr, err := c.Reset(ctx, tbsuite.EnvName, "test-3", nil)
	require.NoError(t, err)
	var obs protocol.Observation
	require.NoError(t, json.Unmarshal(rr.Observation, &obs))
	policyText, err := os.ReadFile(filepath.Join(dir, "policy.md"))
	require.NoError(t, err)
	assert.Equal(t, string(policyText), obs.System)
	assert.True(t, strings.HasPrefix(obs.Instruction, "Hi! "), obs.Instruction)
	var names []string
	for _, tl := range obs.Tools {
		names = append(names, tl.Function.Name)
	}
	assert.Len(t, names, 15)
	assert.Contains(t, names, tbsuite.RespondTool)
	sr, err := c.Step(ctx, rr.Episode, protocol.Call(tbsuite.RespondTool, map[string]string{"content": "How can I help?"}))
	require.NoError(t, err)
	var reply string
	require.NoError(t, json.Unmarshal(sr.Observation, &reply))
	assert.Contains(t, reply, "Yes, please go ahead")
	assert.False(t, sr.Done)
}

// TestEvalTaubenchLLMUser runs the suite with an openai agent and a model
// user (--user llm --user-model) against one fake chat-completions
// server: the agent says hello, the user opens then stops. Each side's
// requests name its own model, and every episode ends on the user's stop.
func TestEvalTaubenchLLMUser(t *testing.T) {
	dir := testenv.Data(t, "taubench/airline")
	testenv.SkipIfRace(t, "50 episodes; the suite's own tests cover the protocol under -race")
	var mu sync.Mutex
	models := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		models[req.Model]++
		mu.Unlock()
		text := "Hello, how can I help?"
		if req.Model == "the-user" {
			text = "###STOP###"
			if len(req.Messages) == 2 {
				text = "I need help with my booking."
			}
		}
		fmt.Fprintf(w, `{"choices":[{"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`, text)
	}))
	t.Cleanup(srv.Close)
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "eval", "--suite", "taubench-airline", "--taubench", dir, "--policy", "openai", "--model", "the-agent",
		"--base-url", srv.URL, "--user", "llm", "--user-model", "the-user", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum), stdout)
	assert.EqualValues(t, 50, sum["episodes"])
	assert.Equal(t, "openai:the-agent", sum["policy"])
	assert.Equal(t, map[string]int{"the-agent": 50, "the-user": 100}, models, "one agent turn, and the user's opening and stop, per episode")
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	require.NoError(t, err)
	var results []struct {
		Info struct {
			Reason string `json:"reason"`
		} `json:"info"`
	}
	require.NoError(t, json.Unmarshal(data, &results))
	for i, r := range results {
		assert.Equal(t, "user_stop", r.Info.Reason, "episode %d", i)
	}
}
