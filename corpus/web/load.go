package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	neturl "net/url"
	"slices"
	"strconv"
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
	// Serper sends each query as a Serper request ({"q", "num": TopK})
	// to a /search endpoint instead; Batch is then 1.
	Serper bool
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
// queries, to url (a /retrieve endpoint) and measures throughput and
// latency. A reply other than 200 with one result list per query counts
// as an error.
//
// With a nil client and an http:// url, each worker speaks HTTP/1.1
// itself over one keep-alive connection: net/http's client costs several
// times the CPU per request, which matters when the load generator shares
// the server's cores. Every reply's status and framing are checked, and
// every sixteenth reply's body (and each worker's first) is decoded in
// full. With a client, every request goes through it and every body is
// decoded.
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
	if opts.Batch <= 0 || opts.Serper {
		opts.Batch = 1
	}
	// Request i asks queries i*Batch to (i+1)*Batch-1, so that no query
	// is asked twice before the list wraps around.
	bodies := make([][]byte, (len(queries)+opts.Batch-1)/opts.Batch)
	for i := range bodies {
		batch := make([]string, opts.Batch)
		for j := range batch {
			batch[j] = queries[(i*opts.Batch+j)%len(queries)]
		}
		var req any = RetrieveRequest{Queries: batch, TopK: &opts.TopK, ReturnScores: opts.ReturnScores}
		if opts.Serper {
			req = SearchQuery{Q: batch[0], Num: opts.TopK}
		}
		b, err := json.Marshal(req)
		if err != nil {
			return LoadResult{}, fmt.Errorf("load test: %w", err)
		}
		bodies[i] = b
	}
	if opts.Duration > 0 { // from now: making the bodies is not the test
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	var raw *rawTarget
	if client == nil {
		u, err := neturl.Parse(url)
		if err != nil {
			return LoadResult{}, fmt.Errorf("load test: %w", err)
		}
		if u.Scheme == "http" {
			raw = &rawTarget{host: u.Host, head: "POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
				"\r\nContent-Type: application/json\r\nContent-Length: "}
		} else {
			client = http.DefaultClient
		}
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
			queries := opts.Batch
			if opts.Serper {
				queries = -1
			}
			send := func(body []byte, n int) error {
				return retrieveOnce(ctx, client, url, body, queries)
			}
			if raw != nil {
				rc := &rawConn{target: raw}
				defer rc.close()
				send = func(body []byte, n int) error {
					return rc.retrieve(ctx, body, queries, n%16 == 1 || rc.sent == 0)
				}
			}
			for ctx.Err() == nil {
				n := int(next.Add(1))
				if opts.Requests > 0 && n > opts.Requests {
					break
				}
				t := time.Now()
				err := send(bodies[(n-1)%len(bodies)], n)
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
	return checkReply(data, queries)
}

// checkReply decodes a /retrieve reply and checks it has one list per
// query; queries -1 means a Serper /search reply, which must have its
// organic list.
func checkReply(data []byte, queries int) error {
	if queries < 0 {
		var out struct {
			Organic *[]OrganicResult `json:"organic"`
		}
		if err := json.Unmarshal(data, &out); err != nil || out.Organic == nil {
			return fmt.Errorf("bad reply: %.200s", data)
		}
		return nil
	}
	var out struct {
		Result []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Result) != queries {
		return fmt.Errorf("bad reply: %.200s", data)
	}
	return nil
}

// rawTarget is where a rawConn sends its requests: the host, and each
// request's start up to its body's length.
type rawTarget struct {
	host, head string
}

// rawConn is one keep-alive HTTP/1.1 connection of a load test, with its
// request and reply buffers reused from request to request.
type rawConn struct {
	target *rawTarget
	conn   net.Conn
	br     *bufio.Reader
	req    []byte
	body   []byte
	sent   int
	stop   func() bool
}

func (c *rawConn) close() {
	if c.conn != nil {
		c.stop()
		_ = c.conn.Close()
		c.conn = nil
	}
}

// retrieve posts body and reads the reply; with full, it decodes the
// reply and counts its result lists too.
func (c *rawConn) retrieve(ctx context.Context, body []byte, queries int, full bool) error {
	if c.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", c.target.host)
		if err != nil {
			return err
		}
		c.conn = conn
		c.br = bufio.NewReaderSize(conn, 32<<10)
		// The deadline of ctx cuts a read that would wait past it.
		c.stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	}
	c.req = append(c.req[:0], c.target.head...)
	c.req = strconv.AppendInt(c.req, int64(len(body)), 10)
	c.req = append(c.req, "\r\n\r\n"...)
	c.req = append(c.req, body...)
	c.sent++
	if _, err := c.conn.Write(c.req); err != nil {
		c.close()
		return err
	}
	status, data, keep, err := c.readReply()
	if err != nil {
		c.close()
		return err
	}
	if !keep {
		c.close()
	}
	if status != http.StatusOK {
		return fmt.Errorf("status %d: %s", status, bytes.TrimSpace(data))
	}
	if full {
		return checkReply(data, queries)
	}
	if queries < 0 {
		if !bytes.HasPrefix(data, []byte(`{"searchParameters":`)) {
			return fmt.Errorf("bad reply: %.200s", data)
		}
		return nil
	}
	if !bytes.HasPrefix(data, []byte(`{"result":[`)) {
		return fmt.Errorf("bad reply: %.200s", data)
	}
	return nil
}

// readReply reads one HTTP/1.1 response: its status, body (by
// Content-Length or chunked) and whether the connection stays open.
func (c *rawConn) readReply() (status int, body []byte, keep bool, err error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, nil, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, nil, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, nil, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, nil, false, fmt.Errorf("bad header line %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, nil, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		c.body, err = appendAll(c.body[:0], httputil.NewChunkedReader(c.br))
		// Trailer lines, then the empty line that ends the message.
		for err == nil {
			var line []byte
			if line, err = c.br.ReadSlice('\n'); err == nil && len(bytes.TrimRight(line, "\r\n")) == 0 {
				break
			}
		}
	case length >= 0:
		c.body = slices.Grow(c.body[:0], length)[:length]
		_, err = io.ReadFull(c.br, c.body)
	default:
		c.body, err = appendAll(c.body[:0], c.br)
		keep = false
	}
	return status, c.body, keep, err
}

func appendAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		b = slices.Grow(b, 4096)
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
