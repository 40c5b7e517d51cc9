package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/simgym/simgym/env"
)

// serveIndex is what `simgym serve` says at start-up and answers at
// GET /: where it listens, how to connect, what it serves.
type serveIndex struct {
	Service       string          `json:"service"`
	Version       string          `json:"version"`
	Listen        string          `json:"listen"`
	Endpoints     []serveEndpoint `json:"endpoints"`
	Environments  []serveEnv      `json:"environments"`
	Tasks         int             `json:"tasks"`
	WebIndex      string          `json:"web_index,omitempty"`
	TokenRequired bool            `json:"token_required"`
}

// serveEndpoint is one way to talk to the server.
type serveEndpoint struct {
	URL  string `json:"url"`
	What string `json:"what"`
}

// serveEnv is one environment served.
type serveEnv struct {
	Name  string `json:"name"`
	Tasks int    `json:"tasks"`
	Tools int    `json:"tools"`
}

// newServeIndex describes a server listening on addr over the manager's
// worlds; webIndex is the search index in use ("" for none).
func newServeIndex(addr net.Addr, m *env.Manager, webIndex string, token bool) serveIndex {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("localhost", fmt.Sprint(ta.Port))
	}
	ws, h := "ws://"+host, "http://"+host
	ix := serveIndex{Service: "simgym", Version: versionText(), Listen: addr.String(), WebIndex: webIndex, TokenRequired: token}
	ix.Endpoints = []serveEndpoint{
		{ws + "/v1/gym", "websocket, simgym's protocol (SPEC.md): hello, reset, step, fork, close; many episodes per connection"},
		{ws + "/ws", "websocket, OpenEnv's protocol: one episode per connection"},
		{h + "/reset", "OpenEnv over HTTP: POST /reset, POST /step, GET /state, /health, /metadata, /schema"},
		{h + "/mcp", "MCP over HTTP (JSON-RPC 2.0), OpenEnv's sessions"},
		{h + "/mcp/{env}", "MCP of one environment: its tools as MCP tools"},
	}
	if webIndex != "" {
		ix.Endpoints = append(ix.Endpoints, serveEndpoint{h + "/retrieve", "POST: Search-R1 retrieval over the web index"})
	}
	ix.Endpoints = append(ix.Endpoints,
		serveEndpoint{h + "/healthz", "GET: {\"status\":\"ok\"} while serving (no token needed)"},
		serveEndpoint{h + "/metrics", "GET: Prometheus metrics"},
		serveEndpoint{h + "/", "GET: this index (JSON; text for Accept: text/plain or a browser)"},
	)
	for _, w := range m.Worlds() {
		info := w.Info()
		ix.Environments = append(ix.Environments, serveEnv{Name: info.Name, Tasks: len(info.TaskIDs), Tools: len(info.Tools)})
		ix.Tasks += len(info.TaskIDs)
	}
	return ix
}

// writeText prints the index for people.
func (ix serveIndex) writeText(w io.Writer) {
	fmt.Fprintf(w, "simgym: serving %d environments (%d tasks) on %s\n", len(ix.Environments), ix.Tasks, ix.Endpoints[0].URL)
	fmt.Fprintln(w, "connect:")
	for _, e := range ix.Endpoints {
		fmt.Fprintf(w, "  %-40s %s\n", e.URL, e.What)
	}
	fmt.Fprintln(w, "environments (name, tasks, tools):")
	for _, e := range ix.Environments {
		fmt.Fprintf(w, "  %-28s %5d tasks %4d tools\n", e.Name, e.Tasks, e.Tools)
	}
	if ix.WebIndex != "" {
		fmt.Fprintf(w, "web index: %s\n", ix.WebIndex)
	} else {
		fmt.Fprintln(w, "web index: none (--no-web)")
	}
	if ix.TokenRequired {
		fmt.Fprintln(w, "token: required on every endpoint but /healthz (Authorization: Bearer TOKEN, or ?token=TOKEN)")
	} else {
		fmt.Fprintln(w, "token: none required")
	}
}

// ServeHTTP answers GET / with the index: JSON, or text when the
// client asks for text/plain or HTML (a browser).
func (ix serveIndex) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "text/plain") || strings.Contains(accept, "text/html") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ix.writeText(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(ix)
}
