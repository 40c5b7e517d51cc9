package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// Context methods.
const (
	// ModeReAct: the agent sees the whole conversation (the default).
	ModeReAct = "react"
	// ModeReSum: when the conversation nears the context window (or
	// every SummaryEvery rounds), a summary model condenses it and the
	// agent's context restarts as [system, question + summary].
	ModeReSum = "resum"
	// ModeIterResearch: each round the agent sees only the question,
	// its evolving report and its last action with the result.
	ModeIterResearch = "iterresearch"
)

// Defaults of the context methods.
const (
	DefaultContextTokens = 32768
	DefaultRoundTokens   = 8192
	// SummaryAt is the share of the window that triggers a summary.
	SummaryAt = 0.9
)

// ContextOptions configure the context method.
type ContextOptions struct {
	// Mode is ModeReAct (or empty), ModeReSum or ModeIterResearch.
	Mode string
	// Tokens is ReSum's window (default DefaultContextTokens): a summary
	// is made when the context's estimated tokens reach SummaryAt of it.
	Tokens int
	// SummaryEvery, when positive, also summarises every that many
	// rounds (assistant turns) of a segment.
	SummaryEvery int
	// Summarizer writes the summaries (ReSum needs one).
	Summarizer policy.Summarizer
	// RoundTokens is IterResearch's budget of one round's request
	// (default DefaultRoundTokens).
	RoundTokens int
}

func (c ContextOptions) mode() string {
	if c.Mode == "" {
		return ModeReAct
	}
	return c.Mode
}

func (c ContextOptions) check() error {
	switch c.mode() {
	case ModeReAct, ModeIterResearch:
		return nil
	case ModeReSum:
		if c.Summarizer == nil {
			return errors.New("run: resum needs a summarizer")
		}
		return nil
	}
	return fmt.Errorf("run: unknown context method %q (want react, resum or iterresearch)", c.Mode)
}

func (c ContextOptions) tokens() int {
	if c.Tokens > 0 {
		return c.Tokens
	}
	return DefaultContextTokens
}

func (c ContextOptions) roundTokens() int {
	if c.RoundTokens > 0 {
		return c.RoundTokens
	}
	return DefaultRoundTokens
}

// PolicyName names what plays: the policy, with the context method and
// no-tools marked, so that one log never mixes methods.
func (o Options) PolicyName() string {
	if o.Policy == nil {
		return ""
	}
	n := o.Policy.Name()
	if m := o.Context.mode(); m != ModeReAct {
		n += "+" + m
	}
	if o.NoTools {
		n += "+no-tools"
	}
	return n
}

// maybeSummarize restarts ReSum's context with a summary when it is due:
// the context reaches SummaryAt of the window, or SummaryEvery rounds
// passed in the segment. A context holding only the system prompt and
// the question is never summarised.
func (e *episode) maybeSummarize(ctx context.Context) error {
	c := e.opt.Context
	full := float64(agentctx.EstimateTokens(e.view)) >= SummaryAt*float64(c.tokens())
	every := c.SummaryEvery > 0 && e.rounds >= c.SummaryEvery
	if len(e.view) <= 2 || !(full || every) {
		return nil
	}
	sum, u, err := c.Summarizer.Summarize(ctx, e.ep.Instruction, e.view[1:])
	e.res.Usage = e.res.Usage.Add(u)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	e.seg++
	e.rounds = 0
	e.view = nil
	e.view = append(e.view, chat.Message{Role: chat.System, Content: e.system})
	e.add(chat.Message{Role: chat.User, Content: agentctx.Restart(e.ep.Instruction, sum)})
	return nil
}

// workspace is the request of one IterResearch round.
func (e *episode) workspace() []chat.Message {
	system := agentctx.IterSystem(e.system)
	return []chat.Message{
		{Role: chat.System, Content: system},
		{Role: chat.User, Content: agentctx.Workspace(system, e.ep.Instruction, e.report, e.action, e.response, e.opt.Context.roundTokens())},
	}
}
