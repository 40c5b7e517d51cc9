package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// gymLoad is the gym benchmark's connections to one server, and the
// environment it resets.
type gymLoad struct {
	loads []*wsLoad
	env   string
}

// dialGym opens conns load connections to a gym.
func dialGym(ctx context.Context, url, token, envName string, conns int) (*gymLoad, error) {
	g := &gymLoad{env: envName}
	for range conns {
		l, err := dialLoad(ctx, url, token)
		if err != nil {
			g.close()
			return nil, err
		}
		g.loads = append(g.loads, l)
	}
	return g, nil
}

func (g *gymLoad) close() {
	for _, l := range g.loads {
		l.close()
	}
}

// slots counts the episodes of connection c when n are spread over the
// connections: slot j of connection c is episode c + j*conns.
func (g *gymLoad) slots(c, n int) int { return (n - c + len(g.loads) - 1) / len(g.loads) }

// seed is the reset seed of slot j of connection c (seeds 0 to 7 in turn).
func (g *gymLoad) seed(c, j int) int { return (c + j*len(g.loads)) % 8 }

func (g *gymLoad) resetReq(slot, seed int) []byte {
	return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"reset","env":` + jsonString(g.env) + `,"seed":` + strconv.Itoa(seed) + `}`)
}

func closeReq(slot int, ep string) []byte {
	return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"close","episode":` + jsonString(ep) + `}`)
}

func answerReq(slot int, ep string) []byte {
	return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"step","episode":` + jsonString(ep) + `,"action":{"answer":"bench"}}`)
}

// each runs fn on every connection at once and adds up what they
// measured.
func (g *gymLoad) each(fn func(c int, l *wsLoad) (int, []float64, error)) (int, []float64, error) {
	var mu sync.Mutex
	total, all := 0, []float64{}
	var eg errgroup.Group
	for c, l := range g.loads {
		eg.Go(func() error {
			n, lat, err := fn(c, l)
			mu.Lock()
			total += n
			all = append(all, lat...)
			mu.Unlock()
			return err
		})
	}
	err := eg.Wait()
	return total, all, err
}

// open resets n episodes and returns their ids by connection.
func (g *gymLoad) open(ctx context.Context, n int) ([][]string, error) {
	eps := make([][]string, len(g.loads))
	_, _, err := g.each(func(c int, l *wsLoad) (int, []float64, error) {
		k := g.slots(c, n)
		eps[c] = make([]string, k)
		return l.run(ctx, time.Now().Add(time.Hour), k, func(j int) []byte { return g.resetReq(j, g.seed(c, j)) },
			func(j int, reply []byte) ([]byte, error) {
				ep, err := replyEpisode(reply)
				eps[c][j] = ep
				return nil, err
			}, nil)
	})
	return eps, err
}

// closeEpisodes closes the episodes of open ("" for none).
func (g *gymLoad) closeEpisodes(ctx context.Context, eps [][]string) error {
	_, _, err := g.each(func(c int, l *wsLoad) (int, []float64, error) {
		var open []string
		for _, ep := range eps[c] {
			if ep != "" {
				open = append(open, ep)
			}
		}
		return l.run(ctx, time.Now().Add(time.Hour), len(open), func(j int) []byte { return closeReq(j, open[j]) },
			func(int, []byte) ([]byte, error) { return nil, nil }, nil)
	})
	return err
}

// stepRun is what a steps phase measured.
type stepRun struct {
	steps int       // step replies (tool calls and answers)
	lat   []float64 // their latencies, ms
	// finished counts episodes whose answer's done reply arrived.
	finished int
}

// stepOptions shape a steps phase.
type stepOptions struct {
	tool     string          // the read tool stepped
	args     json.RawMessage // its arguments
	duration time.Duration
	// every: after this many tool calls an episode ends and another is
	// reset in its place (0: never).
	every int
	// answer ends an episode with an answer step (counted, and recorded
	// by a recording server) before closing it; otherwise it is closed.
	answer bool
}

// steps runs every episode of eps closed loop for the phase's duration;
// eps is updated to the episodes open at the end ("" for none).
func (g *gymLoad) steps(ctx context.Context, eps [][]string, opt stepOptions) (stepRun, error) {
	const (
		stepping = iota
		answering
		closing
		resetting
	)
	stepReq := func(slot int, ep string) []byte {
		return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"step","episode":` + jsonString(ep) +
			`,"action":{"tool":` + jsonString(opt.tool) + `,"arguments":` + string(opt.args) + `}}`)
	}
	states := make([][]int, len(g.loads))
	finished := make([]int, len(g.loads))
	deadline := time.Now().Add(opt.duration)
	steps, lat, err := g.each(func(c int, l *wsLoad) (int, []float64, error) {
		k := len(eps[c])
		reqs := make([][]byte, k)
		for j := range reqs {
			reqs[j] = stepReq(j, eps[c][j])
		}
		state, taken := make([]int, k), make([]int, k)
		states[c] = state
		return l.run(ctx, deadline, k, func(j int) []byte { return reqs[j] },
			func(j int, reply []byte) ([]byte, error) {
				switch state[j] {
				case stepping:
					taken[j]++
					if opt.every > 0 && taken[j] >= opt.every {
						taken[j] = 0
						if opt.answer {
							state[j] = answering
							return answerReq(j, eps[c][j]), nil
						}
						state[j] = closing
						return closeReq(j, eps[c][j]), nil
					}
					return reqs[j], nil
				case answering:
					state[j] = closing
					return closeReq(j, eps[c][j]), nil
				case closing:
					state[j] = resetting
					return g.resetReq(j, g.seed(c, j)), nil
				}
				ep, err := replyEpisode(reply)
				if err != nil {
					return nil, err
				}
				eps[c][j], reqs[j], state[j] = ep, stepReq(j, ep), stepping
				return reqs[j], nil
			}, func(j int, reply []byte) bool {
				if state[j] == answering && bytes.Contains(reply, []byte(`"done":true`)) {
					finished[c]++
				}
				return state[j] == stepping || state[j] == answering
			})
	})
	r := stepRun{steps: steps, lat: lat}
	for _, n := range finished {
		r.finished += n
	}
	if err != nil {
		return r, err
	}
	for c := range eps { // slots cut off while renewing their episode hold none
		for j, st := range states[c] {
			if st != stepping && st != answering {
				eps[c][j] = ""
			}
		}
	}
	return r, nil
}
