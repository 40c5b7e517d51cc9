package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzReadDocument feeds arbitrary bytes to format detection and every
// reader: no panic, and every result is well formed.
func FuzzReadDocument(f *testing.F) {
	for _, dir := range []string{"testdata/input", "testdata/broken"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"tool_name":"t","api_list":[{"name":"a","required_parameters":[{"name":"","type":"STRING"}]}]}`))
	f.Add([]byte(`{"swagger":"2.0","info":{"title":"x","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}`))
	f.Add([]byte("openapi: 3.0.0\npaths:\n  /a: {get: {responses: {'200': {description: ok}}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("slow input: %q", data)) })
		defer watchdog.Stop()
		ts, sk, rep := ReadDocumentRepaired("fuzz.json", data)
		for _, tl := range ts {
			if tl.Parameters == nil || tl.Parameters.Type != "object" {
				t.Fatalf("tool %q has parameters %+v, want an object schema", tl.OriginalName, tl.Parameters)
			}
			if tl.Source.Format == "" {
				t.Fatalf("tool %q has no format", tl.OriginalName)
			}
		}
		for _, s := range append(sk, rep...) {
			if !strings.HasPrefix(s.File, "fuzz.json") || s.Reason == "" {
				t.Fatalf("skipped entry %+v does not name the file and a reason", s)
			}
		}
		if len(ts) == 0 && len(sk) == 0 {
			t.Fatalf("no tools and no reason")
		}
	})
}
