package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// Fused is one task's Research-Synthesis: its N samples and the fused
// answer, scored by the gym.
type Fused struct {
	Env  string `json:"env"`
	Task string `json:"task"`
	// Samples are the N rollouts' outcomes, by trial.
	Samples []SampleOutcome `json:"samples"`
	// Answer is the synthesis's fused answer; Reward its reward, scored
	// by the gym in the state of sample Base (the sample whose answer
	// shares most words with the fused one: its tool calls are replayed
	// on a fresh episode, then the fused answer is given).
	Answer  string     `json:"answer"`
	Reward  float64    `json:"reward"`
	Success bool       `json:"success"`
	Base    int        `json:"base"`
	Usage   chat.Usage `json:"usage"`
}

// SampleOutcome is one sample as synthesis saw it, with its reward.
type SampleOutcome struct {
	Trial  int     `json:"trial"`
	Report string  `json:"report"`
	Answer string  `json:"answer"`
	Reward float64 `json:"reward"`
}

// SynthOptions configure Synthesize.
type SynthOptions struct {
	URL, Token  string
	Synthesizer policy.Synthesizer
	// Concurrency bounds the tasks synthesised at once (default 8).
	Concurrency int
	// Done lists tasks synthesised already (by env and task), skipped.
	Done map[string]bool
	// OnFused is called after each task (one at a time).
	OnFused func(Fused)
}

// FusedKey identifies a task in SynthOptions.Done.
func FusedKey(envName, taskID string) string { return envName + "\x00" + taskID }

// FinalReport is what a sample's final report is: IterResearch's last
// report, or else the agent's last text.
func FinalReport(r Result) string {
	if n := len(r.Reports); n > 0 {
		return r.Reports[n-1]
	}
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if m := r.Messages[i]; m.Role == chat.Assistant && strings.TrimSpace(m.Content) != "" {
			return m.Content
		}
	}
	return ""
}

// Synthesize fuses each task's samples (its trials among results) with
// one synthesis call and scores the fused answer through the gym.
func Synthesize(ctx context.Context, results []Result, opt SynthOptions) ([]Fused, error) {
	if opt.Synthesizer == nil {
		return nil, errors.New("synthesize: no synthesizer")
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	by := map[string][]Result{}
	var keys []string
	for _, r := range results {
		k := FusedKey(r.Env, r.Task)
		if by[k] == nil {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	sort.Strings(keys)
	var todo []string
	for _, k := range keys {
		if !opt.Done[k] {
			todo = append(todo, k)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	c, err := client.Dial(ctx, opt.URL, client.Options{Token: opt.Token})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := make([]Fused, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, opt.Concurrency)
	done := make(chan int)
	for i, k := range todo {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i], errs[i] = fuse(ctx, c, opt.Synthesizer, by[k])
			done <- i
		}()
	}
	for range todo {
		i := <-done
		if errs[i] == nil && opt.OnFused != nil {
			opt.OnFused(out[i])
		}
	}
	var kept []Fused
	for i := range out {
		if errs[i] != nil {
			return kept, fmt.Errorf("synthesize %s: %w", strings.ReplaceAll(todo[i], "\x00", "/"), errs[i])
		}
		kept = append(kept, out[i])
	}
	return kept, nil
}

func fuse(ctx context.Context, c *client.Client, syn policy.Synthesizer, rs []Result) (Fused, error) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Trial < rs[j].Trial })
	f := Fused{Env: rs[0].Env, Task: rs[0].Task}
	var samples []agentctx.Sample
	question := ""
	for _, r := range rs {
		if question == "" && len(r.Messages) > 1 {
			question = r.Messages[1].Content
		}
		s := agentctx.Sample{Report: FinalReport(r), Answer: r.Answer}
		samples = append(samples, s)
		f.Samples = append(f.Samples, SampleOutcome{Trial: r.Trial, Report: s.Report, Answer: s.Answer, Reward: r.Reward})
	}
	ans, u, err := syn.Synthesize(ctx, question, samples)
	f.Usage = u
	if err != nil {
		return f, err
	}
	f.Answer = ans
	best := -1.0
	for i, s := range samples {
		if o := agentctx.Overlap(ans, s.Answer); o > best {
			best, f.Base = o, i
		}
	}
	reward, err := Score(ctx, c, rs[f.Base], ans)
	if err != nil {
		return f, err
	}
	f.Reward, f.Success = reward, reward == 1
	return f, nil
}

// Score gives an answer in the state an episode ended in: a fresh
// episode of its task replays the episode's tool calls, then answers.
// The domains are deterministic, so the replay reaches the same state.
func Score(ctx context.Context, c *client.Client, r Result, answer string) (float64, error) {
	rr, err := c.Reset(ctx, r.Env, r.Task, nil)
	if err != nil {
		return 0, fmt.Errorf("score: reset: %w", err)
	}
	defer closeEpisode(ctx, c, rr.Episode)
	for _, tc := range chat.Calls(r.Messages) {
		sr, err := c.Step(ctx, rr.Episode, toAction(tc))
		var ce *protocol.Error
		if errors.As(err, &ce) && ce.Code == "invalid_request" {
			continue // refused as a request: it never was a step
		}
		if err != nil {
			return 0, fmt.Errorf("score: replay %s: %w", tc.Function.Name, err)
		}
		if sr.Done {
			return sr.Reward, nil // the step limit ended the replay
		}
	}
	sr, err := c.Step(ctx, rr.Episode, protocol.Answer(answer))
	if err != nil {
		return 0, fmt.Errorf("score: answer: %w", err)
	}
	return sr.Reward, nil
}
