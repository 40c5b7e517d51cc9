package mcp_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/mcp"
)

// rpcReply is a JSON-RPC response as a raw client sees it.
type rpcReply struct {
	status  int
	session string
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// post sends one raw JSON-RPC body to a route, in a session when sid is
// set, and decodes the reply (empty for an accepted notification).
func (f *fixture) post(t testing.TB, route, sid, body string) rpcReply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.url+"/mcp/"+route, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := rpcReply{status: resp.StatusCode, session: resp.Header.Get("Mcp-Session-Id")}
	if len(data) > 0 {
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "reply %d: %s", resp.StatusCode, data)
		require.NoError(t, json.Unmarshal(data, &r), "reply is JSON-RPC: %s", data)
	}
	return r
}

// anyCode stands for whatever code the SDK gives an error.
const anyCode = 1

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// open initializes a session by hand and returns its id.
func (f *fixture) open(t testing.TB, route string) string {
	t.Helper()
	r := f.post(t, route, "", initBody)
	require.Nil(t, r.Error)
	require.NotEmpty(t, r.session)
	n := f.post(t, route, r.session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	require.Equal(t, http.StatusAccepted, n.status)
	return r.session
}

// TestBadJSONRPC: malformed JSON, messages that are not requests,
// unknown methods and bad params each get a JSON-RPC error, and the
// session and the server go on.
func TestBadJSONRPC(t *testing.T) {
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	e := f.m.Envs()[0]
	tool := e.Tasks[0].Actions[0]

	routes := []struct {
		name, route, body string
		status, code      int
	}{
		{"unknown environment", "nope", initBody, http.StatusNotFound, mcp.CodeInvalidParams},
		{"bad seed", e.Name + "?seed=x", initBody, http.StatusBadRequest, mcp.CodeInvalidParams},
		{"task and seed", e.Name + "?seed=1&task=" + e.Tasks[0].ID, initBody, http.StatusBadRequest, mcp.CodeInvalidParams},
		{"unknown task", e.Name + "?task=nope", initBody, http.StatusOK, mcp.CodeInvalidParams},
		{"malformed first message", e.Name, `{"jsonrpc":`, http.StatusBadRequest, -32700},
		{"initialize without params", e.Name, `{"jsonrpc":"2.0","id":1,"method":"initialize"}`, http.StatusBadRequest, -32600},
		// The SDK answers initialize's undecodable params with code 0.
		{"initialize with bad params", e.Name, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":[1]}`, http.StatusOK, anyCode},
	}
	for _, c := range routes {
		t.Run(c.name, func(t *testing.T) {
			r := f.post(t, c.route, "", c.body)
			assert.Equal(t, c.status, r.status)
			require.NotNil(t, r.Error)
			if c.code != anyCode {
				assert.Equal(t, c.code, r.Error.Code, r.Error.Message)
			}
			assert.NotEmpty(t, r.Error.Message)
		})
	}
	require.Eventually(t, func() bool { return f.m.Open() == 0 && f.h.Sessions() == 0 }, 5*time.Second, 5*time.Millisecond,
		"failed sessions hold no episode: %d open", f.m.Open())

	sid := f.open(t, e.Name+"?task="+e.Tasks[0].ID)
	msgs := []struct {
		name, body string
		code       int
		id         string
	}{
		{"truncated JSON", `{"jsonrpc":`, -32700, "null"},
		{"not JSON", `not json`, -32700, "null"},
		{"a number", `42`, -32600, "null"},
		{"empty batch", `[]`, -32600, "null"},
		{"no version", `{"id":6,"method":"tools/list"}`, -32600, "6"},
		{"unknown method", `{"jsonrpc":"2.0","id":2,"method":"dance"}`, -32601, "2"},
		{"params not an object", `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"nope"}`, -32602, "3"},
		{"unknown tool", `{"jsonrpc":"2.0","id":"four","method":"tools/call","params":{"name":"nope"}}`, -32602, `"four"`},
		{"no tool name", `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"arguments":{}}}`, -32602, "5"},
	}
	for _, c := range msgs {
		t.Run(c.name, func(t *testing.T) {
			r := f.post(t, e.Name, sid, c.body)
			require.NotNil(t, r.Error, "status %d", r.status)
			assert.Equal(t, c.code, r.Error.Code, r.Error.Message)
			assert.JSONEq(t, c.id, string(r.ID))
		})
	}
	// A second initialize is refused; the session keeps its episode.
	r0 := f.post(t, e.Name, sid, initBody)
	require.NotNil(t, r0.Error)
	assert.Contains(t, r0.Error.Message, "duplicate")
	assert.Equal(t, 1, f.m.Open())

	// Bad arguments are the tool's to report: an error result.
	r := f.post(t, e.Name, sid, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"submit_answer","arguments":{"answer":5}}}`)
	require.Nil(t, r.Error)
	var res struct {
		IsError bool `json:"isError"`
	}
	require.NoError(t, json.Unmarshal(r.Result, &res))
	assert.True(t, res.IsError)

	// The session goes on: its tools list and run.
	r = f.post(t, e.Name, sid, `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`)
	require.Nil(t, r.Error)
	assert.Contains(t, string(r.Result), mcp.SubmitTool)
	args, _ := json.Marshal(map[string]any{"name": tool.Tool, "arguments": tool.Arguments})
	r = f.post(t, e.Name, sid, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":`+string(args)+`}`)
	require.Nil(t, r.Error)
	res.IsError = false
	require.NoError(t, json.Unmarshal(r.Result, &res))
	assert.False(t, res.IsError, "%s", r.Result)
	// And the server takes new sessions.
	cs := f.connect(t, e.Name+"?task="+e.Tasks[0].ID)
	_, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, 2, f.m.Open())
}

// FuzzSessionMessages sends arbitrary bodies into a session: each gets
// a reply (a JSON-RPC error when it is not a valid request), and the
// session still answers afterwards.
func FuzzSessionMessages(f *testing.F) {
	for _, s := range []string{`{"jsonrpc":`, `[]`, `[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"submit_answer","arguments":{"answer":"x"}}}`,
		`{"jsonrpc":"2.0","id":null,"method":"ping"}`, `{"jsonrpc":"2.0","id":{},"method":"ping"}`, "\x00", `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`} {
		f.Add(s)
	}
	fx := defaultWorld(f, 1, env.DefaultLimits, mcp.Options{})
	e := fx.m.Envs()[0]
	sid := fx.open(f, e.Name+"?seed=1")
	f.Fuzz(func(t *testing.T, body string) {
		req, err := http.NewRequest(http.MethodPost, fx.url+"/mcp/"+e.Name, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Session-Id", sid)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			var r rpcReply
			require.NoError(t, json.Unmarshal(data, &r), "an error reply is JSON-RPC: %d %s", resp.StatusCode, data)
			require.NotNil(t, r.Error)
		}
		ping := fx.post(t, e.Name, sid, `{"jsonrpc":"2.0","id":"p","method":"ping"}`)
		require.Nil(t, ping.Error, "the session answers after %q", body)
	})
}
