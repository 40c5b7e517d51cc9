package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kinds of failed requests, as simgym_gateway_failures_total labels them.
const (
	KindTimeout   = "timeout"   // no full reply within the request timeout
	Kind429       = "429"       // Too Many Requests
	Kind5xx       = "5xx"       // a server error
	KindMalformed = "malformed" // a 2xx reply that is not the protocol's JSON
	Kind4xx       = "4xx"       // a client error other than 429 (not retried)
	KindNetwork   = "network"   // the connection failed
)

// ErrCircuitOpen: the provider's circuit breaker is open, so the call was
// not sent.
var ErrCircuitOpen = errors.New("circuit open")

// ProviderError is a call a provider failed after its retries.
type ProviderError struct {
	Provider string // serper or jina
	Kind     string // the last attempt's failure kind
	Status   int    // the last attempt's HTTP status (0: none)
	Attempts int    // attempts sent
	Err      error

	retryAfter time.Duration
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("%s: %s after %d attempts", e.Provider, e.Kind, e.Attempts)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ProviderError) Unwrap() error { return e.Err }

// retryable reports whether a failure of this kind may pass on retrying.
func retryable(kind string) bool { return kind != Kind4xx }

// upstream is one provider behind its rate limiter, concurrency limit,
// timeout, retries and circuit breaker.
type upstream struct {
	name          string
	client        *http.Client
	limiter       *limiter
	sem           chan struct{}
	br            *breaker
	timeout       time.Duration
	retries       int
	backoff       time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	maxBody       int64
	sleep         func(context.Context, time.Duration) error
	now           func() time.Time
	met           *metrics
	rec           *recorder
}

// request builds one attempt's HTTP request and the body to record.
type request func(ctx context.Context) (*http.Request, []byte, error)

// call sends the request until check accepts a reply, at most
// 1+retries times, and returns the accepted body.
func (u *upstream) call(ctx context.Context, key string, build request, check func([]byte) error) ([]byte, error) {
	var last *ProviderError
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if attempt > u.retries || !retryable(last.Kind) {
				return nil, last
			}
			wait := u.backoffFor(attempt)
			if last.retryAfter > 0 {
				if last.retryAfter > u.maxRetryAfter {
					return nil, last
				}
				wait = max(wait, last.retryAfter)
			}
			if err := u.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s: %w", u.name, err)
			}
		}
		if !u.br.allow() {
			return nil, &ProviderError{Provider: u.name, Kind: "circuit open", Attempts: attempt, Err: ErrCircuitOpen}
		}
		if attempt > 0 {
			u.met.retries.WithLabelValues(u.name).Inc()
		}
		body, perr := u.attempt(ctx, key, attempt, build, check)
		if perr == nil {
			return body, nil
		}
		perr.Attempts = attempt + 1
		last = perr
		if ctx.Err() != nil {
			return nil, last
		}
	}
}

// attempt sends one request once the concurrency and rate limits let it.
func (u *upstream) attempt(ctx context.Context, key string, n int, build request, check func([]byte) error) ([]byte, *ProviderError) {
	select {
	case u.sem <- struct{}{}:
	case <-ctx.Done():
		u.br.release()
		return nil, &ProviderError{Provider: u.name, Kind: KindNetwork, Err: ctx.Err()}
	}
	defer func() { <-u.sem }()
	if err := u.limiter.wait(ctx); err != nil {
		u.br.release()
		return nil, &ProviderError{Provider: u.name, Kind: KindNetwork, Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	req, reqBody, err := build(actx)
	if err != nil {
		u.br.release()
		return nil, &ProviderError{Provider: u.name, Kind: Kind4xx, Err: err}
	}
	u.met.requests.WithLabelValues(u.name).Inc()
	start := time.Now()
	status, body, retryAfter, kind, err := u.send(actx, req, check)
	secs := time.Since(start).Seconds()
	u.met.latency.WithLabelValues(u.name).Observe(secs)
	if u.rec != nil {
		u.rec.add(exchange{at: u.now(), provider: u.name, method: req.Method, url: req.URL.String(), key: key,
			attempt: n, status: status, kind: kind, seconds: secs, request: reqBody, response: body})
	}
	if kind == "" {
		u.br.success()
		u.met.successes.WithLabelValues(u.name).Inc()
		return body, nil
	}
	u.met.failures.WithLabelValues(u.name, kind).Inc()
	if kind == Kind4xx {
		u.br.success() // the provider is up; this request is at fault
	} else {
		u.br.failure()
	}
	return nil, &ProviderError{Provider: u.name, Kind: kind, Status: status, Err: err, retryAfter: retryAfter}
}

// send makes one exchange and classifies it: kind is "" for a reply
// check accepts.
func (u *upstream) send(ctx context.Context, req *http.Request, check func([]byte) error) (status int, body []byte, retryAfter time.Duration, kind string, err error) {
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, nil, 0, failureKind(ctx, err), err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, u.maxBody+1))
	if err != nil {
		return resp.StatusCode, body, 0, failureKind(ctx, err), fmt.Errorf("read reply: %w", err)
	}
	status = resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		return status, body, parseRetryAfter(resp.Header.Get("Retry-After"), u.now()), Kind429, errors.New(http.StatusText(status))
	case status >= 500:
		return status, body, parseRetryAfter(resp.Header.Get("Retry-After"), u.now()), Kind5xx, errors.New(http.StatusText(status))
	case status >= 400:
		return status, body, 0, Kind4xx, fmt.Errorf("%s: %s", http.StatusText(status), snippet(body))
	case status < 200 || status > 299:
		return status, body, 0, KindMalformed, fmt.Errorf("unexpected status %d", status)
	case int64(len(body)) > u.maxBody:
		return status, body[:u.maxBody], 0, KindMalformed, fmt.Errorf("reply longer than %d bytes", u.maxBody)
	}
	if err := check(body); err != nil {
		return status, body, 0, KindMalformed, err
	}
	return status, body, 0, "", nil
}

// failureKind tells a timeout from another failed connection.
func failureKind(ctx context.Context, err error) string {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return KindTimeout
	}
	return KindNetwork
}

// backoffFor is the wait before retry n (1, 2, ...): exponential from
// backoff, capped at maxBackoff, with jitter over its upper half.
func (u *upstream) backoffFor(n int) time.Duration {
	d := u.backoff << min(n-1, 30)
	if d <= 0 || d > u.maxBackoff {
		d = u.maxBackoff
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110 section 10.2.3); 0 when absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// snippet is the start of a reply body, for error messages.
func snippet(b []byte) string {
	const n = 200
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}
