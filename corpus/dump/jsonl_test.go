package dump

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

func TestReadJSONL(t *testing.T) {
	input := strings.Join([]string{
		`{"id": "1", "contents": "\"Aaron\"\nAaron is a prophet."}`,
		`{"id": 2, "contents": "Plain title\nSecond text.\nMore."}`,
		``,
		`{"title": "Paris", "text": "Paris is a city.", "url": "https://en.wikipedia.org/wiki/Paris"}`,
		`not json`,
		`{"id": "5", "contents": "\"Empty\"\n  "}`,
		`{"id": "6"}`,
		`{"id": {"x": 1}, "text": "bad id"}`,
		`{"title": "No id", "text": "Line number as id."}`,
	}, "\n")
	var docs []corpus.Document
	stats, err := ReadJSONL(context.Background(), strings.NewReader(input), Options{Source: "p.jsonl"}, func(d corpus.Document) error {
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []corpus.Document{
		{ID: "1", Title: "Aaron", Text: "Aaron is a prophet.", URL: "https://en.wikipedia.org/wiki/Aaron"},
		{ID: "2", Title: "Plain title", Text: "Second text.\nMore.", URL: "https://en.wikipedia.org/wiki/Plain_title"},
		{ID: "4", Title: "Paris", Text: "Paris is a city.", URL: "https://en.wikipedia.org/wiki/Paris"},
		{ID: "9", Title: "No id", Text: "Line number as id.", URL: "https://en.wikipedia.org/wiki/No_id"},
	}
	if len(docs) != len(want) {
		t.Fatalf("got %d documents: %+v", len(docs), docs)
	}
	for i := range want {
		if docs[i].ID != want[i].ID || docs[i].Title != want[i].Title || docs[i].Text != want[i].Text || docs[i].URL != want[i].URL {
			t.Errorf("document %d = %+v, want %+v", i, docs[i], want[i])
		}
	}
	if stats.Documents != 4 || stats.Skipped != 4 {
		t.Fatalf("stats %+v", stats)
	}
	wantSkips := []string{"p.jsonl:5: invalid JSON", "p.jsonl:6: page \"5\": passage text is empty",
		"p.jsonl:7: page \"6\": no \"contents\"", "p.jsonl:8: id is neither"}
	for i, w := range wantSkips {
		if got := stats.Skips[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("skip %d = %q, want prefix %q", i, got, w)
		}
	}
}

func TestReadJSONLEdges(t *testing.T) {
	count := func(input string) (Stats, error) {
		return ReadJSONL(context.Background(), strings.NewReader(input), Options{}, func(corpus.Document) error { return nil })
	}
	if s, err := count("\xEF\xBB\xBF" + `{"text":"a"}` + "\r\n" + `{"text":"b"}`); err != nil || s.Documents != 2 {
		t.Errorf("BOM and CRLF: %+v, %v", s, err)
	}
	if s, err := count(""); err != nil || s.Documents != 0 {
		t.Errorf("empty: %+v, %v", s, err)
	}
	stop := errors.New("stop")
	_, err := ReadJSONL(context.Background(), strings.NewReader(`{"text":"a"}`), Options{Source: "x"}, func(corpus.Document) error { return stop })
	if !errors.Is(err, stop) || !strings.HasPrefix(err.Error(), "x:1:") {
		t.Errorf("callback error = %v", err)
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	defer func(old int) { lineLimit = old }(lineLimit)
	lineLimit = 1000
	long := `{"text":"` + strings.Repeat("a", 200000) + `"}`
	s, err := ReadJSONL(context.Background(), strings.NewReader(long+"\n"+`{"text":"b"}`), Options{}, func(corpus.Document) error { return nil })
	if err != nil || s.Documents != 1 || s.Skipped != 1 || !strings.Contains(s.Skips[0].Reason, "longer") {
		t.Fatalf("%+v, %v", s, err)
	}
}

func FuzzReadJSONL(f *testing.F) {
	f.Add([]byte(`{"id":"1","contents":"\"T\"\ntext"}` + "\n" + `{"title":"a","text":"b"}`))
	f.Add([]byte(`{"id":1.5e3,"text":"x"}` + "\n\n" + `[1,2]` + "\n" + `{"contents":""}`))
	f.Add([]byte("\xEF\xBB\xBF{\"text\":\"\\ud800\"}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		stats, err := readJSONL(context.Background(), bytes.NewReader(data), Options{}, func(d corpus.Document) error {
			if d.ID == "" || strings.TrimSpace(d.Text) == "" {
				t.Fatalf("document without id or text: %+v", d)
			}
			return nil
		})
		var de *DamageError
		switch {
		case err == nil:
		case errors.As(err, &de) && !bytes.HasSuffix(data, []byte("\n")) && de.Line == lines:
			// A last line without its end that is not JSON: cut short.
		default:
			t.Fatal(err)
		}
		if stats.Documents+stats.Skipped > lines {
			t.Fatalf("%d documents and %d skipped from %d lines", stats.Documents, stats.Skipped, lines)
		}
	})
}
