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
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/env"
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
	case "taubench":
		return benchTaubench(ctx, args[1:], stdout, stderr)
	case "web":
		return benchWeb(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown bench target %q (want gym, search or pipeline)", errUsage, args[0])
}

// benchGym measures the gym over loopback from this process against a
// server in a separate process, and the same steps in-process as the
// baseline. With --record it measures the steps again against a server
// recording finished episodes, which then end with an answer.
func benchGym(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench gym", flag.ContinueOnError)
	server := fs.String("server", "", "ws:// URL of a running gym (default: start one in a child process)")
	episodes := fs.Int("episodes", 64, "concurrent episodes")
	conns := fs.Int("connections", 2, "websocket connections the episodes share (as two rollout workers would)")
	duration := fs.Duration("duration", 5*time.Second, "how long each phase runs")
	idle := fs.Int("idle-episodes", 2000, "episodes opened to measure memory per episode")
	episodeSteps := fs.Int("episode-steps", 0, "steps an episode takes before it is closed and a new one reset in its place (0: never; with --record, 0 means 10)")
	record := fs.Bool("record", false, "also measure the steps against a child server run with --record into a temporary file; episodes then end with an answer after --episode-steps steps, in both measurements")
	protocol := fs.String("protocol", "gym", "also measure: gym (simgym's protocol only), openenv (OpenEnv's /ws too, one episode per connection), or mcp (MCP steps over streamable HTTP, one session per episode); each against the gym's steps/s in the same run")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *record && *server != "" {
		return fmt.Errorf("%w: --record starts its own recording server; it does not go with --server", errUsage)
	}
	if *record && *episodeSteps == 0 {
		*episodeSteps = 10
	}
	if *protocol != "gym" && *protocol != "openenv" && *protocol != "mcp" {
		return fmt.Errorf("%w: --protocol %q (want gym, openenv or mcp)", errUsage, *protocol)
	}
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// The load generator itself collects garbage less often, so that its
	// pauses do not count as the server's latency.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	serverFlags := []string{"--no-web", "--max-episodes", "100000", "--max-episodes-per-connection", "100000", "--max-steps", "0"}
	url := *server
	if url == "" {
		child, addr, err := startServer(ctx, stderr, serverFlags...)
		if err != nil {
			return err
		}
		defer stopServer(child)
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
	g, err := dialGym(ctx, url, token, d.Name, *conns)
	if err != nil {
		return err
	}
	defer g.close()

	// Steps: every episode steps a read tool, closed loop; after
	// --episode-steps steps it is closed (with --record, answered then
	// closed) and another reset in its place, as a trainer's episodes end
	// (the closes and resets are not counted).
	stepOpt := stepOptions{tool: listTool, args: json.RawMessage(`{"limit":5}`), duration: *duration, every: *episodeSteps, answer: *record}
	plain, err := benchSteps(ctx, g, *episodes, stepOpt)
	if err != nil {
		return err
	}
	serverP99, err := serverQuantile(httpBase, "step", 0.99)
	if err != nil {
		return err
	}
	// OpenEnv's protocol: as many episodes, each on its own connection.
	var oeSteps int
	var oeLat []float64
	if *protocol == "openenv" {
		oeURL := strings.TrimSuffix(url, "/v1/gym") + "/ws"
		if oeSteps, oeLat, err = openEnvSteps(ctx, oeURL, token, d.Name, listTool, *episodes, time.Now().Add(*duration)); err != nil {
			return fmt.Errorf("openenv steps: %w", err)
		}
	}
	// Resets: reset then close, again and again, as GRPO groups do.
	var resets atomic.Int64
	deadline := time.Now().Add(*duration)
	_, _, err = g.each(func(c int, l *wsLoad) (int, []float64, error) {
		k := g.slots(c, *episodes)
		closing := make([]bool, k)
		return l.run(ctx, deadline, k, func(j int) []byte { return g.resetReq(j, g.seed(c, j)) },
			func(j int, reply []byte) ([]byte, error) {
				if closing[j] {
					closing[j] = false
					return g.resetReq(j, g.seed(c, j)), nil
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
	warm, err := g.open(ctx, max(*idle/10, 1))
	if err != nil {
		return err
	}
	before, err := residentBytes(httpBase)
	if err != nil {
		return err
	}
	idleEps, err := g.open(ctx, *idle)
	if err != nil {
		return err
	}
	after, err := residentBytes(httpBase)
	if err != nil {
		return err
	}
	if err := g.closeEpisodes(ctx, idleEps); err != nil {
		return err
	}
	if err := g.closeEpisodes(ctx, warm); err != nil {
		return err
	}

	// Baseline: the same steps in-process, no server.
	base, err := inProcessSteps(ctx, d, listTool, *duration, *episodes)
	if err != nil {
		return err
	}
	sps := float64(plain.steps) / duration.Seconds()
	summary := map[string]any{
		"steps_per_s":          round3(sps),
		"resets_per_s":         round3(float64(resets.Load()) / duration.Seconds()),
		"p50_ms":               round3(percentile(plain.lat, 0.50)),
		"p99_ms":               round3(percentile(plain.lat, 0.99)),
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
	keys := []string{"steps_per_s", "resets_per_s", "p50_ms", "p99_ms", "server_p99_ms", "bytes_per_episode", "episodes", "connections", "episode_steps", "baseline", "baseline_steps_per_s", "ratio_to_baseline", "domain", "tool"}
	if *record {
		rec, err := benchRecording(ctx, stderr, serverFlags, token, d.Name, *episodes, *conns, stepOpt)
		if err != nil {
			return err
		}
		rsps := float64(rec.steps) / duration.Seconds()
		summary["answered_episodes_per_s"] = round3(float64(plain.finished) / duration.Seconds())
		summary["record_steps_per_s"] = round3(rsps)
		summary["record_p50_ms"] = round3(percentile(rec.lat, 0.50))
		summary["record_p99_ms"] = round3(percentile(rec.lat, 0.99))
		summary["record_episodes_per_s"] = round3(float64(rec.finished) / duration.Seconds())
		summary["record_episodes"] = rec.finished
		summary["record_rows"] = rec.rows
		summary["record_ratio"] = round3(rsps / sps)
		keys = append(keys, "answered_episodes_per_s", "record_steps_per_s", "record_p50_ms", "record_p99_ms", "record_episodes_per_s", "record_episodes", "record_rows", "record_ratio")
	}
	if *protocol == "openenv" {
		oeSPS := float64(oeSteps) / duration.Seconds()
		summary["openenv_steps_per_s"] = round3(oeSPS)
		summary["openenv_p50_ms"] = round3(percentile(oeLat, 0.50))
		summary["openenv_p99_ms"] = round3(percentile(oeLat, 0.99))
		summary["openenv_connections"] = *episodes
		summary["openenv_ratio_to_gym"] = round3(oeSPS / sps)
		keys = append(keys, "openenv_steps_per_s", "openenv_p50_ms", "openenv_p99_ms", "openenv_connections", "openenv_ratio_to_gym")
	}
	return writeSummary(stdout, *asJSON, keys, summary)
}

// benchSteps opens n episodes, runs a steps phase on them and closes
// them.
func benchSteps(ctx context.Context, g *gymLoad, n int, opt stepOptions) (stepRun, error) {
	eps, err := g.open(ctx, n)
	if err != nil {
		return stepRun{}, err
	}
	r, err := g.steps(ctx, eps, opt)
	if err != nil {
		return r, err
	}
	return r, g.closeEpisodes(ctx, eps)
}

// recordRun is a steps phase against a recording server.
type recordRun struct {
	stepRun
	rows int // episodes in the recording file afterwards
}

// benchRecording runs the steps phase against a child server recording
// into a temporary file, stops it, and checks that the file holds every
// episode the load saw finish.
func benchRecording(ctx context.Context, stderr io.Writer, serverFlags []string, token, envName string, n, conns int, opt stepOptions) (recordRun, error) {
	dir, err := os.MkdirTemp("", "simgym-bench-record-")
	if err != nil {
		return recordRun{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "episodes.db")
	child, addr, err := startServer(ctx, stderr, append(slices.Clone(serverFlags), "--record", path)...)
	if err != nil {
		return recordRun{}, err
	}
	stopped := false
	defer func() {
		if !stopped {
			stopServer(child)
		}
	}()
	g, err := dialGym(ctx, "ws://"+addr+"/v1/gym", token, envName, conns)
	if err != nil {
		return recordRun{}, err
	}
	r, err := benchSteps(ctx, g, n, opt)
	g.close()
	if err != nil {
		return recordRun{}, err
	}
	stopped = true
	if err := stopServer(child); err != nil {
		return recordRun{}, fmt.Errorf("recording server: %w", err)
	}
	recs, err := env.ReadRecords(ctx, path)
	if err != nil {
		return recordRun{}, err
	}
	if len(recs) < r.finished {
		return recordRun{}, fmt.Errorf("recording server: %s holds %d episodes, but %d finished", path, len(recs), r.finished)
	}
	return recordRun{stepRun: r, rows: len(recs)}, nil
}

// stopServer interrupts a child server and waits for it to exit.
func stopServer(child *exec.Cmd) error {
	_ = child.Process.Signal(os.Interrupt)
	return child.Wait()
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
	if _, isFile := stderr.(*os.File); !isFile {
		// exec copies into other writers from a goroutine per child, and
		// a benchmark may run two children at once.
		cmd.Stderr = &syncWriter{w: stderr}
	}
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

// syncWriter serialises writes to w, which children's output shares.
type syncWriter struct {
	w io.Writer
}

var childOutput sync.Mutex

func (s *syncWriter) Write(p []byte) (int, error) {
	childOutput.Lock()
	defer childOutput.Unlock()
	return s.w.Write(p)
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
