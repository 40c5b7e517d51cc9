package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// ExpandOptions configure Expand.
type ExpandOptions struct {
	URL, Token string
	// Policy samples the alternatives and plays the rollouts; User
	// answers their questions (default policy.ScriptedUser).
	Policy policy.Policy
	User   policy.User
	// Alternatives (N) are sampled at each step; Rollouts (K) are
	// completed from each candidate, the original action included.
	Alternatives, Rollouts int
	// Concurrency bounds the rollouts played at once (default 8); the
	// endpoint's own bound on requests in flight applies as well.
	Concurrency int
	// MaxSteps and MaxUserTurns bound each rollout as in Options.
	MaxSteps, MaxUserTurns int
	// OnProgress is called after each rollout with the count done and
	// the total (one at a time).
	OnProgress func(done, total int)
}

// TreeStep is one step of a trajectory, expanded: a line of tree.jsonl.
type TreeStep struct {
	Env   string `json:"env"`
	Task  string `json:"task"`
	Trial int    `json:"trial"`
	// Step numbers the trajectory's assistant turns from 0; Message is
	// the turn's index in the trajectory's messages, and ToolSteps the
	// tool calls made before it.
	Step      int `json:"step"`
	Message   int `json:"message"`
	ToolSteps int `json:"tool_steps"`
	// Fingerprint is the state of the step's fork, as the gym scores it
	// (empty for worlds without a database).
	Fingerprint string `json:"fingerprint"`
	// Reward is the original trajectory's reward; Mean the mean reward
	// of every rollout of the step.
	Reward     float64     `json:"reward"`
	Mean       float64     `json:"mean"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one action at a step and its rollouts.
type Candidate struct {
	// Original marks the trajectory's own action.
	Original bool         `json:"original"`
	Message  chat.Message `json:"message"`
	// Rewards are its rollouts' rewards; Starts each rollout's state
	// fingerprint when it started (before the candidate's action).
	Rewards []float64 `json:"rewards"`
	Starts  []string  `json:"starts"`
	// Mean is the mean of Rewards, Advantage Mean minus the step's mean.
	Mean      float64 `json:"mean"`
	Advantage float64 `json:"advantage"`
}

// Expand expands every trajectory of results step by step: at each
// assistant turn the episode is forked (the gym's fork op), N
// alternative actions are sampled from the policy, and K rollouts are
// completed from each candidate, each from its own fork of the step.
func Expand(ctx context.Context, results []Result, opt ExpandOptions) ([]TreeStep, error) {
	if opt.Policy == nil {
		return nil, errors.New("expand: no policy")
	}
	if opt.User == nil {
		opt.User = policy.ScriptedUser{}
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.Rollouts <= 0 {
		opt.Rollouts = 1
	}
	if opt.MaxSteps <= 0 {
		opt.MaxSteps = 50
	}
	if opt.MaxUserTurns <= 0 {
		opt.MaxUserTurns = 3
	}
	total := 0
	for _, r := range results {
		total += len(turns(r.Messages)) * (opt.Alternatives + 1) * opt.Rollouts
	}
	c, err := client.Dial(ctx, opt.URL, client.Options{Token: opt.Token})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	x := &expander{c: c, opt: opt, sem: make(chan struct{}, opt.Concurrency), total: total}
	var out []TreeStep
	for _, r := range results {
		steps, err := x.trajectory(ctx, r)
		if err != nil {
			return out, fmt.Errorf("expand %s/%s trial %d: %w", r.Env, r.Task, r.Trial, err)
		}
		out = append(out, steps...)
	}
	return out, nil
}

// turns lists the indices of a conversation's assistant messages.
func turns(msgs []chat.Message) []int {
	var out []int
	for i, m := range msgs {
		if m.Role == chat.Assistant {
			out = append(out, i)
		}
	}
	return out
}

type expander struct {
	c     *client.Client
	opt   ExpandOptions
	sem   chan struct{}
	mu    sync.Mutex
	done  int
	total int
}

func (x *expander) trajectory(ctx context.Context, r Result) ([]TreeStep, error) {
	spine, err := x.c.Reset(ctx, r.Env, r.Task, nil)
	if err != nil {
		return nil, fmt.Errorf("reset: %w", err)
	}
	defer closeEpisode(ctx, x.c, spine.Episode)
	var out []TreeStep
	toolSteps, userTurns := 0, 0
	for n, at := range turns(r.Messages) {
		st, err := x.step(ctx, r, spine.Episode, at, toolSteps, userTurns)
		if err != nil {
			return out, fmt.Errorf("step %d: %w", n, err)
		}
		st.Step = n
		out = append(out, st)
		// Advance the spine by the original turn.
		for _, tc := range r.Messages[at].ToolCalls {
			_, err := x.c.Step(ctx, spine.Episode, toAction(tc))
			var ce *protocol.Error
			if err != nil && !(errors.As(err, &ce) && ce.Code == "invalid_request") {
				return out, fmt.Errorf("replay %s: %w", tc.Function.Name, err)
			}
			toolSteps++
		}
		if at+1 < len(r.Messages) && r.Messages[at+1].Role == chat.User {
			userTurns++
		}
	}
	return out, nil
}

// step expands one assistant turn at message index at.
func (x *expander) step(ctx context.Context, r Result, spine string, at, toolSteps, userTurns int) (TreeStep, error) {
	st := TreeStep{Env: r.Env, Task: r.Task, Trial: r.Trial, Message: at, ToolSteps: toolSteps, Reward: r.Reward}
	fr, err := x.c.Fork(ctx, spine)
	if err != nil {
		return st, fmt.Errorf("fork: %w", err)
	}
	base := fr.Episode
	defer closeEpisode(ctx, x.c, base)
	if st.Fingerprint, err = x.probe(ctx, base); err != nil {
		return st, err
	}
	prefix := r.Messages[:at]
	ep := x.episodeOf(r)
	agent, err := x.opt.Policy.Start(ctx, ep)
	if err != nil {
		return st, err
	}
	st.Candidates = append(st.Candidates, Candidate{Original: true, Message: r.Messages[at]})
	for range x.opt.Alternatives {
		msg, _, err := agent.Next(ctx, prefix)
		if err != nil {
			return st, fmt.Errorf("sample an alternative: %w", err)
		}
		msg.Role = chat.Assistant
		st.Candidates = append(st.Candidates, Candidate{Message: msg})
	}
	var wg sync.WaitGroup
	var firstErr error
	var emu sync.Mutex
	for ci := range st.Candidates {
		cand := &st.Candidates[ci]
		cand.Rewards = make([]float64, x.opt.Rollouts)
		cand.Starts = make([]string, x.opt.Rollouts)
		for k := range x.opt.Rollouts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case x.sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				rew, start, err := x.rollout(ctx, r, ep, base, prefix, cand.Message, toolSteps, userTurns)
				<-x.sem
				if err != nil {
					emu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					emu.Unlock()
					return
				}
				cand.Rewards[k], cand.Starts[k] = rew, start
				x.mu.Lock()
				x.done++
				if x.opt.OnProgress != nil {
					x.opt.OnProgress(x.done, x.total)
				}
				x.mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	sum, n := 0.0, 0
	for ci := range st.Candidates {
		cand := &st.Candidates[ci]
		cs := 0.0
		for _, v := range cand.Rewards {
			cs += v
		}
		cand.Mean = cs / float64(len(cand.Rewards))
		sum, n = sum+cs, n+len(cand.Rewards)
	}
	st.Mean = sum / float64(n)
	for ci := range st.Candidates {
		st.Candidates[ci].Advantage = st.Candidates[ci].Mean - st.Mean
	}
	return st, nil
}

// episodeOf is what the agent of a rollout of r is told.
func (x *expander) episodeOf(r Result) policy.Episode {
	instr := ""
	if len(r.Messages) > 1 {
		instr = r.Messages[1].Content
	}
	return policy.Episode{Env: r.Env, TaskID: r.Task, Trial: r.Trial, Instruction: instr, Tools: r.Tools, MaxSteps: x.opt.MaxSteps}
}

// rollout forks the step's episode, plays the candidate there and then
// the policy to the end, and returns the reward and the fingerprint of
// the state the rollout started in.
func (x *expander) rollout(ctx context.Context, r Result, ep policy.Episode, base string, prefix []chat.Message, cand chat.Message, toolSteps, userTurns int) (float64, string, error) {
	fr, err := x.c.Fork(ctx, base)
	if err != nil {
		return 0, "", fmt.Errorf("fork: %w", err)
	}
	defer closeEpisode(ctx, x.c, fr.Episode)
	start, err := x.probe(ctx, fr.Episode)
	if err != nil {
		return 0, "", err
	}
	agent, err := x.opt.Policy.Start(ctx, ep)
	if err != nil {
		return 0, "", err
	}
	opt := Options{Policy: x.opt.Policy, User: x.opt.User, MaxSteps: x.opt.MaxSteps, MaxUserTurns: x.opt.MaxUserTurns}
	e := &episode{c: x.c, opt: opt, id: fr.Episode, ep: ep, agent: agent, maxSteps: x.opt.MaxSteps, res: Result{Env: r.Env, Task: r.Task, Trial: r.Trial}}
	if len(prefix) > 0 {
		e.system = prefix[0].Content
	}
	for _, m := range prefix {
		e.add(m)
	}
	e.res.Steps, e.res.UserTurns = toolSteps, userTurns
	end, err := e.handle(ctx, cand)
	if err == nil && !end {
		err = e.converse(ctx)
	}
	if err != nil {
		return 0, "", err
	}
	return e.res.Reward, start, nil
}

// probe returns the state fingerprint of an episode: a fork of it is
// given an empty answer and the gym's scoring reports the state.
func (x *expander) probe(ctx context.Context, id string) (string, error) {
	fr, err := x.c.Fork(ctx, id)
	if err != nil {
		return "", fmt.Errorf("fork: %w", err)
	}
	defer closeEpisode(ctx, x.c, fr.Episode)
	sr, err := x.c.Step(ctx, fr.Episode, protocol.Answer(""))
	if err != nil {
		return "", fmt.Errorf("probe: %w", err)
	}
	return FingerprintOf(sr), nil
}

// FingerprintOf reads the state fingerprint of an episode's last step
// (empty when the world has none).
func FingerprintOf(sr *protocol.Reply) string {
	var si protocol.StepInfo
	if json.Unmarshal(sr.Info, &si) != nil || si.Result == nil {
		return ""
	}
	return si.Result.Info.Fingerprint
}
