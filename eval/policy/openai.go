package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/simgym/simgym/eval/chat"
)

// OpenAI is an LLM agent behind an OpenAI-compatible endpoint: each turn
// sends the conversation and the gym's tools, and the model's reply is
// the next assistant message.
type OpenAI struct {
	Endpoint *Endpoint
}

// Name implements Policy.
func (p *OpenAI) Name() string { return "openai:" + p.Endpoint.Model }

// Start implements Policy.
func (p *OpenAI) Start(_ context.Context, ep Episode) (Agent, error) {
	return &llmAgent{e: p.Endpoint, ep: ep}, nil
}

type llmAgent struct {
	e  *Endpoint
	ep Episode
}

func (a *llmAgent) Next(ctx context.Context, msgs []chat.Message) (chat.Message, chat.Usage, error) {
	return a.e.Complete(ctx, msgs, a.ep.Tools)
}

// ScriptedUser answers every question from what the task's user knows:
// the facts of the instruction, restated, with a request to go on. It
// never reveals what the agent must find out.
type ScriptedUser struct{}

// Reply implements User.
func (ScriptedUser) Reply(_ context.Context, ep Episode, _ []chat.Message) (string, chat.Usage, error) {
	return "All I can tell you is what I asked for: " + strings.TrimSpace(ep.Instruction) +
		" Please go ahead with that, and give me your final answer when it is done.", chat.Usage{}, nil
}

// LLMUser has a model play the user: it knows the instruction and
// answers the agent's questions from it alone.
type LLMUser struct {
	Endpoint *Endpoint
}

// userPrompt sets up the model playing the user.
const userPrompt = `You are playing a customer talking to a customer-service agent. Your request was: %q. ` +
	`Answer the agent's last question briefly, using only facts stated in your request. ` +
	`If your request does not say, answer that you do not know. Never invent ids, names or values, and do not solve the task yourself.`

// Reply implements User.
func (u *LLMUser) Reply(ctx context.Context, ep Episode, msgs []chat.Message) (string, chat.Usage, error) {
	conv := []chat.Message{{Role: chat.System, Content: fmt.Sprintf(userPrompt, ep.Instruction)}}
	// Seen from the user's side, the roles swap: the agent's words come
	// in as "user", the user's own as "assistant". Tool traffic is the
	// agent's business and is left out.
	for _, m := range msgs {
		switch {
		case m.Role == chat.User:
			conv = append(conv, chat.Message{Role: chat.Assistant, Content: m.Content})
		case m.Role == chat.Assistant && len(m.ToolCalls) == 0 && m.Content != "":
			conv = append(conv, chat.Message{Role: chat.User, Content: m.Content})
		}
	}
	msg, usage, err := u.Endpoint.Complete(ctx, conv, nil)
	if err != nil {
		return "", usage, err
	}
	return strings.TrimSpace(msg.Content), usage, nil
}
