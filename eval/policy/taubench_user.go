package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/simgym/simgym/eval/chat"
)

// StopSignal is what a tau-bench user says, alone, when the goal of its
// instruction is met; it ends the conversation.
const StopSignal = "###STOP###"

// TaubenchGreeting is the agent's opening line as the user model sees
// it: tau-bench starts every simulated user's conversation with it, so
// that the user speaks first to the real agent.
const TaubenchGreeting = "Hi! How can I help you today?"

// TaubenchUser has a model play a tau-bench user, following tau-bench's
// user-simulation protocol: the model is given the task's instruction and
// rules (write one line at a time, reveal the instruction only as the
// conversation needs it, invent nothing, answer '###STOP###' alone once
// the goal is met), then sees the agent's messages as "user" turns and
// writes the user's replies as "assistant" turns, starting from the
// greeting TaubenchGreeting.
type TaubenchUser struct {
	Endpoint *Endpoint
}

// taubenchUserRules state tau-bench's user protocol in simgym's words.
const taubenchUserRules = `Rules:
- Write only the user's next message, a single line each time.
- Reveal the instruction bit by bit: give only what the current step of the conversation needs.
- Make nothing up that the instruction does not give you; when asked for something it does not contain (an id, a number), say you do not know or do not have it.
- Once the goal of the instruction has been achieved, reply with '` + StopSignal + `' on its own and nothing else, which ends the conversation.
- Do not recite the instruction; put its content in your own words.
- Keep the conversation natural, and keep to the personality the instruction describes.`

// TaubenchUserPrompt is the system prompt of the model playing the user
// of an instruction.
func TaubenchUserPrompt(instruction string) string {
	return fmt.Sprintf("You are a user talking to a customer-service agent.\n\nInstruction: %s\n\n%s", instruction, taubenchUserRules)
}

// UserConversation is one simulated user's side of a conversation: the
// messages its model has seen and written.
type UserConversation struct {
	e     *Endpoint
	msgs  []chat.Message
	usage chat.Usage
}

// Open starts a user on an instruction and returns its first message to
// the agent.
func (u *TaubenchUser) Open(ctx context.Context, instruction string) (*UserConversation, string, error) {
	c := &UserConversation{e: u.Endpoint, msgs: []chat.Message{
		{Role: chat.System, Content: TaubenchUserPrompt(instruction)},
		{Role: chat.User, Content: TaubenchGreeting},
	}}
	first, err := c.next(ctx)
	if err != nil {
		return nil, "", err
	}
	return c, first, nil
}

// Reply gives the user the agent's message and returns the user's
// answer. The conversation is over when the answer contains StopSignal.
func (c *UserConversation) Reply(ctx context.Context, agent string) (string, error) {
	c.msgs = append(c.msgs, chat.Message{Role: chat.User, Content: agent})
	return c.next(ctx)
}

func (c *UserConversation) next(ctx context.Context) (string, error) {
	msg, usage, err := c.e.Complete(ctx, c.msgs, nil)
	c.usage = c.usage.Add(usage)
	if err != nil {
		return "", fmt.Errorf("simulated user: %w", err)
	}
	text := strings.TrimSpace(msg.Content)
	c.msgs = append(c.msgs, chat.Message{Role: chat.Assistant, Content: text})
	return text, nil
}

// Clone copies the conversation; the copy goes on independently.
func (c *UserConversation) Clone() *UserConversation {
	return &UserConversation{e: c.e, msgs: append([]chat.Message(nil), c.msgs...), usage: c.usage}
}

// Usage is what the user's model has cost so far.
func (c *UserConversation) Usage() chat.Usage { return c.usage }

// Messages returns a copy of what the user's model has seen and written.
func (c *UserConversation) Messages() []chat.Message {
	return append([]chat.Message(nil), c.msgs...)
}
