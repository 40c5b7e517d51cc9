package policy

import (
	"testing"

	"github.com/simgym/simgym/eval/chat"
)

// FuzzCompletionReply: whatever an endpoint sends back, decoding returns
// a message or an error, never panics, and tool calls always carry an
// id and arguments.
func FuzzCompletionReply(f *testing.F) {
	f.Add([]byte(`{"choices":[{"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	f.Add([]byte(`{"choices":[{"message":{"content":null,"tool_calls":[{"function":{"name":"f","arguments":{"a":1}}}]}}]}`))
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"x"}]}}]}`))
	f.Add([]byte(`{"error":{"message":"nope"}}`))
	f.Add([]byte(`{"choices":[]}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := &Endpoint{}
		msg, _, err := e.decode(data)
		if err != nil {
			return
		}
		if msg.Role != chat.Assistant {
			t.Fatalf("role %q", msg.Role)
		}
		for _, c := range msg.ToolCalls {
			if c.ID == "" || c.Function.Arguments == "" {
				t.Fatalf("call %+v", c)
			}
		}
	})
}
