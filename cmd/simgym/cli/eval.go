package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/eval/export"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/report"
	"github.com/simgym/simgym/eval/runner"
)

// Files of an eval run folder besides the report's and the export's.
const (
	evalEpisodesFile = "episodes.jsonl" // the resumable log of finished episodes
	evalTasksFile    = "tasks.jsonl"    // the tasks sampled for a local server
	evalRunFile      = "run.json"       // how the run was started
)

// evalFlags are `simgym eval`'s flags.
type evalFlags struct {
	policy, server, token, tasks, envs, out, world      string
	perEnv, trials, concurrency, maxSteps, maxUserTurns int
	seed                                                int64
	model, baseURL, user                                string
	temperature                                         float64
	maxTokens, retries, llmConcurrency                  int
	timeout                                             time.Duration
	resamples                                           int
	compare, fromRecord                                 string
	asJSON                                              bool
	m                                                   methodFlags
	suite, taubench, userURL, userModel                 string // --suite taubench-airline (taubench.go)
}

// runEval implements `simgym eval`.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	var f evalFlags
	fs.StringVar(&f.policy, "policy", "", "who plays: oracle (replays the ground truth), random (valid random calls), openai (an LLM behind a chat-completions endpoint)")
	fs.StringVar(&f.server, "server", "", "ws:// URL of a running gym (default: serve the default world on loopback in this process)")
	fs.StringVar(&f.token, "token", os.Getenv("SIMGYM_TOKEN"), "bearer token of --server (default $SIMGYM_TOKEN)")
	fs.StringVar(&f.tasks, "tasks", "", "JSONL tasks the gym serves (simgym tasks; the file given to simgym serve --tasks); the oracle, task lengths and the trajectory filter need them")
	fs.IntVar(&f.perEnv, "tasks-per-env", 20, "tasks sampled per environment for the local server, without --tasks (kept in the run folder: a rerun plays the same ones)")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the sampled tasks and of the random policy")
	fs.StringVar(&f.envs, "env", "", "comma-separated environments to evaluate (default: all)")
	fs.IntVar(&f.trials, "trials", 1, "trials per task (K of pass^k)")
	fs.StringVar(&f.out, "out", "", "run folder: report.json, report.md, plots, trajectories.jsonl, and the episode log a rerun resumes from")
	fs.IntVar(&f.concurrency, "concurrency", 8, "episodes played at once")
	fs.IntVar(&f.maxSteps, "max-steps", env.DefaultLimits.MaxSteps, "tool calls per episode (the gym's own limit applies too)")
	fs.IntVar(&f.maxUserTurns, "max-user-turns", 3, "questions the simulated user answers per episode")
	fs.StringVar(&f.model, "model", os.Getenv("OPENAI_MODEL"), "model of the openai policy (default $OPENAI_MODEL)")
	fs.StringVar(&f.baseURL, "base-url", envOr("OPENAI_BASE_URL", "https://api.openai.com/v1"), "chat-completions API root (default $OPENAI_BASE_URL); the key is read from $OPENAI_API_KEY")
	fs.Float64Var(&f.temperature, "temperature", -1, "sampling temperature (default: the endpoint's)")
	fs.IntVar(&f.maxTokens, "max-tokens", 0, "bound on each completion's tokens (0: none)")
	fs.IntVar(&f.retries, "retries", 6, "retries of a request that got 429 or 5xx, with exponential backoff")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "timeout of one chat-completions request, retried after like a 5xx (a refused connection or unknown host fails at once)")
	fs.DurationVar(&f.timeout, "request-timeout", 2*time.Minute, "the same as --timeout")
	fs.IntVar(&f.llmConcurrency, "llm-concurrency", 0, "chat-completions requests in flight (default: --concurrency)")
	fs.StringVar(&f.user, "user", "scripted", "simulated user answering the agent's questions: scripted (restates the instruction) or llm (the same endpoint plays the user)")
	fs.IntVar(&f.resamples, "bootstrap", 1000, "bootstrap resamples over tasks for the confidence intervals")
	fs.StringVar(&f.compare, "compare", "", "compare run folders: --compare A B")
	fs.StringVar(&f.fromRecord, "from-record", "", "export the episodes of a gym --record SQLite file (with --out; --tasks for the filter)")
	fs.StringVar(&f.world, "world", "", "generated world module (default: the world compiled in)")
	fs.BoolVar(&f.asJSON, "json", false, "print the summary as one JSON object")
	f.m.define(fs)
	fs.StringVar(&f.suite, "suite", "", "play a published benchmark with its own protocol and reward: taubench-airline (tau-bench's 50 airline test tasks; results.json in tau-bench's shape)")
	fs.StringVar(&f.taubench, "taubench", "", "tau-bench's airline folder for --suite taubench-airline (default $SIMGYM_DATA/taubench/airline)")
	fs.StringVar(&f.userURL, "user-url", "", "with --suite and --user llm: chat-completions API root of the model playing the user (default --base-url)")
	fs.StringVar(&f.userModel, "user-model", "", "with --suite and --user llm: the model playing the user (default --model)")
	pos, err := parseInterleaved(fs, args, stderr)
	if err != nil {
		return err
	}
	if f.world != "" {
		return runInWorld(ctx, f.world, "eval", args, stdout, stderr)
	}
	if f.suite != "" && len(pos) == 0 && f.compare == "" {
		return evalTaubench(ctx, f, stdout, stderr)
	}
	switch {
	case f.compare != "":
		if len(pos) != 1 {
			return fmt.Errorf("%w: --compare takes two run folders: --compare A B", errUsage)
		}
		return evalCompare(f, f.compare, pos[0], stdout)
	case len(pos) > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	case f.fromRecord != "":
		if f.out == "" {
			return fmt.Errorf("%w: --from-record needs --out", errUsage)
		}
		return evalFromRecord(ctx, f, stdout)
	}
	if f.out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := f.m.check(&f); err != nil {
		return err
	}
	if f.trials < 1 || f.concurrency < 1 {
		return fmt.Errorf("%w: --trials and --concurrency must be positive", errUsage)
	}
	switch {
	case f.policy == "":
		return fmt.Errorf("%w: --policy is required (oracle, random or openai)", errUsage)
	case f.policy != "oracle" && f.policy != "random" && f.policy != "openai":
		return fmt.Errorf("%w: unknown policy %q (want oracle, random or openai)", errUsage, f.policy)
	case f.policy == "oracle" && f.server != "" && f.tasks == "":
		return fmt.Errorf("%w: the oracle needs the tasks' ground truth: give --tasks (the file the gym at --server serves)", errUsage)
	case (f.policy == "openai" || f.user == "llm") && f.model == "":
		return fmt.Errorf("%w: the openai policy needs --model (or $OPENAI_MODEL)", errUsage)
	case f.user != "scripted" && f.user != "llm":
		return fmt.Errorf("%w: unknown --user %q (want scripted or llm)", errUsage, f.user)
	}
	return evalRun(ctx, f, stdout, stderr)
}

// parseInterleaved parses flags with positional arguments among them
// (--compare A B --json) and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stderr); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// probeEndpoint connects to a chat-completions endpoint's host once, so
// that a URL where nothing listens (connection refused, unknown host,
// no route) fails at once with the URL and the cause instead of after
// every retry of every episode.
func probeEndpoint(ctx context.Context, base string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%w: --base-url %q is not an http:// or https:// URL", errUsage, base)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("chat-completions endpoint %s is unreachable: %w (start the server, or set --base-url or $OPENAI_BASE_URL)", base, err)
	}
	return c.Close()
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// evalRun plays the episodes and writes the run folder.
func evalRun(ctx context.Context, f evalFlags, stdout, stderr io.Writer) error {
	start := time.Now()
	if f.policy == "openai" || f.user == "llm" {
		if err := probeEndpoint(ctx, f.baseURL); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	tasks, err := evalTasks(ctx, f, stderr)
	if err != nil {
		return err
	}
	pol, user, endpoint, err := evalPolicy(f, tasks)
	if err != nil {
		return err
	}
	if endpoint != nil {
		endpoint.OnRetry = func(attempt int, wait time.Duration, err error) {
			fmt.Fprintf(stderr, "simgym eval: retry %d of %d in %s: %v\n", attempt, max(f.retries, 0), wait.Round(time.Millisecond), err)
		}
	}
	url := f.server
	if url == "" {
		u, stop, err := serveLoopback(tasks, f.maxSteps)
		if err != nil {
			return err
		}
		defer stop()
		url = u
	}
	items, err := evalItems(ctx, f, url, tasks)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("eval: no tasks to play: the gym at %s serves none (--env %q)", url, f.envs)
	}
	if err := writeRunFile(f, pol.Name(), url); err != nil {
		return err
	}
	bar := newProgress(stderr, len(items)*f.trials, "eval "+pol.Name())
	opt := runner.Options{
		URL: url, Token: f.token, Policy: pol, User: user, Trials: f.trials, Concurrency: f.concurrency,
		MaxSteps: f.maxSteps, MaxUserTurns: f.maxUserTurns, Log: filepath.Join(f.out, evalEpisodesFile),
		OnResult: func(_ runner.Result, p runner.Progress) {
			if bar != nil {
				bar.Describe(fmt.Sprintf("eval %s: success %.3f", pol.Name(), float64(p.Success)/float64(max(1, p.Done))))
				_ = bar.Set(p.Done)
			}
		},
	}
	if err := f.m.apply(f, &opt); err != nil {
		return err
	}
	results, stats, runErr := runner.Run(ctx, items, opt)
	if bar != nil {
		_ = bar.Finish()
	}
	if runErr != nil && len(results) == 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted before any episode finished")
		}
		return runErr
	}
	// The report is written even after an interruption, from what
	// finished; a rerun resumes the rest.
	rctx := context.WithoutCancel(ctx)
	r := report.Build(results, report.Options{Policy: opt.PolicyName(), K: f.trials, Bootstrap: report.Bootstrap{Resamples: f.resamples, Seed: uint64(f.seed)}})
	r.Failed = stats.Failed
	if err := exportRun(rctx, f.out, r, results, tasks); err != nil {
		return err
	}
	if runErr == nil && stats.Failed == 0 {
		if r.Methods, err = evalMethods(ctx, f, opt, items, results, stderr); err != nil {
			return err
		}
	}
	r.Seconds = time.Since(start).Seconds()
	if err := r.Write(f.out); err != nil {
		return err
	}
	sum := r.Summary()
	sum["resumed"], sum["ran"], sum["out"] = stats.Resumed, stats.Ran, f.out
	if endpoint != nil {
		sum["retries"] = endpoint.RetriesMade()
	}
	keys := []string{"policy", "episodes", "tasks", "trials", "success", "success_ci", "pass_hat_k", "pass_at_k", "mean_steps", "mean_tool_errors", "funnel", "failed", "resumed", "ran", "prompt_tokens", "completion_tokens", "requests", "retries", "seconds", "out"}
	if err := writeSummary(stdout, f.asJSON, present(keys, sum), sum); err != nil {
		return err
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("interrupted after %d of %d episodes; run the same command again to resume", len(results), len(items)*f.trials)
	case runErr != nil:
		return runErr
	case stats.Failed > 0:
		return fmt.Errorf("%d episodes failed (first: %s); run the same command again to retry them", stats.Failed, stats.Errors[0])
	}
	return nil
}

// present keeps the keys the summary has, for its text form.
func present(keys []string, sum map[string]any) []string {
	var out []string
	for _, k := range keys {
		if _, ok := sum[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// exportRun writes the trajectories, filtered by the funnel when the
// tasks' ground truth is known, and puts the funnel's counts in r.
func exportRun(ctx context.Context, dir string, r *report.Report, results []runner.Result, tasks []*task.Task) error {
	trajs := export.Trajectories(results)
	if len(tasks) > 0 {
		counts, err := export.Filter(ctx, task.NewFunnel(tasks), trajs)
		if err != nil {
			return err
		}
		r.Funnel = &counts
		if err := export.WriteJSONL(filepath.Join(dir, export.FilteredFile), export.Kept(trajs)); err != nil {
			return err
		}
	} else {
		r.FunnelNote = "the tasks' ground truth is unknown (give --tasks)"
	}
	return export.WriteJSONL(filepath.Join(dir, export.TrajectoriesFile), trajs)
}

// evalTasks returns the tasks with their ground truth: from --tasks, or,
// for a local server, sampled (and kept in the run folder, so a rerun
// plays the same ones). With --server and no --tasks there are none.
func evalTasks(ctx context.Context, f evalFlags, stderr io.Writer) ([]*task.Task, error) {
	var ts []*task.Task
	var err error
	saved := filepath.Join(f.out, evalTasksFile)
	switch {
	case f.tasks != "":
		ts, err = task.ReadJSONL(f.tasks)
	case f.server != "":
		return nil, nil
	default:
		if _, serr := os.Stat(saved); serr == nil {
			ts, err = task.ReadJSONL(saved)
			break
		}
		ds, derr := selectDomains("")
		if derr != nil {
			return nil, derr
		}
		bar := newProgress(stderr, len(ds), "sampling tasks")
		for _, d := range ds {
			s, serr := task.NewSampler(d, task.Options{Seed: f.seed}).Sample(ctx, f.perEnv)
			if serr != nil {
				return nil, fmt.Errorf("sample tasks of %s: %w", d.Name, serr)
			}
			ts = append(ts, s...)
			if bar != nil {
				_ = bar.Add(1)
			}
		}
		if err := writeTasks(saved, ts); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	if f.envs != "" {
		want := map[string]bool{}
		for _, e := range strings.Split(f.envs, ",") {
			want[strings.TrimSpace(e)] = true
		}
		kept := ts[:0]
		for _, t := range ts {
			if want[t.Domain] {
				kept = append(kept, t)
			}
		}
		ts = kept
	}
	return ts, nil
}

func writeTasks(path string, ts []*task.Task) error {
	tmp := path + ".tmp"
	fh, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write tasks %s: %w", path, err)
	}
	if err := task.WriteJSONL(fh, ts); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write tasks %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// serveLoopback serves the tasks' environments on a loopback port in
// this process; the episodes still go over the websocket protocol.
func serveLoopback(tasks []*task.Task, maxSteps int) (string, func(), error) {
	ds, err := selectDomains("")
	if err != nil {
		return "", nil, err
	}
	by := map[string][]*task.Task{}
	for _, t := range tasks {
		if domains.Lookup(t.Domain) == nil {
			return "", nil, fmt.Errorf("eval: task %s is in domain %s, which this world does not have (--world DIR serves another world)", t.ID, t.Domain)
		}
		by[t.Domain] = append(by[t.Domain], t)
	}
	var envs []*env.Environment
	for _, d := range ds {
		if len(by[d.Name]) > 0 {
			envs = append(envs, env.NewEnvironment(d, by[d.Name]))
		}
	}
	m := env.NewManager(envs, env.Limits{MaxEpisodes: 100000, MaxEpisodesPerOwner: 100000, MaxSteps: maxSteps, IdleTimeout: env.DefaultLimits.IdleTimeout})
	g := gym.New(m, gym.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("eval: listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Shutdown(sctx)
		_ = srv.Shutdown(sctx)
	}
	return "ws://" + ln.Addr().String() + "/v1/gym", stop, nil
}

// evalItems lists what to play: the tasks, checked against what the gym
// serves, or without tasks every task the gym lists.
func evalItems(ctx context.Context, f evalFlags, url string, tasks []*task.Task) ([]runner.Item, error) {
	c, err := client.Dial(ctx, url, client.Options{Token: f.token})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	hello, err := c.Hello(ctx)
	if err != nil {
		return nil, fmt.Errorf("hello %s: %w", url, err)
	}
	served := map[string]bool{}
	var items []runner.Item
	want := map[string]bool{}
	for _, e := range strings.Split(f.envs, ",") {
		if e = strings.TrimSpace(e); e != "" {
			want[e] = true
		}
	}
	for _, e := range hello.Environments {
		for _, id := range e.TaskIDs {
			served[e.Name+"\x00"+id] = true
			if len(tasks) == 0 && (len(want) == 0 || want[e.Name]) {
				items = append(items, runner.Item{Env: e.Name, Task: id})
			}
		}
	}
	for _, t := range tasks {
		if !served[t.Domain+"\x00"+t.ID] {
			return nil, fmt.Errorf("eval: task %s of %s is not served by %s (serve the same --tasks file)", t.ID, t.Domain, url)
		}
		items = append(items, runner.Item{Env: t.Domain, Task: t.ID, Length: len(t.Actions)})
	}
	return items, nil
}

// evalPolicy makes the policy and the simulated user.
func evalPolicy(f evalFlags, tasks []*task.Task) (policy.Policy, policy.User, *policy.Endpoint, error) {
	var endpoint *policy.Endpoint
	newEndpoint := func() (*policy.Endpoint, error) {
		if endpoint != nil {
			return endpoint, nil
		}
		if f.model == "" {
			return nil, fmt.Errorf("%w: the openai policy needs --model (or $OPENAI_MODEL)", errUsage)
		}
		e := &policy.Endpoint{BaseURL: f.baseURL, APIKey: os.Getenv("OPENAI_API_KEY"), Model: f.model, MaxTokens: f.maxTokens,
			Timeout: f.timeout, Retries: f.retries, Concurrency: f.llmConcurrency}
		if f.retries == 0 {
			e.Retries = -1
		}
		if e.Concurrency <= 0 {
			e.Concurrency = f.concurrency
		}
		if f.temperature >= 0 {
			t := f.temperature
			e.Temperature = &t
		}
		endpoint = e
		return e, nil
	}
	var pol policy.Policy
	switch f.policy {
	case "oracle":
		if len(tasks) == 0 {
			return nil, nil, nil, fmt.Errorf("%w: the oracle needs the tasks' ground truth: give --tasks (the file the gym serves)", errUsage)
		}
		pol = policy.NewOracle(tasks)
	case "random":
		pol = &policy.Random{Seed: f.seed}
	case "openai":
		e, err := newEndpoint()
		if err != nil {
			return nil, nil, nil, err
		}
		pol = &policy.OpenAI{Endpoint: e}
	case "":
		return nil, nil, nil, fmt.Errorf("%w: --policy is required (oracle, random or openai)", errUsage)
	default:
		return nil, nil, nil, fmt.Errorf("%w: unknown policy %q (want oracle, random or openai)", errUsage, f.policy)
	}
	var user policy.User
	switch f.user {
	case "scripted", "":
		user = policy.ScriptedUser{}
	case "llm":
		e, err := newEndpoint()
		if err != nil {
			return nil, nil, nil, err
		}
		user = &policy.LLMUser{Endpoint: e}
	default:
		return nil, nil, nil, fmt.Errorf("%w: unknown --user %q (want scripted or llm)", errUsage, f.user)
	}
	return pol, user, endpoint, nil
}

// writeRunFile records how the run was started.
func writeRunFile(f evalFlags, policyName, url string) error {
	server := f.server
	if server == "" {
		server = "local (loopback, this process)"
	}
	run := map[string]any{"policy": policyName, "trials": f.trials, "seed": f.seed, "server": server, "tasks": f.tasks,
		"tasks_per_env": f.perEnv, "env": f.envs, "max_steps": f.maxSteps, "user": f.user, "started": time.Now().UTC().Format(time.RFC3339)}
	if f.policy == "openai" {
		run["base_url"], run["model"] = f.baseURL, f.model
	}
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(f.out, evalRunFile), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// evalFromRecord exports a gym recording: trajectories (filtered when
// --tasks gives the ground truth) and a report of its episodes.
func evalFromRecord(ctx context.Context, f evalFlags, stdout io.Writer) error {
	start := time.Now()
	recs, err := env.ReadRecords(ctx, f.fromRecord)
	if err != nil {
		return err
	}
	var tasks []*task.Task
	lengths := map[string]int{}
	if f.tasks != "" {
		if tasks, err = task.ReadJSONL(f.tasks); err != nil {
			return err
		}
		for _, t := range tasks {
			lengths[t.ID] = len(t.Actions)
		}
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	results := export.FromRecords(recs, lengths)
	r := report.Build(results, report.Options{Policy: export.RecordPolicy, Bootstrap: report.Bootstrap{Resamples: f.resamples, Seed: uint64(f.seed)}})
	if err := exportRun(ctx, f.out, r, results, tasks); err != nil {
		return err
	}
	r.Seconds = time.Since(start).Seconds()
	if err := r.Write(f.out); err != nil {
		return err
	}
	sum := r.Summary()
	sum["record"], sum["out"] = f.fromRecord, f.out
	return writeSummary(stdout, f.asJSON, present([]string{"record", "episodes", "tasks", "trials", "success", "pass_hat_k", "pass_at_k", "funnel", "seconds", "out"}, sum), sum)
}

// evalCompare compares two run folders.
func evalCompare(f evalFlags, a, b string, stdout io.Writer) error {
	ra, err := report.Read(a)
	if err != nil {
		return err
	}
	rb, err := report.Read(b)
	if err != nil {
		return err
	}
	c := report.Compare(a+" ("+ra.Policy+")", ra, b+" ("+rb.Policy+")", rb, report.Bootstrap{Resamples: f.resamples, Seed: uint64(f.seed)})
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		data, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(f.out, "compare.json"), append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		if err := os.WriteFile(filepath.Join(f.out, "compare.md"), []byte(c.Markdown()), 0o644); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if f.asJSON {
		return writeSummary(stdout, true, nil, c.Summary())
	}
	_, err = io.WriteString(stdout, c.Markdown())
	return err
}
