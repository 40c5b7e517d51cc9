package gym_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/openenv"
	"github.com/simgym/simgym/env/protocol"
)

// world serves the default world with a few tasks per domain, with
// OpenEnv's endpoints mounted.
func world(t testing.TB, perEnv int, lim env.Limits, opt gym.Options) (*gym.Server, *httptest.Server, string) {
	t.Helper()
	ctx := context.Background()
	var envs []*env.Environment
	for _, d := range domains.All() {
		ts, err := task.NewSampler(d, task.Options{Seed: 1}).Sample(ctx, perEnv)
		require.NoError(t, err)
		envs = append(envs, env.NewEnvironment(d, ts))
	}
	g := gym.New(env.NewManager(envs, lim), opt)
	openenv.Mount(g, openenv.Options{}) // /ws, for the tests that cover both websockets
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return g, srv, "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/gym"
}

func dial(t testing.TB, url string) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), url, client.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestOracleReplayOverTheWire replays every served task's ground truth
// through the websocket protocol: each earns reward 1.
func TestOracleReplayOverTheWire(t *testing.T) {
	g, _, url := world(t, 5, env.DefaultLimits, gym.Options{})
	c := dial(t, url)
	ctx := context.Background()
	n := 0
	for _, e := range g.Manager().Envs() {
		for _, tk := range e.Tasks {
			r, err := c.Reset(ctx, e.Name, tk.ID, nil)
			require.NoError(t, err)
			var obs protocol.Observation
			require.NoError(t, json.Unmarshal(r.Observation, &obs))
			assert.Equal(t, tk.Instruction, obs.Instruction)
			assert.NotEmpty(t, obs.Tools)
			var observations []json.RawMessage
			for i, a := range tk.Actions {
				sr, err := c.Step(ctx, r.Episode, protocol.Action{Tool: a.Tool, Arguments: a.Arguments})
				require.NoError(t, err)
				assert.False(t, sr.Done)
				var info protocol.StepInfo
				require.NoError(t, json.Unmarshal(sr.Info, &info))
				require.NotNil(t, info.Signal)
				assert.True(t, info.Signal.Exact, "step %d of %s matches the ground truth", i, tk.ID)
				observations = append(observations, sr.Observation)
			}
			fin, err := c.Step(ctx, r.Episode, protocol.Answer(task.Answer(tk, observations)))
			require.NoError(t, err)
			assert.True(t, fin.Done)
			assert.Equal(t, 1.0, fin.Reward, "task %s: %s", tk.ID, fin.Info)
			require.NoError(t, c.CloseEpisode(ctx, r.Episode))
			n++
		}
	}
	assert.Equal(t, 50, n)
	assert.Equal(t, 0, g.Manager().Open())
}

// TestIsolationAndFork: two episodes writing the same row see only their
// own writes, and a fork diverges without touching its parent.
func TestIsolationAndFork(t *testing.T) {
	_, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	c := dial(t, url)
	ctx := context.Background()
	d := findDomain(t, "update_patient")
	seed := int64(3)
	a, err := c.Reset(ctx, d.Name, "", &seed)
	require.NoError(t, err)
	b, err := c.Reset(ctx, d.Name, "", &seed)
	require.NoError(t, err)
	get := func(ep string) string {
		r, err := c.Step(ctx, ep, protocol.Call("get_patient", map[string]any{"patient_id": "patient_0001"}))
		require.NoError(t, err)
		var row map[string]any
		require.NoError(t, json.Unmarshal(r.Observation, &row))
		return row["phone"].(string)
	}
	set := func(ep, phone string) {
		_, err := c.Step(ctx, ep, protocol.Call("update_patient", map[string]any{"patient_id": "patient_0001", "phone": phone}))
		require.NoError(t, err)
	}
	orig := get(a.Episode)
	set(a.Episode, "111")
	set(b.Episode, "222")
	assert.Equal(t, "111", get(a.Episode))
	assert.Equal(t, "222", get(b.Episode))

	f, err := c.Fork(ctx, a.Episode)
	require.NoError(t, err)
	assert.NotEqual(t, a.Episode, f.Episode)
	assert.Equal(t, "111", get(f.Episode), "a fork starts from its parent's state")
	set(f.Episode, "333")
	assert.Equal(t, "333", get(f.Episode))
	assert.Equal(t, "111", get(a.Episode), "the parent is untouched")

	// A fresh reset does not see earlier episodes' writes.
	fresh, err := c.Reset(ctx, d.Name, "", &seed)
	require.NoError(t, err)
	assert.Equal(t, orig, get(fresh.Episode))
}

func findDomain(t testing.TB, tool string) *domains.Domain {
	for _, d := range domains.All() {
		if d.Tool(tool) != nil {
			return d
		}
	}
	t.Fatalf("no domain has %s", tool)
	return nil
}

// TestBadInputs: each bad request gets its error reply and the
// connection, its other episodes and the server go on.
func TestBadInputs(t *testing.T) {
	_, _, url := world(t, 1, env.Limits{MaxEpisodes: 100, MaxEpisodesPerOwner: 3, MaxSteps: 3}, gym.Options{MaxMessageBytes: 4096})
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	defer ws.Close()
	roundTrip := func(msg string) map[string]any {
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(msg)))
		_, data, err := ws.ReadMessage()
		require.NoError(t, err)
		var r map[string]any
		require.NoError(t, json.Unmarshal(data, &r))
		return r
	}
	code := func(r map[string]any) string {
		e, _ := r["error"].(map[string]any)
		if e == nil {
			return ""
		}
		return e["code"].(string)
	}
	d := findDomain(t, "get_patient")
	ok := roundTrip(`{"id":1,"op":"reset","env":"` + d.Name + `","seed":1}`)
	require.Equal(t, "", code(ok), "%v", ok)
	ep := ok["episode"].(string)
	cases := []struct{ msg, code string }{
		{`not json`, protocol.CodeInvalidJSON},
		{`{"id":2,"op":"dance"}`, protocol.CodeUnknownOp},
		{`{"id":3,"op":"reset","env":"nope"}`, protocol.CodeUnknownEnv},
		{`{"id":4,"op":"reset","env":"` + d.Name + `","task":"nope"}`, protocol.CodeUnknownTask},
		{`{"id":5,"op":"step","episode":"ep-999","action":{"tool":"get_patient","arguments":{}}}`, protocol.CodeUnknownEpisode},
		{`{"id":6,"op":"step","episode":"` + ep + `"}`, protocol.CodeInvalidRequest},
		{`{"id":7,"op":"reset","env":"x","bogus":1}`, protocol.CodeInvalidRequest},
		{`{"op":"hello"}`, protocol.CodeInvalidRequest},
		{`{"id":8,"op":"step","episode":"` + ep + `","action":{"tool":"get_patient","answer":"x"}}`, protocol.CodeInvalidRequest},
	}
	for _, c := range cases {
		r := roundTrip(c.msg)
		assert.Equal(t, c.code, code(r), "%s -> %v", c.msg, r)
		assert.NotEmpty(t, r["error"].(map[string]any)["message"])
	}
	// Tool-level failures are observations, not protocol errors.
	r := roundTrip(`{"id":10,"op":"step","episode":"` + ep + `","action":{"tool":"get_patient","arguments":{"patient_id":"nobody"}}}`)
	assert.Equal(t, "", code(r))
	assert.Contains(t, r["observation"].(map[string]any)["error"], "patient nobody not found")
	r = roundTrip(`{"id":11,"op":"step","episode":"` + ep + `","action":{"tool":"no_such_tool","arguments":{}}}`)
	assert.Contains(t, r["observation"].(map[string]any)["error"], "unknown tool")
	r = roundTrip(`{"id":12,"op":"step","episode":"` + ep + `","action":{"tool":"get_patient","arguments":{"patient_id":5}}}`)
	assert.Contains(t, r["observation"].(map[string]any)["error"], "invalid arguments")
	// The step limit (3 calls here) ends the episode, truncated.
	assert.Equal(t, true, r["done"])
	assert.Equal(t, true, r["truncated"])
	r = roundTrip(`{"id":13,"op":"step","episode":"` + ep + `","action":{"answer":"hi"}}`)
	assert.Equal(t, protocol.CodeEpisodeDone, code(r))
	// Per-connection episode limit.
	for i := 0; i < 2; i++ {
		r = roundTrip(`{"id":"r` + string(rune('a'+i)) + `","op":"reset","env":"` + d.Name + `","seed":1}`)
		assert.Equal(t, "", code(r))
	}
	r = roundTrip(`{"id":"over","op":"reset","env":"` + d.Name + `","seed":1}`)
	assert.Equal(t, protocol.CodeLimit, code(r))
	assert.Contains(t, r["error"].(map[string]any)["message"], "max_episodes_per_connection")
	// And the connection still works.
	r = roundTrip(`{"id":"h","op":"hello"}`)
	assert.Equal(t, "", code(r))
	assert.Equal(t, "h", r["id"])
}

func TestTokenRequired(t *testing.T) {
	_, srv, url := world(t, 1, env.DefaultLimits, gym.Options{Token: "s3cret"})
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	c, err := client.Dial(context.Background(), url, client.Options{Token: "s3cret"})
	require.NoError(t, err)
	_, err = c.Hello(context.Background())
	require.NoError(t, err)
	c.Close()
	resp2, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, http.StatusOK, resp2.StatusCode)
}

// TestVanishingClientFreesEpisodes: a client that drops its connection
// mid-episode leaves no episode behind.
func TestVanishingClientFreesEpisodes(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	d := findDomain(t, "get_patient")
	c, err := client.Dial(context.Background(), url, client.Options{})
	require.NoError(t, err)
	seed := int64(1)
	for range 5 {
		_, err := c.Reset(context.Background(), d.Name, "", &seed)
		require.NoError(t, err)
	}
	assert.Equal(t, 5, g.Manager().Open())
	c.Close()
	require.Eventually(t, func() bool { return g.Manager().Open() == 0 }, 5*time.Second, 5*time.Millisecond)
}

// TestPipelined: many requests in flight on one connection, from many
// goroutines, each answered with its own id.
func TestPipelined(t *testing.T) {
	_, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	c := dial(t, url)
	d := findDomain(t, "get_patient")
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seed := int64(i % 4)
			r, err := c.Reset(ctx, d.Name, "", &seed)
			if err != nil {
				errs <- err
				return
			}
			for range 10 {
				if _, err := c.Step(ctx, r.Episode, protocol.Call("list_patients", map[string]any{"limit": 3})); err != nil {
					errs <- err
					return
				}
			}
			errs <- c.CloseEpisode(ctx, r.Episode)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestSoak opens and drops many connections and episodes, bounded in
// count, then checks that no goroutine or episode is left behind.
func TestSoak(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	d := findDomain(t, "get_patient")
	before := runtime.NumGoroutine()
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				c, err := client.Dial(ctx, url, client.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				seed := int64(w*100 + i)
				for range 3 {
					r, err := c.Reset(ctx, d.Name, "", &seed)
					if err != nil {
						t.Error(err)
						break
					}
					_, _ = c.Step(ctx, r.Episode, protocol.Call("list_patients", map[string]any{"limit": 2}))
					if i%2 == 0 {
						_ = c.CloseEpisode(ctx, r.Episode)
					}
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		return g.Manager().Open() == 0 && runtime.NumGoroutine() <= before+2
	}, 10*time.Second, 10*time.Millisecond, "episodes %d, goroutines %d (before %d)", g.Manager().Open(), runtime.NumGoroutine(), before)
}

func TestGracefulShutdown(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	c := dial(t, url)
	d := findDomain(t, "get_patient")
	seed := int64(1)
	_, err := c.Reset(context.Background(), d.Name, "", &seed)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, g.Shutdown(ctx))
	assert.Equal(t, 0, g.Manager().Open())
	_, err = c.Hello(context.Background())
	require.Error(t, err, "the connection was closed by the server")
}
