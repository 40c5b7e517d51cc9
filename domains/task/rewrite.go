package task

import (
	"context"
	"fmt"
	"strings"
)

// Paraphraser rewrites an instruction in other words (an LLM, say).
type Paraphraser func(ctx context.Context, instruction string) (string, error)

// RewritePrompt is the system prompt a paraphrasing model is given.
const RewritePrompt = "Rewrite the user's request to a customer-service agent so it sounds like a real person wrote it. " +
	"Keep every name, email, number, date and other value exactly as written, keep every step and condition, " +
	"add nothing, and answer with the rewritten request only."

// RewriteCounts say how many paraphrases were kept and refused.
type RewriteCounts struct {
	Kept    int `json:"kept"`
	Refused int `json:"refused"`
	Failed  int `json:"failed"`
}

// Rewrite paraphrases each task's instruction with p. A paraphrase is
// kept only when it still states every fact the task needs (Facts, as
// written) and is a single request of sane length; otherwise the
// template stays. A call that fails leaves the template too (Failed);
// only a cancelled ctx stops Rewrite.
func Rewrite(ctx context.Context, tasks []*Task, p Paraphraser) (RewriteCounts, error) {
	var rc RewriteCounts
	for _, t := range tasks {
		out, err := p(ctx, t.Instruction)
		if err != nil {
			if ctx.Err() != nil {
				return rc, fmt.Errorf("rewrite %s: %w", t.ID, ctx.Err())
			}
			rc.Failed++
			continue
		}
		out = strings.TrimSpace(strings.Trim(strings.TrimSpace(out), "\""))
		if !KeepsFacts(t, out) {
			rc.Refused++
			continue
		}
		t.Instruction = out
		rc.Kept++
	}
	return rc, nil
}

// KeepsFacts reports whether a paraphrase of t's instruction still
// states every fact it needs and none of the answers it asks for.
func KeepsFacts(t *Task, text string) bool {
	if text == "" || len(text) > 3*len(t.Instruction)+200 || strings.Contains(text, "\n\n") {
		return false
	}
	for _, f := range t.Facts {
		if !strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
			return false
		}
	}
	for _, o := range t.Outputs {
		if mentions(text, o) && !mentions(t.Instruction, o) {
			return false
		}
	}
	return true
}
