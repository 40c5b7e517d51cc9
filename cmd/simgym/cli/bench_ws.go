package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sync/errgroup"
)

// wsLoad drives closed-loop requests over one websocket connection from
// a single goroutine: each slot (an episode, say) has one request in
// flight, and its reply's arrival sends the slot's next request. It costs
// the load generator a fraction of what a goroutine per episode through
// env/client does, which matters when it shares the server's two cores.
type wsLoad struct {
	ws  *websocket.Conn
	buf bytes.Buffer
}

// dialLoad connects a load driver to a gym.
func dialLoad(ctx context.Context, url, token string) (*wsLoad, error) {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, url, h)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(64 << 20)
	return &wsLoad{ws: ws}, nil
}

func (l *wsLoad) close() {
	_ = l.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	_ = l.ws.Close()
}

// read returns the next message, in a buffer reused by the next read.
func (l *wsLoad) read() ([]byte, error) {
	_, r, err := l.ws.NextReader()
	if err != nil {
		return nil, err
	}
	l.buf.Reset()
	if _, err := l.buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return l.buf.Bytes(), nil
}

// loadReply is a reply as the driver sees it: its slot (the id) and,
// for an error, the error's text.
func loadReply(data []byte) (slot int, err error) {
	const prefix = `{"id":"`
	rest, ok := bytes.CutPrefix(data, []byte(prefix))
	end := bytes.IndexByte(rest, '"')
	if !ok || end < 0 {
		return -1, fmt.Errorf("reply without a leading string id: %.200s", data)
	}
	slot, err = strconv.Atoi(string(rest[:end]))
	if err != nil {
		return -1, fmt.Errorf("reply with a foreign id: %.200s", data)
	}
	if bytes.HasPrefix(rest[end+1:], []byte(`,"error":`)) {
		return slot, fmt.Errorf("error reply: %.300s", data)
	}
	return slot, nil
}

// run drives slots until the deadline: first(i) is slot i's first
// request and next(i, reply) its request after a reply (nil when the slot
// is done), both with id i as a string. Every sixteenth reply is also
// checked to be valid JSON. It returns the replies counted and their
// latencies in milliseconds: all of them, or, with counts, those to
// which counts(i, reply) says yes when they arrive. The first error reply or
// failure ends it.
func (l *wsLoad) run(ctx context.Context, deadline time.Time, slots int, first func(i int) []byte,
	next func(i int, reply []byte) ([]byte, error), counts func(i int, reply []byte) bool) (int, []float64, error) {
	sent := make([]time.Time, slots)
	for i := range slots {
		sent[i] = time.Now()
		if err := l.ws.WriteMessage(websocket.TextMessage, first(i)); err != nil {
			return 0, nil, err
		}
	}
	lat := make([]float64, 0, 1<<16)
	open, count, seen := slots, 0, 0
	for open > 0 {
		if ctx.Err() != nil {
			return count, lat, ctx.Err()
		}
		data, err := l.read()
		if err != nil {
			return count, lat, err
		}
		now := time.Now()
		i, err := loadReply(data)
		if err != nil {
			return count, lat, err
		}
		if i < 0 || i >= slots {
			return count, lat, fmt.Errorf("reply for slot %d of %d", i, slots)
		}
		if seen%16 == 0 && !json.Valid(data) {
			return count, lat, fmt.Errorf("reply is not JSON: %.200s", data)
		}
		seen++
		if counts == nil || counts(i, data) {
			lat = append(lat, float64(now.Sub(sent[i]).Microseconds())/1000)
			count++
		}
		if now.After(deadline) {
			open-- // this slot is done; wait for the others' replies
			continue
		}
		req, err := next(i, data)
		if err != nil {
			return count, lat, err
		}
		if req == nil {
			open--
			continue
		}
		sent[i] = time.Now()
		if err := l.ws.WriteMessage(websocket.TextMessage, req); err != nil {
			return count, lat, err
		}
	}
	return count, lat, nil
}

// replyEpisode reads the episode id of a reset reply.
func replyEpisode(data []byte) (string, error) {
	var r struct {
		Episode string `json:"episode"`
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Episode == "" {
		return "", fmt.Errorf("reset reply without an episode: %.200s", data)
	}
	return r.Episode, nil
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// openEnvSteps drives OpenEnv's websocket (url is its /ws) as its
// clients use it: one connection per episode, each reset once and then
// stepped closed loop until the deadline. It returns the steps and their
// latencies in milliseconds.
func openEnvSteps(ctx context.Context, url, token, envName, tool string, episodes int, deadline time.Time) (int, []float64, error) {
	args, _ := json.Marshal(map[string]any{"limit": 5})
	step := []byte(`{"type":"step","data":{"tool":` + jsonString(tool) + `,"arguments":` + string(args) + `}}`)
	loads := make([]*wsLoad, episodes)
	defer func() {
		for _, l := range loads {
			if l != nil {
				_ = l.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"close"}`))
				l.close()
			}
		}
	}()
	for i := range loads {
		l, err := dialLoad(ctx, url, token)
		if err != nil {
			return 0, nil, err
		}
		loads[i] = l
		reset := `{"type":"reset","data":{"env":` + jsonString(envName) + `,"seed":` + strconv.Itoa(i%8) + `}}`
		if err := l.ws.WriteMessage(websocket.TextMessage, []byte(reset)); err != nil {
			return 0, nil, err
		}
	}
	for _, l := range loads {
		data, err := l.read()
		if err != nil {
			return 0, nil, err
		}
		if !bytes.HasPrefix(data, []byte(`{"type":"observation"`)) {
			return 0, nil, fmt.Errorf("openenv reset: %.300s", data)
		}
	}
	var mu sync.Mutex
	total, all := 0, make([]float64, 0, 1<<16)
	var g errgroup.Group
	for _, l := range loads {
		g.Go(func() error {
			n, lat := 0, make([]float64, 0, 1<<12)
			defer func() {
				mu.Lock()
				total += n
				all = append(all, lat...)
				mu.Unlock()
			}()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				sent := time.Now()
				if err := l.ws.WriteMessage(websocket.TextMessage, step); err != nil {
					return err
				}
				data, err := l.read()
				if err != nil {
					return err
				}
				if !bytes.HasPrefix(data, []byte(`{"type":"observation"`)) {
					return fmt.Errorf("openenv step: %.300s", data)
				}
				lat = append(lat, float64(time.Since(sent).Microseconds())/1000)
				n++
			}
			return ctx.Err()
		})
	}
	err := g.Wait()
	return total, all, err
}
