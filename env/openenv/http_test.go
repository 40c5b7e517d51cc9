package openenv_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/openenv"
)

// body reads a request body recorded from OpenEnv's HTTP clients and
// validator (testdata/http), with $SESSION replaced.
func body(t *testing.T, name, session string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "http", name+".json"))
	require.NoError(t, err)
	return strings.ReplaceAll(string(data), "$SESSION", session)
}

// call makes one HTTP request and decodes its JSON answer.
func call(t *testing.T, srv *httptest.Server, method, path, reqBody string, header map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if reqBody != "" {
		rd = strings.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m), "%s %s: %s", method, path, data)
	return resp.StatusCode, resp.Header, m
}

// TestValidatorCriteria checks each of the six criteria of OpenEnv's
// `openenv validate URL` (cli/_validation.py,
// validate_running_environment) as it checks them.
func TestValidatorCriteria(t *testing.T) {
	_, _, srv := world(t, 1, env.DefaultLimits)
	cases := []struct {
		criterion, method, path, body string
		check                         func(t *testing.T, m map[string]any)
	}{
		{"openapi_version_available", "GET", "/openapi.json", "", func(t *testing.T, m map[string]any) {
			info := obj(t, m["info"], "info")
			require.IsType(t, "", info["version"])
			assert.True(t, strings.HasPrefix(info["version"].(string), "1."), "profile openenv-http/1.x")
			// mode_endpoint_consistency: simulation mode has all three.
			paths := obj(t, m["paths"], "paths")
			for _, p := range []string{"/reset", "/step", "/state"} {
				assert.Contains(t, paths, p)
			}
		}},
		{"health_endpoint", "GET", "/health", "", func(t *testing.T, m map[string]any) {
			assert.Equal(t, "healthy", m["status"])
		}},
		{"metadata_endpoint", "GET", "/metadata", "", func(t *testing.T, m map[string]any) {
			assert.IsType(t, "", m["name"])
			assert.IsType(t, "", m["description"])
			assert.Contains(t, m["description"], "appointment_patient")
		}},
		{"schema_endpoint", "GET", "/schema", "", func(t *testing.T, m map[string]any) {
			for _, k := range []string{"action", "observation", "state"} {
				obj(t, m[k], k)
			}
		}},
		{"mcp_endpoint", "POST", "/mcp", body(t, "validate_mcp", ""), func(t *testing.T, m map[string]any) {
			assert.Equal(t, "2.0", m["jsonrpc"])
			assert.EqualValues(t, -32600, obj(t, m["error"], "error")["code"], "no method: an invalid request")
		}},
	}
	for _, c := range cases {
		t.Run(c.criterion, func(t *testing.T) {
			status, _, m := call(t, srv, c.method, c.path, c.body, nil)
			assert.Equal(t, http.StatusOK, status)
			c.check(t, m)
		})
	}
}

// TestHTTPEpisode runs an episode over POST /reset, POST /step and GET
// /state, keyed by the episode_id reset returns, and checks the errors.
func TestHTTPEpisode(t *testing.T) {
	g, h, srv := world(t, 1, env.DefaultLimits)
	status, hdr, m := call(t, srv, "POST", "/reset", body(t, "reset", ""), nil)
	require.Equal(t, http.StatusOK, status, "%v", m)
	id := hdr.Get(openenv.HeaderEpisode)
	require.NotEmpty(t, id)
	assert.Equal(t, id, obj(t, m["metadata"], "metadata")["episode_id"])
	assert.Nil(t, m["reward"])
	checkTools(t, obj(t, m["observation"], "observation")["tools"])
	for k := range m {
		assert.Contains(t, []string{"observation", "reward", "done", "metadata"}, k, "ResetResponse forbids other fields")
	}

	by := map[string]string{openenv.HeaderEpisode: id}
	status, _, m = call(t, srv, "POST", "/step", body(t, "step", ""), by)
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Len(t, obj(t, m["observation"], "observation")["result"], 2)
	assert.Nil(t, m["reward"])
	status, _, m = call(t, srv, "POST", "/step?episode_id="+id, body(t, "step_call_tool", ""), nil)
	require.Equal(t, http.StatusOK, status, "%v", m)
	assert.Equal(t, "get_patient", obj(t, m["observation"], "observation")["tool_name"])
	status, _, m = call(t, srv, "GET", "/state", "", by)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, id, m["episode_id"])
	assert.EqualValues(t, 2, m["step_count"])

	// Reset under a client's episode_id.
	status, hdr, _ = call(t, srv, "POST", "/reset", body(t, "reset_episode_id", ""), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "episode-001", hdr.Get(openenv.HeaderEpisode))
	_, _, m = call(t, srv, "GET", "/state?episode_id=episode-001", "", nil)
	assert.EqualValues(t, 0, m["step_count"])
	assert.Equal(t, 2, h.Sessions())

	_, _, m = call(t, srv, "GET", "/state", "", nil)
	assert.Nil(t, m["episode_id"], "no session named: a blank state, as OpenEnv answers")

	errs := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		code                     string
	}{
		{"step without a session", "POST", "/step", body(t, "step", ""), nil, http.StatusNotFound, openenv.CodeSession},
		{"step on an unknown session", "POST", "/step", body(t, "step", ""), map[string]string{openenv.HeaderEpisode: "nope"}, http.StatusNotFound, openenv.CodeSession},
		{"state of an unknown session", "GET", "/state?episode_id=nope", "", nil, http.StatusNotFound, openenv.CodeSession},
		{"bad action", "POST", "/step", body(t, "step_bad", ""), by, http.StatusUnprocessableEntity, openenv.CodeValidation},
		{"step without action", "POST", "/step", `{}`, by, http.StatusUnprocessableEntity, openenv.CodeValidation},
		{"body not JSON", "POST", "/step", `nope`, by, http.StatusBadRequest, openenv.CodeInvalidJSON},
		{"reset of an unknown env", "POST", "/reset", `{"env": "nowhere"}`, nil, http.StatusUnprocessableEntity, openenv.CodeValidation},
		{"reset without env, several served", "POST", "/reset", ``, nil, http.StatusUnprocessableEntity, openenv.CodeValidation},
	}
	for _, e := range errs {
		status, _, m := call(t, srv, e.method, e.path, e.body, e.header)
		assert.Equal(t, e.status, status, e.name)
		assert.Equal(t, e.code, m["code"], e.name)
		assert.NotEmpty(t, m["detail"], e.name)
	}

	// Idle sessions are swept, and their episodes freed.
	assert.Equal(t, 2, g.Manager().Open())
	assert.Equal(t, 2, h.SweepIdle(nowPlus(t, 11)))
	assert.Equal(t, 0, h.Sessions())
	assert.Equal(t, 0, g.Manager().Open())
	status, _, _ = call(t, srv, "GET", "/state", "", by)
	assert.Equal(t, http.StatusNotFound, status)
}

// TestHTTPMCP runs MCPToolClient's production flow over POST /mcp:
// openenv/session/create, tools/list, tools/call, openenv/session/close.
func TestHTTPMCP(t *testing.T) {
	g, h, srv := world(t, 1, env.DefaultLimits, "appointment_patient")
	status, _, m := call(t, srv, "POST", "/mcp", body(t, "mcp_session_create", ""), nil)
	require.Equal(t, http.StatusOK, status)
	sid, _ := obj(t, m["result"], "result")["session_id"].(string)
	require.NotEmpty(t, sid, "%v", m)
	assert.EqualValues(t, 1, m["id"])

	_, _, m = call(t, srv, "POST", "/mcp", body(t, "mcp_tools_list", sid), nil)
	checkTools(t, obj(t, m["result"], "result")["tools"])
	_, _, m = call(t, srv, "POST", "/mcp", body(t, "mcp_tools_list_stateless", ""), nil)
	checkTools(t, obj(t, m["result"], "result")["tools"])
	_, _, m = call(t, srv, "POST", "/mcp", body(t, "mcp_tools_call", sid), nil)
	res := obj(t, m["result"], "result")
	assert.Len(t, res["data"], 1)
	assert.Equal(t, false, res["done"])
	_, _, m = call(t, srv, "GET", "/state?session_id="+sid, "", nil)
	assert.EqualValues(t, 1, m["step_count"], "the HTTP session is the MCP session")

	_, _, m = call(t, srv, "POST", "/mcp", body(t, "mcp_session_close", sid), nil)
	assert.Equal(t, true, obj(t, m["result"], "result")["closed"])
	assert.Equal(t, 0, h.Sessions())
	assert.Equal(t, 0, g.Manager().Open())
	_, _, m = call(t, srv, "POST", "/mcp", body(t, "mcp_tools_call", sid), nil)
	assert.EqualValues(t, -32602, obj(t, m["error"], "error")["code"], "unknown session_id")

	for req, code := range map[string]float64{
		`nope`: -32700,
		`{"jsonrpc": "1.0", "method": "tools/list", "id": 1}`:                                      -32600,
		`{"jsonrpc": "2.0", "method": "tools/list", "params": [], "id": 1}`:                        -32602,
		`{"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "list_patients"}, "id": 1}`: -32602,
		`{"jsonrpc": "2.0", "method": "prompts/list", "id": 1}`:                                    -32601,
	} {
		status, _, m := call(t, srv, "POST", "/mcp", req, nil)
		assert.Equal(t, http.StatusOK, status, req)
		assert.Equal(t, "2.0", m["jsonrpc"], req)
		assert.Equal(t, code, obj(t, m["error"], "error")["code"], req)
	}
}

// nowPlus is the time the given minutes from now.
func nowPlus(t *testing.T, minutes int) time.Time {
	t.Helper()
	return time.Now().Add(time.Duration(minutes) * time.Minute)
}
