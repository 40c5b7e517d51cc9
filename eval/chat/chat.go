// Package chat is the OpenAI chat-completions message format that
// simgym's evaluation speaks: the conversation an agent has (system,
// user, assistant with tool calls, tool results), the usage an endpoint
// reports, and one episode's trajectory as trainers read it (one JSON
// object a line: messages, tools, reward, task id).
package chat

import (
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/env/protocol"
)

// Roles of a message.
const (
	System    = "system"
	User      = "user"
	Assistant = "assistant"
	Tool      = "tool"
)

// Message is one chat message. An assistant message either calls tools
// (ToolCalls) or says something (Content); a tool message answers one
// call (ToolCallID).
type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	// Name is the tool's name on a tool message (optional in the format).
	Name string `json:"name,omitempty"`
}

// MarshalJSON writes an assistant message that only calls tools with
// "content": null, as OpenAI does.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	if m.Role == Assistant && m.Content == "" && len(m.ToolCalls) > 0 {
		return json.Marshal(struct {
			plain
			Content *string `json:"content"`
		}{plain: plain(m)})
	}
	return json.Marshal(plain(m))
}

// UnmarshalJSON reads a message whose content is a string, null, or a
// list of text parts.
func (m *Message) UnmarshalJSON(data []byte) error {
	type plain Message
	var raw struct {
		plain
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*m = Message(raw.plain)
	text, err := contentText(raw.Content)
	if err != nil {
		return fmt.Errorf("message content: %w", err)
	}
	m.Content = text
	return nil
}

// contentText reads message content: a string, null, or text parts.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	out := ""
	for _, p := range parts {
		out += p.Text
	}
	return out, nil
}

// ToolCall is one function call of an assistant message.
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names a function and gives its arguments as a JSON
// string, as the format has it.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// NewToolCall makes a function call with the given id.
func NewToolCall(id, name string, arguments json.RawMessage) ToolCall {
	if len(arguments) == 0 {
		arguments = json.RawMessage("{}")
	}
	return ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: name, Arguments: string(arguments)}}
}

// Usage counts an endpoint's tokens.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	// Requests counts the completions asked for (retries not counted).
	Requests int `json:"requests"`
}

// Add returns the sum of two usages.
func (u Usage) Add(v Usage) Usage {
	return Usage{PromptTokens: u.PromptTokens + v.PromptTokens, CompletionTokens: u.CompletionTokens + v.CompletionTokens, Requests: u.Requests + v.Requests}
}

// Trajectory is one episode in the chat format, one JSON object a line
// of trajectories.jsonl: the conversation, the tools the agent was
// offered, and how the episode was scored.
type Trajectory struct {
	// TaskID is the gym's task id; Env its environment (domain).
	TaskID string `json:"task_id"`
	Env    string `json:"env"`
	// Trial numbers the attempts at one task, from 0.
	Trial int `json:"trial"`
	// Reward is the gym's reward (1 solved, 0 not).
	Reward   float64         `json:"reward"`
	Messages []Message       `json:"messages"`
	Tools    []protocol.Tool `json:"tools,omitempty"`
	// Policy is what played the episode (oracle, random, openai:MODEL).
	Policy string `json:"policy,omitempty"`
	// Funnel is the last filtering stage the trajectory passed ("" when
	// it was not filtered; see task.Funnel).
	Funnel string `json:"funnel,omitempty"`
}

// Calls lists the tool calls of a conversation's assistant messages,
// in order.
func Calls(msgs []Message) []ToolCall {
	var out []ToolCall
	for _, m := range msgs {
		if m.Role == Assistant {
			out = append(out, m.ToolCalls...)
		}
	}
	return out
}
