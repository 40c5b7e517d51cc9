package mcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/mcp"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/internal/testenv"
)

// fixture is an MCP server over a world, on a real HTTP server.
type fixture struct {
	m   *env.Manager
	h   *mcp.Handler
	url string // the server's base URL
}

// serve mounts an MCP handler over the manager on an httptest server.
func serve(t testing.TB, m *env.Manager, opt mcp.Options) *fixture {
	t.Helper()
	h, err := mcp.New(m, opt)
	require.NoError(t, err)
	mux := http.NewServeMux()
	for _, p := range mcp.Routes() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		require.NoError(t, h.Close())
		srv.Close()
	})
	return &fixture{m: m, h: h, url: srv.URL}
}

// defaultWorld serves the default world's domains with perEnv tasks each.
func defaultWorld(t testing.TB, perEnv int, lim env.Limits, opt mcp.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	var envs []*env.Environment
	for _, d := range domains.All() {
		ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, perEnv)
		require.NoError(t, err)
		envs = append(envs, env.NewEnvironment(d, ts))
	}
	return serve(t, env.NewManager(envs, lim), opt)
}

// connect opens an MCP session with the SDK's own client on a route such
// as "airline?task=ID".
func (f *fixture) connect(t testing.TB, route string) *sdk.ClientSession {
	t.Helper()
	cs, err := f.dial(context.Background(), route)
	require.NoError(t, err, "connect %s", route)
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

func (f *fixture) dial(ctx context.Context, route string) (*sdk.ClientSession, error) {
	c := sdk.NewClient(&sdk.Implementation{Name: "simgym-test", Version: "0"}, nil)
	return c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: f.url + "/mcp/" + route, MaxRetries: -1}, nil)
}

// call calls a tool with arguments given as JSON.
func call(t testing.TB, cs *sdk.ClientSession, tool string, args json.RawMessage) *sdk.CallToolResult {
	t.Helper()
	r, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: tool, Arguments: args})
	require.NoError(t, err, "call %s", tool)
	return r
}

func text(t testing.TB, r *sdk.CallToolResult) string {
	t.Helper()
	require.Len(t, r.Content, 1)
	tc, ok := r.Content[0].(*sdk.TextContent)
	require.True(t, ok, "content is %T", r.Content[0])
	return tc.Text
}

// submit gives an answer and returns the submit_answer result.
func submit(t testing.TB, cs *sdk.ClientSession, answer string) mcp.Answer {
	t.Helper()
	r, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: mcp.SubmitTool, Arguments: map[string]any{"answer": answer}})
	require.NoError(t, err)
	require.False(t, r.IsError, "submit_answer: %s", text(t, r))
	var a mcp.Answer
	require.NoError(t, json.Unmarshal([]byte(text(t, r)), &a))
	var fromStructured mcp.Answer
	b, err := json.Marshal(r.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &fromStructured))
	assert.Equal(t, a, fromStructured, "text and structured content agree")
	return a
}

// replay runs a domain task's ground truth through a session and
// returns the answer's result.
func replay(t testing.TB, cs *sdk.ClientSession, tk *task.Task) mcp.Answer {
	t.Helper()
	var observations []json.RawMessage
	for i, a := range tk.Actions {
		r := call(t, cs, a.Tool, a.Arguments)
		require.False(t, r.IsError, "step %d of %s (%s): %s", i, tk.ID, a.Tool, text(t, r))
		assert.Equal(t, false, r.Meta["simgym/done"])
		obs := text(t, r)
		require.True(t, json.Valid([]byte(obs)), "observation is JSON: %s", obs)
		require.NotNil(t, r.StructuredContent)
		if obs[0] != '{' {
			sc, ok := r.StructuredContent.(map[string]any)
			require.True(t, ok)
			assert.Contains(t, sc, "result", "a non-object observation is wrapped")
		}
		observations = append(observations, json.RawMessage(obs))
	}
	return submit(t, cs, task.Answer(tk, observations))
}

// TestEveryEnvironment: in each default-world environment, the session's
// tools are the environment's (same schemas) plus submit_answer, the
// instruction arrives at initialize and as a resource, tool calls run,
// a tool's failure is an error result, and the answer earns its reward.
func TestEveryEnvironment(t *testing.T) {
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	envs := f.m.Envs()
	require.NotEmpty(t, envs)
	for _, e := range envs {
		t.Run(e.Name, func(t *testing.T) {
			tk := e.Tasks[0]
			cs := f.connect(t, e.Name+"?task="+tk.ID)
			init := cs.InitializeResult()
			assert.Equal(t, tk.Instruction, init.Instructions)
			assert.Equal(t, tk.ID, init.Meta["simgym/task"])
			assert.Equal(t, e.Name, init.Meta["simgym/env"])
			rr, err := cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: mcp.InstructionURI})
			require.NoError(t, err)
			require.Len(t, rr.Contents, 1)
			assert.Equal(t, tk.Instruction, rr.Contents[0].Text)

			lt, err := cs.ListTools(context.Background(), nil)
			require.NoError(t, err)
			want := map[string]protocol.Tool{}
			for _, ot := range e.Info().Tools {
				want[ot.Function.Name] = ot
			}
			got := map[string]*sdk.Tool{}
			for _, mt := range lt.Tools {
				got[mt.Name] = mt
			}
			require.Len(t, got, len(want)+1)
			require.Contains(t, got, mcp.SubmitTool)
			for name, ot := range want {
				mt := got[name]
				require.NotNil(t, mt, "tool %s", name)
				assert.Equal(t, ot.Function.Description, mt.Description)
				var wantSchema, gotSchema map[string]any
				require.NoError(t, json.Unmarshal(ot.Function.Parameters, &wantSchema))
				b, err := json.Marshal(mt.InputSchema)
				require.NoError(t, err)
				require.NoError(t, json.Unmarshal(b, &gotSchema))
				wantSchema["type"] = "object"
				assert.Equal(t, wantSchema, gotSchema, "schema of %s", name)
			}

			// A tool's own failure: an error result the agent reads.
			bad := call(t, cs, tk.Actions[0].Tool, json.RawMessage(`{"no_such_argument": 1}`))
			assert.True(t, bad.IsError, "%s with a bogus argument: %s", tk.Actions[0].Tool, text(t, bad))
			assert.NotEmpty(t, text(t, bad))

			a := replay(t, cs, tk)
			assert.True(t, a.Done)
			assert.Equal(t, 1.0, a.Reward, "task %s: %+v", tk.ID, a.Info)
			require.NotNil(t, a.Info.Result)
			assert.Equal(t, "answer", a.Info.Reason)

			// The episode is over: further steps are error results.
			again := call(t, cs, tk.Actions[0].Tool, tk.Actions[0].Arguments)
			assert.True(t, again.IsError)
			assert.Contains(t, text(t, again), "done")
			require.NoError(t, cs.Close())
		})
	}
	require.Eventually(t, func() bool { return f.m.Open() == 0 && f.h.Sessions() == 0 }, 5*time.Second, 5*time.Millisecond)
}

// TestOracleReplay replays 50 default-world tasks' ground truth through
// MCP: each earns reward 1.
func TestOracleReplay(t *testing.T) {
	f := defaultWorld(t, 5, env.DefaultLimits, mcp.Options{})
	n := 0
	for _, e := range f.m.Envs() {
		for _, tk := range e.Tasks {
			cs := f.connect(t, e.Name+"?task="+tk.ID)
			assert.Equal(t, tk.Instruction, cs.InitializeResult().Instructions)
			a := replay(t, cs, tk)
			assert.Equal(t, 1.0, a.Reward, "task %s: %+v", tk.ID, a.Info)
			require.NoError(t, cs.Close())
			n++
		}
	}
	assert.Equal(t, 50, n)
	require.Eventually(t, func() bool { return f.m.Open() == 0 }, 5*time.Second, 5*time.Millisecond)
}

// TestSeedRoute: ?seed=N picks the same task every time, and a session
// without task or seed gets seed 0's.
func TestSeedRoute(t *testing.T) {
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	e := f.m.Envs()[0]
	a := f.connect(t, e.Name+"?seed=7").InitializeResult()
	b := f.connect(t, e.Name+"?seed=7").InitializeResult()
	assert.NotEmpty(t, a.Instructions)
	assert.Equal(t, a.Instructions, b.Instructions)
	assert.Equal(t, a.Meta["simgym/task"], b.Meta["simgym/task"])
	assert.NotEqual(t, a.Meta["simgym/episode"], b.Meta["simgym/episode"], "each session its own episode")
	z := f.connect(t, e.Name).InitializeResult()
	z0 := f.connect(t, e.Name+"?seed=0").InitializeResult()
	assert.Equal(t, z0.Meta["simgym/task"], z.Meta["simgym/task"])
	assert.Equal(t, 4, f.m.Open())
}

// TestConcurrentSessions runs 1,000 MCP sessions, 50 at a time, each
// listing tools, calling one and answering; every episode is freed.
// Under -race it runs 200 (the detector slows each session about
// fivefold). No goroutine is left behind.
func TestConcurrentSessions(t *testing.T) {
	sessions := 1000
	if testenv.RaceEnabled {
		sessions = 200
	}
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	envs := f.m.Envs()
	before := runtime.NumGoroutine()
	// A bound on the whole run, so that a stuck session fails the test
	// rather than hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(50)
	for i := range sessions {
		g.Go(func() error {
			e := envs[i%len(envs)]
			tk := e.Tasks[0]
			cs, err := f.dial(ctx, e.Name+"?task="+tk.ID)
			if err != nil {
				return fmt.Errorf("session %d: %w", i, err)
			}
			defer cs.Close()
			lt, err := cs.ListTools(ctx, nil)
			if err != nil {
				return fmt.Errorf("session %d: list tools: %w", i, err)
			}
			if len(lt.Tools) != len(e.Info().Tools)+1 {
				return fmt.Errorf("session %d: %d tools, want %d", i, len(lt.Tools), len(e.Info().Tools)+1)
			}
			var observations []json.RawMessage
			for _, a := range tk.Actions {
				r, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: a.Tool, Arguments: a.Arguments})
				if err != nil {
					return fmt.Errorf("session %d: %s: %w", i, a.Tool, err)
				}
				if r.IsError {
					return fmt.Errorf("session %d: %s failed", i, a.Tool)
				}
				observations = append(observations, json.RawMessage(r.Content[0].(*sdk.TextContent).Text))
			}
			r, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: mcp.SubmitTool, Arguments: map[string]any{"answer": task.Answer(tk, observations)}})
			if err != nil {
				return fmt.Errorf("session %d: submit: %w", i, err)
			}
			var ans mcp.Answer
			if err := json.Unmarshal([]byte(r.Content[0].(*sdk.TextContent).Text), &ans); err != nil || ans.Reward != 1 {
				return fmt.Errorf("session %d: task %s answered: reward %v, %v", i, tk.ID, ans.Reward, err)
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	require.Eventually(t, func() bool {
		http.DefaultClient.CloseIdleConnections()
		return f.m.Open() == 0 && f.h.Sessions() == 0 && runtime.NumGoroutine() <= before+4
	}, 10*time.Second, 5*time.Millisecond, "episodes %d, sessions %d, goroutines %d (before %d)", f.m.Open(), f.h.Sessions(), runtime.NumGoroutine(), before)
}

// TestSessionLifetime: closing a session frees its episode; so does the
// idle timeout, after which the client's calls fail.
func TestSessionLifetime(t *testing.T) {
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{SessionTimeout: 50 * time.Millisecond})
	e := f.m.Envs()[0]
	cs := f.connect(t, e.Name+"?seed=1")
	assert.Equal(t, 1, f.m.Open())
	assert.Equal(t, 1, f.h.Sessions())
	require.Eventually(t, func() bool { return f.m.Open() == 0 && f.h.Sessions() == 0 }, 5*time.Second, 5*time.Millisecond, "the idle session is swept")
	_, err := cs.ListTools(context.Background(), nil)
	require.Error(t, err, "the swept session is gone")

	g := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	cs = g.connect(t, e.Name+"?seed=1")
	assert.Equal(t, 1, g.m.Open())
	require.NoError(t, cs.Close())
	require.Eventually(t, func() bool { return g.m.Open() == 0 && g.h.Sessions() == 0 }, 5*time.Second, 5*time.Millisecond, "the closed session's episode is freed")
}

// TestLimits: the manager's limits bound sessions, and the step limit
// ends an episode, truncated, reporting its reward in _meta.
func TestLimits(t *testing.T) {
	f := defaultWorld(t, 1, env.Limits{MaxEpisodes: 2, MaxSteps: 2}, mcp.Options{})
	e := f.m.Envs()[0]
	a := f.connect(t, e.Name+"?seed=1")
	f.connect(t, e.Name+"?seed=2")
	_, err := f.dial(context.Background(), e.Name+"?seed=3")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_episodes")
	assert.Equal(t, 2, f.m.Open())

	tool := e.Tasks[0].Actions[0]
	r := call(t, a, tool.Tool, tool.Arguments)
	assert.Equal(t, false, r.Meta["simgym/done"])
	r = call(t, a, tool.Tool, tool.Arguments)
	assert.Equal(t, true, r.Meta["simgym/done"])
	assert.Equal(t, true, r.Meta["simgym/truncated"])
	assert.Contains(t, r.Meta, "simgym/reward")
	r = call(t, a, mcp.SubmitTool, json.RawMessage(`{"answer":"late"}`))
	assert.True(t, r.IsError)

	require.NoError(t, a.Close())
	require.Eventually(t, func() bool { return f.m.Open() == 1 }, 5*time.Second, 5*time.Millisecond)
	f.connect(t, e.Name+"?seed=3") // room again
}

// TestShutdown: Close ends every session and frees every episode.
func TestShutdown(t *testing.T) {
	f := defaultWorld(t, 1, env.DefaultLimits, mcp.Options{})
	e := f.m.Envs()[0]
	for i := range 3 {
		f.connect(t, fmt.Sprintf("%s?seed=%d", e.Name, i))
	}
	assert.Equal(t, 3, f.h.Sessions())
	require.NoError(t, f.h.Close())
	assert.Equal(t, 0, f.h.Sessions())
	assert.Equal(t, 0, f.m.Open())
	_, err := f.dial(context.Background(), e.Name+"?seed=1")
	require.Error(t, err, "no new sessions after Close")
}

func TestToolsConversion(t *testing.T) {
	tool := func(name, params string) protocol.Tool {
		return protocol.Tool{Type: "function", Function: protocol.Function{Name: name, Description: "d", Parameters: json.RawMessage(params)}}
	}
	cases := []struct {
		name   string
		tool   protocol.Tool
		schema string // want, "" for an error
	}{
		{"object", tool("get", `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`), `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`},
		{"no type", tool("list", `{"properties":{}}`), `{"type":"object","properties":{}}`},
		{"no parameters", tool("ping", ``), `{"type":"object"}`},
		{"null parameters", tool("ping", `null`), `{"type":"object"}`},
		{"array", tool("bad", `{"type":"array"}`), ""},
		{"not JSON", tool("bad", `{`), ""},
		{"clash", tool(mcp.SubmitTool, `{"type":"object"}`), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := mcp.Tools(env.WorldInfo{Name: "w", Tools: []protocol.Tool{c.tool}})
			if c.schema == "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.tool.Function.Name)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, c.tool.Function.Name, got[0].Name)
			assert.Equal(t, mcp.SubmitTool, got[1].Name)
			b, err := json.Marshal(got[0].InputSchema)
			require.NoError(t, err)
			assert.JSONEq(t, c.schema, string(b))
		})
	}
}
