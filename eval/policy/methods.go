package policy

import (
	"context"
	"strings"

	"github.com/simgym/simgym/eval/agentctx"
	"github.com/simgym/simgym/eval/chat"
)

// NoToolsPrompt opens the conversation of a run without tools
// (`simgym eval --no-tools`): the model answers from what it knows.
const NoToolsPrompt = `You are a customer-service agent, but no tools are available to you now. ` +
	`Answer the user's request from what you know, in one final answer: give every value the user asked for.`

// Summarizer writes ReSum's summaries.
type Summarizer interface {
	// Summarize reads the question and the context's history (after its
	// system prompt) and returns the summary.
	Summarize(ctx context.Context, question string, history []chat.Message) (string, chat.Usage, error)
}

// Synthesizer fuses Research-Synthesis's samples into one answer.
type Synthesizer interface {
	// Synthesize sees the question and the samples' final reports and
	// answers only, and returns the fused answer.
	Synthesize(ctx context.Context, question string, samples []agentctx.Sample) (string, chat.Usage, error)
}

// LLMSummarizer has a chat-completions model write the summaries.
type LLMSummarizer struct{ Endpoint *Endpoint }

// Summarize implements Summarizer.
func (s *LLMSummarizer) Summarize(ctx context.Context, question string, history []chat.Message) (string, chat.Usage, error) {
	msg, u, err := s.Endpoint.Complete(ctx, agentctx.SummaryRequest(question, history), nil)
	return strings.TrimSpace(msg.Content), u, err
}

// LLMSynthesizer has a chat-completions model fuse the samples.
type LLMSynthesizer struct{ Endpoint *Endpoint }

// Synthesize implements Synthesizer.
func (s *LLMSynthesizer) Synthesize(ctx context.Context, question string, samples []agentctx.Sample) (string, chat.Usage, error) {
	msg, u, err := s.Endpoint.Complete(ctx, agentctx.SynthesisRequest(question, samples), nil)
	return strings.TrimSpace(msg.Content), u, err
}
