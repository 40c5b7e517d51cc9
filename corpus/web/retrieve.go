package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/internal/lru"
)

// PassageSearcher is what RetrieveHandler needs from an index;
// *index.Index is one.
type PassageSearcher interface {
	Passages(ctx context.Context, query string, topK int) ([]index.PassageHit, error)
}

// Defaults for RetrieveOptions.
const (
	DefaultRetrieveTopK       = 3
	DefaultRetrieveMaxQueries = 256
	DefaultRetrieveMaxBody    = 1 << 20
	// DefaultRetrieveMaxPassages bounds queries x topk of one request.
	DefaultRetrieveMaxPassages = 4096
	// DefaultRetrieveMaxReply bounds the bytes of one reply.
	DefaultRetrieveMaxReply = 8 << 20
	// The encoded lists of 20,000 queries of three passages each take
	// about 40 MB.
	DefaultRetrieveCacheEntries = 20_000
	DefaultRetrieveCacheBytes   = 48 << 20
)

// RetrieveOptions tune RetrieveHandler. The zero value gives the defaults.
type RetrieveOptions struct {
	// DefaultTopK is used when a request has no "topk"; 0 means
	// DefaultRetrieveTopK, as Search-R1's server defaults to 3.
	DefaultTopK int
	// MaxQueries bounds the queries of one request; 0 means
	// DefaultRetrieveMaxQueries.
	MaxQueries int
	// MaxBodyBytes bounds the request body; 0 means
	// DefaultRetrieveMaxBody.
	MaxBodyBytes int64
	// MaxPassages bounds the passages one request may ask for (queries
	// times topk); 0 means DefaultRetrieveMaxPassages.
	MaxPassages int
	// MaxReplyBytes bounds one reply; a request whose results would be
	// larger gets 413. 0 means DefaultRetrieveMaxReply.
	MaxReplyBytes int
	// Parallel is the number of queries of one request searched at once;
	// 0 means GOMAXPROCS.
	Parallel int
	// CacheEntries and CacheBytes bound the cache of encoded result
	// lists; 0 means DefaultRetrieveCacheEntries and
	// DefaultRetrieveCacheBytes, and a negative value turns it off.
	CacheEntries int
	CacheBytes   int64
}

// RetrieveRequest is the body of POST /retrieve.
type RetrieveRequest struct {
	Queries []string `json:"queries"`
	// Query is one query, as SkyRL-gym's search tool sends it; it is
	// searched after Queries.
	Query *string `json:"query,omitempty"`
	// TopK is the number of passages per query, 1 to index.MaxTopK;
	// absent, null or 0 means RetrieveOptions.DefaultTopK.
	TopK *int `json:"topk"`
	// ReturnScores asks for {"document", "score"} pairs instead of bare
	// documents.
	ReturnScores bool `json:"return_scores"`
}

// RetrievedDocument is a passage as Search-R1's retrieval server returns it.
type RetrievedDocument struct {
	ID string `json:"id"`
	// Contents is the title in double quotes, a newline, and the text.
	Contents string `json:"contents"`
}

// ScoredDocument is a passage and its score, for return_scores.
type ScoredDocument struct {
	Document RetrievedDocument `json:"document"`
	Score    float64           `json:"score"`
}

// RetrieveResponse is the body of a successful reply: one list per query,
// in the order of the queries, each of []RetrievedDocument or, with
// return_scores, of []ScoredDocument.
type RetrieveResponse struct {
	Result []any `json:"result"`
}

// ErrorResponse is the body of a failed request.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what was wrong with a request.
type ErrorBody struct {
	// Code is a stable name: "method_not_allowed", "bad_json",
	// "bad_request", "too_large", "internal".
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RetrieveHandler serves POST /retrieve as Search-R1's retrieval server
// does, so that verl's search tool, Search-R1 and AgentGym's search
// environment work unchanged: a request {"queries": [...], "topk": 3,
// "return_scores": true} gets {"result": [[{"document": {"id",
// "contents"}, "score"}, ...], ...]}, one list per query, best first
// (without return_scores, the lists hold the documents alone). A query that
// is empty, or all stop words, gets an empty list. A bad request gets a 4xx
// status and an ErrorResponse; the body is read up to MaxBodyBytes.
//
// Each query's result list is kept encoded in a cache (by the query's
// exact text, topk and return_scores), so a repeated query costs neither a
// search nor an encoding; the index's own cache serves the same query in
// other words.
func RetrieveHandler(s PassageSearcher, opts RetrieveOptions) *Retriever {
	if opts.DefaultTopK <= 0 {
		opts.DefaultTopK = DefaultRetrieveTopK
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = DefaultRetrieveMaxQueries
	}
	if opts.MaxPassages <= 0 {
		opts.MaxPassages = DefaultRetrieveMaxPassages
	}
	if opts.MaxReplyBytes <= 0 {
		opts.MaxReplyBytes = DefaultRetrieveMaxReply
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultRetrieveMaxBody
	}
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.GOMAXPROCS(0)
	}
	if opts.CacheEntries == 0 {
		opts.CacheEntries = DefaultRetrieveCacheEntries
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultRetrieveCacheBytes
	}
	return &Retriever{s: s, opts: opts,
		cache: lru.New[[]byte](opts.CacheEntries, opts.CacheBytes),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "simgym_retrieve_cache_hits_total",
			Help: "Queries of /retrieve answered from the cache of encoded result lists.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "simgym_retrieve_cache_misses_total",
			Help: "Queries of /retrieve that missed the cache of encoded result lists.",
		}),
	}
}

// Retriever is the /retrieve handler RetrieveHandler makes.
type Retriever struct {
	s            PassageSearcher
	opts         RetrieveOptions
	cache        *lru.Cache[[]byte]
	hits, misses prometheus.Counter
}

// Collectors returns the handler's metrics: hits and misses of its cache
// of encoded result lists, and the entries and bytes it holds.
func (h *Retriever) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.hits, h.misses,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_retrieve_cache_entries",
			Help: "Encoded result lists held by the /retrieve cache.",
		}, func() float64 { n, _ := h.cache.Stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_retrieve_cache_bytes",
			Help: "Estimated bytes held by the /retrieve cache.",
		}, func() float64 { _, b := h.cache.Stats(); return float64(b) }),
	}
}

// ServeHTTP answers POST /retrieve.
func (h *Retriever) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST with a JSON body")
		return
	}
	req, status, err := decodeRetrieve(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes), h.opts)
	if err != nil {
		code := "bad_request"
		switch status {
		case http.StatusRequestEntityTooLarge:
			code = "too_large"
		case http.StatusBadRequest:
			var syntax *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if errors.As(err, &syntax) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errNotJSON) {
				code = "bad_json"
			}
		}
		writeError(w, status, code, err.Error())
		return
	}
	topK := h.opts.DefaultTopK
	if req.TopK != nil && *req.TopK != 0 {
		topK = *req.TopK
	}
	if n := len(req.Queries) * topK; n > h.opts.MaxPassages {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("%d queries x topk %d = %d passages; at most %d per request: send fewer queries or a smaller topk", len(req.Queries), topK, n, h.opts.MaxPassages))
		return
	}
	lists := make([][]byte, len(req.Queries))
	var missing []int
	for i, q := range req.Queries {
		if strings.TrimSpace(q) == "" {
			lists[i] = []byte("[]")
			continue
		}
		if list, ok := h.cache.Get(listKey(q, topK, req.ReturnScores)); ok {
			h.hits.Inc()
			lists[i] = list
			continue
		}
		h.misses.Inc()
		missing = append(missing, i)
	}
	if len(missing) == 1 {
		// One search (most agents' tool calls) runs here: a goroutine
		// costs more than a cached search.
		err = h.search(r.Context(), missing[0], req.Queries[missing[0]], topK, req.ReturnScores, lists)
	} else if len(missing) > 1 {
		g, ctx := errgroup.WithContext(r.Context())
		g.SetLimit(h.opts.Parallel)
		for _, i := range missing {
			g.Go(func() error { return h.search(ctx, i, req.Queries[i], topK, req.ReturnScores, lists) })
		}
		err = g.Wait()
	}
	if err != nil {
		if r.Context().Err() != nil {
			return // the client has gone
		}
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	size := len(`{"result":[]}`) + 1 + len(lists)
	for _, l := range lists {
		size += len(l)
	}
	if size > h.opts.MaxReplyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the reply would be %d bytes; at most %d per request: send fewer queries or a smaller topk", size, h.opts.MaxReplyBytes))
		return
	}
	body := make([]byte, 0, size)
	body = append(body, `{"result":[`...)
	for i, l := range lists {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, l...)
	}
	body = append(body, "]}\n"...)
	writeBody(w, http.StatusOK, body)
}

// search runs query i and stores its encoded result list in lists[i] and
// in the cache.
func (h *Retriever) search(ctx context.Context, i int, q string, topK int, withScores bool, lists [][]byte) error {
	hs, err := h.s.Passages(ctx, q, topK)
	if err != nil {
		return fmt.Errorf("query %d: %w", i, err)
	}
	var list any
	if withScores {
		scored := make([]ScoredDocument, len(hs))
		for j, hit := range hs {
			scored[j] = ScoredDocument{Document: retrieved(hit), Score: hit.Score}
		}
		list = scored
	} else {
		docs := make([]RetrievedDocument, len(hs))
		for j, hit := range hs {
			docs[j] = retrieved(hit)
		}
		list = docs
	}
	data, err := json.Marshal(list)
	if err != nil {
		return fmt.Errorf("query %d: encode: %w", i, err)
	}
	lists[i] = data
	h.cache.Add(listKey(q, topK, withScores), data, int64(len(data)))
	return nil
}

// listKey identifies a query's encoded result list.
func listKey(q string, topK int, withScores bool) string {
	flag := "d"
	if withScores {
		flag = "s"
	}
	return strconv.Itoa(topK) + flag + q
}

func retrieved(h index.PassageHit) RetrievedDocument {
	return RetrievedDocument{ID: h.ID, Contents: h.Contents()}
}

var errNotJSON = errors.New("body is not one JSON object")

// jsonContentType is shared by every reply's header; net/http only reads it.
var jsonContentType = []string{"application/json"}

// bodyBuffers hold request bodies while they are decoded.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// decodeRetrieve reads and checks a /retrieve request. On failure it
// returns the HTTP status to answer with.
func decodeRetrieve(body io.Reader, opts RetrieveOptions) (RetrieveRequest, int, error) {
	var req RetrieveRequest
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 { // a rare big body is not kept
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(body); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body is larger than %d bytes", tooLarge.Limit)
		}
		return req, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(buf.Bytes())) == 0 {
		return req, http.StatusBadRequest, fmt.Errorf("%w: the body is empty", errNotJSON)
	}
	if err := json.Unmarshal(buf.Bytes(), &req); err != nil {
		return req, http.StatusBadRequest, fmt.Errorf("bad JSON body: %w", err)
	}
	if req.Query != nil {
		req.Queries = append(req.Queries, *req.Query)
	}
	switch {
	case req.Queries == nil:
		return req, http.StatusBadRequest, errors.New(`"queries" is missing: send {"queries": ["..."], "topk": 3} or {"query": "..."}`)
	case len(req.Queries) > opts.MaxQueries:
		return req, http.StatusRequestEntityTooLarge, fmt.Errorf(`%d queries; at most %d per request`, len(req.Queries), opts.MaxQueries)
	case req.TopK != nil && (*req.TopK < 0 || *req.TopK > index.MaxTopK):
		return req, http.StatusBadRequest, fmt.Errorf(`"topk" is %d; it must be from 1 to %d (0 or null: the default)`, *req.TopK, index.MaxTopK)
	}
	return req, 0, nil
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ErrorResponse{Error: ErrorBody{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"cannot encode the reply"}}`)
	}
	writeBody(w, status, append(data, '\n'))
}

// writeBody sends a JSON body with its length, so that the reply is not
// chunked.
func writeBody(w http.ResponseWriter, status int, data []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(data))}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}
