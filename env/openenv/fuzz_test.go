package openenv

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseAction: any step data either fails with VALIDATION_ERROR or
// is a list_tools or an action with exactly one of tool and answer.
func FuzzParseAction(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "client", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"action": {"action": {}}}`))
	f.Add([]byte(`{"type": "call_tool", "tool_name": "submit_answer", "arguments": {"answer": 5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, fl := parseAction(data)
		if fl != nil {
			if fl.code != CodeValidation || fl.msg == "" {
				t.Fatalf("failure %v", fl)
			}
			return
		}
		if !p.listTools && (p.act.Tool == "") == (p.act.Answer == nil) {
			t.Fatalf("action %+v from %q", p.act, data)
		}
	})
}

// FuzzParseReset: reset data parses or fails with VALIDATION_ERROR,
// never both task and seed.
func FuzzParseReset(f *testing.F) {
	f.Add([]byte(`{"env": "appointment_patient", "seed": 1, "episode_id": "episode-001"}`))
	f.Add([]byte(`{"task": "t", "seed": 1}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, fl := parseReset(data)
		if fl != nil {
			if fl.code != CodeValidation {
				t.Fatalf("failure %v", fl)
			}
			return
		}
		if rd.Task != "" && rd.Seed != nil {
			t.Fatalf("both task and seed from %q", data)
		}
	})
}
