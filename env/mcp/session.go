package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
)

// session is one MCP session's episode. Its episode starts when the
// client initializes, and ends when the session does.
type session struct {
	h      *Handler
	w      *world
	taskID string
	seed   *int64

	mu          sync.Mutex
	owner       uint64
	episode     string
	instruction string
}

type sessionKey struct{}

// server is a world's MCP server, shared by its sessions: the world's
// tools, the answer tool and the instruction resource, whose handlers
// find their session's episode by the session that calls them.
func (h *Handler) server(w *world) *sdk.Server {
	srv := sdk.NewServer(&sdk.Implementation{Name: "simgym", Title: w.info.Name, Version: h.opt.Version}, &sdk.ServerOptions{
		Logger:       h.opt.Logger,
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{}, Resources: &sdk.ResourceCapabilities{}},
	})
	for _, t := range w.tools {
		if t.Name == SubmitTool {
			srv.AddTool(t, h.submit)
		} else {
			srv.AddTool(t, h.call(t.Name))
		}
	}
	srv.AddResource(&sdk.Resource{URI: InstructionURI, Name: "instruction", Title: "The user's request",
		Description: "What the user asks of the agent in this episode.", MIMEType: "text/plain"}, h.readInstruction)
	srv.AddReceivingMiddleware(h.initialize)
	return srv
}

// initialize starts the session's episode when the client initializes,
// then lets the SDK initialize the session, and adds the instruction and
// the episode to the result. The session comes from the context of the
// request that opened the MCP session, which the SDK keeps for the
// session's handlers.
func (h *Handler) initialize(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if method != "initialize" {
			return next(ctx, method, req)
		}
		s, _ := ctx.Value(sessionKey{}).(*session)
		ss, _ := req.GetSession().(*sdk.ServerSession)
		if s == nil || ss == nil {
			return nil, &jsonrpc.Error{Code: CodeInternal, Message: "initialize outside an MCP session opened at /mcp/{env}"}
		}
		if err := s.start(ctx, ss); err != nil {
			return nil, err
		}
		res, err := next(ctx, method, req)
		if r, ok := res.(*sdk.InitializeResult); ok && err == nil {
			s.mu.Lock()
			r.Instructions = s.instruction
			r.Meta = sdk.Meta{"simgym/env": s.w.info.Name, "simgym/task": s.taskID, "simgym/episode": s.episode, "simgym/max_steps": h.m.Limits().MaxSteps}
			s.mu.Unlock()
		}
		return res, err
	}
}

// start resets the session's episode, once.
func (s *session) start(ctx context.Context, ss *sdk.ServerSession) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.episode != "" {
		return nil // a second initialize: the SDK refuses it
	}
	owner := s.h.m.NewOwner()
	ep, err := s.h.m.Reset(ctx, owner, s.w.info.Name, s.taskID, s.seed)
	if err != nil {
		return resetError(err)
	}
	if err := s.h.track(ss, s, owner); err != nil {
		s.h.m.CloseOwner(owner)
		return &jsonrpc.Error{Code: CodeShuttingDown, Message: err.Error()}
	}
	s.owner, s.episode, s.instruction, s.taskID = owner, ep.ID, ep.Instruction(), ep.TaskID()
	return nil
}

// resetError is the JSON-RPC error of a failed reset.
func resetError(err error) error {
	code := int64(CodeInternal)
	switch {
	case errors.Is(err, env.ErrUnknownEnv), errors.Is(err, env.ErrUnknownTask):
		code = CodeInvalidParams
	case errors.Is(err, env.ErrLimit):
		code = CodeLimit
	}
	return &jsonrpc.Error{Code: code, Message: "reset: " + err.Error()}
}

// step runs an action in the session's episode.
func (s *session) step(ctx context.Context, a protocol.Action) (env.StepResult, error) {
	if s == nil {
		return env.StepResult{}, fmt.Errorf("%w: the session has no episode (initialize first)", env.ErrUnknownEpisode)
	}
	s.mu.Lock()
	owner, ep := s.owner, s.episode
	s.mu.Unlock()
	if ep == "" {
		return env.StepResult{}, fmt.Errorf("%w: the session has no episode (initialize first)", env.ErrUnknownEpisode)
	}
	return s.h.m.Step(ctx, owner, ep, a)
}

// call handles a call of one of the world's tools: the observation as
// text, and as structured content (wrapped as {"result": ...} when it is
// not a JSON object); a tool's own failure is an error result.
func (h *Handler) call(tool string) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
		args := req.Params.Arguments
		if len(args) == 0 || string(args) == "null" {
			args = json.RawMessage("{}")
		}
		r, err := h.sessionOf(req.Session).step(ctx, protocol.Action{Tool: tool, Arguments: args})
		if err != nil {
			return stepFailure(err)
		}
		res := &sdk.CallToolResult{Meta: stepMeta(r), StructuredContent: structured(r.Observation)}
		if r.Info.ToolError {
			res.IsError = true
			res.Content = []sdk.Content{&sdk.TextContent{Text: errorText(r.Observation)}}
		} else {
			res.Content = []sdk.Content{&sdk.TextContent{Text: string(r.Observation)}}
		}
		return res, nil
	}
}

// Answer is the structured result of submit_answer.
type Answer struct {
	Reward    float64           `json:"reward"`
	Done      bool              `json:"done"`
	Truncated bool              `json:"truncated,omitempty"`
	Info      protocol.StepInfo `json:"info"`
}

// submit handles submit_answer: the episode ends and the result carries
// its reward and info.
func (h *Handler) submit(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
	var in struct {
		Answer *string `json:"answer"`
	}
	if err := json.Unmarshal(req.Params.Arguments, &in); err != nil || in.Answer == nil {
		return errorResult(fmt.Sprintf(`%s needs {"answer": TEXT}, a string`, SubmitTool)), nil
	}
	r, err := h.sessionOf(req.Session).step(ctx, protocol.Action{Answer: in.Answer})
	if err != nil {
		return stepFailure(err)
	}
	body, err := json.Marshal(Answer{Reward: r.Reward, Done: r.Done, Truncated: r.Truncated, Info: r.Info})
	if err != nil {
		return nil, fmt.Errorf("encode %s result: %w", SubmitTool, err)
	}
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: string(body)}}, StructuredContent: json.RawMessage(body)}, nil
}

// readInstruction serves the episode's instruction.
func (h *Handler) readInstruction(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	s := h.sessionOf(req.Session)
	if s == nil {
		return nil, &jsonrpc.Error{Code: CodeInvalidParams, Message: "the session has no episode (initialize first)"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.episode == "" {
		return nil, &jsonrpc.Error{Code: CodeInvalidParams, Message: "the session has no episode (initialize first)"}
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: InstructionURI, MIMEType: "text/plain", Text: s.instruction}}}, nil
}

// stepFailure is the result of a step the episode refused: the agent's
// to read (an error result) when it names the episode's state (done,
// expired, a bad action, a limit), a JSON-RPC error when internal.
func stepFailure(err error) (*sdk.CallToolResult, error) {
	for _, agent := range []error{env.ErrEpisodeDone, env.ErrEpisodeExpired, env.ErrUnknownEpisode, env.ErrBadAction, env.ErrLimit} {
		if errors.Is(err, agent) {
			return errorResult(err.Error()), nil
		}
	}
	return nil, &jsonrpc.Error{Code: CodeInternal, Message: err.Error()}
}

func errorResult(msg string) *sdk.CallToolResult {
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: msg}}}
}

// stepMeta reports a step's info in the result's _meta, and its reward
// once the episode is done (the step limit truncated it).
func stepMeta(r env.StepResult) sdk.Meta {
	m := sdk.Meta{"simgym/done": r.Done, "simgym/info": r.Info}
	if r.Done {
		m["simgym/reward"] = r.Reward
		m["simgym/truncated"] = r.Truncated
	}
	return m
}

// structured is an observation as structured content: itself when a JSON
// object, else {"result": observation}.
func structured(obs json.RawMessage) any {
	if t := bytes.TrimLeft(obs, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return obs
	}
	if len(bytes.TrimSpace(obs)) == 0 {
		obs = json.RawMessage("null")
	}
	return map[string]json.RawMessage{"result": obs}
}

// errorText is a tool error observation's message.
func errorText(obs json.RawMessage) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(obs, &e) == nil && e.Error != "" {
		return e.Error
	}
	return string(obs)
}
