package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/eval/report"
	"github.com/simgym/simgym/eval/runner"
)

// writeRun writes a hand-made run folder: an episode log with the given
// successes per task.
func writeRun(t *testing.T, dir string, outcomes map[string][]bool) {
	require.NoError(t, os.MkdirAll(dir, 0o755))
	log, _, err := runner.OpenLog(filepath.Join(dir, evalEpisodesFile))
	require.NoError(t, err)
	for id, wins := range outcomes {
		for i, w := range wins {
			r := runner.Result{Env: "shop", Task: id, Trial: i, Policy: "p", Success: w}
			if w {
				r.Reward = 1
			}
			require.NoError(t, log.Append(r))
		}
	}
	require.NoError(t, log.Close())
}

// TestTasksFilter keeps exactly the tasks the tool run solves in at
// least --min-pass of its trials and the tool-less run always fails.
func TestTasksFilter(t *testing.T) {
	dir := t.TempDir()
	with, without := filepath.Join(dir, "with"), filepath.Join(dir, "without")
	writeRun(t, with, map[string][]bool{
		"keep":     {true, true, false},  // 2/3 with tools, never without
		"rare":     {true, false, false}, // 1/3: below --min-pass
		"memory":   {true, true, true},   // solved without tools once
		"unplayed": {true, true},         // not in the tool-less run
		"keep2":    {true, true},
	})
	writeRun(t, without, map[string][]bool{"keep": {false, false}, "rare": {false}, "memory": {false, true}, "keep2": {false}})
	out := filepath.Join(dir, "kept.jsonl")
	code, stdout, stderr := runCmd(t, "tasks", "filter", "--with", with, "--without", without, "--min-pass", "0.6", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	assert.EqualValues(t, 2, sum["kept"])
	assert.EqualValues(t, 4, sum["solved_with_tools"])
	assert.EqualValues(t, 1, sum["solved_without_tools"])
	assert.EqualValues(t, 1, sum["not_played_without"])
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, `{"env":"shop","task":"keep"}`+"\n"+`{"env":"shop","task":"keep2"}`+"\n", string(data))
}

// TestEvalNoTools plays `simgym eval --no-tools` against a scripted
// endpoint: no request offers tools, and the report sets the run beside
// plain ReAct on the same tasks (played into OUT/react).
func TestEvalNoTools(t *testing.T) {
	var tooled, bare int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Tools []json.RawMessage `json:"tools"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		if len(req.Tools) > 0 {
			tooled++
		} else {
			bare++
		}
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"I cannot tell."}}],"usage":{"prompt_tokens":3,"completion_tokens":2}}`))
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "bare")
	code, stdout, stderr := runCmd(t, "eval", "--policy", "openai", "--model", "m", "--base-url", srv.URL+"/v1", "--no-tools", "--concurrency", "1",
		"--env", "account_card", "--tasks-per-env", "2", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "openai:m+no-tools")
	assert.Equal(t, 2, bare, "the no-tools episodes offer no tools")
	assert.Equal(t, 2, tooled, "the ReAct baseline offers them")
	r, err := report.Read(out)
	require.NoError(t, err)
	require.NotNil(t, r.Methods)
	assert.Equal(t, "no-tools", r.Methods.Method)
	assert.Equal(t, "success", r.Methods.Figures[0].Metric)
	assert.Equal(t, 2, r.Methods.Figures[0].Tasks)
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(md), "## no-tools beside ReAct"))
	_, err = os.Stat(filepath.Join(out, report.MethodsPlot))
	assert.NoError(t, err)
}
