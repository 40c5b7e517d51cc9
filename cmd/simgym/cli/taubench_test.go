package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
)

// TestEvalTaubenchSuite runs `simgym eval --suite taubench-airline` with
// the oracle over the loopback websocket: all 50 of tau-bench's test
// tasks score 1 for both trials, and results.json is tau-bench's results
// shape (task_id, reward, info, traj, trial).
func TestEvalTaubenchSuite(t *testing.T) {
	dir := testenv.Data(t, "taubench/airline")
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
