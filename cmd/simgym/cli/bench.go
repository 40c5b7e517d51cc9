package cli

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/domains"
)

// runBench implements `simgym bench gym|pipeline`.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: bench needs a target: gym, search or pipeline", errUsage)
	}
	switch args[0] {
	case "gym":
		return benchGym(ctx, args[1:], stdout, stderr)
	case "search":
		return benchSearch(ctx, args[1:], stdout, stderr)
	case "pipeline":
		return benchPipeline(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown bench target %q (want gym, search or pipeline)", errUsage, args[0])
}

// benchGym measures the gym over loopback from this process against a
// server in a separate process, and the same steps in-process as the
// baseline.
func benchGym(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench gym", flag.ContinueOnError)
	server := fs.String("server", "", "ws:// URL of a running gym (default: start one in a child process)")
	episodes := fs.Int("episodes", 64, "concurrent episodes")
	conns := fs.Int("connections", 2, "websocket connections the episodes share (as two rollout workers would)")
	duration := fs.Duration("duration", 5*time.Second, "how long each phase runs")
	idle := fs.Int("idle-episodes", 2000, "episodes opened to measure memory per episode")
	episodeSteps := fs.Int("episode-steps", 0, "steps an episode takes before it is closed and a new one reset in its place (0: never)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	protocol := fs.String("protocol", "gym", "gym, or mcp: MCP steps (streamable HTTP, one session per episode) measured beside the gym protocol's in the same run")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *protocol != "gym" && *protocol != "mcp" {
		return fmt.Errorf("%w: --protocol %q (want gym or mcp)", errUsage, *protocol)
	}
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// The load generator itself collects garbage less often, so that its
	// pauses do not count as the server's latency.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	url := *server
	if url == "" {
		child, addr, err := startServer(ctx, stderr, "--no-web", "--max-episodes", "100000", "--max-episodes-per-connection", "100000", "--max-steps", "0")
		if err != nil {
			return err
		}
		defer func() {
			_ = child.Process.Signal(os.Interrupt)
			_ = child.Wait()
		}()
		url = "ws://" + addr + "/v1/gym"
	}
	httpBase := "http" + strings.TrimPrefix(url, "ws")
	httpBase = strings.TrimSuffix(httpBase, "/v1/gym")
	d := benchDomain()
	if d == nil {
		return fmt.Errorf("no domain with a list tool to benchmark")
	}
	listTool := listToolOf(d)
	token := os.Getenv("SIMGYM_TOKEN")
	if *protocol == "mcp" {
		return mcpBench{wsURL: url, httpBase: httpBase, token: token, d: d, tool: listTool, episodes: *episodes, conns: *conns, duration: *duration}.run(ctx, stdout, *asJSON)
	}
	loads := make([]*wsLoad, *conns)
	for i := range loads {
		l, err := dialLoad(ctx, url, token)
		if err != nil {
			return err
		}
		defer l.close()
		loads[i] = l
	}
	// The episodes are spread over the connections; slot j of connection
	// c is episode c + j*conns.
	slotsOf := func(c, n int) int { return (n - c + len(loads) - 1) / len(loads) }
	reset := func(slot, seed int) []byte {
		return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"reset","env":` + jsonString(d.Name) + `,"seed":` + strconv.Itoa(seed%8) + `}`)
	}
	closeReq := func(slot int, ep string) []byte {
		return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"close","episode":` + jsonString(ep) + `}`)
	}
	// each runs fn on every connection at once and adds up what they
	// measured.
	each := func(fn func(c int, l *wsLoad) (int, []float64, error)) (int, []float64, error) {
		var mu sync.Mutex
		total, all := 0, []float64{}
		var g errgroup.Group
		for c, l := range loads {
			g.Go(func() error {
				n, lat, err := fn(c, l)
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
	// openEpisodes resets n episodes (seeds 0 to 7 in turn) and returns
	// their ids by connection.
	openEpisodes := func(n int) ([][]string, error) {
		eps := make([][]string, len(loads))
		_, _, err := each(func(c int, l *wsLoad) (int, []float64, error) {
			k := slotsOf(c, n)
			eps[c] = make([]string, k)
			return l.run(ctx, time.Now().Add(time.Hour), k, func(j int) []byte { return reset(j, c+j*len(loads)) },
				func(j int, reply []byte) ([]byte, error) {
					ep, err := replyEpisode(reply)
					eps[c][j] = ep
					return nil, err
				}, nil)
		})
		return eps, err
	}
	closeEpisodes := func(eps [][]string) error {
		_, _, err := each(func(c int, l *wsLoad) (int, []float64, error) {
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

	// Steps: every episode steps a read tool, closed loop; after
	// --episode-steps steps it is closed and another reset in its place,
	// as a trainer's episodes end (those requests are not counted).
	eps, err := openEpisodes(*episodes)
	if err != nil {
		return err
	}
	stepArgs, _ := json.Marshal(map[string]any{"limit": 5})
	stepReq := func(slot int, ep string) []byte {
		return []byte(`{"id":"` + strconv.Itoa(slot) + `","op":"step","episode":` + jsonString(ep) +
			`,"action":{"tool":` + jsonString(listTool) + `,"arguments":` + string(stepArgs) + `}}`)
	}
	const (
		stepping = iota
		closing
		resetting
	)
	states := make([][]int, len(loads))
	deadline := time.Now().Add(*duration)
	steps, lat, err := each(func(c int, l *wsLoad) (int, []float64, error) {
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
					if *episodeSteps > 0 && taken[j] >= *episodeSteps {
						state[j], taken[j] = closing, 0
						return closeReq(j, eps[c][j]), nil
					}
					return reqs[j], nil
				case closing:
					state[j] = resetting
					return reset(j, c+j*len(loads)), nil
				}
				ep, err := replyEpisode(reply)
				if err != nil {
					return nil, err
				}
				eps[c][j], reqs[j], state[j] = ep, stepReq(j, ep), stepping
				return reqs[j], nil
			}, func(j int) bool { return state[j] == stepping })
	})
	if err != nil {
		return err
	}
	for c := range eps { // slots cut off while renewing their episode hold none
		for j, st := range states[c] {
			if st != stepping {
				eps[c][j] = ""
			}
		}
	}
	if err := closeEpisodes(eps); err != nil {
		return err
	}
	serverP99, err := serverQuantile(httpBase, "step", 0.99)
	if err != nil {
		return err
	}
	// Resets: reset then close, again and again, as GRPO groups do.
	var resets atomic.Int64
	deadline = time.Now().Add(*duration)
	_, _, err = each(func(c int, l *wsLoad) (int, []float64, error) {
		k := slotsOf(c, *episodes)
		closing := make([]bool, k)
		return l.run(ctx, deadline, k, func(j int) []byte { return reset(j, c+j*len(loads)) },
			func(j int, reply []byte) ([]byte, error) {
				if closing[j] {
					closing[j] = false
					return reset(j, c+j*len(loads)), nil
				}
				resets.Add(1)
				ep, err := replyEpisode(reply)
				closing[j] = true
				return closeReq(j, ep), err
			}, nil)
	})
	if err != nil {
		return err
	}
	// Memory per open episode, from the server's resident memory: what
	// --idle-episodes more episodes add once a tenth as many are open
	// (the domain's pristine copy and caches are made by the first).
	warm, err := openEpisodes(max(*idle/10, 1))
	if err != nil {
		return err
	}
	before, err := residentBytes(httpBase)
	if err != nil {
		return err
	}
	idleEps, err := openEpisodes(*idle)
	if err != nil {
		return err
	}
	after, err := residentBytes(httpBase)
	if err != nil {
		return err
	}
	if err := closeEpisodes(idleEps); err != nil {
		return err
	}
	if err := closeEpisodes(warm); err != nil {
		return err
	}

	// Baseline: the same steps in-process, no server.
	base, err := inProcessSteps(ctx, d, listTool, *duration, *episodes)
	if err != nil {
		return err
	}
	sps := float64(steps) / duration.Seconds()
	summary := map[string]any{
		"steps_per_s":          round3(sps),
		"resets_per_s":         round3(float64(resets.Load()) / duration.Seconds()),
		"p50_ms":               round3(percentile(lat, 0.50)),
		"p99_ms":               round3(percentile(lat, 0.99)),
		"server_p99_ms":        round3(serverP99 * 1000),
		"bytes_per_episode":    max(int64(0), (after-before)/int64(*idle)),
		"episodes":             *episodes,
		"connections":          *conns,
		"episode_steps":        *episodeSteps,
		"baseline":             "the same steps in-process, no server",
		"baseline_steps_per_s": round3(base),
		"ratio_to_baseline":    round3(sps / base),
		"domain":               d.Name,
		"tool":                 listTool,
	}
	return writeSummary(stdout, *asJSON, []string{"steps_per_s", "resets_per_s", "p50_ms", "p99_ms", "server_p99_ms", "bytes_per_episode", "episodes", "connections", "episode_steps", "baseline", "baseline_steps_per_s", "ratio_to_baseline", "domain", "tool"}, summary)
}

// startServer runs `simgym serve` with extra flags on a free loopback
// port in a child process and returns its address.
func startServer(ctx context.Context, stderr io.Writer, flags ...string) (*exec.Cmd, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"serve", "--addr", "127.0.0.1:0", "--json", "--tasks-per-env", "1"}, flags...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start server: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return nil, "", fmt.Errorf("start server: %w", err)
	}
	var hello struct {
		Addr string `json:"addr"`
	}
	if err := json.Unmarshal([]byte(line), &hello); err != nil {
		_ = cmd.Process.Kill()
		return nil, "", fmt.Errorf("start server: %q: %w", line, err)
	}
	return cmd, hello.Addr, nil
}

// loadPhase runs fn from n workers for d and returns the calls made and
// their latencies in milliseconds.
func loadPhase(ctx context.Context, d time.Duration, n int, fn func(i int) error) (int64, []float64, error) {
	var count atomic.Int64
	var mu sync.Mutex
	var lat []float64
	var firstErr error
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]float64, 0, 4096)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				local = append(local, float64(time.Since(t0).Microseconds())/1000)
				count.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return count.Load(), lat, firstErr
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[min(len(xs)-1, int(p*float64(len(xs))))]
}

// residentBytes reads process_resident_memory_bytes from /metrics.
func residentBytes(base string) (int64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_resident_memory_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return int64(f), err
		}
	}
	return 0, fmt.Errorf("read metrics: no process_resident_memory_bytes")
}

// serverQuantile estimates a quantile of the server's own request
// latency for an op from its Prometheus histogram (upper bucket bound).
func serverQuantile(base, op string, q float64) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, fmt.Errorf("read metrics: %w", err)
	}
	defer resp.Body.Close()
	type bucket struct{ le, n float64 }
	var bs []bucket
	prefix := `simgym_request_seconds_bucket{op="` + op + `",le="`
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), prefix)
		if !ok {
			continue
		}
		le, count, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(count, 64)
		if err != nil {
			continue
		}
		bound, err := strconv.ParseFloat(le, 64)
		if err != nil {
			bound = math.Inf(1)
		}
		bs = append(bs, bucket{bound, n})
	}
	if len(bs) == 0 {
		return 0, fmt.Errorf("read metrics: no %s latency histogram", op)
	}
	total := bs[len(bs)-1].n
	for _, b := range bs {
		if b.n >= q*total {
			return b.le, nil
		}
	}
	return math.Inf(1), nil
}

// inProcessSteps runs the same read step straight on domain databases.
func inProcessSteps(ctx context.Context, d *domains.Domain, tool string, dur time.Duration, n int) (float64, error) {
	dbs := make([]*sql.DB, n)
	for i := range dbs {
		db, err := d.NewDB(ctx, int64(i%8))
		if err != nil {
			return 0, err
		}
		defer db.Close()
		dbs[i] = db
	}
	ctxs := make([]context.Context, n)
	for i, db := range dbs {
		c := domains.NewStmtCache(db)
		defer c.Close()
		ctxs[i] = domains.WithStmtCache(ctx, c)
	}
	args := json.RawMessage(`{"limit":5}`)
	count, _, err := loadPhase(ctx, dur, n, func(i int) error {
		_, err := d.Call(ctxs[i], dbs[i], tool, args)
		return err
	})
	return float64(count) / dur.Seconds(), err
}

// benchDomain picks the default world's first domain with a list tool.
func benchDomain() *domains.Domain {
	for _, d := range domains.All() {
		if listToolOf(d) != "" {
			return d
		}
	}
	return nil
}

func listToolOf(d *domains.Domain) string {
	for _, op := range d.Model.Ops {
		if op.Kind == "list" {
			for _, a := range op.Args {
				if a.Name == "limit" {
					return op.Tool
				}
			}
		}
	}
	return ""
}
