// Package policy holds the agents simgym evaluates: the oracle, which
// replays each task's ground truth (a ceiling that must score 1); random,
// which makes valid but random tool calls (a floor); and an LLM behind
// any OpenAI-compatible chat-completions endpoint. It also holds the
// simulated users that answer an agent's questions.
//
// An agent sees what a trainer's agent sees: the instruction and the
// tools from the gym's reset, then the conversation so far in the OpenAI
// chat format, and it answers with the next assistant message: tool calls
// (the runner steps each through the gym and feeds the results back as
// tool messages), a question to the user (text ending in "?"), or its
// final answer (any other text).
package policy

import (
	"context"
	"errors"
	"strings"

	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
)

// Episode is what an agent is told at reset.
type Episode struct {
	// Env is the environment (domain) and TaskID the task the gym reset.
	Env    string
	TaskID string
	// Trial numbers the attempts at one task, from 0.
	Trial int
	// Instruction is what the user asks for.
	Instruction string
	// Tools are the tools the gym offers, in OpenAI tool format.
	Tools []protocol.Tool
	// MaxSteps bounds tool calls (0: no bound).
	MaxSteps int
}

// Policy makes an agent for each episode. Its agents may run
// concurrently.
type Policy interface {
	// Name says what plays: oracle, random, openai:MODEL.
	Name() string
	// Start begins an episode.
	Start(ctx context.Context, ep Episode) (Agent, error)
}

// Agent plays one episode.
type Agent interface {
	// Next returns the next assistant message, given the conversation so
	// far (the system prompt, the user's instruction, then the episode's
	// messages), and the tokens it cost.
	Next(ctx context.Context, msgs []chat.Message) (chat.Message, chat.Usage, error)
}

// User is a simulated user: it answers an agent's question.
type User interface {
	Reply(ctx context.Context, ep Episode, msgs []chat.Message) (string, chat.Usage, error)
}

// SystemPrompt opens every conversation, so trajectories of every policy
// share it and the conventions it states.
const SystemPrompt = `You are a customer-service agent with access to tools that read and change the company's database. ` +
	`Help the user with their request: call tools as needed (one or more per turn), using ids you have read from earlier results. ` +
	`If you need information that only the user has, ask them one question, ending your message with a question mark and calling no tool. ` +
	`When the request is done, reply with your final answer to the user, calling no tool: say what you did and give every value the user asked for.`

// IsQuestion reports whether an assistant message without tool calls
// asks the user something (it ends with a question mark) rather than
// giving the final answer.
func IsQuestion(m chat.Message) bool {
	if len(m.ToolCalls) > 0 {
		return false
	}
	return strings.HasSuffix(strings.TrimSpace(m.Content), "?")
}

// ErrUnknownTask is returned by policies that need a task's ground truth
// and were not given it.
var ErrUnknownTask = errors.New("unknown task")
