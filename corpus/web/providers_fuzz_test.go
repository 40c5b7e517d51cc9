package web_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus/web"
)

// FuzzParseSerperRequest: any body gives a query with a non-empty q and
// no negative num or page, or a bad-argument error; never a panic.
func FuzzParseSerperRequest(f *testing.F) {
	for _, s := range []string{
		`{"q":"hudson river","num":10,"gl":"us","hl":"en"}`,
		`{"q":"x","num":"10","extendParams":{"country":"cn","page":"2"}}`,
		`[{"q":"a"},{"q":"b"}]`, `{"q":""}`, `{"q":"a","num":-1}`, `{}`, `null`, ``, `{"q":"a","page":1e99}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := web.ParseSerperRequest(body)
		if err != nil {
			if !errors.Is(err, web.ErrBadArgument) {
				t.Fatalf("error not a bad argument: %v", err)
			}
			return
		}
		if strings.TrimSpace(q.Q) == "" || q.Num < 0 || q.Page < 0 {
			t.Fatalf("accepted %q as %+v", body, q)
		}
	})
}

// FuzzParseExtractorPrompt: the content and goal found are parts of the
// prompt, trimmed; a prompt without both markers is refused.
func FuzzParseExtractorPrompt(f *testing.F) {
	f.Add("## **Webpage Content** \npage text\n## **User Goal**\nfind the year\n## **Task Guidelines**\n...")
	f.Add("## **User Goal** first ## **Webpage Content** then")
	f.Add("no markers at all")
	f.Fuzz(func(t *testing.T, prompt string) {
		content, goal, ok := web.ParseExtractorPrompt(prompt)
		if !ok {
			if content != "" || goal != "" {
				t.Fatalf("refused but returned %q, %q", content, goal)
			}
			return
		}
		if !strings.Contains(prompt, content) || !strings.Contains(prompt, goal) {
			t.Fatalf("content %q or goal %q not from the prompt", content, goal)
		}
		if content != strings.TrimSpace(content) || goal != strings.TrimSpace(goal) {
			t.Fatalf("not trimmed: %q, %q", content, goal)
		}
	})
}

// FuzzExtractorHandler: whatever a client posts, the extractor answers
// JSON with a status, and never panics.
func FuzzExtractorHandler(f *testing.F) {
	f.Add(`{"model":"simgym-extractor","messages":[{"role":"user","content":"## **Webpage Content** a b c ## **User Goal** b"}]}`)
	f.Add(`{"model":"other","messages":[]}`)
	f.Add(`{"model":"simgym-extractor","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`)
	f.Add(`not json`)
	h := web.ExtractorHandler()
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
		if rec.Code == 0 || !utf8.Valid(rec.Body.Bytes()) {
			t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "json") {
			t.Fatalf("content type %q for %q", ct, body)
		}
	})
}
