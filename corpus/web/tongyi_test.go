package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
)

var sw struct {
	once sync.Once
	dir  string
	err  error
}

// simwikiIndex is a 200-article SimWiki's index, built once.
func simwikiIndex(t *testing.T) *index.Index {
	sw.once.Do(func() {
		dir, err := os.MkdirTemp("", "simgym-tongyi-")
		if err != nil {
			sw.err = err
			return
		}
		sw.dir = filepath.Join(dir, "sw")
		_, sw.err = simwiki.Write(context.Background(), sw.dir, simwiki.Options{Articles: 200, Seed: 5})
	})
	require.NoError(t, sw.err)
	x, err := index.Open(filepath.Join(sw.dir, simwiki.IndexDir))
	require.NoError(t, err)
	t.Cleanup(func() { x.Close() })
	return x
}

// providerServer serves the provider endpoints as serve mounts them, on
// the gym (so the reader hook runs before the mux).
func providerServer(t *testing.T, x *index.Index) *httptest.Server {
	p := web.NewOffline(x)
	g := gym.New(env.NewManager(nil, env.DefaultLimits), gym.Options{
		Reader: web.ReaderHandler(p),
		Extra: map[string]http.Handler{
			"/search":              web.SerperHandler(p, false),
			"/scholar":             web.SerperHandler(p, true),
			"/v1/chat/completions": web.ExtractorHandler(),
		},
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

// recorded is a request a Tongyi tool sends, from testdata/tongyi.
type recorded struct {
	Tool    string            `json:"tool"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func loadRecorded(t *testing.T, name string) recorded {
	data, err := os.ReadFile(filepath.Join("testdata", "tongyi", name))
	require.NoError(t, err)
	var r recorded
	require.NoError(t, json.Unmarshal(data, &r), name)
	return r
}

// send makes the recorded request, with body replacing its body when
// given and path its path.
func send(t *testing.T, srv *httptest.Server, r recorded, path string, body []byte) (*http.Response, []byte) {
	if body == nil {
		body = r.Body
	}
	req, err := http.NewRequest(r.Method, srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// TestSerperSearchAsTongyiCallsIt sends DeepResearch's and WebSailor's
// recorded /search requests: each gets JSON with organic results holding
// every field their tools read, https links, and positions from 1.
func TestSerperSearchAsTongyiCallsIt(t *testing.T) {
	x := simwikiIndex(t)
	srv := providerServer(t, x)
	title := simwikiTitle(t, x)
	for _, tc := range []struct {
		file string
		gl   string
	}{{"deepresearch_search.json", "us"}, {"websailor_search.json", "en"}} {
		t.Run(tc.file, func(t *testing.T) {
			r := loadRecorded(t, tc.file)
			var body map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &body))
			body["q"] = title
			b, _ := json.Marshal(body)
			resp, data := send(t, srv, r, r.Path, b)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var out struct {
				SearchParameters map[string]any `json:"searchParameters"`
				Organic          []map[string]any
			}
			require.NoError(t, json.Unmarshal(data, &out))
			assert.Equal(t, title, out.SearchParameters["q"])
			assert.Equal(t, tc.gl, out.SearchParameters["gl"])
			assert.EqualValues(t, 10, out.SearchParameters["num"])
			require.NotEmpty(t, out.Organic)
			assert.Equal(t, title, out.Organic[0]["title"])
			for i, o := range out.Organic {
				assert.NotEmpty(t, o["title"])
				assert.True(t, strings.HasPrefix(o["link"].(string), simwiki.URLBase), o["link"])
				assert.NotEmpty(t, o["snippet"])
				assert.EqualValues(t, i+1, o["position"])
			}
			assert.LessOrEqual(t, len(out.Organic), 10)
		})
	}
}

// simwikiTitle is the title of a work of the test SimWiki.
func simwikiTitle(t *testing.T, x *index.Index) string {
	for i := range 200 {
		doc, err := x.Document("e" + itoa(i))
		if err != nil {
			continue
		}
		if strings.Contains(doc.Text, "\nAuthor: ") {
			return doc.Title
		}
	}
	t.Fatal("no book in the test SimWiki")
	return ""
}

func itoa(i int) string { return jsonNum(i) }

func jsonNum(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestSerperScholarAsTongyiCallsIt: a work's Scholar result has the
// title, pdfUrl, publicationInfo (its author), year and citedBy that
// DeepResearch's google_scholar reads.
func TestSerperScholarAsTongyiCallsIt(t *testing.T) {
	x := simwikiIndex(t)
	srv := providerServer(t, x)
	title := simwikiTitle(t, x)
	r := loadRecorded(t, "deepresearch_scholar.json")
	b, _ := json.Marshal(map[string]any{"q": title})
	resp, data := send(t, srv, r, r.Path, b)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	var out web.ScholarResponse
	require.NoError(t, json.Unmarshal(data, &out))
	require.NotEmpty(t, out.Organic)
	first := out.Organic[0]
	assert.Equal(t, title, first.Title)
	assert.True(t, strings.HasPrefix(first.PDFURL, simwiki.URLBase))
	doc, err := x.Page(first.Link)
	require.NoError(t, err)
	author := lineValue(doc.Text, "Author")
	assert.True(t, strings.HasPrefix(first.PublicationInfo, author), first.PublicationInfo)
	assert.Equal(t, lineValue(doc.Text, "Published"), jsonNum(first.Year))
	assert.Positive(t, first.CitedBy)
	assert.Equal(t, 1, first.Position)
}

func lineValue(text, key string) string {
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), key+": "); ok {
			return v
		}
	}
	return ""
}

// TestJinaReaderAsTongyiCallsIt reads a page with the URL verbatim in
// the path, as text and as Jina's JSON envelope; an unknown page is a
// 404 whose text Tongyi's visit recognises.
func TestJinaReaderAsTongyiCallsIt(t *testing.T) {
	x := simwikiIndex(t)
	srv := providerServer(t, x)
	title := simwikiTitle(t, x)
	r := loadRecorded(t, "deepresearch_visit_jina.json")
	url := simwiki.PageURL(title)
	resp, data := send(t, srv, r, "/"+url, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	want := "Title: " + title + "\n\nURL Source: " + url + "\n\nMarkdown Content:\n"
	assert.True(t, strings.HasPrefix(string(data), want), "%.200s", data)
	doc, err := x.Page(url)
	require.NoError(t, err)
	assert.Equal(t, want+doc.Text, string(data))

	r.Headers["Accept"] = "application/json"
	resp, data = send(t, srv, r, "/"+url, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var env web.JinaEnvelope
	require.NoError(t, json.Unmarshal(data, &env))
	assert.Equal(t, 200, env.Code)
	require.NotNil(t, env.Data)
	assert.Equal(t, web.JinaData{Title: title, URL: url, Content: doc.Text}, *env.Data)

	delete(r.Headers, "Accept")
	resp, data = send(t, srv, r, "/https://simwiki.local/wiki/No_Such_Page_Here", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.True(t, strings.HasPrefix(string(data), web.ReadFailed), string(data))
}

// TestExtractorAsTongyiCallsIt sends DeepResearch's EXTRACTOR_PROMPT
// filled with a Jina page and a goal: the reply's content is a JSON
// object whose evidence quotes the page's line verbatim.
func TestExtractorAsTongyiCallsIt(t *testing.T) {
	x := simwikiIndex(t)
	srv := providerServer(t, x)
	title := simwikiTitle(t, x)
	page, err := web.NewOffline(x).Read(context.Background(), simwiki.PageURL(title))
	require.NoError(t, err)
	r := loadRecorded(t, "deepresearch_visit_extractor.json")
	var body map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &body))
	msg := body["messages"].([]any)[0].(map[string]any)
	tmpl := msg["content"].(string)
	msg["content"] = strings.Replace(strings.Replace(tmpl, "{webpage_content}", web.RenderJina(page), 1), "{goal}", "Author:", 1)
	b, _ := json.Marshal(body)
	resp, data := send(t, srv, r, r.Path, b)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	var out web.ChatResponse
	require.NoError(t, json.Unmarshal(data, &out))
	require.Len(t, out.Choices, 1)
	assert.Equal(t, "simgym-extractor", out.Model)
	var ex map[string]string
	require.NoError(t, json.Unmarshal([]byte(out.Choices[0].Message.Content), &ex))
	assert.NotEmpty(t, ex["rational"])
	assert.NotEmpty(t, ex["summary"])
	assert.Contains(t, strings.Split(ex["evidence"], "\n"), "Author: "+lineValue(page.Content, "Author"))

	body["model"] = "gpt-4o"
	b, _ = json.Marshal(body)
	resp, data = send(t, srv, r, r.Path, b)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(data), "simgym-extractor")
}

// TestSerperErrorsAreJSON: every failure of /search is JSON with a
// message and the status code.
func TestSerperErrorsAreJSON(t *testing.T) {
	srv := providerServer(t, simwikiIndex(t))
	r := loadRecorded(t, "deepresearch_search.json")
	for _, tc := range []struct {
		name   string
		method string
		body   string
		status int
	}{
		{"no q", "POST", `{"gl": "us"}`, 400},
		{"batch", "POST", `[{"q": "a"}, {"q": "b"}]`, 400},
		{"bad json", "POST", `{"q": `, 400},
		{"get", "GET", ``, 405},
		{"page too far", "POST", `{"q": "river", "num": 50, "page": 3}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.Method = tc.method
			resp, data := send(t, srv, r, "/search", []byte(tc.body))
			assert.Equal(t, tc.status, resp.StatusCode)
			var e web.SerperError
			require.NoError(t, json.Unmarshal(data, &e), string(data))
			assert.Equal(t, tc.status, e.StatusCode)
			assert.NotEmpty(t, e.Message)
		})
	}
}

// TestTongyiToolsText: the web tools in Tongyi's shapes render Tongyi's
// text.
func TestTongyiToolsText(t *testing.T) {
	ctx := context.Background()
	x := simwikiIndex(t)
	title := simwikiTitle(t, x)
	s := web.NewSession(x, web.Options{})
	out, err := s.Call(ctx, web.ToolSearch, json.RawMessage(`{"query": ["`+title+`", "zzqqxx"]}`))
	require.NoError(t, err)
	var text string
	require.NoError(t, json.Unmarshal(out, &text))
	parts := strings.Split(text, web.TongyiSeparator)
	require.Len(t, parts, 2)
	assert.True(t, strings.HasPrefix(parts[0], "A Google search for '"+title+"' found "), parts[0])
	assert.Contains(t, parts[0], "\n\n## Web Results\n1. ["+title+"]("+simwiki.PageURL(title)+")\n\n")
	assert.Equal(t, "No results found for 'zzqqxx'. Try with a more general query.", parts[1])

	out, err = s.Call(ctx, web.ToolVisit, json.RawMessage(`{"url": "`+simwiki.PageURL(title)+`", "goal": "Author:"}`))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &text))
	assert.True(t, strings.HasPrefix(text, "The useful information in "+simwiki.PageURL(title)+" for user goal Author: as follows: \n\nEvidence in page: \n"), text)
	assert.Contains(t, text, "\n\nSummary: \n")

	out, err = s.Call(ctx, web.ToolScholar, json.RawMessage(`{"query": ["`+title+`"]}`))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &text))
	assert.Contains(t, text, "## Scholar Results\n1. ["+title+"](pdfUrl: "+simwiki.PageURL(title)+")\npublicationInfo: ")
	assert.Equal(t, 3, s.Searches())
	assert.Len(t, s.Opened(), 1)
}
