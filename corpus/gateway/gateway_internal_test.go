package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/simgym/simgym/corpus/web"
)

// offline is a fallback provider naming what it was asked.
type offline struct{}

func (offline) Search(_ context.Context, q web.SearchQuery) (web.SerperResponse, error) {
	return web.SerperResponse{Organic: []web.OrganicResult{{Title: "offline " + q.Q}}}, nil
}
func (offline) Scholar(_ context.Context, q web.SearchQuery) (web.ScholarResponse, error) {
	return web.ScholarResponse{Organic: []web.ScholarResult{{Title: "offline " + q.Q}}}, nil
}
func (offline) Read(_ context.Context, url string) (web.Page, error) {
	return web.Page{URL: url, Content: "offline"}, nil
}

// clock is a fake clock; sleeps advance it and are logged.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *clock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return nil
}

// script is a provider answering its replies in turn (the last one once
// they run out) and counting requests.
type script struct {
	mu      sync.Mutex
	replies []func(http.ResponseWriter, *http.Request)
	n       atomic.Int64
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body) // the server notices a client gone once the body is read
	i := int(s.n.Add(1)) - 1
	s.mu.Lock()
	f := s.replies[min(i, len(s.replies)-1)]
	s.mu.Unlock()
	f(w, r)
}

func (s *script) set(replies ...func(http.ResponseWriter, *http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = replies
}

func status(code int, header ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, s) }
}

func hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

const okSearch = `{"searchParameters":{"q":"x"},"organic":[{"title":"T","link":"https://a.example","snippet":"s","position":1}]}`

// newTest is a gateway over one scripted provider with a fake clock.
func newTest(t *testing.T, s *script, o Options) (*Gateway, *clock) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClock()
	o.SerperURL, o.JinaURL, o.SerperKey = srv.URL, srv.URL, "k"
	o.Rates = map[string]float64{Serper: 1e6, Jina: 1e6}
	if o.Timeout == 0 {
		o.Timeout = 50 * time.Millisecond
	}
	o.now, o.sleep = c.now, c.sleep
	g, err := New(offline{}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, c
}

func TestFailureKinds(t *testing.T) {
	cases := []struct {
		name     string
		reply    func(http.ResponseWriter, *http.Request)
		kind     string
		requests int64 // with one retry
	}{
		{"503", status(503), Kind5xx, 2},
		{"500", status(500), Kind5xx, 2},
		{"429", status(429), Kind429, 2},
		{"hang", hang, KindTimeout, 2},
		{"not json", body(`<html>busy</html>`), KindMalformed, 2},
		{"truncated", body(`{"organic":[`), KindMalformed, 2},
		{"json array", body(`[]`), KindMalformed, 2},
		{"400", status(400), Kind4xx, 1},
		{"403", status(403), Kind4xx, 1},
		{"redirect loop status", status(304), KindMalformed, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &script{}
			s.set(c.reply)
			g, _ := newTest(t, s, Options{Retries: 1})
			r, err := g.Search(context.Background(), web.SearchQuery{Q: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if r.Fallback != Fallback || len(r.Organic) != 1 || r.Organic[0].Title != "offline x" {
				t.Errorf("answer %+v, want the offline one marked %q", r, Fallback)
			}
			if got := testutil.ToFloat64(g.met.failures.WithLabelValues(Serper, c.kind)); got != float64(c.requests) {
				t.Errorf("failures{kind=%s} = %v, want %d", c.kind, got, c.requests)
			}
			if n := s.n.Load(); n != c.requests {
				t.Errorf("provider saw %d requests, want %d", n, c.requests)
			}
			if got := testutil.ToFloat64(g.met.fallbacks.WithLabelValues(Serper)); got != 1 {
				t.Errorf("fallbacks = %v, want 1", got)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	date := time.Date(2026, 1, 1, 0, 0, 7, 0, time.UTC).Format(http.TimeFormat) // the fake clock's start + 7s
	cases := []struct {
		name     string
		header   string
		minWait  time.Duration
		requests int64
		fallback bool
	}{
		{"seconds", "3", 3 * time.Second, 2, false},
		{"http date", date, 7 * time.Second, 2, false},
		{"zero", "0", 0, 2, false},
		{"unreadable", "soon", 0, 2, false},
		{"beyond the max", "3600", 0, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &script{}
			s.set(status(429, "Retry-After", c.header), body(okSearch))
			g, clk := newTest(t, s, Options{Retries: 3, Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
			r, err := g.Search(context.Background(), web.SearchQuery{Q: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if (r.Fallback != "") != c.fallback {
				t.Errorf("fallback %q, want fallback %v", r.Fallback, c.fallback)
			}
			if n := s.n.Load(); n != c.requests {
				t.Errorf("provider saw %d requests, want %d", n, c.requests)
			}
			if c.requests > 1 {
				if len(clk.waits) != 1 || clk.waits[0] < c.minWait || clk.waits[0] > max(c.minWait, 20*time.Millisecond) {
					t.Errorf("waits %v, want one of at least %v", clk.waits, c.minWait)
				}
			}
		})
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	s := &script{}
	s.set(status(503))
	g, clk := newTest(t, s, Options{Retries: 5, Backoff: 100 * time.Millisecond, MaxBackoff: 1 * time.Second, BreakerFailures: 100})
	if _, err := g.Search(context.Background(), web.SearchQuery{Q: "x"}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100, 200, 400, 800, 1000} // caps, in ms; each wait in [cap/2, cap]
	if len(clk.waits) != len(want) {
		t.Fatalf("waits %v, want %d", clk.waits, len(want))
	}
	for i, w := range want {
		hi := w * time.Millisecond
		if d := clk.waits[i]; d < hi/2 || d > hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i+1, d, hi/2, hi)
		}
	}
	if got := testutil.ToFloat64(g.met.retries.WithLabelValues(Serper)); got != 5 {
		t.Errorf("retries = %v, want 5", got)
	}
}

func TestCircuitBreaker(t *testing.T) {
	s := &script{}
	s.set(status(503))
	g, clk := newTest(t, s, Options{Retries: -1, BreakerFailures: 3, BreakerOpen: 10 * time.Second})
	ctx := context.Background()
	ask := func(q string) web.SerperResponse {
		t.Helper()
		r, err := g.Search(ctx, web.SearchQuery{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	state := func() int { return int(testutil.ToFloat64(g.met.circuit.WithLabelValues(Serper))) }
	for i := range 3 {
		ask(fmt.Sprint("a", i))
	}
	if n, st := s.n.Load(), state(); n != 3 || st != circuitOpen {
		t.Fatalf("after 3 failures: %d requests, circuit %d; want 3, open", n, st)
	}
	if r := ask("b"); r.Fallback != Fallback || s.n.Load() != 3 {
		t.Errorf("open circuit: fallback %q and %d requests, want offline and still 3", r.Fallback, s.n.Load())
	}
	clk.advance(10 * time.Second)
	ask("c") // the half-open probe fails
	if n, st := s.n.Load(), state(); n != 4 || st != circuitOpen {
		t.Errorf("failed probe: %d requests, circuit %d; want 4, open", n, st)
	}
	ask("d")
	if n := s.n.Load(); n != 4 {
		t.Errorf("reopened circuit sent a request (%d)", n)
	}
	s.set(body(okSearch))
	clk.advance(10 * time.Second)
	if r := ask("e"); r.Fallback != "" {
		t.Errorf("good probe answered %q, want the provider", r.Fallback)
	}
	if st := state(); st != circuitClosed {
		t.Errorf("after a good probe the circuit is %d, want closed", st)
	}
	if r := ask("f"); r.Fallback != "" || s.n.Load() != 6 {
		t.Errorf("closed circuit: fallback %q, %d requests; want the provider, 6", r.Fallback, s.n.Load())
	}
}

func TestCacheTTL(t *testing.T) {
	s := &script{}
	s.set(body(okSearch))
	g, clk := newTest(t, s, Options{Retries: -1, CacheTTL: time.Hour, FallbackTTL: time.Minute})
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		q        string
		requests int64
	}{
		{0, "Rivers of Europe", 1},
		{0, "  rivers   of EUROPE ", 1}, // the same normalised query
		{59 * time.Minute, "rivers of europe", 1},
		{time.Minute, "rivers of europe", 2}, // expired
	}
	for i, st := range steps {
		clk.advance(st.advance)
		if _, err := g.Search(ctx, web.SearchQuery{Q: st.q}); err != nil {
			t.Fatal(err)
		}
		if n := s.n.Load(); n != st.requests {
			t.Errorf("step %d: %d requests, want %d", i, n, st.requests)
		}
	}
	// An offline answer is kept for FallbackTTL only.
	s.set(status(400))
	for i, adv := range []time.Duration{0, 30 * time.Second, 31 * time.Second} {
		clk.advance(adv)
		r, err := g.Search(ctx, web.SearchQuery{Q: "bad"})
		if err != nil || r.Fallback != Fallback {
			t.Fatalf("bad query: %+v, %v", r, err)
		}
		want := int64(3 + i/2)
		if n := s.n.Load(); n != want {
			t.Errorf("fallback step %d: %d requests, want %d", i, n, want)
		}
	}
	if got := testutil.ToFloat64(g.met.cacheHits.WithLabelValues(Serper)); got != 3 {
		t.Errorf("cache hits = %v, want 3", got)
	}
}

func TestKeys(t *testing.T) {
	cases := []struct{ a, b string }{
		{searchKey("search", web.SearchQuery{Q: " Foo  Bar ", GL: "US"}), searchKey("search", web.SearchQuery{Q: "foo bar", GL: "us"})},
		{readKey("HTTPS://Example.ORG/Path?x=1#top"), readKey(" https://example.org/Path?x=1 ")},
	}
	for _, c := range cases {
		if c.a != c.b {
			t.Errorf("keys %q and %q differ", c.a, c.b)
		}
	}
	differ := []struct{ a, b string }{
		{searchKey("search", web.SearchQuery{Q: "x"}), searchKey("scholar", web.SearchQuery{Q: "x"})},
		{searchKey("search", web.SearchQuery{Q: "x", Num: 10}), searchKey("search", web.SearchQuery{Q: "x", Num: 20})},
		{searchKey("search", web.SearchQuery{Q: "x", Page: 2}), searchKey("search", web.SearchQuery{Q: "x"})},
		{readKey("https://example.org/Path"), readKey("https://example.org/path")},
	}
	for _, c := range differ {
		if c.a == c.b {
			t.Errorf("distinct requests share key %q", c.a)
		}
	}
	if got, want := searchKey("search", web.SearchQuery{Q: "A b", Num: 5, HL: "en"}), "search?hl=en&num=5&q=a+b"; got != want {
		t.Errorf("key %q, want %q (sorted params)", got, want)
	}
}

func TestParseRates(t *testing.T) {
	cases := []struct {
		in   string
		want map[string]float64
		err  bool
	}{
		{"serper=10,jina=5", map[string]float64{Serper: 10, Jina: 5}, false},
		{" jina = 2.5 ", map[string]float64{Jina: 2.5}, false},
		{"", map[string]float64{}, false},
		{"bing=3", nil, true},
		{"serper=0", nil, true},
		{"serper=fast", nil, true},
		{"serper", nil, true},
	}
	for _, c := range cases {
		got, err := ParseRates(c.in)
		if (err != nil) != c.err {
			t.Errorf("ParseRates(%q) error %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ParseRates(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestNewNeedsKeyAndOffline(t *testing.T) {
	if _, err := New(offline{}, Options{}); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v, want ErrNoKey", err)
	}
	if _, err := New(nil, Options{SerperKey: "k"}); err == nil {
		t.Error("no offline provider: no error")
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{okSearch, `{"code":200,"data":{"title":"t","url":"u","content":"c"}}`, `{"code":422,"data":null}`, `[]`, `null`, `{"organic":[{"position":"x"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := decodeSearch(b); err == nil && r.Fallback != "" {
			t.Errorf("a provider set fallback %q", r.Fallback)
		}
		if _, err := decodeScholar(b); err == nil && len(b) == 0 {
			t.Error("empty reply accepted")
		}
		if p, err := decodePage(b, "https://x.example"); err == nil && p.URL == "" {
			t.Error("page without a URL")
		}
	})
}
