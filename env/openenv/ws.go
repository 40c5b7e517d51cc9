package openenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/env/gym"
)

// The websocket session implements gym.Session: one episode per
// connection, messages {"type", "data"} answered in order.

// Handle answers one client message.
func (s *session) Handle(ctx context.Context, msg []byte, send func([]byte)) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		send(s.errorMsg(fail(CodeInvalidJSON, "invalid JSON: %v", err)))
		return true
	}
	var typ string
	if raw, ok := m["type"]; ok {
		if err := json.Unmarshal(raw, &typ); err != nil {
			send(s.errorMsg(fail(CodeValidation, "type must be a string: %v", err)))
			return true
		}
	}
	data := m["data"]
	switch typ {
	case "reset":
		rd, f := parseReset(data)
		if f == nil {
			var r *result
			if r, f = s.reset(ctx, rd); f == nil {
				send(encode("observation", r))
				return true
			}
		}
		send(s.errorMsg(f))
	case "step":
		p, f := parseAction(data)
		if f == nil {
			var out []byte
			if out, f = s.step(ctx, p); f == nil {
				send(wrap("observation", out))
				return true
			}
		}
		send(s.errorMsg(f))
	case "state":
		send(encode("state", s.state()))
	case "close":
		return false
	case "mcp":
		send(wrap("mcp", s.h.rpc(ctx, data, s)))
	default:
		send(s.errorMsg(fail(CodeUnknownType, "unknown message type %q (want reset, step, state, close or mcp)", typ)))
	}
	return true
}

// Refused encodes the error for a message the gym answered itself.
func (s *session) Refused(why gym.Refusal, detail string) []byte {
	code := CodeValidation
	switch why {
	case gym.RefusedShuttingDown:
		code = CodeSession
	case gym.RefusedOverBudget:
		code = CodeCapacity
	}
	return s.errorMsg(fail(code, "%s", detail))
}

// Close frees the connection's episode.
func (s *session) Close() { s.close() }

// errorMsg encodes an error message and counts it.
func (s *session) errorMsg(f *failure) []byte {
	s.h.g.CountError("openenv_" + f.code)
	return encode("error", map[string]string{"message": f.msg, "code": f.code})
}

// encode makes a server message {"type", "data"}.
func encode(typ string, data any) []byte {
	d, err := json.Marshal(data)
	if err != nil {
		d, _ = json.Marshal(map[string]string{"message": fmt.Sprintf("encode %s: %v", typ, err), "code": CodeExecution})
		typ = "error"
	}
	return wrap(typ, d)
}

// wrap makes a server message around encoded data.
func wrap(typ string, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + len(typ) + 20)
	b.WriteString(`{"type":"`)
	b.WriteString(typ)
	b.WriteString(`","data":`)
	b.Write(data)
	b.WriteByte('}')
	return b.Bytes()
}
