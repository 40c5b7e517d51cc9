package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveInProcess runs `simgym serve` with args in this process until the
// test ends and returns its address.
func serveInProcess(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		code := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--json"}, args...), pw, io.Discard)
		pw.Close()
		done <- code
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-done, "serve exits cleanly")
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var hello struct {
		Addr string `json:"addr"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &hello), line)
	return hello.Addr
}

func TestBenchGym(t *testing.T) {
	addr := serveInProcess(t, "--no-web", "--tasks-per-env", "1", "--max-steps", "0")
	code, out, errOut := runCmd(t, "bench", "gym", "--server", "ws://"+addr+"/v1/gym", "--json",
		"--duration", "300ms", "--episodes", "6", "--connections", "2", "--idle-episodes", "20", "--episode-steps", "7")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	for _, k := range []string{"steps_per_s", "resets_per_s", "baseline_steps_per_s", "ratio_to_baseline"} {
		assert.Positive(t, s[k], k)
	}
	assert.GreaterOrEqual(t, s["p99_ms"], s["p50_ms"])
	assert.Equal(t, 6.0, s["episodes"])
	assert.Equal(t, 7.0, s["episode_steps"])
	assert.Contains(t, s, "bytes_per_episode")
	assert.NotEmpty(t, s["tool"])
}

func TestBenchGymRecord(t *testing.T) {
	t.Setenv(asSimgym, "1") // bench gym --record starts its servers as child processes
	code, out, errOut := runCmd(t, "bench", "gym", "--record", "--json",
		"--duration", "300ms", "--episodes", "6", "--connections", "2", "--idle-episodes", "20", "--episode-steps", "3")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	for _, k := range []string{"steps_per_s", "answered_episodes_per_s", "record_steps_per_s", "record_episodes_per_s", "record_ratio"} {
		assert.Positive(t, s[k], k)
	}
	// Every episode answered against the recording server is in its file.
	assert.Positive(t, s["record_episodes"])
	assert.Equal(t, s["record_episodes"], s["record_rows"])
	assert.GreaterOrEqual(t, s["record_p99_ms"], s["record_p50_ms"])
	assert.Equal(t, 3.0, s["episode_steps"])

	code, _, errOut = runCmd(t, "bench", "gym", "--record", "--server", "ws://127.0.0.1:1/v1/gym")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--record")
}

// TestBenchGymOpenEnv: --protocol openenv also drives OpenEnv's /ws and
// reports its steps/s against the gym's, measured in the same run.
func TestBenchGymOpenEnv(t *testing.T) {
	addr := serveInProcess(t, "--no-web", "--tasks-per-env", "1", "--max-steps", "0")
	code, out, errOut := runCmd(t, "bench", "gym", "--server", "ws://"+addr+"/v1/gym", "--json", "--protocol", "openenv",
		"--duration", "300ms", "--episodes", "4", "--connections", "2", "--idle-episodes", "20")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	for _, k := range []string{"steps_per_s", "openenv_steps_per_s", "openenv_ratio_to_gym"} {
		assert.Positive(t, s[k], k)
	}
	assert.GreaterOrEqual(t, s["openenv_p99_ms"], s["openenv_p50_ms"])
	assert.Equal(t, 4.0, s["openenv_connections"])
	code, _, _ = runCmd(t, "bench", "gym", "--server", "ws://"+addr+"/v1/gym", "--protocol", "carrier-pigeon")
	assert.NotEqual(t, 0, code, "an unknown protocol is refused")
}

// TestBenchGymMCP: --protocol mcp measures MCP steps and the gym's in
// the same run, and reports their ratio.
func TestBenchGymMCP(t *testing.T) {
	addr := serveInProcess(t, "--no-web", "--tasks-per-env", "1", "--max-steps", "0")
	code, out, errOut := runCmd(t, "bench", "gym", "--protocol", "mcp", "--server", "ws://"+addr+"/v1/gym", "--json",
		"--duration", "300ms", "--episodes", "4", "--connections", "2")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	for _, k := range []string{"steps_per_s", "resets_per_s", "gym_steps_per_s", "ratio_to_gym"} {
		assert.Positive(t, s[k], k)
	}
	assert.Equal(t, "mcp", s["protocol"])
	assert.InDelta(t, s["steps_per_s"].(float64)/s["gym_steps_per_s"].(float64), s["ratio_to_gym"], 0.01)
	assert.GreaterOrEqual(t, s["p99_ms"], s["p50_ms"])

	code, _, errOut = runCmd(t, "bench", "gym", "--protocol", "grpc")
	assert.Equal(t, 2, code, errOut)
}

func TestBenchSearch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wiki")
	code, _, errOut := runCmd(t, "corpus", "simwiki", "--articles", "300", "--out", dir)
	require.Equal(t, 0, code, errOut)
	addr := serveInProcess(t, "--index", dir, "--tasks-per-env", "1")
	start := time.Now()
	code, out, errOut := runCmd(t, "bench", "search", "--server", "http://"+addr, "--docs", "300", "--json",
		"--duration", "300ms", "--batch", "2")
	require.Equal(t, 0, code, errOut)
	var s map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &s), out)
	assert.Zero(t, s["errors"], errOut)
	assert.Positive(t, s["qps"])
	assert.Positive(t, s["cached_qps"])
	assert.Positive(t, s["serper_qps"], "the Serper /search path is measured beside /retrieve")
	assert.Positive(t, s["serper_ratio"])
	assert.Equal(t, 2.0, s["batch"])
	assert.Less(t, time.Since(start), time.Minute)
}
