package openenv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// HeaderEpisode carries an HTTP session's episode_id: POST /reset sets
// it on its response, and POST /step and GET /state read it (or the
// body field or query parameter episode_id, or session_id).
const HeaderEpisode = "X-Episode-Id"

// HTTP sessions are keyed by episode_id: the one reset was given, or
// one it made. Each has its own owner in the manager, and is dropped
// (its episode freed) after SessionIdle without a request.

// createSession starts an HTTP session with a reset; a session already
// under the episode_id asked for is reset in place.
func (h *Handler) createSession(ctx context.Context, rd resetData) (*session, *result, *failure) {
	h.sweep(time.Now())
	id := newID()
	if rd.EpisodeID != nil && *rd.EpisodeID != "" {
		id = *rd.EpisodeID
	}
	rd.EpisodeID = &id
	s := h.lookup(id)
	fresh := s == nil
	if fresh {
		s = h.newSession()
	}
	r, f := s.reset(ctx, rd)
	if f != nil {
		if fresh {
			s.close()
		}
		return nil, nil, f
	}
	if fresh {
		h.mu.Lock()
		if old := h.sessions[id]; old != nil {
			defer old.close() // raced by another reset of the same id
		}
		h.sessions[id] = s
		h.mu.Unlock()
	}
	return s, r, nil
}

// lookup returns the HTTP session of an episode_id, touching it.
func (h *Handler) lookup(id string) *session {
	h.mu.Lock()
	s := h.sessions[id]
	h.mu.Unlock()
	if s != nil {
		s.last.Store(time.Now().UnixNano())
	}
	return s
}

// drop ends an HTTP session.
func (h *Handler) drop(id string, s *session) {
	h.mu.Lock()
	if h.sessions[id] == s {
		delete(h.sessions, id)
	}
	h.mu.Unlock()
	s.close()
}

// sweep drops idle sessions, at most every quarter of SessionIdle.
func (h *Handler) sweep(now time.Time) {
	h.mu.Lock()
	due := now.Sub(h.lastSweep) >= h.opt.SessionIdle/4
	h.mu.Unlock()
	if due {
		h.SweepIdle(now)
	}
}

// SweepIdle drops the HTTP sessions without a request for SessionIdle
// before now, freeing their episodes, and returns how many. Requests
// sweep as they come; a server may call it too.
func (h *Handler) SweepIdle(now time.Time) int {
	h.mu.Lock()
	h.lastSweep = now
	cutoff := now.Add(-h.opt.SessionIdle).UnixNano()
	var idle []*session
	for id, s := range h.sessions {
		if s.last.Load() < cutoff {
			idle = append(idle, s)
			delete(h.sessions, id)
		}
	}
	h.mu.Unlock()
	for _, s := range idle {
		s.close()
	}
	return len(idle)
}

// Sessions counts open HTTP sessions.
func (h *Handler) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// readBody reads a request body within MaxBodyBytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *failure) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opt.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		f := fail(CodeValidation, "request body over %d bytes", h.opt.MaxBodyBytes)
		f.status = http.StatusRequestEntityTooLarge
		return nil, f
	}
	if err != nil {
		return nil, fail(CodeInvalidJSON, "read request body: %v", err)
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && !json.Valid(t) {
		return nil, fail(CodeInvalidJSON, "request body is not JSON")
	}
	return data, nil
}

// httpFail writes an error as FastAPI does ({"detail"}), with OpenEnv's
// code.
func (h *Handler) httpFail(w http.ResponseWriter, f *failure) {
	h.g.CountError("openenv_http_" + f.code)
	writeJSON(w, f.status, map[string]string{"detail": f.msg, "code": f.code})
}

// httpReset is POST /reset: OpenEnv's ResetRequest ({"seed",
// "episode_id"}, plus env and task), answered with its ResetResponse;
// the session's episode_id is in metadata and the X-Episode-Id header.
func (h *Handler) httpReset(w http.ResponseWriter, r *http.Request) {
	data, f := h.readBody(w, r)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	rd, f := parseReset(data)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	if rd.EpisodeID == nil {
		if id := sessionOf(r, nil); id != "" {
			rd.EpisodeID = &id
		}
	}
	s, res, f := h.createSession(r.Context(), rd)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	w.Header().Set(HeaderEpisode, s.state().episodeIDOr())
	writeJSON(w, http.StatusOK, res)
}

// sessionOf reads the episode_id a request names: the header, else the
// body's episode_id or session_id, else the query's.
func sessionOf(r *http.Request, body []byte) string {
	if id := r.Header.Get(HeaderEpisode); id != "" {
		return id
	}
	if len(body) > 0 {
		var b struct {
			EpisodeID string `json:"episode_id"`
			SessionID string `json:"session_id"`
		}
		if json.Unmarshal(body, &b) == nil {
			if b.EpisodeID != "" {
				return b.EpisodeID
			}
			if b.SessionID != "" {
				return b.SessionID
			}
		}
	}
	q := r.URL.Query()
	if id := q.Get("episode_id"); id != "" {
		return id
	}
	return q.Get("session_id")
}

// httpStep is POST /step: {"action": ACTION} (any shape /ws takes) on
// the session named, answered with OpenEnv's StepResponse.
func (h *Handler) httpStep(w http.ResponseWriter, r *http.Request) {
	h.sweep(time.Now())
	data, f := h.readBody(w, r)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	var req struct {
		Action json.RawMessage `json:"action"`
	}
	if err := json.Unmarshal(data, &req); err != nil || len(req.Action) == 0 {
		h.httpFail(w, fail(CodeValidation, "step needs a JSON body {\"action\": ACTION}"))
		return
	}
	p, f := parseAction(req.Action)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	id := sessionOf(r, data)
	if id == "" {
		h.httpFail(w, fail(CodeSession, "no episode named: send the episode_id POST /reset returned (header %s, or field episode_id)", HeaderEpisode))
		return
	}
	s := h.lookup(id)
	if s == nil {
		h.httpFail(w, fail(CodeSession, "no episode %q: it was never reset here, or was idle over %s", id, h.opt.SessionIdle))
		return
	}
	out, f := s.step(r.Context(), p)
	if f != nil {
		h.httpFail(w, f)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderEpisode, id)
	_, _ = w.Write(append(out, '\n'))
}

// httpState is GET /state: the named session's State, or a blank one
// (as OpenEnv's server answers) when none is named.
func (h *Handler) httpState(w http.ResponseWriter, r *http.Request) {
	id := sessionOf(r, nil)
	if id == "" {
		writeJSON(w, http.StatusOK, stateData{})
		return
	}
	s := h.lookup(id)
	if s == nil {
		h.httpFail(w, fail(CodeSession, "no episode %q: it was never reset here, or was idle over %s", id, h.opt.SessionIdle))
		return
	}
	writeJSON(w, http.StatusOK, s.state())
}

// httpMCP is POST /mcp: OpenEnv's JSON-RPC 2.0, always answered with
// 200 and a JSON-RPC payload.
func (h *Handler) httpMCP(w http.ResponseWriter, r *http.Request) {
	h.sweep(time.Now())
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opt.MaxBodyBytes))
	if err != nil {
		data = nil
	}
	out := h.rpc(r.Context(), data, nil)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(out, '\n'))
}
