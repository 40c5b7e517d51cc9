package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/simgym/simgym/corpus/gateway"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	envmcp "github.com/simgym/simgym/env/mcp"
	"github.com/simgym/simgym/env/openenv"
)

// runServe implements `simgym serve`.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on (default 127.0.0.1:8080 without a token, :8080 with one)")
	world := fs.String("world", "", "generated world module to serve (default: the world compiled in)")
	tasksFile := fs.String("tasks", "", "JSONL tasks to serve (default: sampled at start)")
	perEnv := fs.Int("tasks-per-env", 20, "tasks sampled per environment at start, without --tasks")
	seed := fs.Int64("seed", 1, "seed of the tasks sampled at start")
	token := fs.String("token", os.Getenv("SIMGYM_TOKEN"), "bearer token clients must send (default $SIMGYM_TOKEN; empty: none)")
	record := fs.String("record", "", "SQLite file recording every finished episode; an episode is committed before its final reply, and a file reused across runs keeps its rows")
	maxEpisodes := fs.Int("max-episodes", env.DefaultLimits.MaxEpisodes, "open episodes on the server")
	maxPerConn := fs.Int("max-episodes-per-connection", env.DefaultLimits.MaxEpisodesPerOwner, "open episodes per connection")
	maxSteps := fs.Int("max-steps", env.DefaultLimits.MaxSteps, "tool calls per episode before it is truncated")
	maxMsg := fs.Int64("max-message-bytes", gym.DefaultMaxMessageSize, "largest request; a larger one is skipped with an error reply")
	var origins multiFlag
	fs.Var(&origins, "allow-origin", "browser origin (scheme://host[:port]) whose pages may open websockets (repeatable; default: none)")
	connBudget := fs.Int64("conn-budget", gym.DefaultConnBudget, "bytes of unread replies and in-flight requests per connection")
	serverBudget := fs.Int64("server-budget", gym.DefaultServerBudget, "bytes of unread replies over all connections")
	maxConns := fs.Int("max-connections", gym.DefaultMaxConns, "open websocket connections")
	connIdle := fs.Duration("conn-idle-timeout", gym.DefaultConnIdle, "close websocket connections that send no request for this long")
	memLimit := fs.Int64("memory-limit", 0, "soft limit of the Go heap in bytes, so memory returns to the system after bursts (default $GOMEMLIMIT, else 2 GiB)")
	idle := fs.Duration("idle-timeout", env.DefaultLimits.IdleTimeout, "close episodes idle this long")
	pprofOn := fs.Bool("pprof", false, "serve Go's profiler at /debug/pprof/ (for performance work)")
	indexDir := fs.String("index", "", "search index (simgym corpus build) or SimWiki folder (simgym corpus simwiki) to serve as the web environment and at POST /retrieve (default: a generated SimWiki)")
	webTasks := fs.String("web-tasks", "", "questions for the web environment (JSONL of web-research tasks; default: the SimWiki folder's)")
	noWeb := fs.Bool("no-web", false, "serve no web environment")
	simwikiArticles := fs.Int("simwiki-articles", 2000, "articles of the default SimWiki")
	webName := fs.String("web-name", "", "name of the web environment (default: simwiki for a SimWiki, else the --index folder's name)")
	asJSON := fs.Bool("json", false, "print a JSON line with the address once listening")
	taubenchData := fs.String("taubench", "", "tau-bench's airline folder (tasks_test.json, policy.md, users/flights/reservations.json): also serve it as taubench_airline, its 50 test tasks with a simulated user")
	userURL := fs.String("user-url", "", "with --taubench: chat-completions API root of the model playing the user (default: a scripted user; the key is read from $OPENAI_API_KEY)")
	userModel := fs.String("user-model", "", "with --taubench and --user-url: the model playing the user")
	realWeb := addRealWebFlags(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := realWeb.check(*noWeb); err != nil {
		return err
	}
	if *world != "" {
		return runInWorld(ctx, *world, "serve", args, stdout, stderr)
	}
	tuneGC(*memLimit)
	ds, err := selectDomains("")
	if err != nil {
		return err
	}
	var envs []*env.Environment
	total := 0
	if *tasksFile != "" {
		ts, err := task.ReadJSONL(*tasksFile)
		if err != nil {
			return err
		}
		byDomain := map[string][]*task.Task{}
		for _, t := range ts {
			byDomain[t.Domain] = append(byDomain[t.Domain], t)
		}
		for _, d := range ds {
			envs = append(envs, env.NewEnvironment(d, byDomain[d.Name]))
			total += len(byDomain[d.Name])
		}
	} else {
		for _, d := range ds {
			ts, err := task.NewSampler(d, task.Options{Seed: *seed}).Sample(ctx, *perEnv)
			if err != nil {
				return fmt.Errorf("sample tasks of %s: %w", d.Name, err)
			}
			envs = append(envs, env.NewEnvironment(d, ts))
			total += len(ts)
		}
	}
	m := env.NewManager(envs, env.Limits{MaxEpisodes: *maxEpisodes, MaxEpisodesPerOwner: *maxPerConn, MaxSteps: *maxSteps, IdleTimeout: *idle})
	gopt := gym.Options{Token: *token, MaxMessageBytes: *maxMsg, AllowOrigins: origins, ConnBudget: *connBudget, ServerBudget: *serverBudget, MaxConns: *maxConns, ConnIdleTimeout: *connIdle, Registry: prometheus.NewRegistry()}
	gopt.Registry.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	var rec *env.Recorder
	if *record != "" {
		// Each finishing step waits for its episode's commit (shared with
		// the others finishing meanwhile) before its reply is sent.
		if rec, err = env.NewRecorder(*record, env.RecorderOptions{Log: stderr}); err != nil {
			return err
		}
		defer rec.Close() // on an early return; shutdown closes it and reports its error
		m.OnFinish = rec.Add
		gopt.Registry.MustRegister(rec.Collectors()...)
		fmt.Fprintf(stderr, "simgym: recording finished episodes to %s (run %s)\n", *record, m.RunID())
	}
	gopt.Extra = map[string]http.Handler{}
	webIndex := ""
	if !*noWeb {
		ww, x, idx, err := webWorldNamed(ctx, *indexDir, *webTasks, *simwikiArticles, *webName, stderr)
		if err != nil {
			return err
		}
		webIndex = idx
		defer x.Close()
		if err := m.AddWorld(ww); err != nil {
			return err
		}
		total += len(ww.Info().TaskIDs)
		retrieve := web.RetrieveHandler(x, web.RetrieveOptions{})
		gopt.Registry.MustRegister(x.Collectors()...)
		gopt.Registry.MustRegister(retrieve.Collectors()...)
		gopt.Retrieve = retrieve
		// The providers Tongyi's agents call: Serper, Jina Reader and the
		// summary model of visit, over the offline corpus.
		// With --real-web, the real providers answer, falling back to the
		// offline corpus.
		provider, closeWeb, err := webProvider(web.NewOffline(x), realWeb, gopt.Registry, stderr)
		if err != nil {
			return err
		}
		defer closeWeb()
		ww.UseProvider(provider)
		gopt.Reader = web.ReaderHandler(provider)
		gopt.Extra["/search"] = web.SerperHandler(provider, false)
		gopt.Extra["/scholar"] = web.SerperHandler(provider, true)
		gopt.Extra["/v1/chat/completions"] = web.ExtractorHandler()
	}
	if *taubenchData != "" {
		tw, _, err := taubenchWorld(*taubenchData, *userURL, *userModel)
		if err != nil {
			return err
		}
		if err := m.AddWorld(tw); err != nil {
			return err
		}
		total += len(tw.Info().TaskIDs)
	}
	mcpH, err := envmcp.New(m, envmcp.Options{SessionTimeout: *idle, Version: gym.Version, MaxRequestBytes: *maxMsg})
	if err != nil {
		return err
	}
	for _, p := range envmcp.Routes() {
		gopt.Extra[p] = mcpH
	}
	if *pprofOn {
		gopt.Extra["/debug/pprof/"] = http.HandlerFunc(pprof.Index)
		gopt.Extra["/debug/pprof/profile"] = http.HandlerFunc(pprof.Profile)
	}
	g := gym.New(m, gopt)
	openenv.Mount(g, openenv.Options{})
	listen := *addr
	if listen == "" {
		listen = "127.0.0.1:8080"
		if *token != "" {
			listen = ":8080"
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	switch {
	case *token != "":
		fmt.Fprintln(stderr, "simgym: every endpoint but /healthz needs Authorization: Bearer <token> (or ?token=, which proxies may log)")
	case !loopback(ln.Addr()):
		fmt.Fprintf(stderr, "simgym: WARNING: serving %s beyond this machine with no --token: anyone who can reach it can run episodes and read /metrics\n", ln.Addr())
	case *addr == "":
		fmt.Fprintln(stderr, "simgym: no --token, so listening on loopback only (pass --token and --addr :8080 to serve other machines)")
	}
	ix := newServeIndex(ln.Addr(), m, webIndex, *token != "")
	g.Handle("GET /{$}", ix)
	srv := newHTTPServer(g)
	if *asJSON {
		fmt.Fprintf(stdout, `{"addr":%q,"environments":%d,"tasks":%d}`+"\n", ln.Addr().String(), len(m.Worlds()), total)
	}
	ix.writeText(stderr)
	go sweep(ctx, m, *idle)
	go returnMemory(ctx, 30*time.Second)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(stderr, "simgym: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	merr := mcpH.Close()
	gerr := g.Shutdown(sctx)
	herr := srv.Shutdown(sctx)
	if rec != nil {
		if err := rec.Close(); err != nil {
			return err
		}
	}
	if herr != nil && !errors.Is(herr, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", herr)
	}
	return errors.Join(merr, gerr)
}

// HTTP timeouts of serve: slow bodies and idle keep-alives are closed;
// websockets set their own deadlines once upgraded.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 120 * time.Second
	idleTimeout       = 120 * time.Second
)

// newHTTPServer serves h with read, write and idle timeouts.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}

// tuneGC collects less often (steps make short-lived garbage, and a
// longer interval shortens the latency tail; episode databases live
// outside the Go heap) under a soft memory limit, so that after a burst
// the heap shrinks and its memory goes back to the system.
func tuneGC(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if limit <= 0 && os.Getenv("GOMEMLIMIT") != "" {
		return // the runtime read it already
	}
	if limit <= 0 {
		limit = 2 << 30
	}
	debug.SetMemoryLimit(limit)
}

// returnMemory gives the heap's free pages back to the system when more
// than 64 MiB of them are held, checking every period until ctx ends: a
// burst then leaves no lasting footprint, whether or not a collection
// would have run on its own.
func returnMemory(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	sample := []metrics.Sample{
		{Name: "/memory/classes/heap/free:bytes"},    // free, not yet returned
		{Name: "/memory/classes/heap/objects:bytes"}, // live and dead objects
		{Name: "/gc/heap/live:bytes"},                // live after the last GC
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			metrics.Read(sample)
			free, objects, live := sample[0].Value.Uint64(), sample[1].Value.Uint64(), sample[2].Value.Uint64()
			if free > 64<<20 || objects > 2*live+64<<20 {
				debug.FreeOSMemory()
			}
		}
	}
}

// loopback reports whether a listening address is on loopback only.
func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// sweep closes idle episodes until ctx ends.
func sweep(ctx context.Context, m *env.Manager, idle time.Duration) {
	if idle <= 0 {
		return
	}
	t := time.NewTicker(min(idle/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.Sweep(now)
		}
	}
}

// realWebFlags are serve's --real-web flags: the web environment's
// Provider becomes the gateway over Serper and Jina Reader (keys from
// $SERPER_API_KEY and $JINA_API_KEY), falling back to the offline one.
type realWebFlags struct {
	on                 bool
	serperURL, jinaURL string
	rates              string
	concurrency        int
	timeout            time.Duration
	retries            int
	cache              string
	cacheTTL           time.Duration
	record, replay     string
}

func addRealWebFlags(fs *flag.FlagSet) *realWebFlags {
	f := &realWebFlags{}
	fs.BoolVar(&f.on, "real-web", false, "answer web search, scholar and page reads from Serper and Jina Reader ($SERPER_API_KEY, $JINA_API_KEY), falling back to the offline corpus (\"fallback\":\"offline\") when a provider fails")
	fs.StringVar(&f.serperURL, "serper-url", gateway.DefaultSerperURL, "Serper's base URL (POST /search and /scholar)")
	fs.StringVar(&f.jinaURL, "jina-url", gateway.DefaultJinaURL, "Jina Reader's base URL (GET /{url})")
	fs.StringVar(&f.rates, "web-rate", "serper=10,jina=5", "requests per second per provider")
	fs.IntVar(&f.concurrency, "web-concurrency", gateway.DefaultConcurrency, "requests in flight per provider")
	fs.DurationVar(&f.timeout, "web-timeout", gateway.DefaultTimeout, "timeout of one provider request")
	fs.IntVar(&f.retries, "web-retries", gateway.DefaultRetries, "retries of a failed provider request (exponential backoff with jitter, honouring Retry-After)")
	fs.StringVar(&f.cache, "web-cache", "", "SQLite file caching provider answers across episodes and runs (default: in memory)")
	fs.DurationVar(&f.cacheTTL, "web-cache-ttl", gateway.DefaultCacheTTL, "how long a cached answer is fresh")
	fs.StringVar(&f.record, "web-record", "", "SQLite file given every provider exchange and every answer")
	fs.StringVar(&f.replay, "web-replay", "", "serve the answers of a --web-record file with no network (a Real run as a reproducible Sim run)")
	return f
}

// check reports flags that do not go together.
func (f *realWebFlags) check(noWeb bool) error {
	if !f.on {
		if f.replay != "" || f.record != "" || f.cache != "" {
			return fmt.Errorf("%w: --web-cache, --web-record and --web-replay need --real-web", errUsage)
		}
		return nil
	}
	if noWeb {
		return fmt.Errorf("%w: --real-web needs the web environment; it does not go with --no-web", errUsage)
	}
	if f.replay != "" && f.cache != "" {
		return fmt.Errorf("%w: --web-replay serves the record alone; it does not go with --web-cache", errUsage)
	}
	if f.replay != "" && f.replay == f.record {
		return fmt.Errorf("%w: --web-replay and --web-record name the same file", errUsage)
	}
	if _, err := gateway.ParseRates(f.rates); err != nil {
		return fmt.Errorf("%w: --web-rate: %w", errUsage, err)
	}
	if f.replay == "" && os.Getenv("SERPER_API_KEY") == "" {
		return fmt.Errorf("--real-web: %w", gateway.ErrNoKey)
	}
	return nil
}

// webProvider is the web environment's Provider: offline itself, or
// with --real-web the gateway over the real providers falling back to
// offline, its metrics registered in reg. closeWeb closes the gateway's
// cache and record files.
func webProvider(offline web.Provider, f *realWebFlags, reg prometheus.Registerer, stderr io.Writer) (p web.Provider, closeWeb func() error, err error) {
	if !f.on {
		return offline, func() error { return nil }, nil
	}
	rates, err := gateway.ParseRates(f.rates)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: --web-rate: %w", errUsage, err)
	}
	g, err := gateway.New(offline, gateway.Options{
		SerperURL: f.serperURL, JinaURL: f.jinaURL,
		SerperKey: os.Getenv("SERPER_API_KEY"), JinaKey: os.Getenv("JINA_API_KEY"),
		Rates: rates, Concurrency: f.concurrency, Timeout: f.timeout, Retries: f.retries,
		CachePath: f.cache, CacheTTL: f.cacheTTL, RecordPath: f.record, ReplayPath: f.replay,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("--real-web: %w", err)
	}
	if err := registerAll(reg, g.Collectors()); err != nil {
		g.Close()
		return nil, nil, fmt.Errorf("--real-web metrics: %w", err)
	}
	switch {
	case f.replay != "":
		fmt.Fprintf(stderr, "simgym: web answers replayed from %s, no network\n", f.replay)
	default:
		fmt.Fprintf(stderr, "simgym: web answers from %s and %s (rates %s), falling back to the offline corpus\n", f.serperURL, f.jinaURL, f.rates)
	}
	return g, g.Close, nil
}

func registerAll(reg prometheus.Registerer, cs []prometheus.Collector) error {
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
