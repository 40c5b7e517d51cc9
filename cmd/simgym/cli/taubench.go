package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/eval/policy"
	tbsuite "github.com/simgym/simgym/eval/taubench"
)

// taubenchWorld loads tau-bench's airline folder and serves it with a
// scripted user, or with the model at userURL playing the user.
func taubenchWorld(dir, userURL, userModel string) (*tbsuite.World, *tbsuite.Suite, error) {
	s, err := tbsuite.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	var u tbsuite.User = tbsuite.ScriptedUser{}
	switch {
	case userURL != "" && userModel == "":
		return nil, nil, fmt.Errorf("%w: --user-url needs --user-model", errUsage)
	case userURL != "":
		u = &tbsuite.LLMUser{User: policy.TaubenchUser{Endpoint: &policy.Endpoint{BaseURL: userURL, Model: userModel, APIKey: os.Getenv("OPENAI_API_KEY")}}}
	}
	return tbsuite.NewWorld(s, u), s, nil
}

// taubenchDir is --taubench, or $SIMGYM_DATA/taubench/airline.
func taubenchDir(flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	if root := os.Getenv("SIMGYM_DATA"); root != "" {
		return filepath.Join(root, "taubench", "airline"), nil
	}
	return "", fmt.Errorf("%w: give tau-bench's airline folder with --taubench DIR (or set SIMGYM_DATA)", errUsage)
}

// serveWorldLoopback serves one world on a loopback port in this process.
func serveWorldLoopback(w env.World, maxSteps int) (string, func(), error) {
	m := env.NewManager(nil, env.Limits{MaxEpisodes: env.DefaultLimits.MaxEpisodes, MaxEpisodesPerOwner: env.DefaultLimits.MaxEpisodesPerOwner, MaxSteps: maxSteps, IdleTimeout: env.DefaultLimits.IdleTimeout})
	if err := m.AddWorld(w); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("eval: listen: %w", err)
	}
	g := gym.New(m, gym.Options{})
	srv := newHTTPServer(g)
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = srv.Close()
		}
	}
	return "ws://" + ln.Addr().String() + "/v1/gym", stop, nil
}

// evalTaubench implements `simgym eval --suite taubench-airline`: tau-bench's
// protocol, reward and pass^k, and its results JSON in the run folder.
func evalTaubench(ctx context.Context, f evalFlags, stdout, stderr io.Writer) error {
	if f.suite != "taubench-airline" {
		return fmt.Errorf("%w: unknown --suite %q (want taubench-airline)", errUsage, f.suite)
	}
	if f.out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if f.trials < 1 || f.concurrency < 1 {
		return fmt.Errorf("%w: --trials and --concurrency must be positive", errUsage)
	}
	dir, err := taubenchDir(f.taubench)
	if err != nil {
		return err
	}
	s, err := tbsuite.Load(dir)
	if err != nil {
		return err
	}
	endpoint := func() (*policy.Endpoint, error) {
		if f.model == "" {
			return nil, fmt.Errorf("%w: the openai policy and the llm user need --model (or $OPENAI_MODEL)", errUsage)
		}
		e := &policy.Endpoint{BaseURL: f.baseURL, APIKey: os.Getenv("OPENAI_API_KEY"), Model: f.model, MaxTokens: f.maxTokens,
			Timeout: f.timeout, Retries: f.retries, Concurrency: max(f.llmConcurrency, f.concurrency)}
		if f.retries == 0 {
			e.Retries = -1
		}
		if f.temperature >= 0 {
			t := f.temperature
			e.Temperature = &t
		}
		return e, nil
	}
	var pol policy.Policy
	switch f.policy {
	case "oracle":
		pol = &tbsuite.Oracle{Suite: s}
	case "openai":
		e, err := endpoint()
		if err != nil {
			return err
		}
		pol = &policy.OpenAI{Endpoint: e}
	default:
		return fmt.Errorf("%w: --suite taubench-airline plays --policy oracle or openai, not %q", errUsage, f.policy)
	}
	maxSteps := f.maxSteps
	if maxSteps == env.DefaultLimits.MaxSteps {
		maxSteps = tbsuite.DefaultMaxSteps // tau-bench's bound unless --max-steps says otherwise
	}
	url := f.server
	if url == "" {
		var u tbsuite.User = tbsuite.ScriptedUser{}
		switch f.user {
		case "scripted":
		case "llm":
			if f.userModel != "" {
				f.model = f.userModel
			}
			if f.userURL != "" {
				f.baseURL = f.userURL
			}
			e, err := endpoint()
			if err != nil {
				return err
			}
			u = &tbsuite.LLMUser{User: policy.TaubenchUser{Endpoint: e}}
		default:
			return fmt.Errorf("%w: unknown --user %q (want scripted or llm)", errUsage, f.user)
		}
		// The gym's own limit sits above the agent's, so the agent's
		// bound decides, as in tau-bench.
		u2, stop, err := serveWorldLoopback(tbsuite.NewWorld(s, u), maxSteps+1)
		if err != nil {
			return err
		}
		defer stop()
		url = u2
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	bar := newProgress(stderr, len(s.Tasks)*f.trials, "taubench-airline "+pol.Name())
	done, success := 0, 0
	results, runErr := tbsuite.Evaluate(ctx, tbsuite.EvalOptions{URL: url, Token: f.token, Policy: pol, Suite: s, Trials: f.trials, Concurrency: f.concurrency, MaxSteps: maxSteps,
		OnResult: func(r tbsuite.RunResult) {
			done++
			if r.Reward == 1 {
				success++
			}
			if bar != nil {
				bar.Describe(fmt.Sprintf("taubench-airline %s: success %.3f", pol.Name(), float64(success)/float64(done)))
				_ = bar.Set(done)
			}
		}})
	if bar != nil {
		_ = bar.Finish()
	}
	if len(results) == 0 && runErr != nil {
		return runErr
	}
	path := filepath.Join(f.out, "results.json")
	if err := tbsuite.WriteResults(path, results); err != nil {
		return err
	}
	passK := tbsuite.PassHatK(results)
	ks := make([]int, 0, len(passK))
	for k := range passK {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	summary := map[string]any{"suite": f.suite, "policy": pol.Name(), "episodes": len(results), "average_reward": round3(tbsuite.AverageReward(results)), "results": path}
	keys := []string{"suite", "policy", "episodes", "average_reward"}
	for _, k := range ks {
		key := "pass^" + strconv.Itoa(k)
		summary[key] = round3(passK[k])
		keys = append(keys, key)
	}
	keys = append(keys, "results")
	if err := writeSummary(stdout, f.asJSON, keys, summary); err != nil {
		return err
	}
	return runErr
}
