package gym

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/simgym/simgym/env/protocol"
)

// Defaults of the connection limits.
const (
	DefaultConnBudget     = 4 << 20
	DefaultServerBudget   = 256 << 20
	DefaultMaxConns       = 16384
	DefaultPingInterval   = 30 * time.Second
	DefaultConnIdle       = 15 * time.Minute
	DefaultWriteTimeout   = 30 * time.Second
	DefaultFlushTimeout   = 2 * time.Second
	DefaultMaxMessageSize = 1 << 20
)

// conn is one websocket connection. Only its writer goroutine writes
// frames: replies, pings and the close frame; everyone else queues
// messages and asks it to close. The socket is closed exactly once, by
// the writer, after it has flushed what was queued (within a deadline)
// and sent the close frame.
type conn struct {
	ws  *websocket.Conn
	srv *Server

	mu       sync.Mutex
	queue    []message
	queued   int64 // bytes of queue
	inflight int64 // bytes of requests being answered
	closing  bool
	closeMsg []byte
	// refused, when set, encodes the over-budget error of a mounted
	// protocol (ServeSession); else it is the gym's.
	refused func(Refusal, string) []byte
	// space is signalled when queued or in-flight bytes fall.
	space *sync.Cond

	wake     chan struct{} // the writer has work (capacity 1)
	finished chan struct{} // closed when the writer has closed the socket
	lastReq  atomic.Int64  // unix nanoseconds of the last request read
	// deadlineSet is when the reader last pushed the read deadline.
	deadlineSet time.Time
}

// message is one outgoing text message, in parts written one after
// another: a step's observation goes out as it came from the tool, not
// copied into a reply buffer, and the hello reply's body is shared by
// every hello.
type message struct {
	head, body, tail []byte
	// shared marks a body that every copy of the message shares (the
	// hello reply's): it costs no memory per message, so budgets do not
	// count it.
	shared bool
}

// size is the memory the message holds, as budgets count it.
func (m message) size() int64 {
	n := len(m.head) + len(m.tail)
	if !m.shared {
		n += len(m.body)
	}
	return int64(n)
}

// errTooLarge is returned by read for a message over the size limit
// that was skipped: the connection goes on. errFarTooLarge is for one
// too long even to skip (over 16 times the limit): the connection ends.
var (
	errTooLarge    = errors.New("message too large")
	errFarTooLarge = errors.New("message far too large")
)

func (s *Server) newConn(ws *websocket.Conn) *conn {
	c := &conn{ws: ws, srv: s, wake: make(chan struct{}, 1), finished: make(chan struct{})}
	c.space = sync.NewCond(&c.mu)
	c.lastReq.Store(time.Now().UnixNano())
	ws.SetPongHandler(func(string) error {
		return ws.SetReadDeadline(time.Now().Add(2 * s.opt.PingInterval))
	})
	_ = ws.SetReadDeadline(time.Now().Add(2 * s.opt.PingInterval))
	return c
}

// read reads the next message into buf and returns its bytes. A message
// over MaxMessageBytes is never buffered past the limit: the rest is
// skipped and read returns errTooLarge; past 16 times the limit it stops
// skipping and returns errFarTooLarge.
func (c *conn) read(buf *bytes.Buffer) ([]byte, error) {
	_, r, err := c.ws.NextReader()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	c.lastReq.Store(now.UnixNano())
	c.refreshDeadline(now)
	if buf.Cap() > 1<<20 {
		*buf = bytes.Buffer{} // a rare big message's buffer is not kept
	}
	buf.Reset()
	limit := c.srv.opt.MaxMessageBytes
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if n > limit {
		skipped, err := io.Copy(io.Discard, io.LimitReader(r, 15*limit))
		if err != nil {
			return nil, err
		}
		if skipped == 15*limit {
			return nil, errFarTooLarge
		}
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// admit accounts a request of n bytes as in flight, waiting while the
// connection's replies and requests already hold its budget. It returns
// false when the connection is closing.
func (c *conn) admit(n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	waited := false
	for !c.closing && c.queued+c.inflight > 0 && c.queued+c.inflight+n > c.srv.opt.ConnBudget {
		c.space.Wait()
		waited = true
	}
	if c.closing {
		return false
	}
	c.inflight += n
	if waited {
		// Time spent waiting here is not the peer's silence.
		_ = c.ws.SetReadDeadline(time.Now().Add(2 * c.srv.opt.PingInterval))
	}
	return true
}

// refreshDeadline pushes the read deadline two ping intervals past now,
// at most once every quarter interval: a deadline is a timer update, and
// requests come thousands a second. Only the reader calls it.
func (c *conn) refreshDeadline(now time.Time) {
	if now.Sub(c.deadlineSet) < c.srv.opt.PingInterval/4 {
		return
	}
	c.deadlineSet = now
	_ = c.ws.SetReadDeadline(now.Add(2 * c.srv.opt.PingInterval))
}

// done releases a request's n bytes once its reply is queued.
func (c *conn) done(n int64) {
	c.mu.Lock()
	c.inflight -= n
	c.mu.Unlock()
	c.space.Broadcast()
}

// send queues a reply for the writer. A reply that would take the
// connection's queue past twice its budget, or (for a connection holding
// a quarter of its budget or more unread) the server's queues past the
// server's budget, is replaced by an over_budget error (to id) and the
// connection closes after it: the client asked for more than it reads.
// Connections with little unread are never cut for the server's budget,
// so a busy server sheds the clients that fill it, not the polite ones.
func (c *conn) send(id json.RawMessage, msg message) {
	n := msg.size()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	over := ""
	if c.queued > 0 && c.queued+n > 2*c.srv.opt.ConnBudget {
		over = fmt.Sprintf("this connection has %d bytes of replies unread, over its budget of %d bytes: read replies before sending more requests", c.queued, c.srv.opt.ConnBudget)
	} else if c.queued >= c.srv.opt.ConnBudget/4 && c.srv.queued.Load()+n > c.srv.opt.ServerBudget {
		over = fmt.Sprintf("the server holds %d bytes of unread replies, over its budget of %d bytes; this connection has %d unread", c.srv.queued.Load(), c.srv.opt.ServerBudget, c.queued)
	}
	if over != "" {
		c.srv.met.errors.WithLabelValues(protocol.CodeOverBudget).Inc()
		c.srv.met.disconnects.WithLabelValues("over_budget").Inc()
		if c.refused != nil {
			msg = message{head: c.refused(RefusedOverBudget, over)}
		} else {
			msg = message{head: encode(protocol.Reply{ID: id, Error: &protocol.Error{Code: protocol.CodeOverBudget, Message: over}})}
		}
		n = msg.size()
		c.closing = true
		c.closeMsg = websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "over budget")
	}
	c.queue = append(c.queue, msg)
	c.queued += n
	c.srv.queued.Add(n)
	c.mu.Unlock()
	if over != "" {
		c.space.Broadcast()
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close asks the writer to flush what is queued, send the close frame
// (msg, or a normal closure when nil) and close the socket. Only the
// first call's message counts.
func (c *conn) close(msg []byte) {
	c.mu.Lock()
	if !c.closing {
		c.closing = true
		c.closeMsg = msg
	}
	c.mu.Unlock()
	c.space.Broadcast()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// take removes what is queued.
func (c *conn) take() (batch []message, closing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	batch, c.queue = c.queue, nil
	return batch, c.closing
}

// release returns n written (or dropped) bytes to the budgets.
func (c *conn) release(n int64) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	c.queued -= n
	c.mu.Unlock()
	c.srv.queued.Add(-n)
	c.space.Broadcast()
}

// write sends one message.
func (c *conn) write(msg message, deadline time.Time) error {
	_ = c.ws.SetWriteDeadline(deadline)
	w, err := c.ws.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	for _, part := range [][]byte{msg.head, msg.body, msg.tail} {
		if _, err := w.Write(part); err != nil {
			_ = w.Close()
			return err
		}
	}
	return w.Close()
}

// writeLoop is the connection's only writer. It ends by closing the
// socket, whatever happened.
func (c *conn) writeLoop() {
	defer close(c.finished)
	defer c.srv.recoverIn("writer")
	defer func() {
		// Whatever is left is dropped: give its bytes back.
		c.mu.Lock()
		c.closing = true
		var n int64
		for _, m := range c.queue {
			n += m.size()
		}
		c.queue = nil
		c.mu.Unlock()
		c.release(n)
		c.space.Broadcast()
		_ = c.ws.Close()
	}()
	ping := time.NewTicker(c.srv.opt.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
		case <-ping.C:
			if idle := time.Since(time.Unix(0, c.lastReq.Load())); idle > c.srv.opt.ConnIdleTimeout {
				c.srv.met.disconnects.WithLabelValues("idle").Inc()
				c.close(websocket.FormatCloseMessage(websocket.CloseGoingAway, fmt.Sprintf("no request for %s (idle timeout)", c.srv.opt.ConnIdleTimeout.Round(time.Second))))
				continue
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.srv.opt.WriteTimeout)); err != nil {
				c.srv.met.disconnects.WithLabelValues("write_error").Inc()
				return
			}
			continue
		}
		batch, closing := c.take()
		timeout := c.srv.opt.WriteTimeout
		if closing {
			timeout = c.srv.opt.FlushTimeout
		}
		deadline := time.Now().Add(timeout)
		for i, m := range batch {
			if err := c.write(m, deadline); err != nil {
				if !closing {
					c.srv.met.disconnects.WithLabelValues("write_error").Inc()
				}
				var n int64
				for _, rest := range batch[i:] {
					n += rest.size()
				}
				c.release(n)
				return
			}
			c.release(m.size())
		}
		if closing {
			// Nothing is queued once closing is set: this was the last
			// batch.
			c.mu.Lock()
			msg := c.closeMsg
			c.mu.Unlock()
			if msg == nil {
				msg = websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			}
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.srv.opt.FlushTimeout))
			return
		}
	}
}
