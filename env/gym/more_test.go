package gym_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/gym"
)

// TestRecording: finished episodes land in the SQLite record file, with
// their instruction, actions, observations, reward and info.
func TestRecording(t *testing.T) {
	g, _, url := world(t, 2, env.DefaultLimits, gym.Options{})
	path := filepath.Join(t.TempDir(), "record.db")
	rec, err := env.OpenRecorder(path)
	require.NoError(t, err)
	g.Manager().OnFinish = rec.Add
	c := dial(t, url)
	ctx := context.Background()
	e := g.Manager().Envs()[0]
	tk := e.Tasks[0]
	r, err := c.Reset(ctx, e.Name, tk.ID, nil)
	require.NoError(t, err)
	var obs []json.RawMessage
	for _, a := range tk.Actions {
		sr, err := c.Step(ctx, r.Episode, client.Action{Tool: a.Tool, Arguments: a.Arguments})
		require.NoError(t, err)
		obs = append(obs, sr.Observation)
	}
	_, err = c.Step(ctx, r.Episode, client.Answer(task.Answer(tk, obs)))
	require.NoError(t, err)
	// An unfinished episode is not recorded.
	_, err = c.Reset(ctx, e.Name, e.Tasks[1].ID, nil)
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	recs, err := env.ReadRecords(ctx, path)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	got := recs[0]
	assert.Equal(t, r.Episode, got.Episode)
	assert.Equal(t, tk.ID, got.Task)
	assert.Equal(t, tk.Instruction, got.Instruction)
	assert.Equal(t, 1.0, got.Reward)
	require.Len(t, got.Turns, len(tk.Actions)+1)
	assert.Equal(t, tk.Actions[0].Tool, got.Turns[0].Action.Tool)
	assert.JSONEq(t, string(obs[0]), string(got.Turns[0].Observation))
	assert.NotNil(t, got.Turns[len(got.Turns)-1].Action.Answer)
	assert.Contains(t, string(got.Info), `"state_match":true`)
}

// TestOpenEnvProtocol speaks OpenEnv's one-episode websocket at /ws.
func TestOpenEnvProtocol(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	ws, _, err := websocket.DefaultDialer.Dial(strings.TrimSuffix(url, "/v1/gym")+"/ws", nil)
	require.NoError(t, err)
	defer ws.Close()
	send := func(msg string) map[string]any {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(msg)))
		_, data, err := ws.ReadMessage()
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(data, &m))
		return m
	}
	e := g.Manager().Envs()[0]
	tk := e.Tasks[0]
	m := send(`{"type":"reset","data":{"env":"` + e.Name + `","task":"` + tk.ID + `"}}`)
	require.Equal(t, "observation", m["type"], "%v", m)
	data := m["data"].(map[string]any)
	assert.Equal(t, false, data["done"])
	assert.Equal(t, tk.Instruction, data["observation"].(map[string]any)["instruction"])
	var obs []json.RawMessage
	for _, a := range tk.Actions {
		act, _ := json.Marshal(map[string]any{"type": "step", "data": map[string]any{"action": map[string]any{"tool": a.Tool, "arguments": a.Arguments}}})
		m = send(string(act))
		require.Equal(t, "observation", m["type"], "%v", m)
		raw, _ := json.Marshal(m["data"].(map[string]any)["observation"])
		obs = append(obs, raw)
	}
	m = send(`{"type":"state"}`)
	assert.Equal(t, "state", m["type"])
	assert.EqualValues(t, len(tk.Actions), m["data"].(map[string]any)["step_count"])
	ans, _ := json.Marshal(map[string]any{"type": "step", "data": map[string]any{"action": map[string]any{"answer": task.Answer(tk, obs)}}})
	m = send(string(ans))
	assert.Equal(t, 1.0, m["data"].(map[string]any)["reward"])
	assert.Equal(t, true, m["data"].(map[string]any)["done"])
	for msg, code := range map[string]string{
		`nope`:                      "INVALID_JSON",
		`{"type":"dance"}`:          "UNKNOWN_TYPE",
		`{"type":"step","data":{}}`: "VALIDATION_ERROR",
		`{"type":"reset","data":{"env":"nowhere"}}`: "VALIDATION_ERROR",
	} {
		m = send(msg)
		assert.Equal(t, "error", m["type"], msg)
		assert.Equal(t, code, m["data"].(map[string]any)["code"], msg)
	}
	m = send(`{"type":"step","data":{"action":{"answer":"x"}}}`)
	assert.Equal(t, "SESSION_ERROR", m["data"].(map[string]any)["code"], "the failed reset left no episode")
}
