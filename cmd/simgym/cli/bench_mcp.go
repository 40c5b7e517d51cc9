package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/domains"
)

// mcpBench is what `simgym bench gym --protocol mcp` measures beside
// the gym protocol, against the same server in the same run.
type mcpBench struct {
	wsURL, httpBase, token string
	d                      *domains.Domain
	tool                   string
	episodes, conns        int
	duration               time.Duration
}

// bearer adds the token to every request of the MCP client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.token == "" {
		return b.next.RoundTrip(r)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// run measures gym steps (websocket, the load driver of bench gym), then
// MCP steps (tools/call over streamable HTTP, one session per episode)
// posted raw and then through the go-sdk client, then MCP session opens
// and closes (an MCP reset), and returns the summary.
func (b mcpBench) run(ctx context.Context, stdout io.Writer, asJSON bool) error {
	gymSteps, gymLat, err := b.gymSteps(ctx)
	if err != nil {
		return fmt.Errorf("gym phase: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = b.episodes + 8
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: bearer{b.token, tr}}
	client := sdk.NewClient(&sdk.Implementation{Name: "simgym-bench", Version: "0"}, nil)
	open := func(seed int) (*sdk.ClientSession, error) {
		return client.Connect(ctx, &sdk.StreamableClientTransport{
			Endpoint: b.httpBase + "/mcp/" + b.d.Name + "?seed=" + strconv.Itoa(seed%8), HTTPClient: hc, DisableStandaloneSSE: true, MaxRetries: -1,
		}, &sdk.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	}

	sessions := make([]*sdk.ClientSession, b.episodes)
	var g errgroup.Group
	for i := range sessions {
		g.Go(func() (err error) {
			sessions[i], err = open(i)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("open mcp sessions: %w", err)
	}
	// Raw: each step one POST of a pre-encoded tools/call, as lean as the
	// gym's load driver, so the two measure the servers more than their
	// clients.
	body := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":` + jsonString(b.tool) + `,"arguments":{"limit":5}}}`)
	steps, lat, err := loadPhase(ctx, b.duration, b.episodes, func(i int) error {
		return b.rawStep(ctx, tr, sessions[i].ID(), body)
	})
	if err != nil {
		return fmt.Errorf("mcp steps: %w", err)
	}
	// Through the go-sdk client, as an MCP agent would call.
	args := map[string]any{"limit": 5}
	sdkSteps, sdkLat, err := loadPhase(ctx, b.duration, b.episodes, func(i int) error {
		r, err := sessions[i].CallTool(ctx, &sdk.CallToolParams{Name: b.tool, Arguments: args})
		if err == nil && r.IsError {
			err = fmt.Errorf("mcp %s: error result", b.tool)
		}
		return err
	})
	for _, s := range sessions {
		_ = s.Close()
	}
	if err != nil {
		return fmt.Errorf("mcp steps through the go-sdk client: %w", err)
	}

	var mu sync.Mutex
	seed := 0
	resets, _, err := loadPhase(ctx, b.duration, b.episodes, func(int) error {
		mu.Lock()
		seed++
		n := seed
		mu.Unlock()
		s, err := open(n)
		if err != nil {
			return err
		}
		return s.Close()
	})
	if err != nil {
		return fmt.Errorf("mcp sessions: %w", err)
	}

	sps := float64(steps) / b.duration.Seconds()
	gsps := float64(gymSteps) / b.duration.Seconds()
	summary := map[string]any{
		"protocol":               "mcp",
		"steps_per_s":            round3(sps),
		"resets_per_s":           round3(float64(resets) / b.duration.Seconds()),
		"p50_ms":                 round3(percentile(lat, 0.50)),
		"p99_ms":                 round3(percentile(lat, 0.99)),
		"gym_steps_per_s":        round3(gsps),
		"gym_p50_ms":             round3(percentile(gymLat, 0.50)),
		"gym_p99_ms":             round3(percentile(gymLat, 0.99)),
		"ratio_to_gym":           round3(sps / gsps),
		"sdk_client_steps_per_s": round3(float64(sdkSteps) / b.duration.Seconds()),
		"sdk_client_p50_ms":      round3(percentile(sdkLat, 0.50)),
		"sdk_client_p99_ms":      round3(percentile(sdkLat, 0.99)),
		"episodes":               b.episodes,
		"connections":            b.conns,
		"domain":                 b.d.Name,
		"tool":                   b.tool,
	}
	return writeSummary(stdout, asJSON, []string{"protocol", "steps_per_s", "resets_per_s", "p50_ms", "p99_ms", "gym_steps_per_s", "gym_p50_ms", "gym_p99_ms", "ratio_to_gym", "sdk_client_steps_per_s", "sdk_client_p50_ms", "sdk_client_p99_ms", "episodes", "connections", "domain", "tool"}, summary)
}

// rawStep posts one tools/call in a session and checks its reply is a
// result that is not an error.
func (b mcpBench) rawStep(ctx context.Context, rt http.RoundTripper, session string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.httpBase+"/mcp/"+b.d.Name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Session-Id", session)
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(data, []byte(`{"jsonrpc":"2.0","id":1,"result":`)) || bytes.Contains(data, []byte(`"isError":true`)) {
		return fmt.Errorf("mcp step: %d %.300s", resp.StatusCode, data)
	}
	return nil
}

// gymSteps runs the same closed-loop steps over the gym's websocket
// protocol, the episodes spread over b.conns connections.
func (b mcpBench) gymSteps(ctx context.Context) (int, []float64, error) {
	loads := make([]*wsLoad, b.conns)
	for i := range loads {
		l, err := dialLoad(ctx, b.wsURL, b.token)
		if err != nil {
			return 0, nil, err
		}
		defer l.close()
		loads[i] = l
	}
	var mu sync.Mutex
	total, all := 0, []float64{}
	deadline := time.Now().Add(b.duration)
	var g errgroup.Group
	for c, l := range loads {
		g.Go(func() error {
			k := (b.episodes - c + len(loads) - 1) / len(loads)
			eps := make([]string, k)
			step := func(j int) []byte {
				return []byte(`{"id":"` + strconv.Itoa(j) + `","op":"step","episode":` + jsonString(eps[j]) +
					`,"action":{"tool":` + jsonString(b.tool) + `,"arguments":{"limit":5}}}`)
			}
			_, _, err := l.run(ctx, time.Now().Add(time.Hour), k, func(j int) []byte {
				return []byte(`{"id":"` + strconv.Itoa(j) + `","op":"reset","env":` + jsonString(b.d.Name) + `,"seed":` + strconv.Itoa((c+j*len(loads))%8) + `}`)
			}, func(j int, reply []byte) ([]byte, error) {
				ep, err := replyEpisode(reply)
				eps[j] = ep
				return nil, err
			}, nil)
			if err != nil {
				return err
			}
			n, lat, err := l.run(ctx, deadline, k, step, func(j int, _ []byte) ([]byte, error) { return step(j), nil }, nil)
			if err != nil {
				return err
			}
			_, _, err = l.run(ctx, time.Now().Add(time.Hour), k, func(j int) []byte {
				return []byte(`{"id":"` + strconv.Itoa(j) + `","op":"close","episode":` + jsonString(eps[j]) + `}`)
			}, func(int, []byte) ([]byte, error) { return nil, nil }, nil)
			mu.Lock()
			total += n
			all = append(all, lat...)
			mu.Unlock()
			return err
		})
	}
	err := g.Wait()
	return total, all, err
}
