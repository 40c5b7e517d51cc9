package taubench

import (
	"context"
	"regexp"
	"strings"

	"github.com/simgym/simgym/eval/chat"
	"github.com/simgym/simgym/eval/policy"
)

// StopSignal ends the conversation when the user says it.
const StopSignal = policy.StopSignal

// User plays the user of a task's conversation.
type User interface {
	// Open starts a conversation on a task and returns the user's first
	// message to the agent.
	Open(ctx context.Context, t *Task) (UserSession, string, error)
}

// UserSession is one user's side of one conversation.
type UserSession interface {
	// Reply answers the agent's message; an answer containing StopSignal
	// ends the conversation. goal reports whether the task's goal is met
	// at this point (the database and the outputs said so far); a
	// scripted user asks it, a model does not.
	Reply(ctx context.Context, agent string, goal func() (bool, error)) (string, error)
	// Fork copies the session for a forked episode.
	Fork() UserSession
	// Usage is what the user's model has cost so far.
	Usage() chat.Usage
}

// ScriptedUser is a deterministic user that answers from the task's
// facts: it opens with the instruction put in the first person, agrees
// to what the agent proposes, restates its request when the agent is not
// done, and says StopSignal as soon as the task's goal is met (or after
// MaxTurns replies, giving up). Knowing when the goal is met is what a
// scripted user cannot learn from the conversation alone, so it asks the
// environment: episodes played against it end exactly when they succeed.
type ScriptedUser struct {
	// MaxTurns bounds its replies (default 10).
	MaxTurns int
}

// Open implements User.
func (u ScriptedUser) Open(_ context.Context, t *Task) (UserSession, string, error) {
	n := u.MaxTurns
	if n <= 0 {
		n = 10
	}
	s := &scriptedSession{request: FirstPerson(t.Instruction), max: n}
	return s, "Hi! " + s.request, nil
}

type scriptedSession struct {
	request string
	max     int
	turns   int
}

func (s *scriptedSession) Reply(_ context.Context, agent string, goal func() (bool, error)) (string, error) {
	s.turns++
	met, err := goal()
	if err != nil {
		return "", err
	}
	switch {
	case met, s.turns > s.max:
		return StopSignal, nil
	case strings.Contains(agent, "?"):
		return "Yes, please go ahead. What I want is this: " + s.request, nil
	}
	return "That is not all I asked for. What I want is this: " + s.request, nil
}

func (s *scriptedSession) Fork() UserSession {
	c := *s
	return &c
}

func (s *scriptedSession) Usage() chat.Usage { return chat.Usage{} }

// firstPerson rewrites the second person of tau-bench's instructions
// ("Your user id is ...", "You want ...").
var firstPerson = []struct {
	re  *regexp.Regexp
	out string
}{
	{regexp.MustCompile(`(^|[.!?]\s+)You are\b`), "${1}I am"},
	{regexp.MustCompile(`(^|[.!?]\s+)You're\b`), "${1}I'm"},
	{regexp.MustCompile(`(^|[.!?]\s+)You\b`), "${1}I"},
	{regexp.MustCompile(`(^|[.!?]\s+)Your\b`), "${1}My"},
	{regexp.MustCompile(`\byou are\b`), "I am"},
	{regexp.MustCompile(`\byou (want|prefer|have|do|need|would|will|can|just|also|did|like|only|know|think|don't)\b`), "I $1"},
	{regexp.MustCompile(`\byour\b`), "my"},
}

// FirstPerson puts a tau-bench instruction in the user's mouth, roughly:
// sentence-initial "You"/"Your" and every "your" become "I"/"My"/"my".
func FirstPerson(instruction string) string {
	s := strings.TrimSpace(instruction)
	for _, r := range firstPerson {
		s = r.re.ReplaceAllString(s, r.out)
	}
	return s
}

// LLMUser has a model play the user, following tau-bench's protocol
// (policy.TaubenchUser).
type LLMUser struct {
	User policy.TaubenchUser
}

// Open implements User.
func (u *LLMUser) Open(ctx context.Context, t *Task) (UserSession, string, error) {
	c, first, err := u.User.Open(ctx, t.Instruction)
	if err != nil {
		return nil, "", err
	}
	return llmSession{c}, first, nil
}

type llmSession struct{ c *policy.UserConversation }

func (s llmSession) Reply(ctx context.Context, agent string, _ func() (bool, error)) (string, error) {
	return s.c.Reply(ctx, agent)
}

func (s llmSession) Fork() UserSession { return llmSession{s.c.Clone()} }

func (s llmSession) Usage() chat.Usage { return s.c.Usage() }
