// Package gym serves env's episodes over websockets, as SPEC.md's
// protocol says: JSON text messages, each request with a client-chosen id
// answered with the same id, many episodes per connection, pipelined
// requests answered as they finish. It also serves /healthz, /metrics
// (Prometheus) and, with a search index, Search-R1's POST /retrieve;
// other protocols (env/openenv) mount beside it with Handle and
// ServeSession.
package gym

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/simgym/simgym/env"
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

// Request is one client message.
type Request struct {
	ID      json.RawMessage `json:"id"`
	Op      string          `json:"op"`
	Env     string          `json:"env,omitempty"`
	Task    string          `json:"task,omitempty"`
	Seed    *int64          `json:"seed,omitempty"`
	Episode string          `json:"episode,omitempty"`
	Action  *env.Action     `json:"action,omitempty"`
}

// ErrorBody is the error part of a reply.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Reply is one server message.
type Reply struct {
	ID          json.RawMessage `json:"id"`
	Error       *ErrorBody      `json:"error,omitempty"`
	Episode     string          `json:"episode,omitempty"`
	Observation any             `json:"observation,omitempty"`
	Reward      *float64        `json:"reward,omitempty"`
	Done        *bool           `json:"done,omitempty"`
	Truncated   *bool           `json:"truncated,omitempty"`
	Info        any             `json:"info,omitempty"`
	// Hello's fields.
	Version      string    `json:"version,omitempty"`
	Environments []EnvInfo `json:"environments,omitempty"`
}

// EnvInfo describes one environment in hello.
type EnvInfo struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Tasks       int      `json:"tasks"`
	TaskIDs     []string `json:"task_ids,omitempty"`
	Tools       any      `json:"tools"`
}

// protocolError is an error with its protocol code.
type protocolError struct {
	code string
	msg  string
}

func (e *protocolError) Error() string { return e.msg }

func perr(code, format string, args ...any) error {
	return &protocolError{code: code, msg: fmt.Sprintf(format, args...)}
}

// Decode parses and checks one request. Its errors carry protocol codes;
// the id is returned whenever it could be read, so the error reply can
// carry it.
func Decode(data []byte) (*Request, error) {
	var req Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		// Recover the id for the reply if the message is JSON at all.
		var loose struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(data, &loose) == nil {
			return &Request{ID: loose.ID}, perr(CodeInvalidRequest, "bad request: %v", err)
		}
		return &Request{}, perr(CodeInvalidJSON, "not a JSON object: %v", err)
	}
	if dec.More() {
		return &req, perr(CodeInvalidJSON, "trailing data after the JSON object")
	}
	if len(req.ID) == 0 || string(req.ID) == "null" {
		return &req, perr(CodeInvalidRequest, "missing id")
	}
	if c := req.ID[0]; c != '"' && (c < '0' || c > '9') && c != '-' {
		return &req, perr(CodeInvalidRequest, "id must be a string or a number")
	}
	switch req.Op {
	case "hello":
	case "reset":
		if req.Task != "" && req.Seed != nil {
			return &req, perr(CodeInvalidRequest, "reset takes task or seed, not both")
		}
	case "step":
		if req.Episode == "" {
			return &req, perr(CodeInvalidRequest, "step needs episode")
		}
		if req.Action == nil {
			return &req, perr(CodeInvalidRequest, "step needs action")
		}
		if (req.Action.Tool == "") == (req.Action.Answer == nil) {
			return &req, perr(CodeInvalidRequest, "action needs exactly one of tool or answer")
		}
	case "fork", "close":
		if req.Episode == "" {
			return &req, perr(CodeInvalidRequest, "%s needs episode", req.Op)
		}
	case "":
		return &req, perr(CodeInvalidRequest, "missing op")
	default:
		return &req, perr(CodeUnknownOp, "unknown op %q (want hello, reset, step, fork or close)", req.Op)
	}
	return &req, nil
}

// codeOf maps an error to its protocol code.
func codeOf(err error) string {
	var pe *protocolError
	switch {
	case errors.As(err, &pe):
		return pe.code
	case errors.Is(err, env.ErrUnknownEnv):
		return CodeUnknownEnv
	case errors.Is(err, env.ErrUnknownTask):
		return CodeUnknownTask
	case errors.Is(err, env.ErrUnknownEpisode):
		return CodeUnknownEpisode
	case errors.Is(err, env.ErrEpisodeExpired):
		return CodeEpisodeExpired
	case errors.Is(err, env.ErrEpisodeDone):
		return CodeEpisodeDone
	case errors.Is(err, env.ErrLimit):
		return CodeLimit
	case errors.Is(err, env.ErrBadAction):
		return CodeInvalidRequest
	}
	return CodeInternal
}
