package openenv_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/openenv"
)

// world serves the default world (perEnv tasks per domain, or only the
// named domains) with OpenEnv mounted.
func world(t testing.TB, perEnv int, lim env.Limits, only ...string) (*gym.Server, *openenv.Handler, *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	var envs []*env.Environment
	for _, d := range domains.All() {
		if len(only) > 0 && !contains(only, d.Name) {
			continue
		}
		ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, perEnv)
		require.NoError(t, err)
		envs = append(envs, env.NewEnvironment(d, ts))
	}
	g := gym.New(env.NewManager(envs, lim), gym.Options{})
	h := openenv.Mount(g, openenv.Options{})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, h, srv
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws" }

// conn is a raw websocket to /ws.
type conn struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialWS(t *testing.T, srv *httptest.Server) *conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL(srv), nil)
	require.NoError(t, err)
	t.Cleanup(func() { ws.Close() })
	return &conn{t: t, ws: ws}
}

// send writes msg as is and returns the reply.
func (c *conn) send(msg []byte) map[string]any {
	c.t.Helper()
	require.NoError(c.t, c.ws.WriteMessage(websocket.TextMessage, msg))
	_, data, err := c.ws.ReadMessage()
	require.NoError(c.t, err)
	var m map[string]any
	require.NoError(c.t, json.Unmarshal(data, &m), "%s", data)
	return m
}

// client reads a message recorded from OpenEnv's clients.
func client(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "client", name+".json"))
	require.NoError(t, err)
	return data
}

func obj(t *testing.T, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	require.True(t, ok, "%s is a JSON object: %v", what, v)
	return m
}

// observation checks an observation message as OpenEnv's clients read
// it and returns its data: observation always an object, reward null
// until the episode ends, metadata an object.
func observation(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	require.Equal(t, "observation", m["type"], "%v", m)
	data := obj(t, m["data"], "data")
	obj(t, data["observation"], "observation")
	obj(t, data["metadata"], "metadata")
	if data["done"] == false {
		assert.Nil(t, data["reward"], "reward is null until the episode ends")
	} else {
		assert.IsType(t, float64(0), data["reward"])
	}
	return data
}

func errorCode(t *testing.T, m map[string]any) string {
	t.Helper()
	require.Equal(t, "error", m["type"], "%v", m)
	data := obj(t, m["data"], "data")
	assert.NotEmpty(t, data["message"])
	return data["code"].(string)
}

// checkTools checks tools as MCPToolClient reads them: name,
// description and inputSchema, no blank name, submit_answer last.
func checkTools(t *testing.T, v any) []any {
	t.Helper()
	tools, ok := v.([]any)
	require.True(t, ok, "tools is a list: %v", v)
	require.NotEmpty(t, tools)
	for _, x := range tools {
		tool := obj(t, x, "tool")
		assert.NotEmpty(t, tool["name"])
		assert.IsType(t, "", tool["description"])
		obj(t, tool["inputSchema"], "inputSchema")
		assert.NotContains(t, tool, "function", "MCP shape, not OpenAI's")
	}
	assert.Equal(t, openenv.AnswerTool, obj(t, tools[len(tools)-1], "tool")["name"])
	return tools
}

// TestClientMessages replays, byte for byte, the messages OpenEnv's
// GenericEnvClient and MCPToolClient send (testdata/client, as Python's
// json.dumps writes them) over one connection, and checks each reply
// as those clients parse it.
func TestClientMessages(t *testing.T) {
	g, _, srv := world(t, 1, env.DefaultLimits)
	c := dialWS(t, srv)

	assert.Equal(t, openenv.CodeSession, errorCode(t, c.send(client(t, "step"))), "a step before reset")
	m := c.send(client(t, "reset_no_env"))
	assert.Equal(t, openenv.CodeValidation, errorCode(t, m))
	assert.Contains(t, m["data"].(map[string]any)["message"], "appointment_patient", "the error lists the environments")
	assert.Equal(t, openenv.CodeValidation, errorCode(t, c.send(client(t, "reset_unknown_env"))))

	d := observation(t, c.send(client(t, "reset")))
	o := obj(t, d["observation"], "observation")
	assert.NotEmpty(t, o["instruction"])
	tools := checkTools(t, o["tools"])
	assert.Len(t, tools, len(findDomain(t, "appointment_patient").Tools)+1)
	md := obj(t, d["metadata"], "metadata")
	assert.Equal(t, "appointment_patient", md["env"])
	assert.Equal(t, o["instruction"], md["instruction"], "MCPToolClient keeps only metadata of a reset")
	episodeID := md["episode_id"].(string)
	assert.NotEmpty(t, episodeID)

	for _, name := range []string{"step", "step_action"} {
		d = observation(t, c.send(client(t, name)))
		o = obj(t, d["observation"], "observation")
		assert.Equal(t, "list_patients", o["tool"], name)
		assert.Len(t, o["result"], 2, "%s: the tool's list, wrapped in an object", name)
		assert.Equal(t, false, d["done"])
	}
	d = observation(t, c.send(client(t, "step_typed")))
	assert.Equal(t, "patient_0001", obj(t, obj(t, d["observation"], "o")["result"], "result")["id"])

	d = observation(t, c.send(client(t, "call_tool")))
	o = obj(t, d["observation"], "observation")
	assert.Equal(t, "get_patient", o["tool_name"], "CallToolObservation's field")
	assert.Equal(t, "patient_0001", obj(t, o["result"], "result")["id"])
	assert.Nil(t, o["error"], "no transport error")
	d = observation(t, c.send(client(t, "call_tool_missing")))
	assert.Contains(t, obj(t, obj(t, d["observation"], "o")["result"], "result")["error"], "not found", "a tool's failure is its result")
	assert.Equal(t, true, obj(t, d["metadata"], "metadata")["tool_error"])

	d = observation(t, c.send(client(t, "list_tools")))
	checkTools(t, obj(t, d["observation"], "observation")["tools"])

	m = c.send(client(t, "mcp_tools_list"))
	require.Equal(t, "mcp", m["type"], "%v", m)
	rpc := obj(t, m["data"], "data")
	assert.Equal(t, "2.0", rpc["jsonrpc"])
	assert.EqualValues(t, 1, rpc["id"])
	checkTools(t, obj(t, rpc["result"], "result")["tools"])
	m = c.send(client(t, "mcp_tools_call"))
	rpc = obj(t, m["data"], "data")
	res := obj(t, rpc["result"], "result")
	assert.Len(t, res["data"], 1, "MCPToolClient returns result.data")
	assert.Equal(t, false, res["isError"])
	assert.Equal(t, "text", obj(t, res["content"].([]any)[0], "content")["type"])
	m = c.send(client(t, "mcp_unknown_method"))
	assert.EqualValues(t, -32601, obj(t, obj(t, m["data"], "data")["error"], "error")["code"])

	m = c.send(client(t, "state"))
	require.Equal(t, "state", m["type"])
	st := obj(t, m["data"], "data")
	assert.Equal(t, episodeID, st["episode_id"])
	assert.EqualValues(t, 6, st["step_count"], "five steps and one tools/call")

	for name, code := range map[string]string{"invalid_json": openenv.CodeInvalidJSON, "unknown_type": openenv.CodeUnknownType, "step_empty": openenv.CodeValidation} {
		assert.Equal(t, code, errorCode(t, c.send(client(t, name))), name)
	}

	d = observation(t, c.send(client(t, "submit_answer")))
	assert.Equal(t, true, d["done"])
	assert.Equal(t, openenv.AnswerTool, obj(t, d["observation"], "o")["tool_name"])
	assert.Equal(t, "answer", obj(t, d["metadata"], "metadata")["reason"])
	assert.Equal(t, openenv.CodeExecution, errorCode(t, c.send(client(t, "step_answer"))), "a step after the end")

	d = observation(t, c.send(client(t, "reset_episode_id")))
	assert.Equal(t, "episode-001", obj(t, d["metadata"], "metadata")["episode_id"])
	st = obj(t, c.send(client(t, "state"))["data"], "data")
	assert.Equal(t, "episode-001", st["episode_id"], "reset's episode_id is honoured")
	assert.EqualValues(t, 0, st["step_count"])
	assert.Equal(t, 1, g.Manager().Open(), "the first episode was closed by the second reset")

	require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, client(t, "close")))
	_, _, err := c.ws.ReadMessage()
	var ce *websocket.CloseError
	require.True(t, errors.As(err, &ce), "the server closes the connection: %v", err)
	assert.Equal(t, websocket.CloseNormalClosure, ce.Code)
	require.Eventually(t, func() bool { return g.Manager().Open() == 0 }, 10*time.Second, 5*time.Millisecond)
}

// TestResetWithoutEnv: with one environment served, reset needs no env.
func TestResetWithoutEnv(t *testing.T) {
	_, _, srv := world(t, 1, env.DefaultLimits, "appointment_patient")
	c := dialWS(t, srv)
	d := observation(t, c.send(client(t, "reset_no_env")))
	assert.Equal(t, "appointment_patient", obj(t, d["metadata"], "metadata")["env"])
	d = observation(t, c.send(client(t, "list_tools")))
	checkTools(t, obj(t, d["observation"], "o")["tools"])
}

// TestCapacityReached: past the server's episode limit, reset says
// CAPACITY_REACHED, and the connection goes on.
func TestCapacityReached(t *testing.T) {
	_, _, srv := world(t, 1, env.Limits{MaxEpisodes: 1})
	a, b := dialWS(t, srv), dialWS(t, srv)
	observation(t, a.send(client(t, "reset")))
	m := b.send(client(t, "reset"))
	assert.Equal(t, openenv.CodeCapacity, errorCode(t, m))
	assert.Contains(t, m["data"].(map[string]any)["message"], "max_episodes")
	observation(t, a.send(client(t, "reset")))
	require.NoError(t, a.ws.WriteMessage(websocket.TextMessage, client(t, "close")))
	_, _, _ = a.ws.ReadMessage()
	require.Eventually(t, func() bool {
		return b.send(client(t, "reset"))["type"] == "observation"
	}, 10*time.Second, 10*time.Millisecond, "the slot freed by a's close")
}

// TestExpiredEpisodeIsSessionError: a step on an episode the idle
// sweep closed is a SESSION_ERROR that says why.
func TestExpiredEpisodeIsSessionError(t *testing.T) {
	g, _, srv := world(t, 1, env.Limits{IdleTimeout: time.Minute})
	c := dialWS(t, srv)
	observation(t, c.send(client(t, "reset")))
	require.Equal(t, 1, g.Manager().Sweep(time.Now().Add(2*time.Minute)))
	m := c.send(client(t, "step"))
	assert.Equal(t, openenv.CodeSession, errorCode(t, m))
	assert.Contains(t, m["data"].(map[string]any)["message"], "idle")
}

func findDomain(t testing.TB, name string) *domains.Domain {
	for _, d := range domains.All() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no domain %s", name)
	return nil
}

// TestOracleReplayOverOpenEnv replays 50 default-world tasks' ground
// truth through /ws as GenericEnvClient sends it, one connection (one
// episode) per task: each earns reward 1.
func TestOracleReplayOverOpenEnv(t *testing.T) {
	g, _, srv := world(t, 5, env.DefaultLimits)
	n := 0
	for _, e := range g.Manager().Envs() {
		for _, tk := range e.Tasks {
			c := dialWS(t, srv)
			reset, _ := json.Marshal(map[string]any{"type": "reset", "data": map[string]any{"env": e.Name, "task": tk.ID}})
			d := observation(t, c.send(reset))
			assert.Equal(t, tk.Instruction, obj(t, d["observation"], "o")["instruction"])
			var results []json.RawMessage
			for _, a := range tk.Actions {
				msg, _ := json.Marshal(map[string]any{"type": "step", "data": map[string]any{"tool": a.Tool, "arguments": a.Arguments}})
				require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, msg))
				_, data, err := c.ws.ReadMessage()
				require.NoError(t, err)
				var r struct {
					Type string
					Data struct {
						Observation struct{ Result json.RawMessage }
						Reward      *float64
						Done        bool
					}
				}
				require.NoError(t, json.Unmarshal(data, &r))
				require.Equal(t, "observation", r.Type, "%s", data)
				assert.Nil(t, r.Data.Reward)
				results = append(results, r.Data.Observation.Result)
			}
			ans, _ := json.Marshal(map[string]any{"type": "step", "data": map[string]any{"answer": task.Answer(tk, results)}})
			d = observation(t, c.send(ans))
			assert.Equal(t, true, d["done"])
			assert.Equal(t, 1.0, d["reward"], "task %s: %v", tk.ID, d["metadata"])
			require.NoError(t, c.ws.WriteMessage(websocket.TextMessage, client(t, "close")))
			_, _, _ = c.ws.ReadMessage()
			n++
		}
	}
	assert.Equal(t, 50, n)
	require.Eventually(t, func() bool { return g.Manager().Open() == 0 }, 10*time.Second, 5*time.Millisecond)
}

// TestTokenCoversOpenEnv: with a token, OpenEnv's endpoints need it too.
func TestTokenCoversOpenEnv(t *testing.T) {
	ctx := context.Background()
	d := findDomain(t, "appointment_patient")
	ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, 1)
	require.NoError(t, err)
	g := gym.New(env.NewManager([]*env.Environment{env.NewEnvironment(d, ts)}, env.DefaultLimits), gym.Options{Token: "s3cret"})
	openenv.Mount(g, openenv.Options{})
	srv := httptest.NewServer(g)
	defer srv.Close()
	for _, p := range openenv.Routes {
		method, path, _ := strings.Cut(p, " ")
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, p)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/health", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
