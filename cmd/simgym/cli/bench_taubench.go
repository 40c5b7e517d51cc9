package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/protocol"
	tbsuite "github.com/simgym/simgym/eval/taubench"
)

// taubenchRewardQuote is tau-bench's own cost of scoring one airline
// episode, as measured for the README: its Python reward (reload the
// data, replay the ground truth, hash both databases) alone.
const taubenchRewardQuote = "0.3-0.9 s"

// benchTaubench measures a tau-bench airline episode end to end in this
// process, through the episode manager the gym serves: reset (a fresh
// database and the scripted user's opening), the ground truth's tool
// calls, and the reward (the final answer scored as tau-bench scores it).
// Each task's ground truth is replayed once before timing (the server
// does it once per task too, on first use), and reported apart.
func benchTaubench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench taubench", flag.ContinueOnError)
	dirFlag := fs.String("taubench", "", "tau-bench's airline folder (default $SIMGYM_DATA/taubench/airline)")
	rounds := fs.Int("rounds", 3, "times each of the 50 tasks is played")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *rounds < 1 {
		return fmt.Errorf("%w: --rounds must be positive", errUsage)
	}
	dir, err := taubenchDir(*dirFlag)
	if err != nil {
		return err
	}
	s, err := tbsuite.Load(dir)
	if err != nil {
		return err
	}
	m := env.NewManager(nil, env.Limits{})
	if err := m.AddWorld(tbsuite.NewWorld(s, tbsuite.ScriptedUser{})); err != nil {
		return err
	}
	owner := m.NewOwner()
	// play runs one episode and returns its phases' durations.
	play := func(t *tbsuite.Task) (reset, steps, reward time.Duration, calls int, err error) {
		t0 := time.Now()
		ep, err := m.Reset(ctx, owner, tbsuite.EnvName, t.ID(), nil)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		defer func() { _ = m.Close(owner, ep.ID) }()
		t1 := time.Now()
		for _, a := range t.Actions {
			if a.Name == tbsuite.TransferTool {
				continue // it would end the episode; the reward is timed below
			}
			if _, err := m.Step(ctx, owner, ep.ID, protocol.Action{Tool: a.Name, Arguments: a.Kwargs}); err != nil {
				return 0, 0, 0, 0, err
			}
			calls++
		}
		t2 := time.Now()
		answer := "Done. " + strings.Join(t.Outputs, "; ")
		r, err := m.Step(ctx, owner, ep.ID, protocol.Action{Answer: &answer})
		if err != nil {
			return 0, 0, 0, 0, err
		}
		t3 := time.Now()
		if r.Reward != 1 {
			return 0, 0, 0, 0, fmt.Errorf("bench taubench: task %d scored %v, want 1", t.Index, r.Reward)
		}
		return t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), calls, nil
	}
	warm := time.Now()
	for _, t := range s.Tasks {
		if _, _, _, _, err := play(t); err != nil {
			return err
		}
	}
	warmup := time.Since(warm)
	var reset, steps, reward time.Duration
	episodes, calls := 0, 0
	start := time.Now()
	for range *rounds {
		for _, t := range s.Tasks {
			r, st, rw, n, err := play(t)
			if err != nil {
				return err
			}
			reset += r
			steps += st
			reward += rw
			calls += n
			episodes++
		}
	}
	total := time.Since(start)
	ms := func(d time.Duration, n int) float64 { return round3(d.Seconds() * 1000 / float64(max(n, 1))) }
	summary := map[string]any{
		"episodes":                  episodes,
		"episode_ms":                ms(total, episodes),
		"reset_ms":                  ms(reset, episodes),
		"steps_ms":                  ms(steps, episodes),
		"step_ms":                   ms(steps, calls),
		"reward_ms":                 ms(reward, episodes),
		"first_pass_ms":             ms(warmup, len(s.Tasks)),
		"taubench_python_reward":    taubenchRewardQuote,
		"reward_speedup_vs_low_end": round3(0.3 / max(reward.Seconds()/float64(max(episodes, 1)), 1e-9)),
	}
	return writeSummary(stdout, *asJSON, []string{"episodes", "episode_ms", "reset_ms", "steps_ms", "step_ms", "reward_ms", "first_pass_ms", "taubench_python_reward", "reward_speedup_vs_low_end"}, summary)
}
