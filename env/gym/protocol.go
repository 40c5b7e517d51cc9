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
	"github.com/simgym/simgym/env/protocol"
)

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
func Decode(data []byte) (*protocol.Request, error) {
	var req protocol.Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		// Recover the id for the reply if the message is JSON at all.
		var loose struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(data, &loose) == nil {
			return &protocol.Request{ID: loose.ID}, perr(protocol.CodeInvalidRequest, "bad request: %v", err)
		}
		return &protocol.Request{}, perr(protocol.CodeInvalidJSON, "not a JSON object: %v", err)
	}
	if dec.More() {
		return &req, perr(protocol.CodeInvalidJSON, "trailing data after the JSON object")
	}
	if len(req.ID) == 0 || string(req.ID) == "null" {
		return &req, perr(protocol.CodeInvalidRequest, "missing id")
	}
	if c := req.ID[0]; c != '"' && (c < '0' || c > '9') && c != '-' {
		return &req, perr(protocol.CodeInvalidRequest, "id must be a string or a number")
	}
	switch req.Op {
	case "hello":
	case "reset":
		if req.Task != "" && req.Seed != nil {
			return &req, perr(protocol.CodeInvalidRequest, "reset takes task or seed, not both")
		}
	case "step":
		if req.Episode == "" {
			return &req, perr(protocol.CodeInvalidRequest, "step needs episode")
		}
		if req.Action == nil {
			return &req, perr(protocol.CodeInvalidRequest, "step needs action")
		}
		if (req.Action.Tool == "") == (req.Action.Answer == nil) {
			return &req, perr(protocol.CodeInvalidRequest, "action needs exactly one of tool or answer")
		}
	case "fork", "close":
		if req.Episode == "" {
			return &req, perr(protocol.CodeInvalidRequest, "%s needs episode", req.Op)
		}
	case "":
		return &req, perr(protocol.CodeInvalidRequest, "missing op")
	default:
		return &req, perr(protocol.CodeUnknownOp, "unknown op %q (want hello, reset, step, fork or close)", req.Op)
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
		return protocol.CodeUnknownEnv
	case errors.Is(err, env.ErrUnknownTask):
		return protocol.CodeUnknownTask
	case errors.Is(err, env.ErrUnknownEpisode):
		return protocol.CodeUnknownEpisode
	case errors.Is(err, env.ErrEpisodeExpired):
		return protocol.CodeEpisodeExpired
	case errors.Is(err, env.ErrEpisodeDone):
		return protocol.CodeEpisodeDone
	case errors.Is(err, env.ErrLimit):
		return protocol.CodeLimit
	case errors.Is(err, env.ErrBadAction):
		return protocol.CodeInvalidRequest
	}
	return protocol.CodeInternal
}
