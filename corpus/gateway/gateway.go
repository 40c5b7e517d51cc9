// Package gateway is the Real web environment: a web.Provider over the
// real providers (Serper's web and Scholar search, Jina Reader) with,
// per provider, a token-bucket rate limit, a concurrency limit, a
// request timeout, retries with exponential backoff and jitter that
// honour Retry-After, and a circuit breaker; in front of them a cache
// shared by every episode; and behind them degradation to the offline
// Provider, whose answers say so (Fallback: "offline"). Every exchange
// and answer can be recorded, and a record replayed with no network, so
// that a Real run becomes a reproducible Sim run.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/simgym/simgym/corpus/web"
)

// Provider names, as rates and metrics name them.
const (
	Serper = "serper"
	Jina   = "jina"
)

// Fallback is the Fallback field of an answer from the offline Provider.
const Fallback = "offline"

// Defaults of Options.
const (
	DefaultSerperURL     = "https://google.serper.dev"
	DefaultJinaURL       = "https://r.jina.ai"
	DefaultSerperRate    = 10 // requests per second
	DefaultJinaRate      = 5
	DefaultConcurrency   = 16
	DefaultTimeout       = 20 * time.Second
	DefaultRetries       = 5
	DefaultBackoff       = 500 * time.Millisecond
	DefaultMaxBackoff    = 15 * time.Second
	DefaultMaxRetryAfter = 60 * time.Second
	DefaultBreakerFails  = 20
	DefaultBreakerOpen   = 10 * time.Second
	DefaultCacheTTL      = 7 * 24 * time.Hour
	DefaultFallbackTTL   = time.Minute
	DefaultMaxBody       = 16 << 20
)

// Options configure New. Zero fields take the defaults, but for Retries
// (0: no retries) and the file paths (empty: none).
type Options struct {
	// SerperURL is Serper's base: search at SerperURL/search, Scholar at
	// SerperURL/scholar. JinaURL is Jina Reader's: a page at JinaURL/{url}.
	SerperURL, JinaURL string
	// SerperKey goes in X-API-KEY; JinaKey in Authorization: Bearer
	// (Jina answers without a key, at a lower rate).
	SerperKey, JinaKey string
	// Rates are requests per second by provider (Serper, Jina); Burst is
	// the bucket's size (default 1: requests evenly spaced).
	Rates map[string]float64
	Burst int
	// Concurrency bounds the requests in flight per provider.
	Concurrency int
	// Timeout bounds one request, its body included.
	Timeout time.Duration
	// Retries is how many times a failed request is sent again.
	Retries int
	// Backoff is the first retry's wait, doubling up to MaxBackoff, with
	// jitter; a Retry-After longer than the wait is waited instead, and
	// one longer than MaxRetryAfter ends the call (it falls back).
	Backoff, MaxBackoff, MaxRetryAfter time.Duration
	// BreakerFailures consecutive failed requests open a provider's
	// circuit for BreakerOpen, after which one probe is let through.
	BreakerFailures int
	BreakerOpen     time.Duration
	// CachePath is the SQLite cache (empty: one in memory for the run).
	// Answers are fresh for CacheTTL; offline answers of failed calls
	// for FallbackTTL (negative: never cached).
	CachePath             string
	CacheTTL, FallbackTTL time.Duration
	// RecordPath, if set, is a SQLite file given every exchange with a
	// provider and every answer. ReplayPath, if set, is such a file to
	// serve answers from, with no network at all; keys it lacks are
	// answered offline.
	RecordPath, ReplayPath string
	// MaxBody bounds a reply's size in bytes.
	MaxBody int64
	// HTTPClient sends the requests (default: a client of its own).
	HTTPClient *http.Client

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func (o *Options) defaults() {
	if o.SerperURL == "" {
		o.SerperURL = DefaultSerperURL
	}
	if o.JinaURL == "" {
		o.JinaURL = DefaultJinaURL
	}
	o.SerperURL = strings.TrimSuffix(o.SerperURL, "/")
	o.JinaURL = strings.TrimSuffix(o.JinaURL, "/")
	rates := map[string]float64{Serper: DefaultSerperRate, Jina: DefaultJinaRate}
	for k, v := range o.Rates {
		rates[k] = v
	}
	o.Rates = rates
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = DefaultBreakerFails
	}
	if o.BreakerOpen <= 0 {
		o.BreakerOpen = DefaultBreakerOpen
	}
	if o.CacheTTL == 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.FallbackTTL == 0 {
		o.FallbackTTL = DefaultFallbackTTL
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = o.Concurrency
		o.HTTPClient = &http.Client{Transport: t}
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.sleep == nil {
		o.sleep = sleepCtx
	}
}

// ErrNoKey: the real providers were asked for with no Serper key.
var ErrNoKey = errors.New("no Serper API key (set SERPER_API_KEY)")

// ParseRates reads requests per second by provider: "serper=10,jina=5".
func ParseRates(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || (name != Serper && name != Jina) {
			return nil, fmt.Errorf("web rate %q: want serper=N or jina=N", part)
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !(r > 0) {
			return nil, fmt.Errorf("web rate %q: want a positive number of requests per second", part)
		}
		out[name] = r
	}
	return out, nil
}

// Gateway is a web.Provider over the real providers, falling back to
// an offline Provider. It is safe for concurrent use.
type Gateway struct {
	opts    Options
	offline web.Provider
	ctx     context.Context // the providers' calls, detached from callers'
	cancel  context.CancelFunc
	serper  *upstream
	jina    *upstream
	cache   *cache
	rec     *recorder
	rp      *replay
	flight  singleflight.Group
	met     *metrics
}

var _ web.Provider = (*Gateway)(nil)

// New returns a gateway over the real providers that falls back to
// offline. With opts.ReplayPath it sends nothing and serves the record.
func New(offline web.Provider, opts Options) (*Gateway, error) {
	if offline == nil {
		return nil, errors.New("gateway: no offline provider to fall back to")
	}
	opts.defaults()
	if opts.ReplayPath == "" && opts.SerperKey == "" {
		return nil, ErrNoKey
	}
	g := &Gateway{opts: opts, offline: offline, met: newMetrics()}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.serper = g.upstream(Serper)
	g.jina = g.upstream(Jina)
	var err error
	if opts.ReplayPath != "" {
		if g.rp, err = openReplay(opts.ReplayPath); err != nil {
			return nil, err
		}
	} else {
		path := opts.CachePath
		if path == "" {
			path = ":memory:"
		}
		if g.cache, err = openCache(path, opts.CacheTTL, opts.FallbackTTL, opts.now); err != nil {
			return nil, err
		}
	}
	if opts.RecordPath != "" {
		if g.rec, err = openRecorder(opts.RecordPath); err != nil {
			g.Close()
			return nil, err
		}
		g.serper.rec, g.jina.rec = g.rec, g.rec
	}
	return g, nil
}

func (g *Gateway) upstream(name string) *upstream {
	o := g.opts
	r := o.Rates[name]
	if r <= 0 {
		r = math.Inf(1)
	}
	gauge := g.met.circuit.WithLabelValues(name)
	return &upstream{
		name: name, client: o.HTTPClient, limiter: newLimiter(r, o.Burst),
		sem:     make(chan struct{}, o.Concurrency),
		br:      newBreaker(o.BreakerFailures, o.BreakerOpen, o.now, func(s int) { gauge.Set(float64(s)) }),
		timeout: o.Timeout, retries: o.Retries, backoff: o.Backoff, maxBackoff: o.MaxBackoff,
		maxRetryAfter: o.MaxRetryAfter, maxBody: o.MaxBody, sleep: o.sleep, now: o.now, met: g.met,
	}
}

// Collectors are the gateway's metrics, for a Prometheus registry: per
// provider requests, successes, failures by kind, retries, fallbacks,
// cache hits, circuit state and request latency.
func (g *Gateway) Collectors() []prometheus.Collector { return g.met.collectors() }

// Close stops the calls in flight (they fall back) and closes the
// cache, record and replay files, returning the record's first write
// error.
func (g *Gateway) Close() error {
	g.cancel()
	var errs []error
	if g.rec != nil {
		errs = append(errs, g.rec.close())
	}
	if g.cache != nil {
		errs = append(errs, g.cache.close())
	}
	if g.rp != nil {
		errs = append(errs, g.rp.close())
	}
	return errors.Join(errs...)
}

// Search is a Serper web search.
func (g *Gateway) Search(ctx context.Context, q web.SearchQuery) (web.SerperResponse, error) {
	key := searchKey("search", q)
	return answer(ctx, g, g.serper, key,
		func(c context.Context) (web.SerperResponse, error) {
			b, err := g.serper.call(c, key, serperRequest(g.opts.SerperURL, "/search", g.opts.SerperKey, q), func(b []byte) error { _, err := decodeSearch(b); return err })
			if err != nil {
				return web.SerperResponse{}, err
			}
			return decodeSearch(b)
		},
		func(c context.Context) (web.SerperResponse, error) {
			r, err := g.offline.Search(c, q)
			r.Fallback = Fallback
			return r, err
		})
}

// Scholar is a Serper Scholar search.
func (g *Gateway) Scholar(ctx context.Context, q web.SearchQuery) (web.ScholarResponse, error) {
	key := searchKey("scholar", q)
	return answer(ctx, g, g.serper, key,
		func(c context.Context) (web.ScholarResponse, error) {
			b, err := g.serper.call(c, key, serperRequest(g.opts.SerperURL, "/scholar", g.opts.SerperKey, q), func(b []byte) error { _, err := decodeScholar(b); return err })
			if err != nil {
				return web.ScholarResponse{}, err
			}
			return decodeScholar(b)
		},
		func(c context.Context) (web.ScholarResponse, error) {
			r, err := g.offline.Scholar(c, q)
			r.Fallback = Fallback
			return r, err
		})
}

// Read is a Jina Reader read of a page.
func (g *Gateway) Read(ctx context.Context, url string) (web.Page, error) {
	key := readKey(url)
	return answer(ctx, g, g.jina, key,
		func(c context.Context) (web.Page, error) {
			b, err := g.jina.call(c, key, jinaRequest(g.opts.JinaURL, g.opts.JinaKey, url), func(b []byte) error { _, err := decodePage(b, url); return err })
			if err != nil {
				return web.Page{}, err
			}
			return decodePage(b, url)
		},
		func(c context.Context) (web.Page, error) {
			p, err := g.offline.Read(c, url)
			p.Fallback = Fallback
			return p, err
		})
}

// Sources of an answer, as the record file names them.
const (
	sourceProvider = "provider"
	sourceCache    = "cache"
	sourceFallback = "fallback"
	sourceReplay   = "replay"
)

// answer resolves one call: from the replayed record, else the cache,
// else the provider (one call for all callers asking the same key at
// once), else the offline Provider. Every caller decodes the same
// stored bytes, so equal keys give equal answers byte for byte.
func answer[T any](ctx context.Context, g *Gateway, up *upstream, key string, fetch, offline func(context.Context) (T, error)) (T, error) {
	var zero T
	b, err := g.resolve(ctx, up, key,
		func(c context.Context) ([]byte, error) {
			t, err := fetch(c)
			if err != nil {
				return nil, err
			}
			return json.Marshal(t)
		},
		func(c context.Context) ([]byte, error) {
			t, err := offline(c)
			if err != nil {
				return nil, err
			}
			return json.Marshal(t)
		})
	if err != nil {
		return zero, err
	}
	var t T
	if err := json.Unmarshal(b, &t); err != nil {
		return zero, fmt.Errorf("gateway: decode answer of %s: %w", key, err)
	}
	return t, nil
}

func (g *Gateway) resolve(ctx context.Context, up *upstream, key string, fetch, offline func(context.Context) ([]byte, error)) ([]byte, error) {
	if g.rp != nil {
		b, ok, err := g.rp.answer(key)
		if err != nil {
			return nil, err
		}
		if ok {
			g.record(key, sourceReplay, b)
			return b, nil
		}
		g.met.fallbacks.WithLabelValues(up.name).Inc()
		b, err = offline(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: not in the replayed record %s, and offline: %w", key, g.opts.ReplayPath, err)
		}
		g.record(key, sourceFallback, b)
		return b, nil
	}
	if b, ok, err := g.cache.lookup(key); err == nil && ok {
		g.met.cacheHits.WithLabelValues(up.name).Inc()
		g.record(key, sourceCache, b)
		return b, nil
	}
	type result struct {
		b      []byte
		source string
	}
	ch := g.flight.DoChan(key, func() (any, error) {
		b, perr := fetch(g.ctx)
		if perr == nil {
			_ = g.cache.store(key, b, false) // a failed write only costs a later call
			return result{b, sourceProvider}, nil
		}
		g.met.fallbacks.WithLabelValues(up.name).Inc()
		b, oerr := offline(g.ctx)
		if oerr != nil {
			return nil, fmt.Errorf("%w; and the offline corpus: %w", perr, oerr)
		}
		_ = g.cache.store(key, b, true)
		return result{b, sourceFallback}, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		res := r.Val.(result)
		g.record(key, res.source, res.b)
		return res.b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *Gateway) record(key, source string, b []byte) {
	if g.rec != nil {
		g.rec.add(answerRow{at: g.opts.now(), key: key, source: source, answer: b})
	}
}
