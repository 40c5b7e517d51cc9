package gym

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"runtime/debug"

	"github.com/gorilla/websocket"
)

// Refusal says why the gym answered a message itself instead of passing
// it to a Session.
type Refusal int

// Refusals.
const (
	// RefusedTooLarge: the message was over MaxMessageBytes and skipped.
	RefusedTooLarge Refusal = iota
	// RefusedShuttingDown: the server is shutting down.
	RefusedShuttingDown
	// RefusedOverBudget: the client left too many replies unread; the
	// connection closes after this error.
	RefusedOverBudget
)

// Session is one websocket connection of a protocol mounted beside the
// gym's own (OpenEnv's, say), served with the gym's connection
// machinery: one writer goroutine, byte budgets, read limit, ping/pong,
// idle close, panics recovered, drained by Shutdown. Its methods are
// called from the connection's reader goroutine, one at a time.
type Session interface {
	// Handle answers one message (send queues replies) and reports
	// whether the connection goes on.
	Handle(ctx context.Context, msg []byte, send func([]byte)) bool
	// Refused encodes the protocol's error for a message the gym
	// refused (or for a reply replaced because the client reads too
	// little); detail says why in words.
	Refused(why Refusal, detail string) []byte
	// Close frees what the connection held; it is called once, when the
	// connection ends.
	Close()
}

// ServeSession upgrades a websocket request and serves it with s, one
// message at a time; where names the protocol in metrics and logs.
func (s *Server) ServeSession(w http.ResponseWriter, r *http.Request, where string, sess Session) {
	c, ok := s.upgrade(w, r)
	if !ok {
		sess.Close()
		return
	}
	c.mu.Lock()
	c.refused = sess.Refused
	c.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	var closeMsg []byte
	defer func() {
		cancel()
		sess.Close()
		s.dropConn(c, closeMsg)
	}()
	defer s.recoverIn(where)
	send := func(b []byte) { c.send(nil, message{head: b}) }
	refuse := func(why Refusal, detail string) { send(sess.Refused(why, detail)) }
	var buf bytes.Buffer
	for {
		data, err := c.read(&buf)
		if errors.Is(err, errTooLarge) {
			refuse(RefusedTooLarge, fmt.Sprintf("message over %d bytes (max_message_bytes), skipped", s.opt.MaxMessageBytes))
			continue
		}
		if err != nil {
			closeMsg = s.readFailed(c, err, func(msg string) { refuse(RefusedTooLarge, msg) })
			return
		}
		if !s.work.begin() {
			refuse(RefusedShuttingDown, "the server is shutting down")
			continue
		}
		if !s.handleSession(ctx, c, where, sess, data, send) {
			return
		}
	}
}

// handleSession runs one message through sess. A panic ends the
// connection, never the process.
func (s *Server) handleSession(ctx context.Context, c *conn, where string, sess Session, data []byte, send func([]byte)) (goOn bool) {
	defer s.work.end()
	defer func() {
		if p := recover(); p != nil {
			s.met.panics.WithLabelValues(where + "_request").Inc()
			log.Printf("simgym: recovered panic answering a %s message: %v\n%s", where, p, debug.Stack())
			c.close(websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "internal error"))
			goOn = false
		}
	}()
	return sess.Handle(ctx, data, send)
}

// CountError counts an error reply of a mounted protocol (in
// simgym_errors_total, by code).
func (s *Server) CountError(code string) { s.met.errors.WithLabelValues(code).Inc() }

// CountOp counts a reset, step or close done for a mounted protocol.
func (s *Server) CountOp(op string) {
	switch op {
	case "reset":
		s.met.resets.Inc()
	case "step":
		s.met.steps.Inc()
	case "close":
		s.met.closes.Inc()
	}
}

// Handle mounts another handler on the gym, behind its token check
// (every path but /healthz needs the token when one is set).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }
