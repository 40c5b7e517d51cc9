// Package openenv serves env's episodes as OpenEnv's own clients speak
// it (GenericEnvClient, MCPToolClient, `openenv validate`): the
// one-episode websocket at GET /ws, the HTTP simulation endpoints
// (POST /reset, POST /step, GET /state), OpenEnv's JSON-RPC at POST /mcp
// and the descriptive endpoints (/health, /metadata, /schema,
// /openapi.json). It mounts on a gym.Server, whose token check, limits
// and connection machinery it shares.
package openenv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/protocol"
)

// OpenEnv's error codes (its WSErrorCode).
const (
	CodeInvalidJSON = "INVALID_JSON"
	CodeUnknownType = "UNKNOWN_TYPE"
	CodeValidation  = "VALIDATION_ERROR"
	CodeExecution   = "EXECUTION_ERROR"
	CodeCapacity    = "CAPACITY_REACHED"
	CodeSession     = "SESSION_ERROR"
)

// AnswerTool is the tool through which an MCP-style client (one that
// only calls tools) gives its final answer: call_tool with tool_name
// submit_answer and arguments {"answer": TEXT} ends the episode.
const AnswerTool = "submit_answer"

// Options configure the handler. Zero values take the defaults.
type Options struct {
	// SessionIdle drops an HTTP session (and frees its episode) after
	// this long without a request (default: the manager's idle timeout,
	// else 10 minutes).
	SessionIdle time.Duration
	// MaxBodyBytes bounds an HTTP request body (default 1 MiB).
	MaxBodyBytes int64
}

// Handler serves OpenEnv's endpoints over a gym's episode manager.
type Handler struct {
	g   *gym.Server
	m   *env.Manager
	opt Options
	// tools holds each environment's tools in MCP's shape (name,
	// description, inputSchema), with AnswerTool last.
	tools map[string][]mcpTool
	names []string

	mu        sync.Mutex
	sessions  map[string]*session // HTTP sessions, by episode_id
	lastSweep time.Time
}

// Routes are the patterns Mount registers.
var Routes = []string{
	"GET /ws", "GET /health", "GET /metadata", "GET /schema", "GET /openapi.json",
	"POST /reset", "POST /step", "GET /state", "POST /mcp",
}

// Mount serves OpenEnv's endpoints on g (see Routes) and returns the
// handler.
func Mount(g *gym.Server, opt Options) *Handler {
	h := New(g, opt)
	for _, p := range Routes {
		g.Handle(p, h)
	}
	return h
}

// New makes the handler without mounting it; its ServeHTTP routes the
// paths of Routes.
func New(g *gym.Server, opt Options) *Handler {
	m := g.Manager()
	if opt.SessionIdle <= 0 {
		opt.SessionIdle = m.Limits().IdleTimeout
		if opt.SessionIdle <= 0 {
			opt.SessionIdle = 10 * time.Minute
		}
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	h := &Handler{g: g, m: m, opt: opt, tools: map[string][]mcpTool{}, sessions: map[string]*session{}, lastSweep: time.Now()}
	for _, w := range m.Worlds() {
		in := w.Info()
		h.names = append(h.names, in.Name)
		h.tools[in.Name] = mcpTools(in.Tools)
	}
	sort.Strings(h.names)
	return h
}

// ServeHTTP routes one of Routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /ws":
		h.g.ServeSession(w, r, "openenv", h.newSession())
	case "GET /health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "healthy"})
	case "GET /metadata":
		writeJSON(w, http.StatusOK, h.metadata())
	case "GET /schema":
		writeJSON(w, http.StatusOK, schemas)
	case "GET /openapi.json":
		writeJSON(w, http.StatusOK, openAPI)
	case "POST /reset":
		h.httpReset(w, r)
	case "POST /step":
		h.httpStep(w, r)
	case "GET /state":
		h.httpState(w, r)
	case "POST /mcp":
		h.httpMCP(w, r)
	default:
		http.NotFound(w, r)
	}
}

// metadata is OpenEnv's EnvironmentMetadata: the environment's name and
// description when one is served, else simgym's with the list.
func (h *Handler) metadata() map[string]string {
	md := map[string]string{"version": gym.Version, "documentation_url": "https://github.com/simgym/simgym"}
	if ws := h.m.Worlds(); len(ws) == 1 {
		in := ws[0].Info()
		md["name"], md["description"] = in.Name, in.Description
		if md["description"] == "" {
			md["description"] = "simgym environment " + in.Name
		}
		return md
	}
	md["name"] = "simgym"
	md["description"] = "simgym environments (name one as env in reset): " + strings.Join(h.names, ", ")
	return md
}

// mcpTool is a tool as MCP lists it and OpenEnv's MCP client reads it.
type mcpTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"inputSchema"`
}

var answerTool = mcpTool{Name: AnswerTool, Description: "Give the final answer to the user; this ends the episode and its result carries the reward.",
	InputSchema: json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string","description":"the final answer"}},"required":["answer"]}`)}

// mcpTools turns OpenAI-format tools into MCP's shape, AnswerTool last.
func mcpTools(ts []protocol.Tool) []mcpTool {
	out := make([]mcpTool, 0, len(ts)+1)
	for _, t := range ts {
		schema := t.Function.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out = append(out, mcpTool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	return append(out, answerTool)
}

// writeJSON writes v as the JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// newID makes an episode_id for a session that was given none.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "oe-" + hex.EncodeToString(b[:])
}
