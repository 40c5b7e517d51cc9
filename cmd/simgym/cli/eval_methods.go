package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/simgym/simgym/eval/export"
	"github.com/simgym/simgym/eval/policy"
	"github.com/simgym/simgym/eval/report"
	"github.com/simgym/simgym/eval/runner"
)

// methodFlags are `simgym eval`'s agent-method flags (issue 18).
type methodFlags struct {
	context                     string
	contextTokens, summaryEvery int
	summaryURL, summaryModel    string
	roundTokens                 int
	samples                     int
	synthesize                  bool
	expand, rollouts            int
	noTools                     bool
	baseline                    string
}

func (m *methodFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&m.context, "context", "react", "context method: react (the whole conversation), resum (summarise and restart near the window), iterresearch (question, report and last action only)")
	fs.IntVar(&m.contextTokens, "context-tokens", runner.DefaultContextTokens, "resum: the context window in tokens (estimated as bytes/4 plus 4 a message); a summary is made at 90% of it")
	fs.IntVar(&m.summaryEvery, "summary-every", 0, "resum: also summarise every K rounds (0: only near the window)")
	fs.StringVar(&m.summaryURL, "summary-url", "", "resum: chat-completions API root of the summary model (default --base-url)")
	fs.StringVar(&m.summaryModel, "summary-model", "", "resum: the summary model (default --model)")
	fs.IntVar(&m.roundTokens, "round-tokens", runner.DefaultRoundTokens, "iterresearch: token budget of one round's request")
	fs.IntVar(&m.samples, "samples", 0, "Research-Synthesis: N independent rollouts per task (with --synthesize)")
	fs.BoolVar(&m.synthesize, "synthesize", false, "Research-Synthesis: fuse each task's --samples rollouts with one call that sees only their final reports and answers")
	fs.IntVar(&m.expand, "expand", 0, "step-level expansion: N alternative actions sampled at every step of each trajectory (writes tree.jsonl)")
	fs.IntVar(&m.rollouts, "rollouts", 1, "step-level expansion: K rollouts completed from each candidate action")
	fs.BoolVar(&m.noTools, "no-tools", false, "play without tools: the model answers from memory")
	fs.StringVar(&m.baseline, "baseline", "", "plain ReAct run folder on the same tasks to set a method beside (default: play ReAct into OUT/react)")
}

// active reports whether an agent method runs.
func (m *methodFlags) active() bool {
	return m.context != runner.ModeReAct || m.synthesize || m.expand > 0 || m.noTools
}

func (m *methodFlags) name() string {
	switch {
	case m.synthesize:
		return "synthesis"
	case m.expand > 0:
		return "expansion"
	case m.noTools:
		return "no-tools"
	}
	return m.context
}

func (m *methodFlags) check(f *evalFlags) error {
	switch {
	case m.context != runner.ModeReAct && m.context != runner.ModeReSum && m.context != runner.ModeIterResearch:
		return fmt.Errorf("%w: unknown --context %q (want react, resum or iterresearch)", errUsage, m.context)
	case m.synthesize && m.samples < 1:
		return fmt.Errorf("%w: --synthesize needs --samples N", errUsage)
	case m.samples > 0 && !m.synthesize:
		return fmt.Errorf("%w: --samples goes with --synthesize", errUsage)
	case m.expand < 0 || m.rollouts < 1 || m.contextTokens < 1 || m.roundTokens < 1:
		return fmt.Errorf("%w: --expand, --rollouts, --context-tokens and --round-tokens must be positive", errUsage)
	case (m.synthesize || m.expand > 0 || m.context == runner.ModeReSum) && f.policy != "openai":
		return fmt.Errorf("%w: --synthesize, --expand and --context resum need --policy openai (a model)", errUsage)
	}
	if m.samples > 0 {
		f.trials = m.samples
	}
	return nil
}

// endpoint makes an endpoint like the policy's, at another root/model.
func methodEndpoint(f evalFlags, url, model string) *policy.Endpoint {
	if url == "" {
		url = f.baseURL
	}
	if model == "" {
		model = f.model
	}
	e := &policy.Endpoint{BaseURL: url, APIKey: os.Getenv("OPENAI_API_KEY"), Model: model, Timeout: f.timeout, Retries: f.retries, Concurrency: f.llmConcurrency}
	if e.Concurrency <= 0 {
		e.Concurrency = f.concurrency
	}
	return e
}

// apply sets the run's context method.
func (m *methodFlags) apply(f evalFlags, opt *runner.Options) error {
	opt.NoTools = m.noTools
	opt.Context = runner.ContextOptions{Mode: m.context, Tokens: m.contextTokens, SummaryEvery: m.summaryEvery, RoundTokens: m.roundTokens}
	if m.context == runner.ModeReSum {
		opt.Context.Summarizer = &policy.LLMSummarizer{Endpoint: methodEndpoint(f, m.summaryURL, m.summaryModel)}
	}
	return nil
}

// evalMethods runs what follows the episodes (synthesis, expansion) and
// sets the method beside plain ReAct on the same tasks.
func evalMethods(ctx context.Context, f evalFlags, opt runner.Options, items []runner.Item, results []runner.Result, stderr io.Writer) (*report.Methods, error) {
	if !f.m.active() {
		return nil, nil
	}
	in := report.MethodInput{Method: f.m.name(), Results: results, Bootstrap: report.Bootstrap{Resamples: f.resamples, Seed: uint64(f.seed)}}
	if f.m.synthesize {
		path := filepath.Join(f.out, export.SynthesisFile)
		prev, _ := export.ReadLines[runner.Fused](path)
		done := map[string]bool{}
		for _, p := range prev {
			done[runner.FusedKey(p.Env, p.Task)] = true
		}
		bar := newProgress(stderr, len(items)-len(done), "synthesis")
		fused, err := runner.Synthesize(ctx, results, runner.SynthOptions{URL: opt.URL, Token: opt.Token, Concurrency: f.concurrency, Done: done,
			Synthesizer: &policy.LLMSynthesizer{Endpoint: methodEndpoint(f, "", "")},
			OnFused: func(runner.Fused) {
				if bar != nil {
					_ = bar.Add(1)
				}
			}})
		in.Fused = append(prev, fused...)
		if werr := export.WriteLines(path, in.Fused); werr != nil {
			return nil, werr
		}
		if err != nil {
			return nil, err
		}
	}
	if f.m.expand > 0 {
		bar := newProgress(stderr, -1, "expansion")
		tree, err := runner.Expand(ctx, results, runner.ExpandOptions{URL: opt.URL, Token: opt.Token, Policy: opt.Policy, User: opt.User,
			Alternatives: f.m.expand, Rollouts: f.m.rollouts, Concurrency: f.concurrency, MaxSteps: opt.MaxSteps, MaxUserTurns: opt.MaxUserTurns,
			OnProgress: func(done, total int) {
				if bar != nil {
					bar.ChangeMax(total)
					_ = bar.Set(done)
				}
			}})
		if err != nil {
			return nil, err
		}
		if err := export.WriteLines(filepath.Join(f.out, export.TreeFile), tree); err != nil {
			return nil, err
		}
		in.Tree = tree
	}
	if f.m.context == runner.ModeReSum {
		if err := export.WriteLines(filepath.Join(f.out, export.SegmentsFile), export.Segments(results)); err != nil {
			return nil, err
		}
	}
	// Plain ReAct on the same tasks: the baseline folder, or played now.
	base := f.m.baseline
	var react []runner.Result
	if base != "" {
		rs, err := runner.ReadLog(filepath.Join(base, evalEpisodesFile))
		if err != nil {
			return nil, fmt.Errorf("eval: --baseline: %w", err)
		}
		react = rs
	} else {
		base = filepath.Join(f.out, "react")
		if err := os.MkdirAll(base, 0o755); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		ropt := opt
		ropt.Context, ropt.NoTools, ropt.OnResult = runner.ContextOptions{}, false, nil
		ropt.Log = filepath.Join(base, evalEpisodesFile)
		rs, _, err := runner.Run(ctx, items, ropt)
		if err != nil {
			return nil, fmt.Errorf("eval: the ReAct baseline: %w", err)
		}
		react = rs
		rr := report.Build(rs, report.Options{K: opt.Trials, Bootstrap: in.Bootstrap})
		if err := rr.Write(base); err != nil {
			return nil, err
		}
	}
	in.ReAct, in.Baseline = react, base
	return report.BuildMethods(in), nil
}
