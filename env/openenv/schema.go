package openenv

import (
	"encoding/json"

	"github.com/simgym/simgym/env/gym"
)

// schemas is GET /schema: JSON Schemas of the action, the observation
// and the state (OpenEnv's SchemaResponse).
var schemas = map[string]json.RawMessage{
	"action": json.RawMessage(`{
  "title": "Action",
  "description": "A tool call, a final answer, or one of OpenEnv's MCP actions (call_tool submit_answer gives the final answer).",
  "oneOf": [
    {"title": "ToolCall", "type": "object", "properties": {"tool": {"type": "string"}, "arguments": {"type": "object"}}, "required": ["tool"]},
    {"title": "Answer", "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
    {"title": "CallToolAction", "type": "object", "properties": {"type": {"const": "call_tool"}, "tool_name": {"type": "string"}, "arguments": {"type": "object"}}, "required": ["type", "tool_name"]},
    {"title": "ListToolsAction", "type": "object", "properties": {"type": {"const": "list_tools"}}, "required": ["type"]}
  ]
}`),
	"observation": json.RawMessage(`{
  "title": "Observation",
  "type": "object",
  "description": "After reset: instruction and tools (MCP shape). After a tool call: the tool (tool, or tool_name for call_tool) and its JSON result. After list_tools: tools. After the answer: status.",
  "properties": {
    "instruction": {"type": "string"},
    "tools": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "inputSchema": {"type": "object"}}, "required": ["name", "description", "inputSchema"]}},
    "tool": {"type": "string"},
    "tool_name": {"type": "string"},
    "result": {},
    "status": {"type": "string"},
    "done": {"type": "boolean", "default": false},
    "reward": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": null},
    "metadata": {"type": "object"}
  }
}`),
	"state": json.RawMessage(`{
  "title": "State",
  "type": "object",
  "properties": {
    "episode_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
    "step_count": {"type": "integer", "minimum": 0, "default": 0},
    "env": {"type": "string"},
    "task": {"type": "string"},
    "done": {"type": "boolean"}
  }
}`),
}

// openAPI is GET /openapi.json: the endpoints of the simulation mode,
// as `openenv validate` reads them (info.version, paths).
var openAPI = map[string]any{
	"openapi": "3.1.0",
	"info": map[string]string{
		"title":       "simgym OpenEnv HTTP API",
		"version":     "1.0.0",
		"description": "OpenEnv's environment API over simgym's episodes (" + gym.Version + ").",
	},
	"paths": map[string]any{
		"/reset":    op("post", "Start an episode: {env, task | seed, episode_id}; its episode_id comes back in metadata and the X-Episode-Id header."),
		"/step":     op("post", "Run {\"action\": ACTION} in the episode named by X-Episode-Id (or episode_id)."),
		"/state":    op("get", "The named episode's state: episode_id, step_count."),
		"/health":   op("get", "Health check."),
		"/metadata": op("get", "Environment name and description."),
		"/schema":   op("get", "JSON Schemas of action, observation and state."),
		"/mcp":      op("post", "JSON-RPC 2.0: tools/list, tools/call, openenv/session/create, openenv/session/close."),
		"/ws":       op("get", "Websocket: one episode per connection (reset, step, state, close, mcp)."),
	},
}

func op(method, summary string) map[string]any {
	return map[string]any{method: map[string]any{
		"summary":   summary,
		"responses": map[string]any{"200": map[string]string{"description": "Successful Response"}},
	}}
}
