package gatewaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/simgym/simgym/corpus/gateway"
	"github.com/simgym/simgym/corpus/web"
)

// Scenario is a fault-injected run of the gateway against a Server: a
// pass over distinct queries (a third each web search, Scholar search
// and page read) by concurrent callers, a second pass over the same
// queries, then a replay of the record with the server stopped.
type Scenario struct {
	Queries int     // distinct calls of a pass
	Callers int     // concurrent callers
	Rate    float64 // requests per second allowed to each provider
	Faults  Faults
	Gateway gateway.Options // timeouts, retries and backoff; URLs, keys, rates and files are set by Run
	Dir     string          // folder of the cache and record files
	Window  time.Duration   // span of the windows the server-side rate is measured in
}

// DefaultScenario is the scenario of the gateway's test and `simgym bench
// web`: 2,000 queries by 32 callers, the server answering 20% 503, 5% 429
// (Retry-After: 0), 5% hangs past the timeout and 2% malformed JSON.
func DefaultScenario(dir string) Scenario {
	return Scenario{
		Queries: 2000, Callers: 32, Rate: 2000,
		Faults: Faults{Unavailable: 0.20, TooMany: 0.05, RetryAfter: "0", Hang: 0.05, Malformed: 0.02, Seed: 1},
		Gateway: gateway.Options{Burst: 10, Timeout: 100 * time.Millisecond, Retries: 5, Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
			BreakerOpen: 50 * time.Millisecond},
		Dir: dir, Window: time.Second,
	}
}

// Summary is what a Scenario measured.
type Summary struct {
	Calls             int            `json:"calls"`
	Answered          int            `json:"answered"`
	FromProvider      int            `json:"from_provider"`
	FromProviderShare float64        `json:"from_provider_share"`
	Fallbacks         int            `json:"fallbacks"`
	ProviderRequests  map[string]int `json:"provider_requests"`
	FaultsInjected    map[string]int `json:"faults_injected"`
	// ProviderMaxInWindow is the most requests a provider received in
	// any window of WindowSeconds; ProviderMaxRateObserved is that over
	// the window, against RateLimit (plus the bucket's Burst).
	ProviderMaxInWindow     map[string]int `json:"provider_max_in_window"`
	WindowSeconds           float64        `json:"window_seconds"`
	ProviderMaxRateObserved float64        `json:"provider_max_rate_observed"`
	RateLimit               float64        `json:"rate_limit"`
	Burst                   int            `json:"burst"`
	SecondPassProviderCalls int            `json:"cache_second_pass_provider_calls"`
	SecondPassIdentical     bool           `json:"second_pass_identical"`
	ReplayIdentical         bool           `json:"replay_identical"`
	ReplayNetworkCalls      int64          `json:"replay_network_calls"`
	Seconds                 float64        `json:"seconds"`
	FirstPassSeconds        float64        `json:"first_pass_seconds"`
	// Gateway is what the gateway's metrics counted in the first pass:
	// requests, successes, failures by kind, retries, fallbacks.
	Gateway map[string]float64 `json:"gateway"`
}

// gatewayCounts sums the gateway's counters over providers, failures
// keyed by kind ("failures_timeout").
func gatewayCounts(g *gateway.Gateway) (map[string]float64, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectorsOf(g)); err != nil {
		return nil, err
	}
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		name := strings.TrimSuffix(strings.TrimPrefix(mf.GetName(), "simgym_gateway_"), "_total")
		for _, m := range mf.GetMetric() {
			if m.GetCounter() == nil {
				continue
			}
			key := name
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" {
					key += "_" + l.GetValue()
				}
			}
			out[key] += m.GetCounter().GetValue()
		}
	}
	return out, nil
}

// collectorsOf is the gateway's collectors as one.
func collectorsOf(g *gateway.Gateway) prometheus.Collector { return collectors(g.Collectors()) }

type collectors []prometheus.Collector

func (cs collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

func (cs collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}

// Run runs the scenario.
func Run(ctx context.Context, sc Scenario) (Summary, error) {
	start := time.Now()
	const key = "test-key"
	srv := NewServer(key, sc.Faults)
	defer srv.Close()
	opts := sc.Gateway
	opts.SerperURL, opts.JinaURL = srv.URL, srv.URL
	opts.SerperKey, opts.JinaKey = key, key
	opts.Rates = map[string]float64{gateway.Serper: sc.Rate, gateway.Jina: sc.Rate}
	opts.Concurrency = sc.Callers
	opts.CachePath = filepath.Join(sc.Dir, "cache.db")
	opts.RecordPath = filepath.Join(sc.Dir, "record.db")
	g, err := gateway.New(Offline{}, opts)
	if err != nil {
		return Summary{}, err
	}
	defer g.Close()
	sum := Summary{Calls: sc.Queries, RateLimit: sc.Rate, Burst: max(opts.Burst, 1), WindowSeconds: sc.Window.Seconds()}

	first, err := pass(ctx, g, sc)
	if err != nil {
		return sum, err
	}
	sum.FirstPassSeconds = time.Since(start).Seconds()
	for _, a := range first {
		if a.err == nil {
			sum.Answered++
			if a.fallback {
				sum.Fallbacks++
			} else {
				sum.FromProvider++
			}
		}
	}
	sum.FromProviderShare = float64(sum.FromProvider) / float64(max(sum.Calls, 1))
	sum.ProviderRequests = map[string]int{}
	sum.ProviderMaxInWindow = map[string]int{}
	for _, p := range []string{gateway.Serper, gateway.Jina} {
		sum.ProviderRequests[p] = srv.Requests(p)
		n := srv.MaxInWindow(p, sc.Window)
		sum.ProviderMaxInWindow[p] = n
		sum.ProviderMaxRateObserved = max(sum.ProviderMaxRateObserved, float64(n)/sc.Window.Seconds())
	}
	sum.FaultsInjected = srv.Injected()
	if sum.Gateway, err = gatewayCounts(g); err != nil {
		return sum, err
	}

	before := srv.Requests(gateway.Serper) + srv.Requests(gateway.Jina)
	second, err := pass(ctx, g, sc)
	if err != nil {
		return sum, err
	}
	sum.SecondPassProviderCalls = srv.Requests(gateway.Serper) + srv.Requests(gateway.Jina) - before
	sum.SecondPassIdentical = identical(first, second)
	if err := g.Close(); err != nil {
		return sum, fmt.Errorf("close gateway: %w", err)
	}
	srv.Close()

	// Replay with the server stopped and a client that refuses to send.
	var sent atomic.Int64
	ropts := opts
	ropts.RecordPath, ropts.CachePath = "", ""
	ropts.ReplayPath = filepath.Join(sc.Dir, "record.db")
	ropts.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("no network in replay")
	})}
	rg, err := gateway.New(Offline{}, ropts)
	if err != nil {
		return sum, err
	}
	defer rg.Close()
	r1, err := pass(ctx, rg, sc)
	if err != nil {
		return sum, err
	}
	r2, err := pass(ctx, rg, sc)
	if err != nil {
		return sum, err
	}
	sum.ReplayNetworkCalls = sent.Load()
	sum.ReplayIdentical = identical(first, r1) && identical(second, r2)
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// reply is one call's answer, encoded.
type reply struct {
	body     []byte
	fallback bool
	err      error
}

func identical(a, b []reply) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i].err == nil) != (b[i].err == nil) || !bytes.Equal(a[i].body, b[i].body) {
			return false
		}
	}
	return true
}

// pass makes the scenario's calls from sc.Callers goroutines.
func pass(ctx context.Context, p web.Provider, sc Scenario) ([]reply, error) {
	out := make([]reply, sc.Queries)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range sc.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= sc.Queries || ctx.Err() != nil {
					return
				}
				out[i] = call(ctx, p, i)
			}
		}()
	}
	wg.Wait()
	return out, ctx.Err()
}

// call is the i-th call of a pass.
func call(ctx context.Context, p web.Provider, i int) reply {
	var v any
	var fb string
	var err error
	switch i % 3 {
	case 0:
		var r web.SerperResponse
		r, err = p.Search(ctx, web.SearchQuery{Q: fmt.Sprintf("Query %d about rivers", i), Num: 10})
		v, fb = r, r.Fallback
	case 1:
		var r web.ScholarResponse
		r, err = p.Scholar(ctx, web.SearchQuery{Q: fmt.Sprintf("paper %d on graphs", i)})
		v, fb = r, r.Fallback
	default:
		var r web.Page
		r, err = p.Read(ctx, fmt.Sprintf("https://site.example/page/%d", i))
		v, fb = r, r.Fallback
	}
	if err != nil {
		return reply{err: err}
	}
	b, err := json.Marshal(v)
	return reply{body: b, fallback: fb != "", err: err}
}
