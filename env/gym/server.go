package gym

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/simgym/simgym/env"
)

// Version is reported by hello.
const Version = "simgym/0.1"

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" (or
	// ?token=TOKEN) on every connection.
	Token string
	// MaxMessageBytes bounds one request (default 1 MiB); a larger one
	// gets a message_too_large error, and one over 16 times that closes
	// the connection.
	MaxMessageBytes int64
	// MaxInflight bounds requests a connection runs at once (default 64);
	// further pipelined requests wait.
	MaxInflight int
	// Retrieve, when set, serves POST /retrieve.
	Retrieve http.Handler
	// Extra handlers to mount, by path.
	Extra map[string]http.Handler
	// Registry collects metrics (default: a new registry).
	Registry *prometheus.Registry
}

// Server is the gym: an http.Handler for the websocket protocol and the
// service endpoints.
type Server struct {
	m   *env.Manager
	opt Options
	mux *http.ServeMux
	up  websocket.Upgrader

	closing  atomic.Bool
	inflight sync.WaitGroup
	mu       sync.Mutex
	conns    map[*wsConn]struct{}

	met metrics
}

type metrics struct {
	steps, resets, forks, closes prometheus.Counter
	errors                       *prometheus.CounterVec
	latency                      *prometheus.HistogramVec
	// opLatency holds latency's observer for each op, looked up once.
	opLatency map[string]prometheus.Observer
	conns     prometheus.Gauge
}

// New makes a gym over the manager's environments.
func New(m *env.Manager, opt Options) *Server {
	if opt.MaxMessageBytes <= 0 {
		opt.MaxMessageBytes = 1 << 20
	}
	if opt.MaxInflight <= 0 {
		opt.MaxInflight = 64
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
		opt.Registry.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	}
	s := &Server{m: m, opt: opt, mux: http.NewServeMux(), conns: map[*wsConn]struct{}{}}
	s.up = websocket.Upgrader{
		ReadBufferSize: 16 << 10, WriteBufferSize: 16 << 10,
		// Trainers connect from scripts, not browsers.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.met = metrics{
		steps:  prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_steps_total", Help: "Steps taken."}),
		resets: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_resets_total", Help: "Episodes started by reset."}),
		forks:  prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_forks_total", Help: "Episodes started by fork."}),
		closes: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_closes_total", Help: "Episodes closed by clients."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_errors_total", Help: "Error replies, by code."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "simgym_request_seconds", Help: "Time to answer a request, by op.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1}}, []string{"op"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{Name: "simgym_connections", Help: "Open websocket connections."}),
	}
	s.met.opLatency = map[string]prometheus.Observer{}
	for _, op := range []string{"hello", "reset", "step", "fork", "close"} {
		s.met.opLatency[op] = s.met.latency.WithLabelValues(op)
	}
	opt.Registry.MustRegister(s.met.steps, s.met.resets, s.met.forks, s.met.closes, s.met.errors, s.met.latency, s.met.conns,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "simgym_episodes_open", Help: "Open episodes."}, func() float64 { return float64(m.Open()) }))
	s.mux.HandleFunc("GET /v1/gym", s.serveGym)
	s.mux.HandleFunc("GET /ws", s.serveOpenEnv)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.closing.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","episodes":%d,"environments":%d}`+"\n", m.Open(), len(m.Worlds()))
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(opt.Registry, promhttp.HandlerOpts{}))
	if opt.Retrieve != nil {
		s.mux.Handle("/retrieve", opt.Retrieve)
	}
	for p, h := range opt.Extra {
		s.mux.Handle(p, h)
	}
	return s
}

// Manager returns the server's episode manager.
func (s *Server) Manager() *env.Manager { return s.m }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// authorized checks the bearer token, when one is set.
func (s *Server) authorized(r *http.Request) bool {
	if s.opt.Token == "" {
		return true
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == "" || got == r.Header.Get("Authorization") {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.Token)) == 1
}

// upgrade authorizes and upgrades a websocket request.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) (*wsConn, bool) {
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="simgym"`)
		http.Error(w, "simgym: missing or wrong bearer token", http.StatusUnauthorized)
		return nil, false
	}
	if s.closing.Load() {
		http.Error(w, "simgym: shutting down", http.StatusServiceUnavailable)
		return nil, false
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return nil, false
	}
	ws.SetReadLimit(16 * s.opt.MaxMessageBytes)
	c := &wsConn{ws: ws, out: make(chan message, 256), done: make(chan struct{})}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.met.conns.Inc()
	go c.writeLoop()
	return c, true
}

func (s *Server) dropConn(c *wsConn, closeMsg []byte) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.met.conns.Dec()
	c.shutdown(closeMsg)
}

// wsConn serialises writes to one websocket.
type wsConn struct {
	ws   *websocket.Conn
	out  chan message
	done chan struct{}
	once sync.Once
}

// message is one outgoing text message, in parts written one after
// another: a step's observation goes out as it came from the tool, not
// copied into a reply buffer.
type message struct {
	head, body, tail []byte
}

// read reads the next message into buf, which it returns the bytes of.
func (c *wsConn) read(buf *bytes.Buffer) ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // a rare big message's buffer is not kept
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *wsConn) send(msg message) {
	select {
	case c.out <- msg:
	case <-c.done:
	}
}

// write sends one message.
func (c *wsConn) write(msg message, timeout time.Duration) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(timeout))
	w, err := c.ws.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	for _, part := range [][]byte{msg.head, msg.body, msg.tail} {
		if _, err := w.Write(part); err != nil {
			_ = w.Close()
			return err
		}
	}
	return w.Close()
}

func (c *wsConn) writeLoop() {
	for {
		select {
		case msg := <-c.out:
			if err := c.write(msg, 30*time.Second); err != nil {
				c.shutdown(nil)
				return
			}
		case <-c.done:
			return
		}
	}
}

// shutdown flushes queued replies, sends a close frame (msg, or a normal
// closure when nil) and closes.
func (c *wsConn) shutdown(msg []byte) {
	c.once.Do(func() {
		close(c.done)
		for {
			select {
			case msg := <-c.out:
				_ = c.write(msg, time.Second)
				continue
			default:
			}
			break
		}
		if msg == nil {
			msg = websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		}
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.ws.Close()
	})
}

// serveGym runs one connection of the simgym protocol.
func (s *Server) serveGym(w http.ResponseWriter, r *http.Request) {
	c, ok := s.upgrade(w, r)
	if !ok {
		return
	}
	owner := s.m.NewOwner()
	ctx, cancel := context.WithCancel(context.Background())
	var conns sync.WaitGroup
	sem := make(chan struct{}, s.opt.MaxInflight)
	var closeMsg []byte
	defer func() {
		// Let this connection's in-flight requests finish, then free its
		// episodes: a client that vanished leaves nothing behind.
		conns.Wait()
		cancel()
		s.m.CloseOwner(owner)
		s.dropConn(c, closeMsg)
	}()
	var buf bytes.Buffer // each request is decoded (copied) before the next read
	for {
		data, err := c.read(&buf)
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				closeMsg = websocket.FormatCloseMessage(websocket.CloseMessageTooBig, fmt.Sprintf("message over %d bytes", 16*s.opt.MaxMessageBytes))
			}
			return
		}
		if int64(len(data)) > s.opt.MaxMessageBytes {
			s.replyError(c, nil, CodeTooLarge, fmt.Sprintf("message of %d bytes, at most %d (max_message_bytes)", len(data), s.opt.MaxMessageBytes))
			continue
		}
		req, err := Decode(data)
		if err != nil {
			s.replyError(c, req.ID, codeOf(err), err.Error())
			continue
		}
		if s.closing.Load() {
			s.replyError(c, req.ID, CodeShuttingDown, "the server is shutting down")
			continue
		}
		if req.Op == "step" && len(sem) == 0 {
			// A step with nothing else in flight on this connection runs
			// here: no goroutine to schedule, which keeps the latency
			// tail short when the CPUs are busy.
			s.inflight.Add(1)
			c.send(s.handle(ctx, owner, req))
			s.inflight.Done()
			continue
		}
		sem <- struct{}{}
		conns.Add(1)
		s.inflight.Add(1)
		go func() {
			defer func() {
				<-sem
				conns.Done()
				s.inflight.Done()
			}()
			c.send(s.handle(ctx, owner, req))
		}()
	}
}

func (s *Server) replyError(c *wsConn, id json.RawMessage, code, msg string) {
	s.met.errors.WithLabelValues(code).Inc()
	c.send(message{head: encode(Reply{ID: id, Error: &ErrorBody{Code: code, Message: msg}})})
}

func encode(r Reply) []byte {
	if r.ID == nil {
		r.ID = json.RawMessage("null")
	}
	data, err := json.Marshal(r)
	if err != nil {
		data, _ = json.Marshal(Reply{ID: r.ID, Error: &ErrorBody{Code: CodeInternal, Message: "encode reply: " + err.Error()}})
	}
	return data
}

// handle answers one decoded request.
func (s *Server) handle(ctx context.Context, owner uint64, req *Request) message {
	start := time.Now()
	defer func() {
		obs, ok := s.met.opLatency[req.Op]
		if !ok {
			obs = s.met.latency.WithLabelValues(req.Op)
		}
		obs.Observe(time.Since(start).Seconds())
	}()
	var msg message
	var reply Reply
	var err error
	if req.Op == "step" {
		msg, err = s.step(ctx, owner, req)
	} else {
		reply, err = s.dispatch(ctx, owner, req)
	}
	if err != nil {
		code := codeOf(err)
		s.met.errors.WithLabelValues(code).Inc()
		return message{head: encode(Reply{ID: req.ID, Error: &ErrorBody{Code: code, Message: err.Error()}})}
	}
	if msg.head != nil {
		return msg
	}
	reply.ID = req.ID
	return message{head: encode(reply)}
}

func (s *Server) dispatch(ctx context.Context, owner uint64, req *Request) (Reply, error) {
	switch req.Op {
	case "hello":
		var envs []EnvInfo
		for _, w := range s.m.Worlds() {
			in := w.Info()
			envs = append(envs, EnvInfo{Name: in.Name, Description: in.Description, Tasks: len(in.TaskIDs), TaskIDs: in.TaskIDs, Tools: in.Tools})
		}
		return Reply{Version: Version, Environments: envs}, nil
	case "reset":
		ep, err := s.m.Reset(ctx, owner, req.Env, req.Task, req.Seed)
		if err != nil {
			return Reply{}, err
		}
		s.met.resets.Inc()
		return Reply{Episode: ep.ID, Observation: ep.Observation(), Info: map[string]any{"task": ep.TaskID(), "env": ep.EnvName, "max_steps": s.m.Limits().MaxSteps}}, nil
	case "step":
		r, err := s.m.Step(ctx, owner, req.Episode, *req.Action)
		if err != nil {
			return Reply{}, err
		}
		s.met.steps.Inc()
		return Reply{Episode: req.Episode, Observation: r.Observation, Reward: &r.Reward, Done: &r.Done, Truncated: &r.Truncated, Info: r.Info}, nil
	case "fork":
		ep, err := s.m.Fork(ctx, owner, req.Episode)
		if err != nil {
			return Reply{}, err
		}
		s.met.forks.Inc()
		return Reply{Episode: ep.ID, Info: map[string]any{"parent": req.Episode, "steps": len(ep.Turns())}}, nil
	case "close":
		if err := s.m.Close(owner, req.Episode); err != nil {
			return Reply{}, err
		}
		s.met.closes.Inc()
		return Reply{Episode: req.Episode}, nil
	}
	return Reply{}, perr(CodeUnknownOp, "unknown op %q", req.Op)
}

// step answers a step, writing the reply by hand around the
// observation: steps are the hot path, and the observation is JSON
// already.
func (s *Server) step(ctx context.Context, owner uint64, req *Request) (message, error) {
	r, err := s.m.Step(ctx, owner, req.Episode, *req.Action)
	if err != nil {
		return message{}, err
	}
	s.met.steps.Inc()
	info, err := json.Marshal(r.Info)
	if err != nil {
		return message{}, fmt.Errorf("encode step info: %w", err)
	}
	ep, _ := json.Marshal(req.Episode)
	b := make([]byte, 0, len(info)+len(req.ID)+len(ep)+96)
	b = append(b, `{"id":`...)
	b = append(b, req.ID...)
	b = append(b, `,"episode":`...)
	b = append(b, ep...)
	b = append(b, `,"observation":`...)
	head := len(b)
	b = append(b, `,"reward":`...)
	b = strconv.AppendFloat(b, r.Reward, 'g', -1, 64)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, r.Done)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, r.Truncated)
	b = append(b, `,"info":`...)
	b = append(b, info...)
	b = append(b, '}')
	return message{head: b[:head:head], body: r.Observation, tail: b[head:]}, nil
}

// Shutdown stops taking requests, lets in-flight ones finish (until ctx
// ends), then closes every connection with a normal close frame and frees
// all episodes.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown(websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"))
	}
	s.m.CloseAll()
	return err
}
