package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LoadOptions shape a load test of a /retrieve server.
type LoadOptions struct {
	// Concurrency is the number of requests in flight; 0 means 8.
	Concurrency int
	// Requests stops the test after this many requests; Duration after
	// this long; the first reached ends it. With neither, 1,000 requests.
	Requests int
	Duration time.Duration
	// Batch is the number of queries per request (Search-R1 sends a
	// batch of rollouts' queries at once); 0 means 1.
	Batch int
	// TopK and ReturnScores go into every request; TopK 0 means 3.
	TopK         int
	ReturnScores bool
}

// LoadResult is what a load test measured. Its JSON names follow the
// `simgym bench search` summary.
type LoadResult struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	// QPS is queries (not requests) answered per second.
	QPS float64 `json:"qps"`
	// P50ms and P99ms are request latencies.
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// FirstError is the first failure's text, if any.
	FirstError string `json:"first_error,omitempty"`
}

// Load sends POST requests of Batch queries each, taken in turn from
// queries, to url (a /retrieve endpoint) with client, and measures
// throughput and latency. A reply other than 200 with one result list per
// query counts as an error.
func Load(ctx context.Context, client *http.Client, url string, queries []string, opts LoadOptions) (LoadResult, error) {
	if len(queries) == 0 {
		return LoadResult{}, errors.New("load test: no queries")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Requests <= 0 && opts.Duration <= 0 {
		opts.Requests = 1000
	}
	if opts.TopK <= 0 {
		opts.TopK = DefaultRetrieveTopK
	}
	if opts.Batch <= 0 {
		opts.Batch = 1
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	bodies := make([][]byte, len(queries))
	for i := range queries {
		batch := make([]string, opts.Batch)
		for j := range batch {
			batch[j] = queries[(i+j)%len(queries)]
		}
		b, err := json.Marshal(RetrieveRequest{Queries: batch, TopK: &opts.TopK, ReturnScores: opts.ReturnScores})
		if err != nil {
			return LoadResult{}, fmt.Errorf("load test: %w", err)
		}
		bodies[i] = b
	}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		errs     int
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range opts.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			var bad int
			var first string
			for ctx.Err() == nil {
				n := int(next.Add(1))
				if opts.Requests > 0 && n > opts.Requests {
					break
				}
				t := time.Now()
				err := retrieveOnce(ctx, client, url, bodies[(n-1)%len(bodies)], opts.Batch)
				if ctx.Err() != nil {
					break // cut off by the deadline: not a measurement
				}
				if err != nil {
					bad++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			if firstErr == "" {
				firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := LoadResult{Requests: len(lat) + errs, Errors: errs, Seconds: elapsed.Seconds(), FirstError: firstErr}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.QPS = float64(len(lat)*opts.Batch) / elapsed.Seconds()
		res.P50ms = percentile(lat, 0.50)
		res.P99ms = percentile(lat, 0.99)
	}
	return res, nil
}

func percentile(sorted []time.Duration, p float64) float64 {
	i := min(len(sorted)-1, int(p*float64(len(sorted))))
	return float64(sorted[i].Microseconds()) / 1000
}

func retrieveOnce(ctx context.Context, client *http.Client, url string, body []byte, queries int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	var out struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Result) != queries {
		return fmt.Errorf("bad reply: %.200s", data)
	}
	return nil
}
