package policy

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/eval/chat"
)

// Random makes a few valid but random tool calls (arguments drawn from
// each tool's JSON Schema by domains.ArgGen, knowing nothing but the
// schemas the gym shows), then gives a short answer: the floor any agent
// should beat.
type Random struct {
	// Seed makes runs repeatable: an episode's draws depend on the seed,
	// the task and the trial only.
	Seed int64
	// MaxCalls bounds the calls an episode makes (1 to MaxCalls; default 3).
	MaxCalls int
}

// Name implements Policy.
func (r *Random) Name() string { return "random" }

// Start implements Policy.
func (r *Random) Start(_ context.Context, ep Episode) (Agent, error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00%d", r.Seed, ep.Env, ep.TaskID, ep.Trial)
	rng := rand.New(rand.NewPCG(h.Sum64(), uint64(r.Seed)))
	maxCalls := r.MaxCalls
	if maxCalls <= 0 {
		maxCalls = 3
	}
	// A stand-in domain built from the schemas alone: ArgGen then draws
	// values from each schema, never from a database.
	d := &domains.Domain{Name: ep.Env, Model: &schema.Model{Domain: ep.Env}}
	tools := make([]*domains.Tool, len(ep.Tools))
	for i, t := range ep.Tools {
		tools[i] = &domains.Tool{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters}
	}
	a := &randomAgent{gen: &domains.ArgGen{Domain: d, Rand: rng}, tools: tools, calls: 1 + rng.IntN(maxCalls)}
	if ep.MaxSteps > 0 && a.calls > ep.MaxSteps {
		a.calls = ep.MaxSteps
	}
	return a, nil
}

type randomAgent struct {
	gen   *domains.ArgGen
	tools []*domains.Tool
	calls int
	made  int
}

var randomAnswers = []string{"Done.", "All set.", "I have taken care of it.", "Your request is complete."}

func (a *randomAgent) Next(ctx context.Context, _ []chat.Message) (chat.Message, chat.Usage, error) {
	if a.made >= a.calls || len(a.tools) == 0 {
		return chat.Message{Role: chat.Assistant, Content: randomAnswers[a.gen.Rand.IntN(len(randomAnswers))]}, chat.Usage{}, nil
	}
	t := a.tools[a.gen.Rand.IntN(len(a.tools))]
	args := a.gen.Valid(ctx, nil, t)
	call := chat.NewToolCall(fmt.Sprintf("call_%d", a.made), t.Name, args)
	a.made++
	return chat.Message{Role: chat.Assistant, ToolCalls: []chat.ToolCall{call}}, chat.Usage{}, nil
}
