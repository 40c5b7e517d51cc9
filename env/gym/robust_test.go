package gym_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/protocol"
)

// rawDial opens a plain gorilla connection (no simgym client) so a test
// can misbehave as it likes.
func rawDial(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	require.NoError(t, err)
	return ws
}

// waitQuiet waits until the server holds no connection and the process
// is back to about the goroutines it had before (no leaks).
func waitQuiet(t *testing.T, g *gym.Server, before int) {
	t.Helper()
	require.Eventually(t, func() bool { return g.Connections() == 0 }, 20*time.Second, 10*time.Millisecond, "connections left open: %d", g.Connections())
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+8 }, 20*time.Second, 10*time.Millisecond,
		"goroutines: %d before, %d after", before, runtime.NumGoroutine())
}

// playOracle resets a task, replays its ground truth and answers as the
// oracle would; it returns the episode, the observations and the final
// reply.
func playOracle(t *testing.T, ctx context.Context, c *client.Client, envName string, tk *task.Task) (string, []json.RawMessage, *protocol.Reply) {
	t.Helper()
	r, err := c.Reset(ctx, envName, tk.ID, nil)
	require.NoError(t, err)
	var obs []json.RawMessage
	for _, a := range tk.Actions {
		sr, err := c.Step(ctx, r.Episode, protocol.Action{Tool: a.Tool, Arguments: a.Arguments})
		require.NoError(t, err)
		obs = append(obs, sr.Observation)
	}
	fin, err := c.Step(ctx, r.Episode, protocol.Answer(task.Answer(tk, obs)))
	require.NoError(t, err)
	return r.Episode, obs, fin
}

// canary runs one whole episode and checks it is answered correctly.
func canary(t *testing.T, g *gym.Server, url string) {
	t.Helper()
	c := dial(t, url)
	ctx := context.Background()
	e := g.Manager().Envs()[0]
	_, _, fin := playOracle(t, ctx, c, e.Name, e.Tasks[0])
	assert.Equal(t, 1.0, fin.Reward, "canary episode: %s", fin.Info)
	require.NoError(t, c.Close())
}

// TestCloseWithRepliesQueued is the crash the gym had: clients that
// reset, pipeline requests and then close (cleanly, or with a TCP reset)
// while replies are still queued. A thousand of them, on both
// websockets; afterwards the server answers a canary episode and holds
// no connection and no goroutine of theirs.
func TestCloseWithRepliesQueued(t *testing.T) {
	g, srv, url := world(t, 1, env.DefaultLimits, gym.Options{})
	openenvURL := strings.TrimSuffix(url, "/v1/gym") + "/ws"
	d := findDomain(t, "list_patients")
	before := runtime.NumGoroutine()
	const conns = 1000
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > conns {
					return
				}
				if i%2 == 0 {
					abandonGym(t, url, d.Name, i)
				} else {
					abandonOpenEnv(t, openenvURL, d.Name, i)
				}
			}
		}()
	}
	wg.Wait()
	waitQuiet(t, g, before)
	assert.Equal(t, 0, g.Manager().Open(), "episodes of vanished clients are freed")
	assert.Zero(t, metric(t, srv.URL, "simgym_panics_total"), "no panic was needed")
	canary(t, g, url)
}

// abandonGym resets, pipelines steps and hellos, and drops the connection.
func abandonGym(t *testing.T, url, envName string, i int64) {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if !assert.NoError(t, err) {
		return
	}
	if !assert.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":0,"op":"reset","env":%q,"seed":%d}`, envName, i%7)))) {
		return
	}
	var r struct{ Episode string }
	if !assert.NoError(t, ws.ReadJSON(&r)) {
		return
	}
	for k := range 3 {
		_ = ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":%d,"op":"step","episode":%q,"action":{"tool":"list_patients","arguments":{"limit":5}}}`, k+1, r.Episode)))
	}
	if i%10 == 0 {
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"id":"h","op":"hello"}`))
	}
	drop(ws, i)
}

// abandonOpenEnv does the same over OpenEnv's websocket.
func abandonOpenEnv(t *testing.T, url, envName string, i int64) {
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if !assert.NoError(t, err) {
		return
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"reset","data":{"env":%q,"seed":%d}}`, envName, i%7)))
	for range 3 {
		_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"step","data":{"action":{"tool":"list_patients","arguments":{"limit":5}}}}`))
	}
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"state"}`))
	drop(ws, i)
}

// drop closes a connection: every fourth with a TCP reset, the others
// with a plain close (no close frame).
func drop(ws *websocket.Conn, i int64) {
	if i%4 < 2 {
		if tc, ok := ws.NetConn().(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = ws.Close()
}

// TestOversizedMessage: a message over max_message_bytes is never
// buffered past the limit: the rest is skipped, the client gets
// message_too_large and its connection goes on; one over 16 times the
// limit ends the connection with 1009.
func TestOversizedMessage(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{MaxMessageBytes: 4096})
	ws := rawDial(t, url)
	defer ws.Close()
	readErr := func() *protocol.Error {
		var r struct{ Error *protocol.Error }
		require.NoError(t, ws.ReadJSON(&r))
		require.NotNil(t, r.Error)
		return r.Error
	}
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`{"id":9,"op":"reset","env":"x"`+strings.Repeat(" ", 40000)+`}`)))
	e := readErr()
	assert.Equal(t, protocol.CodeTooLarge, e.Code)
	assert.Contains(t, e.Message, "4096")
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(`{"id":10,"op":"hello"}`)))
	var hello struct{ ID int }
	require.NoError(t, ws.ReadJSON(&hello))
	assert.Equal(t, 10, hello.ID, "the connection goes on")

	go func() { _ = ws.WriteMessage(websocket.TextMessage, make([]byte, 1<<20)) }()
	e = readErr()
	assert.Equal(t, protocol.CodeTooLarge, e.Code)
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	if errors.As(err, &ce) { // or a reset, if the close raced the client's write
		assert.Equal(t, websocket.CloseMessageTooBig, ce.Code)
	}
	canary(t, g, url)
}

// heapBytes reads the bytes of live and unswept heap objects.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// watchHeap samples the heap every 2 ms from now on; the function it
// returns stops sampling and gives the peak's growth over the start, in
// bytes.
func watchHeap() func() int64 {
	runtime.GC()
	base := heapBytes()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-sampled
		return int64(peak.Load()) - int64(base)
	}
}

// TestOversizedMessagesStayInBudget: many connections sending messages
// far over max_message_bytes (each skipped unread, then cut at 16 times
// the limit) cannot grow the server's heap by more than a message limit
// each; a polite client is answered throughout.
func TestOversizedMessagesStayInBudget(t *testing.T) {
	const limit = 64 << 10
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{MaxMessageBytes: limit})
	d := findDomain(t, "list_patients")
	heapGrowth := watchHeap()
	const senders = 40
	big := make([]byte, 4<<20) // 64 times the limit
	for i := range big {
		big[i] = ' '
	}
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := rawDial(t, url)
			defer ws.Close()
			_ = ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
			_ = ws.WriteMessage(websocket.TextMessage, big) // cut off by the server part way
			_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
			for {
				if _, _, err := ws.ReadMessage(); err != nil {
					return // closed by the server (1009)
				}
			}
		}()
	}
	polite := dial(t, url)
	ctx := context.Background()
	seed := int64(1)
	r, err := polite.Reset(ctx, d.Name, "", &seed)
	require.NoError(t, err)
	for range 40 {
		sr, err := polite.Step(ctx, r.Episode, protocol.Call("list_patients", map[string]any{"limit": 3}))
		require.NoError(t, err)
		require.NotContains(t, string(sr.Observation), `"error"`)
	}
	wg.Wait()
	grown := heapGrowth()
	t.Logf("heap grew by %d KiB at its peak with %d senders of 4 MiB messages", grown>>10, senders)
	// Each sender costs at most one limit of buffered message plus its
	// connection's buffers; the test's own 4 MiB message is shared.
	assert.Less(t, grown, int64(senders*(limit+64<<10)+16<<20))
	require.Eventually(t, func() bool { return g.Connections() == 1 }, 20*time.Second, 10*time.Millisecond)
}

// TestUnreadRepliesStayInBudget: clients that pipeline thousands of
// requests with big replies and never read them cannot grow the
// server's heap past its byte budgets; they lose their connections,
// and a polite client's steps are answered all along.
func TestUnreadRepliesStayInBudget(t *testing.T) {
	const connBudget, serverBudget = 256 << 10, 4 << 20
	g, srv, url := world(t, 1, env.DefaultLimits, gym.Options{ConnBudget: connBudget, ServerBudget: serverBudget, WriteTimeout: 2 * time.Second})
	d := findDomain(t, "list_patients")
	heapGrowth := watchHeap()
	const abusers, each = 30, 2000
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range abusers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws := rawDial(t, url)
			defer ws.Close()
			require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":0,"op":"reset","env":%q,"seed":%d}`, d.Name, i))))
			var r struct{ Episode string }
			require.NoError(t, ws.ReadJSON(&r), "abuser %d", i)
			step := []byte(fmt.Sprintf(`{"id":1,"op":"step","episode":%q,"action":{"tool":"list_patients","arguments":{"limit":100}}}`, r.Episode))
			hello := []byte(`{"id":2,"op":"hello"}`)
			for k := range each {
				msg := step
				if k%2 == 1 {
					msg = hello
				}
				_ = ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
				if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
					break // the server stopped reading, or closed this connection
				}
			}
			// Never read: wait for the server to give up on us.
			<-release
		}()
	}
	// A polite client steps all along.
	polite := dial(t, url)
	ctx := context.Background()
	seed := int64(1)
	var r *protocol.Reply
	for i := range 200 {
		if i%40 == 0 {
			var err error
			r, err = polite.Reset(ctx, d.Name, "", &seed)
			require.NoError(t, err)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		sr, err := polite.Step(sctx, r.Episode, protocol.Call("list_patients", map[string]any{"limit": 3}))
		cancel()
		require.NoError(t, err)
		require.NotContains(t, string(sr.Observation), `"error"`)
	}
	// The server ends every abusive connection (they never read), and
	// keeps the polite one.
	require.Eventually(t, func() bool { return g.Connections() == 1 }, 30*time.Second, 10*time.Millisecond)
	close(release)
	wg.Wait()
	grown := heapGrowth()
	t.Logf("heap grew by %d KiB at its peak", grown>>10)
	// Each abuser may hold its budget twice over (queue plus in-flight
	// replies); everything else in the test (decoded requests, client
	// buffers, the polite client) stays within a few MiB.
	assert.Less(t, grown, int64(abusers*2*connBudget+serverBudget+32<<20))
	assert.GreaterOrEqual(t, metric(t, srv.URL, `simgym_disconnects_total`), float64(abusers), "the server ended the abusive connections")
	canary(t, g, url)
}

// metric sums a Prometheus metric's samples from /metrics.
func metric(t *testing.T, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	sum := 0.0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, name+" ") || strings.HasPrefix(line, name+"{") {
			var v float64
			fields := strings.Fields(line)
			_, err := fmt.Sscan(fields[len(fields)-1], &v)
			require.NoError(t, err, line)
			sum += v
		}
	}
	return sum
}

// TestEveryEndpointNeedsTheToken: with a token, every endpoint but
// /healthz refuses a request without it or with a wrong one; the scheme
// is case-insensitive; /healthz says only that it is ok.
func TestEveryEndpointNeedsTheToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") })
	_, srv, _ := world(t, 1, env.DefaultLimits, gym.Options{Token: "s3cret", Retrieve: ok, Extra: map[string]http.Handler{"/debug/pprof/": ok}})
	endpoints := []struct{ method, path string }{
		{"GET", "/v1/gym"}, {"GET", "/ws"}, {"GET", "/metrics"}, {"POST", "/retrieve"},
		{"GET", "/debug/pprof/"}, {"GET", "/debug/pprof/profile"}, {"GET", "/nothing-here"},
	}
	do := func(method, path, auth string) *http.Response {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
		require.NoError(t, err)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	for _, e := range endpoints {
		for _, auth := range []string{"", "Bearer wrong", "Basic s3cret", "s3cret", "Bearer"} {
			assert.Equal(t, http.StatusUnauthorized, do(e.method, e.path, auth).StatusCode, "%s %s with %q", e.method, e.path, auth)
		}
	}
	for _, auth := range []string{"Bearer s3cret", "bearer s3cret", "BEARER  s3cret "} {
		assert.Equal(t, http.StatusOK, do("GET", "/metrics", auth).StatusCode, auth)
		assert.Equal(t, http.StatusOK, do("POST", "/retrieve", auth).StatusCode, auth)
	}
	assert.Equal(t, http.StatusOK, do("GET", "/metrics?token=s3cret", "").StatusCode)
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok"}`, string(body))
	// The websocket upgrade with the token works, in either case.
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/gym"
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"bearer s3cret"}})
	require.NoError(t, err)
	ws.Close()
}

// TestBrowserOriginRefused: a websocket upgrade from a web page (an
// Origin header) is refused unless the origin is allowed; scripts send
// none and are served.
func TestBrowserOriginRefused(t *testing.T) {
	_, srv, url := world(t, 1, env.DefaultLimits, gym.Options{AllowOrigins: []string{"https://trainer.example"}})
	for _, path := range []string{"/v1/gym", "/ws"} {
		u := strings.TrimSuffix(url, "/v1/gym") + path
		_, resp, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://evil.example"}})
		require.Error(t, err, path)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, path)
		ws, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Origin": {"https://trainer.example"}})
		require.NoError(t, err, path)
		ws.Close()
		ws, _, err = websocket.DefaultDialer.Dial(u, nil)
		require.NoError(t, err, path)
		ws.Close()
	}
	assert.Positive(t, metric(t, srv.URL, "simgym_refused_total"))
}

// TestIdleConnectionClosed: a connection that sends no request for the
// idle time is closed with a going-away frame that says why.
func TestIdleConnectionClosed(t *testing.T) {
	_, _, url := world(t, 1, env.DefaultLimits, gym.Options{PingInterval: 20 * time.Millisecond, ConnIdleTimeout: 100 * time.Millisecond})
	ws := rawDial(t, url)
	defer ws.Close()
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	pings := 0
	ws.SetPingHandler(func(data string) error {
		pings++
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	_, _, err := ws.ReadMessage()
	var ce *websocket.CloseError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, websocket.CloseGoingAway, ce.Code)
	assert.Contains(t, ce.Text, "idle")
	assert.Positive(t, pings, "the server pinged before giving up")
}

// TestSilentPeerDropped: a peer that answers no ping (a vanished host)
// is dropped after two ping intervals.
func TestSilentPeerDropped(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{PingInterval: 50 * time.Millisecond})
	ws := rawDial(t, url)
	defer ws.Close()
	// Never read: pings go unanswered.
	require.Eventually(t, func() bool { return g.Connections() == 0 }, 10*time.Second, 10*time.Millisecond)
}

// TestExpiredEpisode: a step on an episode the idle sweep closed says
// it expired, not that it never existed.
func TestExpiredEpisode(t *testing.T) {
	g, _, url := world(t, 1, env.Limits{IdleTimeout: time.Minute}, gym.Options{})
	c := dial(t, url)
	ctx := context.Background()
	d := findDomain(t, "list_patients")
	seed := int64(1)
	r, err := c.Reset(ctx, d.Name, "", &seed)
	require.NoError(t, err)
	require.Equal(t, 1, g.Manager().Sweep(time.Now().Add(2*time.Minute)))
	_, err = c.Step(ctx, r.Episode, protocol.Call("list_patients", map[string]any{}))
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, protocol.CodeEpisodeExpired, pe.Code)
	assert.Contains(t, pe.Message, "idle")
	_, err = c.Step(ctx, "ep-nope", protocol.Call("list_patients", map[string]any{}))
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, protocol.CodeUnknownEpisode, pe.Code)
}

// panicWorld is a world whose episodes cannot start: Start panics.
type panicWorld struct{}

func (panicWorld) Info() env.WorldInfo { return env.WorldInfo{Name: "boom"} }
func (panicWorld) Start(context.Context, string, *int64) (env.Run, error) {
	panic("a bug in a world")
}

// TestPanicEndsOnlyItsConnection: a panic while answering a request is
// recovered and counted; the client gets an internal error and loses its
// connection; the server and other connections go on.
func TestPanicEndsOnlyItsConnection(t *testing.T) {
	g, srv, url := world(t, 1, env.DefaultLimits, gym.Options{})
	require.NoError(t, g.Manager().AddWorld(panicWorld{}))
	for _, path := range []string{"/v1/gym", "/ws"} {
		ws := rawDial(t, strings.TrimSuffix(url, "/v1/gym")+path)
		msg := `{"id":1,"op":"reset","env":"boom"}`
		if path == "/ws" {
			msg = `{"type":"reset","data":{"env":"boom"}}`
		}
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(msg)))
		_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		var err error
		for err == nil {
			_, _, err = ws.ReadMessage()
		}
		ws.Close()
	}
	assert.Equal(t, 2.0, metric(t, srv.URL, "simgym_panics_total"))
	require.Eventually(t, func() bool { return g.Connections() == 0 }, 10*time.Second, 10*time.Millisecond)
	canary(t, g, url)
}

// TestResetReplyShape: the reset reply, written around the shared tool
// list, is one JSON object with the episode, the instruction, every tool
// of the environment and the info.
func TestResetReplyShape(t *testing.T) {
	g, _, url := world(t, 1, env.DefaultLimits, gym.Options{})
	ws := rawDial(t, url)
	defer ws.Close()
	e := g.Manager().Envs()[0]
	for i := range 2 { // the second reset uses the cached tool list
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":"r%d","op":"reset","env":%q,"task":%q}`, i, e.Name, e.Tasks[0].ID))))
		var r protocol.Reply
		require.NoError(t, ws.ReadJSON(&r))
		require.Nil(t, r.Error)
		assert.JSONEq(t, fmt.Sprintf(`"r%d"`, i), string(r.ID))
		assert.NotEmpty(t, r.Episode)
		obs, err := r.ResetObservation()
		require.NoError(t, err)
		assert.Equal(t, e.Tasks[0].Instruction, obs.Instruction)
		assert.Equal(t, protocol.ToolsOf(e.Domain), obs.Tools)
		var info map[string]any
		require.NoError(t, json.Unmarshal(r.Info, &info))
		assert.Equal(t, e.Tasks[0].ID, info["task"])
		assert.Equal(t, e.Name, info["env"])
	}
}
