package openenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
)

// failure is an OpenEnv error: its code, its text, and the HTTP status
// the HTTP endpoints answer it with.
type failure struct {
	code   string
	msg    string
	status int
}

func (f *failure) Error() string { return f.msg + " (code: " + f.code + ")" }

func fail(code string, format string, args ...any) *failure {
	status := http.StatusInternalServerError
	switch code {
	case CodeInvalidJSON:
		status = http.StatusBadRequest
	case CodeValidation, CodeUnknownType:
		status = http.StatusUnprocessableEntity
	case CodeSession:
		status = http.StatusNotFound
	case CodeCapacity:
		status = http.StatusServiceUnavailable
	}
	return &failure{code: code, msg: fmt.Sprintf(format, args...), status: status}
}

// failureOf maps the manager's errors to OpenEnv's codes.
func failureOf(err error) *failure {
	switch {
	case errors.Is(err, env.ErrLimit):
		return fail(CodeCapacity, "%v", err)
	case errors.Is(err, env.ErrUnknownEpisode), errors.Is(err, env.ErrEpisodeExpired):
		return fail(CodeSession, "%v", err)
	case errors.Is(err, env.ErrUnknownEnv), errors.Is(err, env.ErrUnknownTask), errors.Is(err, env.ErrBadAction):
		return fail(CodeValidation, "%v", err)
	case errors.Is(err, env.ErrEpisodeDone):
		f := fail(CodeExecution, "%v: send reset to start another", err)
		f.status = http.StatusConflict
		return f
	}
	return fail(CodeExecution, "%v", err)
}

// session is one OpenEnv session: a websocket connection or an HTTP
// session, holding at most one episode at a time.
type session struct {
	h     *Handler
	owner uint64
	last  atomic.Int64 // unix nanoseconds of the last request (HTTP)

	mu        sync.Mutex // an HTTP session's requests run one at a time
	episode   string     // the manager's episode id; "" before reset
	episodeID string     // OpenEnv's episode_id: the client's, or ours
	envName   string
	taskID    string
	steps     int
	done      bool
}

func (h *Handler) newSession() *session {
	s := &session{h: h, owner: h.m.NewOwner()}
	s.last.Store(time.Now().UnixNano())
	return s
}

// result is OpenEnv's observation message data (and its HTTP
// ResetResponse and StepResponse): reward is null until the episode
// ends.
type result struct {
	Observation any      `json:"observation"`
	Reward      *float64 `json:"reward"`
	Done        bool     `json:"done"`
	Metadata    any      `json:"metadata"`
}

// resetData is reset's data (OpenEnv's ResetRequest plus simgym's env
// and task).
type resetData struct {
	Env       string  `json:"env"`
	Task      string  `json:"task"`
	Seed      *int64  `json:"seed"`
	EpisodeID *string `json:"episode_id"`
}

func parseReset(data []byte) (resetData, *failure) {
	var rd resetData
	if len(bytes.TrimSpace(data)) > 0 && string(bytes.TrimSpace(data)) != "null" {
		if err := json.Unmarshal(data, &rd); err != nil {
			return rd, fail(CodeValidation, "reset data: %v", err)
		}
	}
	if rd.Task != "" && rd.Seed != nil {
		return rd, fail(CodeValidation, "reset takes task or seed, not both")
	}
	if rd.EpisodeID != nil && len(*rd.EpisodeID) > 255 {
		return rd, fail(CodeValidation, "episode_id is %d characters (at most 255)", len(*rd.EpisodeID))
	}
	return rd, nil
}

// resetObservation is what reset shows: the instruction and the tools
// in MCP's shape.
type resetObservation struct {
	Instruction string    `json:"instruction"`
	Tools       []mcpTool `json:"tools"`
}

// reset ends the session's episode, if any, and starts another.
func (s *session) reset(ctx context.Context, rd resetData) (*result, *failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeEpisode()
	ep, err := s.h.m.Reset(ctx, s.owner, rd.Env, rd.Task, rd.Seed)
	if err != nil {
		return nil, failureOf(err)
	}
	s.h.g.CountOp("reset")
	s.episode, s.envName, s.taskID, s.steps, s.done = ep.ID, ep.EnvName, ep.TaskID(), 0, false
	s.episodeID = ep.ID
	if rd.EpisodeID != nil && *rd.EpisodeID != "" {
		s.episodeID = *rd.EpisodeID
	}
	return &result{
		Observation: resetObservation{Instruction: ep.Instruction(), Tools: s.h.tools[ep.EnvName]},
		Metadata: map[string]any{"env": ep.EnvName, "task": ep.TaskID(), "episode_id": s.episodeID,
			"instruction": ep.Instruction(), "max_steps": s.h.m.Limits().MaxSteps},
	}, nil
}

// closeEpisode frees the session's episode; s.mu is held.
func (s *session) closeEpisode() {
	if s.episode != "" {
		if s.h.m.Close(s.owner, s.episode) == nil {
			s.h.g.CountOp("close")
		}
		s.episode = ""
	}
}

// close ends the session.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeEpisode()
	s.h.m.CloseOwner(s.owner)
}

// action is a step's action in any of the shapes OpenEnv's clients
// send: simgym's {"tool", "arguments"} or {"answer"}, the MCP actions
// {"type": "call_tool", "tool_name", "arguments"} and
// {"type": "list_tools"}, or any of them wrapped as {"action": ...}.
// Other fields (a typed Action's metadata, say) are ignored.
type action struct {
	Type      string          `json:"type"`
	ToolName  string          `json:"tool_name"`
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	Answer    *string         `json:"answer"`
	Action    json.RawMessage `json:"action"`
}

// parsed is a decoded action: a list_tools, or an env action whose
// observation is reported under key (tool or tool_name).
type parsed struct {
	listTools bool
	act       protocol.Action
	key       string
}

func parseAction(data []byte) (parsed, *failure) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return parsed{}, fail(CodeValidation, "step needs data: the action ({\"tool\", \"arguments\"}, {\"answer\"}, or {\"type\": \"call_tool\", \"tool_name\", \"arguments\"})")
	}
	if trimmed[0] != '{' {
		return parsed{}, fail(CodeValidation, "the action must be a JSON object, not %.40s", trimmed)
	}
	var a action
	if err := json.Unmarshal(data, &a); err != nil {
		return parsed{}, fail(CodeValidation, "action: %v", err)
	}
	if len(a.Action) > 0 && string(a.Action) != "null" && a.Type == "" && a.Tool == "" && a.ToolName == "" && a.Answer == nil {
		var inner action
		if err := json.Unmarshal(a.Action, &inner); err != nil {
			return parsed{}, fail(CodeValidation, "action: %v", err)
		}
		if len(inner.Action) > 0 && string(inner.Action) != "null" {
			return parsed{}, fail(CodeValidation, "action nested twice")
		}
		a = inner
	}
	args := a.Arguments
	if len(bytes.TrimSpace(args)) == 0 || string(bytes.TrimSpace(args)) == "null" {
		args = json.RawMessage(`{}`)
	} else if bytes.TrimSpace(args)[0] != '{' {
		return parsed{}, fail(CodeValidation, "arguments must be a JSON object, not %.40s", args)
	}
	var p parsed
	switch a.Type {
	case "list_tools":
		return parsed{listTools: true}, nil
	case "call_tool":
		if a.ToolName == "" {
			return parsed{}, fail(CodeValidation, "call_tool needs tool_name")
		}
		p = parsed{act: protocol.Action{Tool: a.ToolName, Arguments: args}, key: "tool_name"}
	case "":
		if (a.Tool == "") == (a.Answer == nil) {
			return parsed{}, fail(CodeValidation, "an action needs exactly one of tool (with arguments) or answer")
		}
		p = parsed{act: protocol.Action{Tool: a.Tool, Arguments: args, Answer: a.Answer}, key: "tool"}
	default:
		return parsed{}, fail(CodeValidation, "unknown action type %q (want call_tool or list_tools, or none for {\"tool\"} and {\"answer\"})", a.Type)
	}
	if p.act.Tool == AnswerTool {
		var ans struct {
			Answer *string `json:"answer"`
		}
		if err := json.Unmarshal(args, &ans); err != nil || ans.Answer == nil {
			return parsed{}, fail(CodeValidation, "%s needs arguments {\"answer\": TEXT}", AnswerTool)
		}
		p.act = protocol.Action{Answer: ans.Answer}
	}
	return p, nil
}

// step runs an action and returns the observation message's data,
// encoded: the tool's result goes out as it came, not re-encoded.
func (s *session) step(ctx context.Context, p parsed) ([]byte, *failure) {
	if p.listTools {
		tools, f := s.toolList("")
		if f != nil {
			return nil, f
		}
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		data, _ := json.Marshal(result{Observation: map[string]any{"tools": tools}, Done: done, Metadata: map[string]any{}})
		return data, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.episode == "" {
		return nil, fail(CodeSession, "no episode: send reset first")
	}
	r, err := s.h.m.Step(ctx, s.owner, s.episode, p.act)
	if err != nil {
		return nil, failureOf(err)
	}
	s.h.g.CountOp("step")
	s.steps++
	s.done = r.Done
	info, err := json.Marshal(r.Info)
	if err != nil {
		return nil, fail(CodeExecution, "encode step info: %v", err)
	}
	b := make([]byte, 0, len(r.Observation)+len(info)+len(p.act.Tool)+96)
	b = append(b, `{"observation":`...)
	if p.act.Answer != nil && p.key == "tool" {
		b = append(b, r.Observation...) // the env's own object
	} else {
		name := p.act.Tool
		if p.act.Answer != nil {
			name = AnswerTool
		}
		b = append(b, `{"`...)
		b = append(b, p.key...)
		b = append(b, `":`...)
		b = appendString(b, name)
		b = append(b, `,"result":`...)
		b = append(b, r.Observation...)
		b = append(b, '}')
	}
	b = append(b, `,"reward":`...)
	if r.Done {
		b = strconv.AppendFloat(b, r.Reward, 'g', -1, 64)
	} else {
		b = append(b, `null`...)
	}
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, r.Done)
	b = append(b, `,"metadata":`...)
	b = append(b, info...)
	return append(b, '}'), nil
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// stateData is OpenEnv's State: episode_id and step_count, plus
// simgym's env, task and done.
type stateData struct {
	EpisodeID *string `json:"episode_id"`
	StepCount int     `json:"step_count"`
	Env       string  `json:"env,omitempty"`
	Task      string  `json:"task,omitempty"`
	Done      bool    `json:"done"`
}

func (s *session) state() stateData {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := stateData{StepCount: s.steps, Env: s.envName, Task: s.taskID, Done: s.done}
	if s.episodeID != "" {
		id := s.episodeID
		st.EpisodeID = &id
	}
	return st
}

// toolList lists the tools of the session's environment, or of envName,
// or of the only environment served.
func (s *session) toolList(envName string) ([]mcpTool, *failure) {
	if envName == "" {
		s.mu.Lock()
		envName = s.envName
		s.mu.Unlock()
	}
	return s.h.toolsOf(envName)
}

func (h *Handler) toolsOf(envName string) ([]mcpTool, *failure) {
	if envName == "" && len(h.names) == 1 {
		envName = h.names[0]
	}
	if envName == "" {
		return nil, fail(CodeValidation, "which environment's tools? reset first, or name env: %v", h.names)
	}
	tools, ok := h.tools[envName]
	if !ok {
		return nil, fail(CodeValidation, "unknown environment %q (have %v)", envName, h.names)
	}
	return tools, nil
}
