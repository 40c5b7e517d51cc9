package gym

import (
	"encoding/json"
	"testing"

	"github.com/simgym/simgym/env/protocol"
)

// FuzzDecode feeds arbitrary messages to the request decoder: it never
// panics, every failure carries a protocol code, and every request it
// accepts is well formed for its op.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"op":"hello"}`,
		`{"id":"a","op":"reset","env":"x","seed":3}`,
		`{"id":2,"op":"reset","env":"x","task":"t"}`,
		`{"id":3,"op":"step","episode":"ep-1","action":{"tool":"t","arguments":{"a":1}}}`,
		`{"id":4,"op":"step","episode":"ep-1","action":{"answer":"yes"}}`,
		`{"id":5,"op":"fork","episode":"ep-1"}`,
		`{"id":6,"op":"close","episode":"ep-1"}`,
		`{"id":null,"op":"hello"}`, `[]`, `{"id":{},"op":"hello"}`, `{"id":1,"op":"hello"} {}`,
		`{"id":1,"op":"step","episode":"e","action":{"tool":"t","answer":"a"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := Decode(data)
		if req == nil {
			t.Fatal("Decode returned no request")
		}
		if err != nil {
			if codeOf(err) == protocol.CodeInternal {
				t.Fatalf("error without a protocol code: %v", err)
			}
			if req.ID != nil && !json.Valid(req.ID) {
				t.Fatalf("id %q is not JSON", req.ID)
			}
			return
		}
		if !json.Valid(req.ID) || string(req.ID) == "null" {
			t.Fatalf("accepted a bad id %q", req.ID)
		}
		switch req.Op {
		case "hello":
		case "reset":
			if req.Env == "" || (req.Task != "" && req.Seed != nil) {
				t.Fatalf("accepted a bad reset %+v", req)
			}
		case "step":
			if req.Episode == "" || req.Action == nil || (req.Action.Tool == "") == (req.Action.Answer == nil) {
				t.Fatalf("accepted a bad step %+v", req)
			}
		case "fork", "close":
			if req.Episode == "" {
				t.Fatalf("accepted %s without episode", req.Op)
			}
		default:
			t.Fatalf("accepted unknown op %q", req.Op)
		}
	})
}
