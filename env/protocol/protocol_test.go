package protocol_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/env/protocol"
)

// TestToolsOf: every tool of every default domain in OpenAI's format,
// in order, with its schema.
func TestToolsOf(t *testing.T) {
	for _, d := range domains.All() {
		ts := protocol.ToolsOf(d)
		require.Len(t, ts, len(d.Tools), d.Name)
		for i, tl := range ts {
			assert.Equal(t, "function", tl.Type)
			assert.Equal(t, d.Tools[i].Name, tl.Function.Name)
			assert.JSONEq(t, string(d.Tools[i].Parameters), string(tl.Function.Parameters))
		}
	}
}

// TestReplyDecoding: a reply as the server writes it decodes into the
// wire types, reset observation and step info included.
func TestReplyDecoding(t *testing.T) {
	var r protocol.Reply
	require.NoError(t, json.Unmarshal([]byte(`{"id":"7","episode":"ep-1","observation":{"instruction":"do it","tools":[{"type":"function","function":{"name":"get_x","description":"d","parameters":{"type":"object"}}}]}}`), &r))
	obs, err := r.ResetObservation()
	require.NoError(t, err)
	assert.Equal(t, "do it", obs.Instruction)
	require.Len(t, obs.Tools, 1)
	assert.Equal(t, "get_x", obs.Tools[0].Function.Name)

	require.NoError(t, json.Unmarshal([]byte(`{"id":8,"episode":"ep-1","observation":{"x":1},"reward":1,"done":true,"info":{"step":3,"reason":"answer","result":{"reward":1}}}`), &r))
	in, err := r.StepInfo()
	require.NoError(t, err)
	assert.Equal(t, 3, in.Step)
	assert.Equal(t, "answer", in.Reason)
	assert.True(t, r.Done)
	assert.Equal(t, 1.0, r.Reward)

	var e protocol.Reply
	require.NoError(t, json.Unmarshal([]byte(`{"id":9,"error":{"code":"unknown_env","message":"no env"}}`), &e))
	require.Error(t, e.Error)
	assert.Equal(t, "unknown_env: no env", e.Error.Error())
	_, err = (&protocol.Reply{Observation: json.RawMessage(`[1]`)}).ResetObservation()
	assert.Error(t, err)
}

// TestActions: Call and Answer make the two kinds of action.
func TestActions(t *testing.T) {
	c := protocol.Call("get_x", map[string]any{"id": "x_1"})
	assert.Equal(t, "get_x", c.Tool)
	assert.JSONEq(t, `{"id":"x_1"}`, string(c.Arguments))
	assert.Nil(t, c.Answer)
	a := protocol.Answer("done")
	require.NotNil(t, a.Answer)
	assert.Equal(t, "done", *a.Answer)
	data, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"answer":"done"}`, string(data))
}
