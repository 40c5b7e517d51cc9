// Package client is the Go client of simgym's gym: connect over
// websocket, then reset, step, fork and close episodes, with contexts.
// Requests and replies are env/protocol's types (protocol.Call and
// protocol.Answer make actions; Reply.ResetObservation and
// Reply.StepInfo decode what the server shows).
// Requests may be issued from many goroutines at once; they are
// pipelined on one connection and matched to replies by id.
package client

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

	"github.com/gorilla/websocket"

	"github.com/simgym/simgym/env/protocol"
)

// ErrClosed is returned for requests on a closed client.
var ErrClosed = errors.New("simgym client closed")

// Client is one websocket connection to the gym.
type Client struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	mu      sync.Mutex
	pending map[string]chan []byte
	seq     atomic.Uint64
	done    chan struct{}
	err     error
}

// Options configure Dial.
type Options struct {
	// Token is sent as a bearer token.
	Token string
}

// Dial connects to a gym at url (ws://host:port/v1/gym).
func Dial(ctx context.Context, url string, opt Options) (*Client, error) {
	h := http.Header{}
	if opt.Token != "" {
		h.Set("Authorization", "Bearer "+opt.Token)
	}
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(64 << 20)
	c := &Client{ws: ws, pending: map[string]chan []byte{}, done: make(chan struct{})}
	go c.readLoop()
	return c, nil
}

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.err = err
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		// Only the id is read here; the waiting caller decodes the rest,
		// so one connection's replies are not decoded one after another.
		key, ok := replyID(data)
		if !ok {
			var r struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(data, &r) != nil {
				continue
			}
			key = string(r.ID)
		}
		c.mu.Lock()
		ch := c.pending[key]
		delete(c.pending, key)
		c.mu.Unlock()
		if ch != nil {
			ch <- data
		}
	}
}

// replyID reads the id of a reply that starts with it, as the gym's do:
// {"id":"42",...}.
func replyID(data []byte) (string, bool) {
	const prefix = `{"id":"`
	if !bytes.HasPrefix(data, []byte(prefix)) {
		return "", false
	}
	end := bytes.IndexByte(data[len(prefix):], '"')
	if end < 0 {
		return "", false
	}
	id := data[len(prefix) : len(prefix)+end]
	if bytes.IndexByte(id, '\\') >= 0 {
		return "", false
	}
	return `"` + string(id) + `"`, true
}

// Do sends one request (its ID is set here) and waits for the reply.
// An error reply comes back as *protocol.Error.
func (c *Client) Do(ctx context.Context, req protocol.Request) (*protocol.Reply, error) {
	key := strconv.Quote(strconv.FormatUint(c.seq.Add(1), 10))
	req.ID = json.RawMessage(key)
	data, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ch := make(chan []byte, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrClosed, c.err)
	}
	c.pending[key] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err = c.ws.WriteMessage(websocket.TextMessage, data)
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
		return nil, fmt.Errorf("send %s: %w", req.Op, err)
	}
	select {
	case data, ok := <-ch:
		if !ok {
			return nil, ErrClosed
		}
		r := &protocol.Reply{}
		if err := json.Unmarshal(data, r); err != nil {
			return nil, fmt.Errorf("%s: bad reply: %w", req.Op, err)
		}
		if r.Error != nil {
			return r, r.Error
		}
		return r, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, key)
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Hello lists the environments and their tools.
func (c *Client) Hello(ctx context.Context) (*protocol.Reply, error) {
	return c.Do(ctx, protocol.Request{Op: "hello"})
}

// Reset starts an episode of env: on a task by id, or else on the task
// a seed selects.
func (c *Client) Reset(ctx context.Context, env, task string, seed *int64) (*protocol.Reply, error) {
	return c.Do(ctx, protocol.Request{Op: "reset", Env: env, Task: task, Seed: seed})
}

// Step takes an action in an episode.
func (c *Client) Step(ctx context.Context, episode string, a protocol.Action) (*protocol.Reply, error) {
	return c.Do(ctx, protocol.Request{Op: "step", Episode: episode, Action: &a})
}

// Fork copies an episode (state and history) into a new one.
func (c *Client) Fork(ctx context.Context, episode string) (*protocol.Reply, error) {
	return c.Do(ctx, protocol.Request{Op: "fork", Episode: episode})
}

// CloseEpisode ends an episode and frees its state.
func (c *Client) CloseEpisode(ctx context.Context, episode string) error {
	_, err := c.Do(ctx, protocol.Request{Op: "close", Episode: episode})
	return err
}

// Close closes the connection.
func (c *Client) Close() error {
	c.wmu.Lock()
	_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.wmu.Unlock()
	err := c.ws.Close()
	<-c.done
	return err
}
