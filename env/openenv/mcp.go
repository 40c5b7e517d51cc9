package openenv

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/simgym/simgym/env/gym"
)

// JSON-RPC 2.0 error codes.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
	rpcInternal       = -32603
	rpcServerError    = -32000
)

type rpcRequest struct {
	JSONRPC *string         `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
	ID      json.RawMessage `json:"id"`
}

// rpcParams are the parameters of every method served.
type rpcParams struct {
	SessionID string          `json:"session_id"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	resetData
}

// rpc answers one JSON-RPC request of OpenEnv's MCP: tools/list,
// tools/call, initialize, and OpenEnv's openenv/session/create and
// openenv/session/close. own is the websocket's session (nil over
// HTTP): the default of tools/call and tools/list there; elsewhere
// params.session_id names an HTTP session.
func (h *Handler) rpc(ctx context.Context, data []byte, own *session) []byte {
	var req rpcRequest
	id := json.RawMessage("null")
	respond := func(result any, e *rpcError) []byte {
		if len(req.ID) > 0 {
			id = req.ID
		}
		if e != nil {
			h.g.CountError("openenv_mcp")
		}
		out, err := json.Marshal(rpcResponse{JSONRPC: "2.0", Result: result, Error: e, ID: id})
		if err != nil {
			out, _ = json.Marshal(rpcResponse{JSONRPC: "2.0", Error: &rpcError{Code: rpcInternal, Message: "encode result: " + err.Error()}, ID: id})
		}
		return out
	}
	if err := json.Unmarshal(data, &req); err != nil {
		if !json.Valid(data) {
			return respond(nil, &rpcError{Code: rpcParseError, Message: "Parse error: " + err.Error()})
		}
		return respond(nil, &rpcError{Code: rpcInvalidRequest, Message: "Invalid request: " + err.Error()})
	}
	switch {
	case req.JSONRPC != nil && *req.JSONRPC != "2.0":
		return respond(nil, &rpcError{Code: rpcInvalidRequest, Message: `Invalid request: jsonrpc must be "2.0"`})
	case req.Method == "":
		return respond(nil, &rpcError{Code: rpcInvalidRequest, Message: "Invalid request: method is required (tools/list, tools/call, openenv/session/create, openenv/session/close)"})
	}
	var p rpcParams
	if ps := bytes.TrimSpace(req.Params); len(ps) > 0 && string(ps) != "null" {
		if ps[0] != '{' {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "Params must be an object"})
		}
		if err := json.Unmarshal(ps, &p); err != nil {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "Invalid params: " + err.Error()})
		}
	}
	// The session a method acts on: the one named, else the websocket's.
	target := own
	if p.SessionID != "" && (own == nil || p.SessionID != own.state().episodeIDOr()) {
		if target = h.lookup(p.SessionID); target == nil {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "Unknown session_id: " + p.SessionID})
		}
	}
	switch req.Method {
	case "initialize":
		return respond(map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{"tools": map[string]any{}},
			"serverInfo": map[string]string{"name": "simgym", "version": gym.Version}}, nil)
	case "openenv/session/create":
		if own != nil && p.SessionID == "" {
			return respond(map[string]string{"session_id": own.state().episodeIDOr()}, nil)
		}
		s, r, f := h.createSession(ctx, p.resetData)
		if f != nil {
			return respond(nil, rpcFailure(f))
		}
		return respond(map[string]any{"session_id": s.state().episodeIDOr(), "observation": r.Observation, "metadata": r.Metadata}, nil)
	case "openenv/session/close":
		if p.SessionID == "" {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "Invalid params - 'session_id' is required"})
		}
		if target == own {
			return respond(nil, &rpcError{Code: rpcInvalidRequest, Message: "Cannot close active WebSocket-managed session via MCP method"})
		}
		h.drop(p.SessionID, target)
		return respond(map[string]any{"session_id": p.SessionID, "closed": true}, nil)
	case "tools/list":
		var tools []mcpTool
		var f *failure
		if target != nil {
			tools, f = target.toolList(p.Env)
		} else {
			tools, f = h.toolsOf(p.Env)
		}
		if f != nil {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: f.msg})
		}
		return respond(map[string]any{"tools": tools}, nil)
	case "tools/call":
		if p.Name == "" {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "Missing 'name' in params"})
		}
		if target == nil {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: "tools/call needs params.session_id: create a session with openenv/session/create or POST /reset"})
		}
		act, _ := json.Marshal(map[string]any{"type": "call_tool", "tool_name": p.Name, "arguments": p.Arguments})
		pa, f := parseAction(act)
		if f != nil {
			return respond(nil, &rpcError{Code: rpcInvalidParams, Message: f.msg})
		}
		out, f := target.step(ctx, pa)
		if f != nil {
			return respond(nil, rpcFailure(f))
		}
		return respond(callResult(out), nil)
	}
	return respond(nil, &rpcError{Code: rpcMethodNotFound, Message: "Method not found: " + req.Method})
}

// rpcFailure turns an OpenEnv failure into a JSON-RPC error, its code
// in data.
func rpcFailure(f *failure) *rpcError {
	code := rpcServerError
	if f.code == CodeValidation {
		code = rpcInvalidParams
	}
	return &rpcError{Code: code, Message: f.msg, Data: map[string]string{"code": f.code}}
}

// callResult is tools/call's result: MCP's content (the tool's result
// as text) and isError, with data (the result itself, which OpenEnv's
// MCP client returns), reward, done and metadata.
func callResult(step []byte) map[string]any {
	var r struct {
		Observation struct {
			Result json.RawMessage `json:"result"`
		} `json:"observation"`
		Reward   *float64        `json:"reward"`
		Done     bool            `json:"done"`
		Metadata json.RawMessage `json:"metadata"`
	}
	_ = json.Unmarshal(step, &r)
	var info struct {
		ToolError bool `json:"tool_error"`
	}
	_ = json.Unmarshal(r.Metadata, &info)
	return map[string]any{
		"content":  []map[string]string{{"type": "text", "text": string(r.Observation.Result)}},
		"isError":  info.ToolError,
		"data":     r.Observation.Result,
		"reward":   r.Reward,
		"done":     r.Done,
		"metadata": r.Metadata,
	}
}

// episodeIDOr is the state's episode_id, or "".
func (st stateData) episodeIDOr() string {
	if st.EpisodeID == nil {
		return ""
	}
	return *st.EpisodeID
}
