package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/web"
)

// TestLoadRaw drives a real /retrieve server with Load's own HTTP/1.1
// connections (a nil client).
func TestLoadRaw(t *testing.T) {
	srv := httptest.NewServer(web.RetrieveHandler(fixtureIndex(t), web.RetrieveOptions{}))
	defer srv.Close()
	for _, batch := range []int{1, 4} {
		res, err := web.Load(context.Background(), nil, srv.URL+"/retrieve", []string{"moon", "river", "tea", "penguin", "volcano"},
			web.LoadOptions{Concurrency: 3, Requests: 40, Batch: batch, ReturnScores: true})
		require.NoError(t, err)
		assert.Equal(t, 40, res.Requests, "batch %d", batch)
		assert.Zero(t, res.Errors, res.FirstError)
		assert.Positive(t, res.QPS)
		assert.LessOrEqual(t, res.P50ms, res.P99ms)
	}
	// A 4xx is an error that names the status and keeps the connection.
	res, err := web.Load(context.Background(), nil, srv.URL+"/retrieve", []string{"moon"},
		web.LoadOptions{Concurrency: 1, Requests: 3, TopK: 500})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Errors)
	assert.Contains(t, res.FirstError, "status 400")
	// Nothing listening: every request fails, none hangs.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	res, err = web.Load(context.Background(), nil, url+"/retrieve", []string{"moon"}, web.LoadOptions{Concurrency: 2, Requests: 4})
	require.NoError(t, err)
	assert.Equal(t, 4, res.Errors)
	assert.Contains(t, res.FirstError, "connect")
}

// TestLoadRawFraming checks the hand-written reply reader on what other
// servers send: chunked bodies with trailers, closed connections, bodies
// without a length, and replies that are not /retrieve replies.
func TestLoadRawFraming(t *testing.T) {
	reply := func(queries int) string {
		lists := make([]string, queries)
		for i := range lists {
			lists[i] = `[{"id":"1","contents":"\"T\"\nx"}]`
		}
		return `{"result":[` + strings.Join(lists, ",") + `]}`
	}
	queriesOf := func(r *http.Request) int {
		var req web.RetrieveRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return -1
		}
		return len(req.Queries)
	}
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		errors  int
	}{
		{"chunked with a trailer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Trailer", "X-Done")
			body := reply(queriesOf(r))
			fmt.Fprint(w, body[:5])
			w.(http.Flusher).Flush()
			fmt.Fprint(w, body[5:])
			w.Header().Set("X-Done", "yes")
		}, 0},
		{"connection close", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, reply(queriesOf(r)))
		}, 0},
		{"no length", func(w http.ResponseWriter, r *http.Request) {
			// HTTP/1.0 style: the body runs to the end of the connection.
			hj, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer hj.Close()
			fmt.Fprintf(hj, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n%s", reply(queriesOf(r)))
		}, 0},
		{"wrong count", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, reply(queriesOf(r)+1))
		}, 1}, // only fully decoded replies (the first here) catch it
		{"not a reply", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"error":"no"}`)
		}, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			res, err := web.Load(context.Background(), nil, srv.URL+"/retrieve", []string{"a", "b"},
				web.LoadOptions{Concurrency: 1, Requests: 6})
			require.NoError(t, err)
			assert.Equal(t, 6, res.Requests)
			assert.Equal(t, c.errors, res.Errors, res.FirstError)
		})
	}
}
