// Package protocol holds the gym's wire types, once: the requests and
// replies of the websocket protocol (SPEC.md), the actions agents take,
// what reset and step show them, environments as hello lists them, error
// bodies and codes, and tools in OpenAI's function-calling format. The
// server (env, env/gym and the other protocols), the Go client
// (env/client) and eval all use these types.
package protocol

import (
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

// Error codes of the protocol.
const (
	CodeInvalidJSON    = "invalid_json"
	CodeInvalidRequest = "invalid_request"
	CodeUnknownOp      = "unknown_op"
	CodeUnknownEnv     = "unknown_env"
	CodeUnknownTask    = "unknown_task"
	CodeUnknownEpisode = "unknown_episode"
	CodeEpisodeDone    = "episode_done"
	CodeLimit          = "limit"
	CodeTooLarge       = "message_too_large"
	CodeInternal       = "internal"
	CodeShuttingDown   = "shutting_down"
	CodeOverBudget     = "over_budget"
	CodeEpisodeExpired = "episode_expired"
)

// Action is what an agent does in a step: a tool call, or its final
// answer to the user.
type Action struct {
	Tool      string          `json:"tool,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Answer    *string         `json:"answer,omitempty"`
}

// Call makes a tool-call action; args are marshalled to JSON.
func Call(tool string, args any) Action {
	raw, _ := json.Marshal(args)
	return Action{Tool: tool, Arguments: raw}
}

// Answer makes a final-answer action.
func Answer(text string) Action { return Action{Answer: &text} }

// Tool is a tool in OpenAI's function-calling format.
type Tool struct {
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function is the function part of a Tool.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// ToolsOf lists a domain's tools in OpenAI's format.
func ToolsOf(d *domains.Domain) []Tool {
	out := make([]Tool, len(d.Tools))
	for i, t := range d.Tools {
		out[i] = Tool{Type: "function", Function: Function{Name: t.Name, Description: t.Description, Parameters: t.Parameters}}
	}
	return out
}

// Observation is what reset shows the agent.
type Observation struct {
	Instruction string `json:"instruction"`
	Tools       []Tool `json:"tools"`
	// System is a conversational world's system prompt (tau-bench's
	// policy), empty elsewhere.
	System string `json:"system,omitempty"`
}

// StepInfo carries a step's process signal and, when the episode ends,
// why it earned its reward.
type StepInfo struct {
	Step      int          `json:"step"`
	ToolError bool         `json:"tool_error,omitempty"`
	Signal    *task.Step   `json:"signal,omitempty"`
	Result    *task.Result `json:"result,omitempty"`
	// Score is a non-domain world's account of the reward.
	Score any `json:"score,omitempty"`
	// Reason says why the episode ended: answer, step_limit, or a
	// conversational run's reason (user_stop, transfer).
	Reason string `json:"reason,omitempty"`
}

// Request is one client message. ID is a JSON string or number, chosen by
// the client and echoed in the reply.
type Request struct {
	ID      json.RawMessage `json:"id"`
	Op      string          `json:"op"`
	Env     string          `json:"env,omitempty"`
	Task    string          `json:"task,omitempty"`
	Seed    *int64          `json:"seed,omitempty"`
	Episode string          `json:"episode,omitempty"`
	Action  *Action         `json:"action,omitempty"`
}

// Error is the error part of a reply; as a Go error it reads "code:
// message".
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Reply is one server message. A step's observation is the tool's JSON
// result (or {"error": ...}); a reset's is an Observation.
type Reply struct {
	ID          json.RawMessage `json:"id"`
	Error       *Error          `json:"error,omitempty"`
	Episode     string          `json:"episode,omitempty"`
	Observation json.RawMessage `json:"observation,omitempty"`
	Reward      float64         `json:"reward,omitempty"`
	Done        bool            `json:"done,omitempty"`
	Truncated   bool            `json:"truncated,omitempty"`
	Info        json.RawMessage `json:"info,omitempty"`
	// Hello's fields.
	Version      string    `json:"version,omitempty"`
	Environments []EnvInfo `json:"environments,omitempty"`
}

// ResetObservation decodes a reset reply's observation.
func (r *Reply) ResetObservation() (Observation, error) {
	var o Observation
	if err := json.Unmarshal(r.Observation, &o); err != nil {
		return o, fmt.Errorf("reset observation: %w", err)
	}
	return o, nil
}

// StepInfo decodes a step reply's info.
func (r *Reply) StepInfo() (StepInfo, error) {
	var in StepInfo
	if len(r.Info) == 0 {
		return in, nil
	}
	if err := json.Unmarshal(r.Info, &in); err != nil {
		return in, fmt.Errorf("step info: %w", err)
	}
	return in, nil
}

// EnvInfo describes one environment in hello.
type EnvInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Tasks       int      `json:"tasks"`
	TaskIDs     []string `json:"task_ids,omitempty"`
	Tools       []Tool   `json:"tools"`
}
