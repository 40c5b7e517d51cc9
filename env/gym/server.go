package gym

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
)

// Version is reported by hello.
const Version = "simgym/0.1"

// Options configure a Server. Zero values take the defaults.
type Options struct {
	// Token, when set, is required on every endpoint but /healthz, as
	// "Authorization: Bearer TOKEN" (the scheme in any case) or as the
	// query parameter ?token=TOKEN (which proxies may log).
	Token string
	// AllowOrigins lists the browser origins (scheme://host[:port]) whose
	// pages may open a websocket. By default none may: a request with an
	// Origin header is refused (cross-site websocket hijacking), and
	// scripts, which send none, are served.
	AllowOrigins []string
	// MaxMessageBytes bounds one request (default 1 MiB); a larger one
	// gets a message_too_large error and the connection is closed.
	MaxMessageBytes int64
	// MaxInflight bounds requests a connection runs at once (default 64);
	// further pipelined requests wait.
	MaxInflight int
	// ConnBudget bounds, in bytes, a connection's unread replies and the
	// requests it has in flight (default 4 MiB): past it the connection
	// stops reading requests until its replies drain, and a reply that
	// would take its queue past twice the budget ends the connection
	// with an over_budget error.
	ConnBudget int64
	// ServerBudget bounds unread replies over all connections (default
	// 256 MiB); past it, a connection holding a quarter of its own budget
	// or more unread that adds more gets an over_budget error and is
	// closed (lighter connections are served on).
	ServerBudget int64
	// MaxConns bounds open websocket connections (default 16384).
	MaxConns int
	// PingInterval is how often an idle connection is pinged (default
	// 30 s); a peer that answers nothing for two intervals is dropped.
	PingInterval time.Duration
	// ConnIdleTimeout closes a connection that sent no request for this
	// long (default 15 min).
	ConnIdleTimeout time.Duration
	// WriteTimeout bounds writing one batch of replies (default 30 s).
	WriteTimeout time.Duration
	// FlushTimeout bounds the flush of queued replies when a connection
	// closes (default 2 s).
	FlushTimeout time.Duration
	// Retrieve, when set, serves POST /retrieve.
	Retrieve http.Handler
	// Extra handlers to mount, by path.
	Extra map[string]http.Handler
	// Reader, when set, serves the paths that start with /http:// or
	// /https:// (Jina Reader's GET /{url}), before the mux would clean
	// their double slashes into a redirect.
	Reader http.Handler
	// Registry collects metrics (default: a new registry).
	Registry *prometheus.Registry
}

func (o *Options) defaults() {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageSize
	}
	if o.MaxInflight <= 0 {
		o.MaxInflight = 64
	}
	if o.ConnBudget <= 0 {
		o.ConnBudget = DefaultConnBudget
	}
	if o.ServerBudget <= 0 {
		o.ServerBudget = DefaultServerBudget
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.ConnIdleTimeout <= 0 {
		o.ConnIdleTimeout = DefaultConnIdle
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = DefaultFlushTimeout
	}
}

// Server is the gym: an http.Handler for the websocket protocol and the
// service endpoints.
type Server struct {
	m   *env.Manager
	opt Options
	mux *http.ServeMux
	up  websocket.Upgrader

	work   work
	mu     sync.Mutex
	conns  map[*conn]struct{}
	queued atomic.Int64 // bytes of unread replies, all connections

	toolsJSON sync.Map // environment name -> its tools, encoded once

	helloOnce sync.Once
	helloBody []byte // the hello reply after its id, encoded once

	met metrics
}

type metrics struct {
	steps, resets, forks, closes prometheus.Counter
	errors                       *prometheus.CounterVec
	latency                      *prometheus.HistogramVec
	// opLatency holds latency's observer for each op, looked up once.
	opLatency   map[string]prometheus.Observer
	conns       prometheus.Gauge
	panics      *prometheus.CounterVec
	disconnects *prometheus.CounterVec
	refused     *prometheus.CounterVec
}

// New makes a gym over the manager's environments.
func New(m *env.Manager, opt Options) *Server {
	opt.defaults()
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
		opt.Registry.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	}
	s := &Server{m: m, opt: opt, mux: http.NewServeMux(), conns: map[*conn]struct{}{}}
	s.up = websocket.Upgrader{
		ReadBufferSize: 4 << 10, WriteBufferSize: 16 << 10,
		// Idle connections hold no write buffer.
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.originAllowed,
	}
	s.met = metrics{
		steps:  prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_steps_total", Help: "Steps taken."}),
		resets: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_resets_total", Help: "Episodes started by reset."}),
		forks:  prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_forks_total", Help: "Episodes started by fork."}),
		closes: prometheus.NewCounter(prometheus.CounterOpts{Name: "simgym_closes_total", Help: "Episodes closed by clients."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_errors_total", Help: "Error replies, by code."}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "simgym_request_seconds", Help: "Time to answer a request, by op.",
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1}}, []string{"op"}),
		conns:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "simgym_connections", Help: "Open websocket connections."}),
		panics:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_panics_total", Help: "Panics recovered while serving a client (each ended its connection), by where."}, []string{"where"}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_disconnects_total", Help: "Connections the server ended, by reason."}, []string{"reason"}),
		refused:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_refused_total", Help: "HTTP requests refused before serving, by reason."}, []string{"reason"}),
	}
	s.met.opLatency = map[string]prometheus.Observer{}
	for _, op := range []string{"hello", "reset", "step", "fork", "close"} {
		s.met.opLatency[op] = s.met.latency.WithLabelValues(op)
	}
	opt.Registry.MustRegister(s.met.steps, s.met.resets, s.met.forks, s.met.closes, s.met.errors, s.met.latency, s.met.conns,
		s.met.panics, s.met.disconnects, s.met.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "simgym_episodes_open", Help: "Open episodes."}, func() float64 { return float64(m.Open()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "simgym_reply_bytes_queued", Help: "Bytes of replies queued for clients, all connections."}, func() float64 { return float64(s.queued.Load()) }))
	s.mux.HandleFunc("GET /v1/gym", s.serveGym)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if s.work.isClosing() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`+"\n")
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

// Connections counts open websocket connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Manager returns the server's episode manager.
func (s *Server) Manager() *env.Manager { return s.m }

// ServeHTTP routes a request. With a token, every endpoint but
// /healthz needs it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/healthz" && !s.authorized(r) {
		s.met.refused.WithLabelValues("token").Inc()
		w.Header().Set("WWW-Authenticate", `Bearer realm="simgym"`)
		msg := "simgym: missing or wrong bearer token (send Authorization: Bearer TOKEN, or X-API-KEY: TOKEN)"
		if r.URL.Path == "/search" || r.URL.Path == "/scholar" {
			// Serper's callers parse every reply as JSON.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "{\"message\":%q,\"statusCode\":401}\n", msg)
			return
		}
		http.Error(w, msg, http.StatusUnauthorized)
		return
	}
	if s.opt.Reader != nil && web.IsReaderPath(r.URL.Path) {
		s.opt.Reader.ServeHTTP(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized checks the bearer token (or Serper's X-API-KEY header), when
// one is set.
func (s *Server) authorized(r *http.Request) bool {
	if s.opt.Token == "" {
		return true
	}
	got := ""
	if k := r.Header.Get("X-API-KEY"); k != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(k)), []byte(s.opt.Token)) == 1 {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, ok := strings.Cut(strings.TrimSpace(h), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		got = strings.TrimSpace(cred)
	} else {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.opt.Token)) == 1
}

// originAllowed lets scripts (no Origin header) and the allowed browser
// origins open websockets.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	for _, o := range s.opt.AllowOrigins {
		if o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin) {
			return true
		}
	}
	return false
}

// recoverIn recovers a panic in a goroutine serving a client, counting
// it; the caller's deferred cleanup then ends that connection.
func (s *Server) recoverIn(where string) {
	if p := recover(); p != nil {
		s.met.panics.WithLabelValues(where).Inc()
		log.Printf("simgym: recovered panic in %s: %v\n%s", where, p, debug.Stack())
	}
}

// upgrade upgrades a websocket request and starts its writer.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request) (*conn, bool) {
	if s.work.isClosing() {
		http.Error(w, "simgym: shutting down", http.StatusServiceUnavailable)
		return nil, false
	}
	if !s.originAllowed(r) {
		s.met.refused.WithLabelValues("origin").Inc()
		http.Error(w, fmt.Sprintf("simgym: websocket from origin %q refused (serve --allow-origin adds browser origins)", r.Header.Get("Origin")), http.StatusForbidden)
		return nil, false
	}
	s.mu.Lock()
	full := len(s.conns) >= s.opt.MaxConns
	s.mu.Unlock()
	if full {
		s.met.refused.WithLabelValues("max_connections").Inc()
		http.Error(w, fmt.Sprintf("simgym: %d connections open (max connections)", s.opt.MaxConns), http.StatusServiceUnavailable)
		return nil, false
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return nil, false
	}
	c := s.newConn(ws)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.met.conns.Inc()
	go c.writeLoop()
	return c, true
}

// dropConn closes a connection (after its queued replies) and forgets it.
func (s *Server) dropConn(c *conn, closeMsg []byte) {
	c.close(closeMsg)
	<-c.finished
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.met.conns.Dec()
}

// work counts requests being answered, and refuses new ones once the
// server is closing, so Shutdown can wait for the rest.
type work struct {
	mu      sync.Mutex
	n       int
	closing bool
	idle    chan struct{} // closed when closing and n reaches 0
}

func (w *work) begin() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return false
	}
	w.n++
	return true
}

func (w *work) end() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n--; w.n == 0 && w.closing && w.idle != nil {
		close(w.idle)
		w.idle = nil
	}
}

func (w *work) isClosing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closing
}

// drain refuses new work and waits for what runs, until ctx ends.
func (w *work) drain(ctx context.Context) error {
	w.mu.Lock()
	w.closing = true
	if w.n == 0 {
		w.mu.Unlock()
		return nil
	}
	if w.idle == nil {
		w.idle = make(chan struct{})
	}
	idle := w.idle
	w.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveGym runs one connection of the simgym protocol.
func (s *Server) serveGym(w http.ResponseWriter, r *http.Request) {
	c, ok := s.upgrade(w, r)
	if !ok {
		return
	}
	owner := s.m.NewOwner()
	ctx, cancel := context.WithCancel(context.Background())
	var reqs sync.WaitGroup
	sem := make(chan struct{}, s.opt.MaxInflight)
	var closeMsg []byte
	defer func() {
		// Let this connection's in-flight requests finish, then free its
		// episodes: a client that vanished leaves nothing behind.
		reqs.Wait()
		cancel()
		s.m.CloseOwner(owner)
		s.dropConn(c, closeMsg)
	}()
	defer s.recoverIn("reader")
	var buf bytes.Buffer // each request is decoded (copied) before the next read
	for {
		data, err := c.read(&buf)
		if errors.Is(err, errTooLarge) {
			s.replyError(c, nil, protocol.CodeTooLarge, fmt.Sprintf("message over %d bytes (max_message_bytes), skipped", s.opt.MaxMessageBytes))
			continue
		}
		if err != nil {
			closeMsg = s.readFailed(c, err, func(msg string) { s.replyError(c, nil, protocol.CodeTooLarge, msg) })
			return
		}
		req, err := Decode(data)
		if err != nil {
			s.replyError(c, req.ID, codeOf(err), err.Error())
			continue
		}
		size := int64(len(data))
		if !c.admit(size) {
			return
		}
		if !s.work.begin() {
			c.done(size)
			s.replyError(c, req.ID, protocol.CodeShuttingDown, "the server is shutting down")
			continue
		}
		if req.Op == "step" && len(sem) == 0 {
			// A step with nothing else in flight on this connection runs
			// here: no goroutine to schedule, which keeps the latency
			// tail short when the CPUs are busy.
			s.answer(ctx, c, owner, req, size)
			continue
		}
		sem <- struct{}{}
		reqs.Add(1)
		go func() {
			defer func() {
				<-sem
				reqs.Done()
			}()
			s.answer(ctx, c, owner, req, size)
		}()
	}
}

// readFailed counts why a connection's reader stopped and returns the
// close frame to end it with; tooLarge sends the client its error first.
func (s *Server) readFailed(c *conn, err error, tooLarge func(msg string)) []byte {
	var ne net.Error
	switch {
	case errors.Is(err, errFarTooLarge):
		s.met.disconnects.WithLabelValues("message_too_large").Inc()
		tooLarge(fmt.Sprintf("message over %d bytes (16 times max_message_bytes); closing the connection", 16*s.opt.MaxMessageBytes))
		return websocket.FormatCloseMessage(websocket.CloseMessageTooBig, fmt.Sprintf("message over %d bytes", s.opt.MaxMessageBytes))
	case errors.As(err, &ne) && ne.Timeout():
		s.met.disconnects.WithLabelValues("ping_timeout").Inc()
		return websocket.FormatCloseMessage(websocket.CloseGoingAway, "no answer to ping")
	}
	return nil
}

// answer handles one admitted request and queues its reply. A panic
// while answering ends the connection, never the process.
func (s *Server) answer(ctx context.Context, c *conn, owner uint64, req *protocol.Request, size int64) {
	defer s.work.end()
	defer c.done(size)
	defer func() {
		if p := recover(); p != nil {
			s.met.panics.WithLabelValues("request").Inc()
			log.Printf("simgym: recovered panic answering %s: %v\n%s", req.Op, p, debug.Stack())
			s.replyError(c, req.ID, protocol.CodeInternal, fmt.Sprintf("internal error answering %s; closing the connection", req.Op))
			c.close(websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "internal error"))
		}
	}()
	c.send(req.ID, s.handle(ctx, owner, req))
}

func (s *Server) replyError(c *conn, id json.RawMessage, code, msg string) {
	s.met.errors.WithLabelValues(code).Inc()
	c.send(id, message{head: encode(protocol.Reply{ID: id, Error: &protocol.Error{Code: code, Message: msg}})})
}

func encode(r protocol.Reply) []byte {
	if r.ID == nil {
		r.ID = json.RawMessage("null")
	}
	data, err := json.Marshal(r)
	if err != nil {
		data, _ = json.Marshal(protocol.Reply{ID: r.ID, Error: &protocol.Error{Code: protocol.CodeInternal, Message: "encode reply: " + err.Error()}})
	}
	return data
}

// handle answers one decoded request.
func (s *Server) handle(ctx context.Context, owner uint64, req *protocol.Request) message {
	start := time.Now()
	defer func() {
		obs, ok := s.met.opLatency[req.Op]
		if !ok {
			obs = s.met.latency.WithLabelValues(req.Op)
		}
		obs.Observe(time.Since(start).Seconds())
	}()
	var msg message
	var reply protocol.Reply
	var err error
	switch req.Op {
	case "step":
		msg, err = s.step(ctx, owner, req)
	case "hello":
		msg = s.hello(req.ID)
	case "reset":
		msg, err = s.reset(ctx, owner, req)
	default:
		reply, err = s.dispatch(ctx, owner, req)
	}
	if err != nil {
		code := codeOf(err)
		s.met.errors.WithLabelValues(code).Inc()
		return message{head: encode(protocol.Reply{ID: req.ID, Error: &protocol.Error{Code: code, Message: err.Error()}})}
	}
	if msg.head != nil {
		return msg
	}
	reply.ID = req.ID
	return message{head: encode(reply)}
}

// reset answers a reset, writing the reply around the environment's tool
// list, which is encoded once per environment and shared by every reset
// (it is most of the reply).
func (s *Server) reset(ctx context.Context, owner uint64, req *protocol.Request) (message, error) {
	ep, err := s.m.Reset(ctx, owner, req.Env, req.Task, req.Seed)
	if err != nil {
		return message{}, err
	}
	s.met.resets.Inc()
	obs := ep.Observation()
	tools, ok := s.toolsJSON.Load(ep.EnvName)
	if !ok {
		tools, _ = s.toolsJSON.LoadOrStore(ep.EnvName, []byte(raw(obs.Tools)))
	}
	head := append([]byte(`{"id":`), req.ID...)
	head = append(head, `,"episode":`...)
	head = append(head, raw(ep.ID)...)
	head = append(head, `,"observation":{"instruction":`...)
	head = append(head, raw(obs.Instruction)...)
	head = append(head, `,"tools":`...)
	tail := []byte{}
	if obs.System != "" {
		tail = append(append(tail, `,"system":`...), raw(obs.System)...)
	}
	tail = append(tail, `},"info":`...)
	tail = append(tail, raw(map[string]any{"task": ep.TaskID(), "env": ep.EnvName, "max_steps": s.m.Limits().MaxSteps})...)
	tail = append(tail, '}')
	return message{head: head, body: tools.([]byte), tail: tail, shared: true}, nil
}

// raw encodes a reply's part; the values the gym puts there always
// encode.
func raw(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return data
}

func (s *Server) dispatch(ctx context.Context, owner uint64, req *protocol.Request) (protocol.Reply, error) {
	switch req.Op {
	case "fork":
		ep, err := s.m.Fork(ctx, owner, req.Episode)
		if err != nil {
			return protocol.Reply{}, err
		}
		s.met.forks.Inc()
		return protocol.Reply{Episode: ep.ID, Info: raw(map[string]any{"parent": req.Episode, "steps": len(ep.Turns())})}, nil
	case "close":
		if err := s.m.Close(owner, req.Episode); err != nil {
			return protocol.Reply{}, err
		}
		s.met.closes.Inc()
		return protocol.Reply{Episode: req.Episode}, nil
	}
	return protocol.Reply{}, perr(protocol.CodeUnknownOp, "unknown op %q", req.Op)
}

// step answers a step, writing the reply by hand around the
// observation: steps are the hot path, and the observation is JSON
// already.
func (s *Server) step(ctx context.Context, owner uint64, req *protocol.Request) (message, error) {
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

// hello answers hello: the reply after its id is encoded once and
// shared by every hello (environments are fixed once serving starts).
func (s *Server) hello(id json.RawMessage) message {
	s.helloOnce.Do(func() {
		var envs []protocol.EnvInfo
		for _, w := range s.m.Worlds() {
			in := w.Info()
			envs = append(envs, protocol.EnvInfo{Name: in.Name, Description: in.Description, Tasks: len(in.TaskIDs), TaskIDs: in.TaskIDs, Tools: in.Tools})
		}
		body, err := json.Marshal(struct {
			Version      string             `json:"version"`
			Environments []protocol.EnvInfo `json:"environments"`
		}{Version, envs})
		if err != nil {
			body = []byte(`{"error":{"code":"internal","message":"encode hello"}}`)
		}
		s.helloBody = append([]byte{','}, body[1:]...)
	})
	head := make([]byte, 0, len(id)+8)
	head = append(append(head, `{"id":`...), id...)
	return message{head: head, body: s.helloBody, shared: true}
}

// Shutdown stops taking requests, lets in-flight ones finish (until ctx
// ends), then closes every connection with a going-away close frame
// (after its queued replies) and frees all episodes.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.work.drain(ctx)
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close(websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"))
	}
	for _, c := range conns {
		select {
		case <-c.finished:
		case <-ctx.Done():
			_ = c.ws.Close()
		}
	}
	s.m.CloseAll()
	return err
}
