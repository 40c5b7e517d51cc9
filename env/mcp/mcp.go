// Package mcp serves episodes over the Model Context Protocol, streamable
// HTTP transport (built on github.com/modelcontextprotocol/go-sdk). An MCP
// session is one episode: the client names the environment and the task
// or seed by route, /mcp/{env}?task=ID or /mcp/{env}?seed=N. The
// session's tools are the environment's tools plus submit_answer, which
// ends the episode and returns its reward and info; the task's
// instruction is the server's instructions in the initialize result and
// the resource simgym://instruction. Closing the session (HTTP DELETE),
// or leaving it idle past the session timeout, frees its episode.
package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/simgym/simgym/env"
)

// Pattern is the route the handler serves.
const Pattern = "/mcp/{env}"

// Routes are the http.ServeMux patterns to mount the handler on: the
// methods of streamable HTTP on Pattern (method-qualified, so that they
// sit beside catch-all GET routes).
func Routes() []string {
	return []string{"GET " + Pattern, "POST " + Pattern, "DELETE " + Pattern}
}

// SubmitTool is the tool that ends an episode with the agent's answer.
const SubmitTool = "submit_answer"

// InstructionURI is the resource holding the episode's instruction.
const InstructionURI = "simgym://instruction"

// JSON-RPC error codes of the handler's own errors, beside JSON-RPC's
// standard ones.
const (
	// CodeInvalidParams: an unknown environment or task, or a bad seed.
	CodeInvalidParams = -32602
	// CodeLimit: the server holds as many episodes as it may.
	CodeLimit = -32001
	// CodeShuttingDown: the server takes no new sessions.
	CodeShuttingDown = -32002
	// CodeInternal: the server failed.
	CodeInternal = -32603
)

// ErrShuttingDown refuses sessions once Close has begun.
var ErrShuttingDown = errors.New("the server is shutting down")

// Options configure a Handler. Zero values take the defaults.
type Options struct {
	// SessionTimeout closes a session (and frees its episode) after this
	// long without a request (default: the manager's idle timeout, else
	// 10 minutes).
	SessionTimeout time.Duration
	// Version is the server version reported at initialize.
	Version string
	// MaxRequestBytes bounds one request body (default 1 MiB).
	MaxRequestBytes int64
	// Stream answers requests as server-sent event streams rather than
	// single JSON bodies; both are streamable HTTP, and JSON is cheaper.
	Stream bool
	// Logger logs the SDK's activity (default: none).
	Logger *slog.Logger
}

// Handler serves MCP sessions over a manager's environments. It is an
// http.Handler for Pattern.
type Handler struct {
	m      *env.Manager
	opt    Options
	worlds map[string]*world
	names  []string
	sdk    *sdk.StreamableHTTPHandler
	base   *sdk.Server // answers protocol-version checks; never connected

	mu      sync.Mutex
	live    map[*sdk.ServerSession]*session
	closing bool
	waiters sync.WaitGroup
}

// world is an environment as MCP sees it: its tools converted once.
type world struct {
	info  env.WorldInfo
	tools []*sdk.Tool
	srv   *sdk.Server
}

// New makes a handler over the manager's environments (call it once
// every world is added to the manager). It fails when an
// environment's tool cannot be served over MCP (its parameters are not
// a JSON Schema object, or it is named submit_answer).
func New(m *env.Manager, opt Options) (*Handler, error) {
	if opt.SessionTimeout <= 0 {
		opt.SessionTimeout = m.Limits().IdleTimeout
		if opt.SessionTimeout <= 0 {
			opt.SessionTimeout = 10 * time.Minute
		}
	}
	if opt.MaxRequestBytes <= 0 {
		opt.MaxRequestBytes = 1 << 20
	}
	if opt.Version == "" {
		opt.Version = "simgym"
	}
	h := &Handler{m: m, opt: opt, worlds: map[string]*world{}, live: map[*sdk.ServerSession]*session{}}
	for _, w := range m.Worlds() {
		info := w.Info()
		tools, err := Tools(info)
		if err != nil {
			return nil, err
		}
		wd := &world{info: info, tools: tools}
		wd.srv = h.server(wd)
		h.worlds[info.Name] = wd
		h.names = append(h.names, info.Name)
	}
	sort.Strings(h.names)
	h.base = sdk.NewServer(&sdk.Implementation{Name: "simgym", Version: opt.Version}, &sdk.ServerOptions{Logger: opt.Logger})
	h.sdk = sdk.NewStreamableHTTPHandler(func(r *http.Request) *sdk.Server {
		if s, ok := r.Context().Value(sessionKey{}).(*session); ok {
			return s.w.srv
		}
		return h.base
	}, &sdk.StreamableHTTPOptions{
		SessionTimeout:      opt.SessionTimeout,
		JSONResponse:        !opt.Stream,
		MaxRequestBodyBytes: opt.MaxRequestBytes,
		Logger:              opt.Logger,
	})
	return h, nil
}

// Tools converts a world's tools (OpenAI format) to MCP tools, with
// submit_answer last.
func Tools(info env.WorldInfo) ([]*sdk.Tool, error) {
	out := make([]*sdk.Tool, 0, len(info.Tools)+1)
	for _, t := range info.Tools {
		f := t.Function
		if f.Name == SubmitTool {
			return nil, fmt.Errorf("mcp: environment %s: tool %s clashes with the answer tool", info.Name, f.Name)
		}
		schema := map[string]any{}
		if len(f.Parameters) > 0 && string(f.Parameters) != "null" {
			if err := json.Unmarshal(f.Parameters, &schema); err != nil {
				return nil, fmt.Errorf("mcp: environment %s: tool %s: parameters: %w", info.Name, f.Name, err)
			}
		}
		switch typ, ok := schema["type"]; {
		case !ok:
			schema["type"] = "object"
		case typ != "object":
			return nil, fmt.Errorf("mcp: environment %s: tool %s: parameters are of type %v, not object", info.Name, f.Name, typ)
		}
		out = append(out, &sdk.Tool{Name: f.Name, Description: f.Description, InputSchema: schema})
	}
	return append(out, submitTool()), nil
}

func submitTool() *sdk.Tool {
	return &sdk.Tool{
		Name:        SubmitTool,
		Description: "Give your final answer to the user. This ends the episode; the result carries its reward and info.",
		InputSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"answer": map[string]any{"type": "string", "description": "The final answer to the user's request."},
			},
			"required": []any{"answer"},
		},
	}
}

// Sessions counts sessions holding an episode.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.live)
}

// ServeHTTP serves /mcp/{env}. A POST without a session id starts a
// session (an episode once it initializes) on ?task=ID or ?seed=N;
// other requests belong to the session their Mcp-Session-Id names.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("env")
	if name == "" {
		name = strings.TrimPrefix(r.URL.Path, "/mcp/")
	}
	wd := h.worlds[name]
	if wd == nil {
		writeError(w, http.StatusNotFound, CodeInvalidParams, fmt.Sprintf("%v %q (have %s)", env.ErrUnknownEnv, name, strings.Join(h.names, ", ")))
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" {
		taskID, seed, err := route(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, CodeInvalidParams, err.Error())
			return
		}
		h.mu.Lock()
		closing := h.closing
		h.mu.Unlock()
		if closing {
			writeError(w, http.StatusServiceUnavailable, CodeShuttingDown, ErrShuttingDown.Error())
			return
		}
		s := &session{h: h, w: wd, taskID: taskID, seed: seed}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
	}
	rw := &rpcWriter{ResponseWriter: w}
	if r.Method == http.MethodPost && r.Body != nil {
		r.Body = teeBody{io.TeeReader(r.Body, &rw.request), r.Body}
	}
	h.sdk.ServeHTTP(rw, r)
	rw.finish()
}

// JSON-RPC's codes for messages that are not JSON, not requests, or
// name no method the server has.
const (
	codeParse          = -32700
	codeInvalidRequest = -32600
	codeMethodNotFound = -32601
)

// rpcWriter turns the SDK's plain-text error replies (to malformed
// JSON, a message that is not a request, an unknown method, an unknown
// session) into JSON-RPC error responses with the same HTTP status.
type rpcWriter struct {
	http.ResponseWriter
	request   bytes.Buffer // the request body, as the SDK read it
	intercept bool
	status    int
	text      bytes.Buffer
}

type teeBody struct {
	io.Reader
	io.Closer
}

func (w *rpcWriter) WriteHeader(code int) {
	if code >= 400 && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.intercept, w.status = true, code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *rpcWriter) Write(b []byte) (int, error) {
	if w.intercept {
		return w.text.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes through, for event streams.
func (w *rpcWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.intercept {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *rpcWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes an intercepted error as JSON-RPC, with the request's id
// when it has one.
func (w *rpcWriter) finish() {
	if !w.intercept {
		return
	}
	msg := strings.TrimSpace(w.text.String())
	code := codeInvalidRequest
	switch {
	case strings.HasPrefix(msg, "malformed payload") && !json.Valid(w.request.Bytes()):
		code = codeParse
	case strings.HasPrefix(msg, "JSON RPC not handled"):
		code = codeMethodNotFound
	}
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	id := json.RawMessage("null")
	if json.Unmarshal(w.request.Bytes(), &req) == nil && len(req.ID) > 0 && (req.ID[0] == '"' || req.ID[0] == '-' || req.ID[0] >= '0' && req.ID[0] <= '9') {
		id = req.ID
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": code, "message": msg}})
	w.Header().Del("X-Content-Type-Options")
	w.Header().Set("Content-Type", "application/json")
	w.ResponseWriter.WriteHeader(w.status)
	_, _ = w.ResponseWriter.Write(body)
}

// route reads a new session's task or seed from the query.
func route(r *http.Request) (string, *int64, error) {
	q := r.URL.Query()
	taskID, seedText := q.Get("task"), q.Get("seed")
	switch {
	case taskID != "" && seedText != "":
		return "", nil, fmt.Errorf("mcp route %s: give task or seed, not both", r.URL.Path)
	case seedText != "":
		n, err := strconv.ParseInt(seedText, 10, 64)
		if err != nil {
			return "", nil, fmt.Errorf("mcp route %s: seed %q: %w", r.URL.Path, seedText, err)
		}
		return "", &n, nil
	}
	return taskID, nil, nil
}

// writeError answers an HTTP request with a JSON-RPC error (id null:
// the request was not read).
func writeError(w http.ResponseWriter, status, code int, msg string) {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": nil, "error": map[string]any{"code": code, "message": msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Close ends every session, freeing its episode, and refuses new ones.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closing = true
	live := make([]*sdk.ServerSession, 0, len(h.live))
	for ss := range h.live {
		live = append(live, ss)
	}
	h.mu.Unlock()
	var errs []error
	for _, ss := range live {
		if err := ss.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close mcp session %s: %w", ss.ID(), err))
		}
	}
	h.waiters.Wait()
	return errors.Join(errs...)
}

// sessionOf returns the session an MCP session holds, or nil.
func (h *Handler) sessionOf(ss *sdk.ServerSession) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.live[ss]
}

// track holds a session's episode until the session ends.
func (h *Handler) track(ss *sdk.ServerSession, s *session, owner uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return ErrShuttingDown
	}
	h.live[ss] = s
	h.waiters.Add(1)
	go func() {
		defer h.waiters.Done()
		_ = ss.Wait()
		h.m.CloseOwner(owner)
		h.mu.Lock()
		delete(h.live, ss)
		h.mu.Unlock()
	}()
	return nil
}
