package env

// Conversational is implemented by runs whose episodes are conversations
// with a simulated user, as tau-bench's are: the reset shows the agent a
// system prompt (the domain's policy) besides the user's first message
// (Run.Instruction), and a tool call may end the episode (the user says
// the goal is met, or the agent hands the user to a human). The episode
// then ends as an answer would: it is scored, and its step is done.
type Conversational interface {
	// System is the system prompt the agent is given at reset.
	System() string
	// Ended says why the conversation is over after the last call
	// (e.g. "user_stop", "transfer"), or "" while it goes on.
	Ended() string
}

// systemOf returns a conversational run's system prompt, or "".
func systemOf(r Run) string {
	if c, ok := r.(Conversational); ok {
		return c.System()
	}
	return ""
}

// endedBy returns why a conversational run is over, or "".
func endedBy(r Run) string {
	if c, ok := r.(Conversational); ok {
		return c.Ended()
	}
	return ""
}
