package mcp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/mcp"
)

// TestMountedInGym: mounted in the gym as serve mounts it, MCP sits
// behind the gym's token, beside its other endpoints, and an oversized
// request gets a JSON-RPC error.
func TestMountedInGym(t *testing.T) {
	ctx := context.Background()
	d := domains.All()[0]
	ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, 1)
	require.NoError(t, err)
	m := env.NewManager([]*env.Environment{env.NewEnvironment(d, ts)}, env.DefaultLimits)
	h, err := mcp.New(m, mcp.Options{MaxRequestBytes: 4096})
	require.NoError(t, err)
	extra := map[string]http.Handler{}
	for _, p := range mcp.Routes() {
		extra[p] = h
	}
	g := gym.New(m, gym.Options{Token: "s3cret", Extra: extra})
	srv := httptest.NewServer(g)
	defer srv.Close()
	defer h.Close()
	dial := func(token string) (*sdk.ClientSession, error) {
		hc := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			if token != "" {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+token)
			}
			return http.DefaultTransport.RoundTrip(r)
		})}
		return sdk.NewClient(&sdk.Implementation{Name: "t", Version: "0"}, nil).Connect(ctx,
			&sdk.StreamableClientTransport{Endpoint: srv.URL + "/mcp/" + d.Name + "?task=" + ts[0].ID, HTTPClient: hc, MaxRetries: -1}, nil)
	}
	_, err = dial("")
	require.Error(t, err, "no token, no session")
	assert.Equal(t, 0, m.Open())
	cs, err := dial("s3cret")
	require.NoError(t, err)
	defer cs.Close()
	assert.Equal(t, ts[0].Instruction, cs.InitializeResult().Instructions)
	lt, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, lt.Tools, len(d.Tools)+1)

	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"submit_answer","arguments":{"answer":"` + strings.Repeat("x", 8192) + `"}}}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/mcp/"+d.Name, strings.NewReader(big))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer s3cret")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", cs.ID())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	_, err = cs.ListTools(ctx, nil)
	require.NoError(t, err, "the session goes on")
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
