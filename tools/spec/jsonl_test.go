package spec

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestJSONLBrokenLines reads line-delimited and streamed JSON with broken
// parts: a broken JSONL line is skipped with its file:line and reason and
// the lines after it are still read; a broken value in a stream of
// multi-line documents is reported and ends the stream.
func TestJSONLBrokenLines(t *testing.T) {
	type skip struct{ line, reason string }
	cases := []struct {
		file    string
		tools   map[string]string // tool name -> the file:line it came from
		skipped []skip
	}{
		{
			file:  "broken_middle.jsonl",
			tools: map[string]string{"list_notes": ":1", "add_note": ":2", "delete_note": ":5", "search_notes": ":7"},
			skipped: []skip{
				{":3", "invalid JSON line: unexpected end of JSON input"},
				{":6", "invalid JSON line: invalid character 't' after top-level value"},
			},
		},
		{
			file:    "broken_first.jsonl",
			tools:   map[string]string{"kept": ":2"},
			skipped: []skip{{":1", "invalid JSON line: unexpected end of JSON input"}},
		},
		{
			file:    "stream_broken.json",
			tools:   map[string]string{"first": ":1", "second": ":5"},
			skipped: []skip{{":9", "invalid JSON at line 9: invalid character '{' after object key:value pair; the rest of the document is not read"}},
		},
		{
			file:    "pretty_broken.json",
			skipped: []skip{{"", "invalid JSON at line 2: unexpected EOF"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "jsonl", tc.file)
			cat, err := Read(context.Background(), []string{path}, Options{Workers: 1})
			require.NoError(t, err)
			got := map[string]string{}
			for _, tl := range cat.Tools {
				got[tl.Name] = tl.Source.File
			}
			want := map[string]string{}
			for name, line := range tc.tools {
				want[name] = path + line
			}
			assert.Equal(t, want, got)
			var wantSkips []skip
			for _, s := range tc.skipped {
				wantSkips = append(wantSkips, skip{path + s.line, s.reason})
			}
			var gotSkips []skip
			for _, s := range cat.Skipped {
				gotSkips = append(gotSkips, skip{s.File, s.Reason})
			}
			assert.Equal(t, wantSkips, gotSkips)
		})
	}
}

func TestIsJSONL(t *testing.T) {
	cases := []struct {
		doc  string
		want bool
	}{
		{`{"a":1}`, false},
		{"{\"a\":1}\n", false},
		{"{\"a\":1}\n{\"b\":2}", true},
		{"\n\n{\"a\":1}\n\n{\"b\":2}\n", true},
		{"[1]\n[2]", true},
		{"{\"a\":\n{\"b\":2}", true},
		{"{\n  \"a\": {\"b\": 1}\n}", false},
		{"{\n{\"b\":2}\n}", false},
		{"[\n{\"b\":2}\n]", false},
		{"{\"a\": 1,\n \"b\": 2}", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, isJSONL([]byte(tc.doc)), "%q", tc.doc)
	}
}
