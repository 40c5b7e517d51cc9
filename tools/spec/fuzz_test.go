package spec

import (
	"bytes"
	"encoding/json"
	"errors"
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
	for _, dir := range []string{"testdata/input", "testdata/broken", "testdata/jsonl"} {
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

// FuzzSplitJSON checks how documents are cut into top-level values: every
// value kept is valid JSON, lines are in range and in order, and a JSONL
// document gives exactly one value or error per non-blank line.
func FuzzSplitJSON(f *testing.F) {
	files, _ := filepath.Glob("testdata/jsonl/*")
	files = append(files, "testdata/input/notes_openai.jsonl")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("{\"a\":1}\n{\"b\":\n{\"c\":3}\n"))
	f.Add([]byte("{\"a\":1} {\"b\":2}\n[3]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		values, lined, err := splitJSON(data, 0)
		if err != nil {
			if len(values) != 0 {
				t.Fatalf("error %v with %d values", err, len(values))
			}
			return
		}
		lines := 1 + bytes.Count(data, []byte("\n"))
		prev := 0
		for i, v := range values {
			if v.line < 1 || v.line > lines {
				t.Fatalf("value %d on line %d of %d", i, v.line, lines)
			}
			if v.line < prev || (lined && v.line == prev) {
				t.Fatalf("value %d on line %d after line %d", i, v.line, prev)
			}
			prev = v.line
			if v.err == nil && !json.Valid(v.raw) {
				t.Fatalf("value %d is not valid JSON: %q", i, v.raw)
			}
			if !lined && v.err != nil && i != len(values)-1 {
				t.Fatalf("a broken value in a stream must end it")
			}
		}
		if lined {
			blank := 0
			for _, l := range bytes.Split(data, []byte("\n")) {
				if len(bytes.TrimSpace(l)) == 0 {
					blank++
				}
			}
			if len(values) != lines-blank {
				t.Fatalf("JSONL: %d values for %d non-blank lines", len(values), lines-blank)
			}
		}
	})
}

// FuzzArchive feeds arbitrary bytes to the tar.gz reader: no panic, no
// document past the per-document cap, no more bytes handed on than the
// archive cap allows, and every document named inside the archive.
func FuzzArchive(f *testing.F) {
	var buf bytes.Buffer
	if err := packArchive(&buf, 3, 300, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxDoc, maxArchive = 500, 800
		var total int64
		c := &collector{opt: Options{MaxDocumentBytes: maxDoc, MaxArchiveBytes: maxArchive}.withDefaults(), emit: func(name string, doc []byte) error {
			if !strings.HasPrefix(name, "fuzz.tar.gz!") {
				t.Fatalf("document %q not named inside the archive", name)
			}
			if len(doc) > maxDoc {
				t.Fatalf("document %q of %d bytes passed the cap", name, len(doc))
			}
			total += int64(len(doc))
			return nil
		}}
		err := c.collectTarGz("fuzz.tar.gz", bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrArchiveTooLarge) {
			t.Fatalf("unexpected error %v", err)
		}
		if total > maxArchive {
			t.Fatalf("%d bytes handed on, cap %d", total, maxArchive)
		}
		for _, s := range c.skipped {
			if !strings.HasPrefix(s.File, "fuzz.tar.gz") || s.Reason == "" {
				t.Fatalf("skipped entry %+v", s)
			}
		}
	})
}
