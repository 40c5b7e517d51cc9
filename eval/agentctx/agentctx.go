// Package agentctx holds what the agent methods built into `simgym eval`
// say to a model and how they read its replies: the token estimate that
// triggers a ReSum summary, the summary request, IterResearch's
// workspace and its report/answer format, and the synthesis request of
// Research-Synthesis. It is pure text handling; the runner drives it.
package agentctx

import (
	"fmt"
	"strings"

	"github.com/simgym/simgym/eval/chat"
)

// Token estimate. No tokenizer ships with simgym: the pure-Go BPE
// tokenizers download their vocabulary files at run time, which simgym
// does not do. The estimate is the usual rule of thumb for English text
// and JSON under BPE vocabularies: a token per four bytes of content,
// plus MessageOverhead tokens per message for its role and framing (the
// chat template's markers). It errs a little high on prose and a little
// low on dense JSON; ReSum triggers at 90% of the window for that slack.
const (
	BytesPerToken   = 4
	MessageOverhead = 4
)

// EstimateTokens estimates the prompt tokens of a conversation.
func EstimateTokens(msgs []chat.Message) int {
	n := 0
	for _, m := range msgs {
		b := len(m.Content) + len(m.Role) + len(m.Name) + len(m.ToolCallID)
		for _, tc := range m.ToolCalls {
			b += len(tc.ID) + len(tc.Function.Name) + len(tc.Function.Arguments)
		}
		n += (b+BytesPerToken-1)/BytesPerToken + MessageOverhead
	}
	return n
}

// TextTokens estimates the tokens of one text.
func TextTokens(s string) int { return (len(s) + BytesPerToken - 1) / BytesPerToken }

// SummaryPrompt is the summary model's system prompt.
const SummaryPrompt = `You summarise an agent's work so far so that it can continue with a fresh context. ` +
	`Given the user's request and the agent's conversation (its tool calls and their results), write a summary with three parts: ` +
	`"Evidence:" every fact gathered so far that bears on the request, with the exact ids, names and values; ` +
	`"Gaps:" what is still unknown or undone; "Next steps:" what to do next, in order. Write only the summary.`

// SummaryRequest is what the summary model receives: the question and
// the history to summarise (the segment's messages after the system
// prompt, tool traffic rendered as text).
func SummaryRequest(question string, history []chat.Message) []chat.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Request:\n%s\n\nConversation so far:\n", question)
	for _, m := range history {
		b.WriteString(Render(m))
		b.WriteByte('\n')
	}
	return []chat.Message{{Role: chat.System, Content: SummaryPrompt}, {Role: chat.User, Content: b.String()}}
}

// Render writes one message as a line of text.
func Render(m chat.Message) string {
	switch {
	case m.Role == chat.Tool:
		return fmt.Sprintf("[result of %s] %s", m.Name, m.Content)
	case len(m.ToolCalls) > 0:
		var calls []string
		for _, tc := range m.ToolCalls {
			calls = append(calls, tc.Function.Name+" "+tc.Function.Arguments)
		}
		s := "[agent calls] " + strings.Join(calls, "; ")
		if strings.TrimSpace(m.Content) != "" {
			s = "[agent] " + strings.TrimSpace(m.Content) + "\n" + s
		}
		return s
	default:
		return "[" + m.Role + "] " + m.Content
	}
}

// SummaryMarker opens the summary in the restarted context's user
// message.
const SummaryMarker = "Summary of your work so far (your earlier context was cleared):"

// Restart is the user message a ReSum context restarts with.
func Restart(question, summary string) string {
	return question + "\n\n" + SummaryMarker + "\n" + strings.TrimSpace(summary)
}

// IterPrompt is IterResearch's system prompt, appended to the agent's.
const IterPrompt = ` You work in rounds. Each round you see only the request, your report so far, and your last action with its result. ` +
	`Reply with your updated report between <report> and </report>: everything you have established that the request needs, with exact ids and values, and what remains. ` +
	`Then either call the next tool, or, when the request is done, write your final answer to the user after the report, calling no tool.`

// Workspace is one IterResearch round's user message: the question,
// the report, and the last action with its response, within budget
// tokens. The last response is cut first, then the report's beginning,
// so that the workspace fits.
func Workspace(system, question, report, action, response string, budget int) string {
	build := func(rep, resp string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "Request:\n%s\n\nYour report so far:\n", question)
		if rep == "" {
			b.WriteString("(empty: this is the first round)\n")
		} else {
			b.WriteString(rep + "\n")
		}
		if action != "" {
			fmt.Fprintf(&b, "\nYour last action:\n%s\n\nIts result:\n%s\n", action, resp)
		}
		return b.String()
	}
	s := build(report, response)
	// The system prompt and the message framing share the budget.
	room := budget - TextTokens(system) - 2*MessageOverhead
	over := TextTokens(s) - room
	if over <= 0 {
		return s
	}
	cut := func(x string, n int) string {
		const mark = " ...[cut]"
		if n <= 0 {
			return x
		}
		keep := len(x) - n*BytesPerToken - len(mark)
		if keep <= 0 {
			return ""
		}
		return x[:keep] + mark
	}
	if resp := cut(response, over); TextTokens(build(report, resp)) <= room || resp == "" {
		response = resp
	}
	s = build(report, response)
	if over = TextTokens(s) - room; over > 0 {
		// Cut the report's oldest part.
		n := over*BytesPerToken + len("[cut]... ")
		if n >= len(report) {
			report = ""
		} else {
			report = "[cut]... " + report[n:]
		}
		s = build(report, response)
	}
	return s
}

// IterSystem is the system message of every IterResearch round: the
// agent's system prompt and IterPrompt.
func IterSystem(base string) string { return strings.TrimSpace(base) + IterPrompt }

// ParseReport splits an IterResearch reply into its report (between
// <report> and </report>) and the rest (the final answer, when no tool
// is called). A reply without the tags is all rest.
func ParseReport(content string) (report, rest string) {
	i := strings.Index(content, "<report>")
	if i < 0 {
		return "", strings.TrimSpace(content)
	}
	j := strings.Index(content[i:], "</report>")
	if j < 0 {
		return strings.TrimSpace(content[i+len("<report>"):]), strings.TrimSpace(content[:i])
	}
	report = strings.TrimSpace(content[i+len("<report>") : i+j])
	rest = strings.TrimSpace(content[:i] + " " + content[i+j+len("</report>"):])
	return report, rest
}

// SynthesisPrompt is the synthesis model's system prompt.
const SynthesisPrompt = `Several independent attempts answered the same request. You see only each attempt's final report and answer. ` +
	`Weigh them: prefer what several attempts agree on and what the reports support with evidence. ` +
	`Reply with the single best final answer to the request, giving every value it asks for, and nothing else.`

// Sample is one rollout's final report and answer, as synthesis sees it.
type Sample struct {
	Report string `json:"report"`
	Answer string `json:"answer"`
}

// SynthesisRequest is what the synthesis model receives: the question
// and the samples' final reports and answers, nothing else.
func SynthesisRequest(question string, samples []Sample) []chat.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Request:\n%s\n", question)
	for i, s := range samples {
		fmt.Fprintf(&b, "\nAttempt %d\nFinal report:\n%s\nFinal answer:\n%s\n", i+1, strings.TrimSpace(s.Report), strings.TrimSpace(s.Answer))
	}
	return []chat.Message{{Role: chat.System, Content: SynthesisPrompt}, {Role: chat.User, Content: b.String()}}
}

// Normalize folds an answer for majority voting: lower case, words
// only, single spaces.
func Normalize(s string) string {
	return strings.Join(Words(s), " ")
}

// Words splits text into lower-case words of letters and digits.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127)
	})
}

// Overlap is the Jaccard overlap of two texts' words.
func Overlap(a, b string) float64 {
	wa, wb := map[string]bool{}, map[string]bool{}
	for _, w := range Words(a) {
		wa[w] = true
	}
	for _, w := range Words(b) {
		wb[w] = true
	}
	inter := 0
	for w := range wa {
		if wb[w] {
			inter++
		}
	}
	union := len(wa) + len(wb) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}
