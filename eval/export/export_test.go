package export_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/export"
	"github.com/simgym/simgym/eval/internal/evaltest"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/runner"
)

func items(ts []*task.Task) []runner.Item {
	out := make([]runner.Item, len(ts))
	for i, t := range ts {
		out[i] = runner.Item{Env: t.Domain, Task: t.ID, Length: len(t.Actions)}
	}
	return out
}

// openAIMessage is the chat format as a trainer's loader reads it, with
// nothing of ours: content a string or null, arguments a JSON string.
type openAIMessage struct {
	Role      string  `json:"role"`
	Content   *string `json:"content"`
	ToolCalls []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
	ToolCallID string `json:"tool_call_id"`
}

type line struct {
	TaskID   string            `json:"task_id"`
	Env      string            `json:"env"`
	Reward   *float64          `json:"reward"`
	Funnel   string            `json:"funnel"`
	Messages []openAIMessage   `json:"messages"`
	Tools    []json.RawMessage `json:"tools"`
}

// checkFile reads a trajectories file as plain OpenAI messages and
// checks the format: system, user (the instruction), assistant turns
// whose calls have ids, function names and JSON-string arguments, tool
// messages answering them by id, and a final assistant message.
func checkFile(t *testing.T, path string, tasks map[string]*task.Task) []line {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var out []line
	for sc.Scan() {
		var l line
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		require.NotNil(t, l.Reward, "each line has its reward")
		require.NotEmpty(t, l.TaskID)
		require.NotEmpty(t, l.Tools)
		m := l.Messages
		require.GreaterOrEqual(t, len(m), 3)
		assert.Equal(t, "system", m[0].Role)
		assert.Equal(t, "user", m[1].Role)
		if tk := tasks[l.TaskID]; tk != nil {
			assert.Equal(t, tk.Instruction, *m[1].Content)
		}
		var pending []string
		for _, msg := range m[2:] {
			switch msg.Role {
			case "assistant":
				require.Empty(t, pending)
				if len(msg.ToolCalls) > 0 {
					assert.Nil(t, msg.Content, "a calling turn has null content")
				}
				for _, c := range msg.ToolCalls {
					assert.NotEmpty(t, c.ID)
					assert.Equal(t, "function", c.Type)
					assert.NotEmpty(t, c.Function.Name)
					var args map[string]any
					assert.NoError(t, json.Unmarshal([]byte(c.Function.Arguments), &args), "arguments are a JSON object in a string")
					pending = append(pending, c.ID)
				}
			case "tool":
				require.NotEmpty(t, pending)
				assert.Equal(t, pending[0], msg.ToolCallID)
				require.NotNil(t, msg.Content)
				assert.True(t, json.Valid([]byte(*msg.Content)), "a tool result is the gym's JSON")
				pending = pending[1:]
			default:
				t.Fatalf("role %q", msg.Role)
			}
		}
		last := m[len(m)-1]
		assert.Equal(t, "assistant", last.Role)
		assert.Empty(t, last.ToolCalls, "the episode ends with the final answer")
		require.NotNil(t, last.Content)
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestExportFromEpisodes plays oracle and random episodes through a
// real gym, exports them with the funnel, and reads the files back as
// plain OpenAI messages.
func TestExportFromEpisodes(t *testing.T) {
	ctx := context.Background()
	ts := evaltest.Tasks(t, 2)
	byID := map[string]*task.Task{}
	for _, tk := range ts {
		byID[tk.ID] = tk
	}
	url, _ := evaltest.Gym(t, ts, env.DefaultLimits)
	oracle, _, err := runner.Run(ctx, items(ts), runner.Options{URL: url, Policy: policy.NewOracle(ts)})
	require.NoError(t, err)
	random, _, err := runner.Run(ctx, items(ts), runner.Options{URL: url, Policy: &policy.Random{Seed: 1}})
	require.NoError(t, err)
	trajs := export.Trajectories(append(oracle, random...))
	counts, err := export.Filter(ctx, task.NewFunnel(ts), trajs)
	require.NoError(t, err)

	// The counts add up, stage by stage.
	n := len(oracle) + len(random)
	assert.Equal(t, n, counts.Input)
	require.Len(t, counts.Stages, 3)
	in, dropped := n, 0
	for _, s := range counts.Stages {
		assert.Equal(t, in, s.In, s.Stage)
		assert.Equal(t, s.In, s.Passed+s.Dropped, s.Stage)
		in = s.Passed
		dropped += s.Dropped
	}
	assert.Equal(t, counts.Kept, in)
	assert.Equal(t, n, dropped+counts.Kept)
	// Every oracle trajectory passes; random ones do not get through.
	assert.Equal(t, len(oracle), counts.Kept)
	for _, tr := range trajs[:len(oracle)] {
		assert.Equal(t, task.StageExact, tr.Funnel)
	}
	kept := export.Kept(trajs)
	assert.Len(t, kept, len(oracle))

	dir := t.TempDir()
	all := filepath.Join(dir, export.TrajectoriesFile)
	require.NoError(t, export.WriteJSONL(all, trajs))
	require.NoError(t, export.WriteJSONL(filepath.Join(dir, export.FilteredFile), kept))
	lines := checkFile(t, all, byID)
	require.Len(t, lines, n)
	for i, l := range lines {
		assert.Equal(t, trajs[i].Reward, *l.Reward)
		assert.Equal(t, trajs[i].Funnel, l.Funnel)
	}
	assert.Len(t, checkFile(t, filepath.Join(dir, export.FilteredFile), byID), len(oracle))
	back, err := export.ReadJSONL(all)
	require.NoError(t, err)
	assert.Equal(t, trajs, back)
}

// TestExportFromRecord records episodes with the gym's --record
// recorder, played with the Go client, and exports them.
func TestExportFromRecord(t *testing.T) {
	ctx := context.Background()
	ts := evaltest.Tasks(t, 2)[:6]
	url, g := evaltest.Gym(t, ts, env.DefaultLimits)
	path := filepath.Join(t.TempDir(), "record.sqlite")
	rec, err := env.OpenRecorder(path)
	require.NoError(t, err)
	g.Manager().OnFinish = rec.Add
	c, err := client.Dial(ctx, url, client.Options{})
	require.NoError(t, err)
	defer c.Close()
	for trial := range 2 {
		for i, tk := range ts {
			r, err := c.Reset(ctx, tk.Domain, tk.ID, nil)
			require.NoError(t, err)
			var obs []json.RawMessage
			for j, a := range tk.Actions {
				if trial == 1 && i%2 == 1 && j == len(tk.Actions)-1 {
					break // the second trial of every other task drops its last call
				}
				sr, err := c.Step(ctx, r.Episode, protocol.Action{Tool: a.Tool, Arguments: a.Arguments})
				require.NoError(t, err)
				obs = append(obs, sr.Observation)
			}
			_, err = c.Step(ctx, r.Episode, protocol.Answer(task.Answer(tk, obs)))
			require.NoError(t, err)
		}
	}
	require.NoError(t, rec.Close())
	recs, err := env.ReadRecords(ctx, path)
	require.NoError(t, err)
	require.Len(t, recs, 12)

	lengths := map[string]int{}
	byID := map[string]*task.Task{}
	for _, tk := range ts {
		lengths[tk.ID] = len(tk.Actions)
		byID[tk.ID] = tk
	}
	results := export.FromRecords(recs, lengths)
	require.Len(t, results, 12)
	trials := map[string][]int{}
	for _, r := range results {
		trials[r.Task] = append(trials[r.Task], r.Trial)
		assert.Equal(t, export.RecordPolicy, r.Policy)
		assert.Equal(t, lengths[r.Task], r.Length)
		assert.NotEmpty(t, r.Tools)
	}
	for id, tr := range trials {
		assert.ElementsMatch(t, []int{0, 1}, tr, id)
	}
	trajs := export.Trajectories(results)
	counts, err := export.Filter(ctx, task.NewFunnel(ts), trajs)
	require.NoError(t, err)
	assert.Equal(t, 12, counts.Input)
	assert.Equal(t, 9, counts.Kept, "the three shortened episodes are filtered out")
	assert.Equal(t, 12, counts.Stages[0].Passed, "every recorded call is well formed")
	path2 := filepath.Join(t.TempDir(), export.TrajectoriesFile)
	require.NoError(t, export.WriteJSONL(path2, trajs))
	lines := checkFile(t, path2, byID)
	require.Len(t, lines, 12)
	success := 0
	for _, l := range lines {
		if *l.Reward == 1 {
			success++
		}
	}
	assert.GreaterOrEqual(t, success, 9)
}

// TestChatMessageJSON: content null on calling turns, strings or text
// parts read back.
func TestChatMessageJSON(t *testing.T) {
	m := chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{chat.NewToolCall("c", "f", nil)}}
	data, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}`, string(data))
	var back chat.Message
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, m, back)
	require.NoError(t, json.Unmarshal([]byte(`{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}`), &back))
	assert.Equal(t, "ab", back.Content)
}
