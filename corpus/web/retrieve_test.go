package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/web"
)

// sharedDir holds what tests build once per test binary.
var sharedDir string

func TestMain(m *testing.M) {
	var err error
	if sharedDir, err = os.MkdirTemp("", "simgym-web-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(sharedDir)
	os.Exit(code)
}

func post(t *testing.T, h http.Handler, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/retrieve", strings.NewReader(body)))
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	return rec, out
}

func TestRetrieveWithScores(t *testing.T) {
	h := web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{})
	rec, _ := post(t, h, `{"queries": ["Who painted the Mona Lisa?", "capital of France", ""], "topk": 2, "return_scores": true}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var resp struct {
		Result [][]web.ScoredDocument `json:"result"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	require.Len(t, resp.Result, 3)
	require.Len(t, resp.Result[0], 2)
	top := resp.Result[0][0]
	assert.True(t, strings.HasPrefix(top.Document.Contents, `"`), top.Document.Contents)
	title, text, ok := strings.Cut(top.Document.Contents, "\n")
	require.True(t, ok)
	assert.Contains(t, []string{`"Mona Lisa"`, `"Leonardo da Vinci"`}, title)
	assert.Contains(t, text, "Mona Lisa")
	assert.NotEmpty(t, top.Document.ID)
	assert.Greater(t, top.Score, resp.Result[0][1].Score)
	assert.Len(t, resp.Result[1], 2)
	assert.Empty(t, resp.Result[2], "an empty query gets an empty list")

	// The exact shape, field by field.
	var raw struct {
		Result [][]map[string]json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &raw))
	assert.ElementsMatch(t, []string{"document", "score"}, keys(raw.Result[0][0]))
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw.Result[0][0]["document"], &doc))
	assert.ElementsMatch(t, []string{"id", "contents"}, keys(doc))
}

// TestRetrieveCallerShapes: the request shapes other callers send.
// SkyRL-gym's search tool sends {"query": "..."}; Search-R1 treats topk 0
// or null as its default; an empty query list gets an empty result.
func TestRetrieveCallerShapes(t *testing.T) {
	h := web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{})
	for _, body := range []string{`{"query": "river"}`, `{"queries": ["river"], "topk": 0}`, `{"queries": ["river"], "topk": null}`} {
		rec, out := post(t, h, body)
		require.Equal(t, http.StatusOK, rec.Code, body)
		res := out["result"].([]any)
		require.Len(t, res, 1, body)
		assert.Len(t, res[0], web.DefaultRetrieveTopK, body)
	}
	rec, _ := post(t, h, `{"queries": []}`)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, `{"result": []}`, rec.Body.String())
}

// TestRetrieveCaps: a request asking for more passages, or a bigger
// reply, than the caps gets 413 with what to do, and nothing is built.
func TestRetrieveCaps(t *testing.T) {
	h := web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{MaxPassages: 20, MaxReplyBytes: 600})
	rec, out := post(t, h, `{"queries": ["a", "b", "c"], "topk": 10}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, out["error"].(map[string]any)["message"], "30 passages; at most 20")
	rec, out = post(t, h, `{"queries": ["river", "mountain"], "topk": 5}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, out["error"].(map[string]any)["message"], "at most 600")
	rec, _ = post(t, h, `{"queries": ["river"], "topk": 1}`)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestRetrieveWithoutScoresAndDefaultTopK(t *testing.T) {
	h := web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{})
	rec, _ := post(t, h, `{"queries": ["river"]}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var resp struct {
		Result [][]map[string]string `json:"result"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	require.Len(t, resp.Result, 1)
	assert.Len(t, resp.Result[0], web.DefaultRetrieveTopK)
	for _, d := range resp.Result[0] {
		assert.ElementsMatch(t, []string{"id", "contents"}, keys(d))
	}

	// Scores or not, the same passages in the same order.
	rec2, _ := post(t, h, `{"queries": ["river"], "topk": 3, "return_scores": true}`)
	var scored struct {
		Result [][]web.ScoredDocument `json:"result"`
	}
	require.NoError(t, json.Unmarshal(rec2.Body.Bytes(), &scored))
	for i, d := range resp.Result[0] {
		assert.Equal(t, d["id"], scored.Result[0][i].Document.ID)
	}
}

func TestRetrieveRejectsBadRequests(t *testing.T) {
	h := web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{MaxQueries: 4, MaxBodyBytes: 256})
	for _, c := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"queries": ["x"]`, http.StatusBadRequest, "bad_json"},
		{``, http.StatusBadRequest, "bad_json"},
		{`[]`, http.StatusBadRequest, "bad_json"},
		{`{"queries": "x"}`, http.StatusBadRequest, "bad_json"},
		{`{"queries": ["x"], "topk": "3"}`, http.StatusBadRequest, "bad_json"},
		{`{"queries": ["x"]} {}`, http.StatusBadRequest, "bad_json"},
		{`{}`, http.StatusBadRequest, "bad_request"},
		{`null`, http.StatusBadRequest, "bad_request"},
		{`{"queries": ["x"], "topk": -1}`, http.StatusBadRequest, "bad_request"},
		{`{"query": 3}`, http.StatusBadRequest, "bad_json"},
		{`{"queries": ["x"], "topk": 101}`, http.StatusBadRequest, "bad_request"},
		{`{"queries": ["a", "b", "c", "d", "e"]}`, http.StatusRequestEntityTooLarge, "too_large"},
		{`{"queries": ["` + strings.Repeat("x", 300) + `"]}`, http.StatusRequestEntityTooLarge, "too_large"},
	} {
		rec, out := post(t, h, c.body)
		assert.Equal(t, c.status, rec.Code, c.body)
		e, _ := out["error"].(map[string]any)
		assert.Equal(t, c.code, e["code"], c.body)
		assert.NotEmpty(t, e["message"], c.body)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/retrieve", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	assert.Contains(t, rec.Body.String(), "method_not_allowed")
}

// failing is a PassageSearcher that fails.
type failing struct{}

func (failing) Passages(context.Context, string, int) ([]index.PassageHit, error) {
	return nil, errors.New("disk on fire")
}

func TestRetrieveReportsSearchFailures(t *testing.T) {
	rec, out := post(t, web.RetrieveHandler(failing{}, web.RetrieveOptions{}), `{"queries": ["x"]}`)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Contains(t, fmt.Sprint(out["error"]), "disk on fire")
}

func TestRetrieveOverHTTP(t *testing.T) {
	srv := httptest.NewServer(web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"queries": ["penguins", "volcano"], "topk": 1, "return_scores": false}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out struct {
		Result [][]web.RetrievedDocument `json:"result"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	require.Len(t, out.Result, 2)
	assert.True(t, strings.HasPrefix(out.Result[0][0].Contents, `"Penguin"`+"\n"), out.Result[0][0].Contents)
	assert.True(t, strings.HasPrefix(out.Result[1][0].Contents, `"Volcano"`+"\n"), out.Result[1][0].Contents)
}

// fake is a fast PassageSearcher for fuzzing the request decoder.
type fake struct{}

func (fake) Passages(_ context.Context, q string, topK int) ([]index.PassageHit, error) {
	if topK < 1 || topK > index.MaxTopK {
		return nil, fmt.Errorf("topK %d: %w", topK, index.ErrTopK)
	}
	hits := make([]index.PassageHit, min(topK, 2))
	for i := range hits {
		hits[i] = index.PassageHit{Passage: index.Passage{ID: fmt.Sprint(i), Title: "T", Text: q}, Score: float64(10 - i)}
	}
	return hits, nil
}

func FuzzRetrieveRequest(f *testing.F) {
	for _, seed := range []string{
		`{"queries": ["who wrote hamlet"], "topk": 3, "return_scores": true}`,
		`{"queries": ["a", "", "b"], "topk": 100}`,
		`{"queries": []}`,
		`{"queries": null, "topk": -1}`,
		`{"queries": ["x"], "topk": 1e3}`,
		`{"queries": ["\ud800"], "return_scores": "yes"}`,
		`[1, 2]`,
		`{"queries": ["x"]}{"queries": ["y"]}`,
		"\x00\xff",
		``,
	} {
		f.Add([]byte(seed))
	}
	h := web.RetrieveHandler(fake{}, web.RetrieveOptions{MaxBodyBytes: 4096, MaxQueries: 64})
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/retrieve", bytes.NewReader(body)))
		if rec.Code/100 != 2 && rec.Code/100 != 4 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.Bytes())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("reply to %q is not JSON: %q", body, rec.Body.Bytes())
		}
		var out map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("reply to %q is not an object: %v", body, err)
		}
		_, isResult := out["result"]
		_, isError := out["error"]
		if (rec.Code == http.StatusOK) != isResult || (rec.Code != http.StatusOK) != isError {
			t.Fatalf("status %d with reply %s", rec.Code, rec.Body.Bytes())
		}
	})
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLoad(t *testing.T) {
	srv := httptest.NewServer(web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{}))
	defer srv.Close()
	res, err := web.Load(context.Background(), srv.Client(), srv.URL+"/retrieve", []string{"moon", "river", "tea"},
		web.LoadOptions{Concurrency: 3, Requests: 30})
	require.NoError(t, err)
	assert.Equal(t, 30, res.Requests)
	assert.Zero(t, res.Errors)
	assert.Positive(t, res.QPS)
	assert.LessOrEqual(t, res.P50ms, res.P99ms)

	res, err = web.Load(context.Background(), srv.Client(), srv.URL+"/nowhere", []string{"moon"},
		web.LoadOptions{Concurrency: 1, Requests: 2, TopK: 500})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Errors)
	assert.Contains(t, res.FirstError, "400")
	_, err = web.Load(context.Background(), srv.Client(), srv.URL, nil, web.LoadOptions{})
	assert.Error(t, err)
}

// counting is a fake that counts its searches.
type counting struct {
	fake
	n atomic.Int64
}

func (c *counting) Passages(ctx context.Context, q string, topK int) ([]index.PassageHit, error) {
	c.n.Add(1)
	return c.fake.Passages(ctx, q, topK)
}

func TestRetrieveCachesEncodedLists(t *testing.T) {
	s := &counting{}
	h := web.RetrieveHandler(s, web.RetrieveOptions{})
	reg := prometheus.NewPedanticRegistry()
	for _, c := range h.Collectors() {
		require.NoError(t, reg.Register(c))
	}
	first, _ := post(t, h, `{"queries": ["tea"], "topk": 2, "return_scores": true}`)
	again, _ := post(t, h, `{"queries":["tea"],"topk":2,"return_scores":true}`)
	assert.Equal(t, first.Body.String(), again.Body.String())
	assert.Equal(t, int64(1), s.n.Load(), "the repeat is served from the cache")

	// Another topk or layout is another list.
	post(t, h, `{"queries": ["tea"], "topk": 1, "return_scores": true}`)
	plain, _ := post(t, h, `{"queries": ["tea"], "topk": 2}`)
	assert.Equal(t, int64(3), s.n.Load())
	assert.NotContains(t, plain.Body.String(), `"score"`)

	// In a batch, only the new queries are searched, in order.
	batch, out := post(t, h, `{"queries": ["coffee", "tea", ""], "topk": 2, "return_scores": true}`)
	require.Equal(t, http.StatusOK, batch.Code)
	assert.Equal(t, int64(4), s.n.Load())
	var resp struct {
		Result []json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(batch.Body.Bytes(), &resp))
	require.Len(t, resp.Result, 3)
	var single struct {
		Result []json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal(first.Body.Bytes(), &single))
	assert.JSONEq(t, string(single.Result[0]), string(resp.Result[1]))
	assert.JSONEq(t, `[]`, string(resp.Result[2]))
	assert.Len(t, out["result"], 3)

	assert.Equal(t, 2.0, gathered(t, reg, "simgym_retrieve_cache_hits_total"))
	assert.Equal(t, 4.0, gathered(t, reg, "simgym_retrieve_cache_misses_total"))
	assert.Equal(t, 4.0, gathered(t, reg, "simgym_retrieve_cache_entries"))
	assert.Positive(t, gathered(t, reg, "simgym_retrieve_cache_bytes"))

	// Off, every query is searched.
	s2 := &counting{}
	off := web.RetrieveHandler(s2, web.RetrieveOptions{CacheEntries: -1})
	post(t, off, `{"queries": ["tea"]}`)
	post(t, off, `{"queries": ["tea"]}`)
	assert.Equal(t, int64(2), s2.n.Load())

	// A failure is not cached.
	bad := web.RetrieveHandler(failing{}, web.RetrieveOptions{})
	for range 2 {
		rec, _ := post(t, bad, `{"queries": ["x"]}`)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
	}
}

// gathered sums the values of a metric family.
func gathered(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	fams, err := g.Gather()
	require.NoError(t, err)
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}
