package gym

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"net/http"

	"github.com/simgym/simgym/env"
)

// OpenEnv's error codes.
const (
	openEnvInvalidJSON = "INVALID_JSON"
	openEnvUnknownType = "UNKNOWN_TYPE"
	openEnvValidation  = "VALIDATION_ERROR"
	openEnvExecution   = "EXECUTION_ERROR"
	openEnvCapacity    = "CAPACITY_REACHED"
	openEnvSession     = "SESSION_ERROR"
)

type openEnvMsg struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

type openEnvReset struct {
	Env  string `json:"env"`
	Task string `json:"task"`
	Seed *int64 `json:"seed"`
}

type openEnvStep struct {
	Action *env.Action `json:"action"`
}

// serveOpenEnv speaks OpenEnv's websocket protocol: one episode per
// connection.
func (s *Server) serveOpenEnv(w http.ResponseWriter, r *http.Request) {
	c, ok := s.upgrade(w, r)
	if !ok {
		return
	}
	owner := s.m.NewOwner()
	ctx, cancel := context.WithCancel(context.Background())
	var closeMsg []byte
	defer func() {
		cancel()
		s.m.CloseOwner(owner)
		s.dropConn(c, closeMsg)
	}()
	defer s.recoverIn("openenv")
	var episode string
	steps := 0
	send := func(typ string, data any) {
		payload, _ := json.Marshal(data)
		msg, _ := json.Marshal(openEnvMsg{Type: typ, Data: payload})
		c.send(nil, message{head: msg})
	}
	fail := func(code, msg string) {
		s.met.errors.WithLabelValues("openenv_" + code).Inc()
		send("error", map[string]string{"code": code, "message": msg})
	}
	var buf bytes.Buffer
	for {
		data, err := c.read(&buf)
		if errors.Is(err, errTooLarge) {
			fail(openEnvValidation, fmt.Sprintf("message over %d bytes (max_message_bytes), skipped", s.opt.MaxMessageBytes))
			continue
		}
		if err != nil {
			closeMsg = s.readFailed(c, err, func(msg string) { fail(openEnvValidation, msg) })
			return
		}
		var m openEnvMsg
		if err := json.Unmarshal(data, &m); err != nil {
			fail(openEnvInvalidJSON, err.Error())
			continue
		}
		if !s.work.begin() {
			fail(openEnvSession, "the server is shutting down")
			continue
		}
		quit := func() bool {
			defer s.work.end()
			switch m.Type {
			case "reset":
				var rq openEnvReset
				if len(m.Data) > 0 {
					if err := json.Unmarshal(m.Data, &rq); err != nil {
						fail(openEnvValidation, "reset data: "+err.Error())
						break
					}
				}
				if rq.Env == "" {
					if ws := s.m.Worlds(); len(ws) > 0 {
						rq.Env = ws[0].Info().Name
					}
				}
				if episode != "" {
					_ = s.m.Close(owner, episode)
					episode = ""
				}
				ep, err := s.m.Reset(ctx, owner, rq.Env, rq.Task, rq.Seed)
				if err != nil {
					fail(openEnvCodeOf(err), err.Error())
					break
				}
				s.met.resets.Inc()
				episode, steps = ep.ID, 0
				send("observation", map[string]any{"observation": ep.Observation(), "reward": 0, "done": false})
			case "step":
				var st openEnvStep
				if err := json.Unmarshal(m.Data, &st); err != nil || st.Action == nil {
					fail(openEnvValidation, "step needs data.action")
					break
				}
				if episode == "" {
					fail(openEnvSession, "no episode: send reset first")
					break
				}
				r, err := s.m.Step(ctx, owner, episode, *st.Action)
				if err != nil {
					fail(openEnvCodeOf(err), err.Error())
					break
				}
				s.met.steps.Inc()
				steps++
				send("observation", map[string]any{"observation": r.Observation, "reward": r.Reward, "done": r.Done, "info": r.Info})
			case "state":
				send("state", map[string]any{"episode_id": episode, "step_count": steps})
			case "close":
				if episode != "" {
					_ = s.m.Close(owner, episode)
				}
				return true
			default:
				fail(openEnvUnknownType, fmt.Sprintf("unknown message type %q (want reset, step, state or close)", m.Type))
			}
			return false
		}()
		if quit {
			return
		}
	}
}

func openEnvCodeOf(err error) string {
	switch {
	case errors.Is(err, env.ErrLimit):
		return openEnvCapacity
	case errors.Is(err, env.ErrUnknownEpisode), errors.Is(err, env.ErrEpisodeDone), errors.Is(err, env.ErrEpisodeExpired):
		return openEnvSession
	case errors.Is(err, env.ErrUnknownEnv), errors.Is(err, env.ErrUnknownTask), errors.Is(err, env.ErrBadAction):
		return openEnvValidation
	}
	return openEnvExecution
}
