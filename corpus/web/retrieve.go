package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/simgym/simgym/corpus/index"
)

// PassageSearcher is what RetrieveHandler needs from an index;
// *index.Index is one.
type PassageSearcher interface {
	Passages(ctx context.Context, query string, topK int) ([]index.PassageHit, error)
}

// Defaults for RetrieveOptions.
const (
	DefaultRetrieveTopK       = 3
	DefaultRetrieveMaxQueries = 1024
	DefaultRetrieveMaxBody    = 4 << 20
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
	// Parallel is the number of queries of one request searched at once;
	// 0 means GOMAXPROCS.
	Parallel int
}

// RetrieveRequest is the body of POST /retrieve.
type RetrieveRequest struct {
	Queries []string `json:"queries"`
	// TopK is the number of passages per query, 1 to index.MaxTopK;
	// absent means RetrieveOptions.DefaultTopK.
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
func RetrieveHandler(s PassageSearcher, opts RetrieveOptions) http.Handler {
	if opts.DefaultTopK <= 0 {
		opts.DefaultTopK = DefaultRetrieveTopK
	}
	if opts.MaxQueries <= 0 {
		opts.MaxQueries = DefaultRetrieveMaxQueries
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultRetrieveMaxBody
	}
	if opts.Parallel <= 0 {
		opts.Parallel = runtime.GOMAXPROCS(0)
	}
	return &retrieveHandler{s: s, opts: opts}
}

type retrieveHandler struct {
	s    PassageSearcher
	opts RetrieveOptions
}

func (h *retrieveHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if req.TopK != nil {
		topK = *req.TopK
	}
	hits := make([][]index.PassageHit, len(req.Queries))
	g, ctx := errgroup.WithContext(r.Context())
	g.SetLimit(h.opts.Parallel)
	for i, q := range req.Queries {
		if strings.TrimSpace(q) == "" {
			continue
		}
		g.Go(func() error {
			hs, err := h.s.Passages(ctx, q, topK)
			if err != nil {
				return fmt.Errorf("query %d: %w", i, err)
			}
			hits[i] = hs
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if r.Context().Err() != nil {
			return // the client has gone
		}
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	resp := RetrieveResponse{Result: make([]any, len(hits))}
	for i, hs := range hits {
		if req.ReturnScores {
			list := make([]ScoredDocument, len(hs))
			for j, hit := range hs {
				list[j] = ScoredDocument{Document: retrieved(hit), Score: hit.Score}
			}
			resp.Result[i] = list
		} else {
			list := make([]RetrievedDocument, len(hs))
			for j, hit := range hs {
				list[j] = retrieved(hit)
			}
			resp.Result[i] = list
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func retrieved(h index.PassageHit) RetrievedDocument {
	return RetrievedDocument{ID: h.ID, Contents: h.Contents()}
}

var errNotJSON = errors.New("body is not one JSON object")

// decodeRetrieve reads and checks a /retrieve request. On failure it
// returns the HTTP status to answer with.
func decodeRetrieve(body io.Reader, opts RetrieveOptions) (RetrieveRequest, int, error) {
	var req RetrieveRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body is larger than %d bytes", tooLarge.Limit)
		}
		if errors.Is(err, io.EOF) {
			return req, http.StatusBadRequest, fmt.Errorf("%w: the body is empty", errNotJSON)
		}
		return req, http.StatusBadRequest, fmt.Errorf("bad JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, http.StatusRequestEntityTooLarge, fmt.Errorf("body is larger than %d bytes", tooLarge.Limit)
		}
		return req, http.StatusBadRequest, fmt.Errorf("%w: something follows it", errNotJSON)
	}
	switch {
	case req.Queries == nil:
		return req, http.StatusBadRequest, errors.New(`"queries" is missing: send {"queries": ["..."], "topk": 3}`)
	case len(req.Queries) == 0:
		return req, http.StatusBadRequest, errors.New(`"queries" is empty`)
	case len(req.Queries) > opts.MaxQueries:
		return req, http.StatusRequestEntityTooLarge, fmt.Errorf(`%d queries; at most %d per request`, len(req.Queries), opts.MaxQueries)
	case req.TopK != nil && (*req.TopK < 1 || *req.TopK > index.MaxTopK):
		return req, http.StatusBadRequest, fmt.Errorf(`"topk" is %d; it must be from 1 to %d`, *req.TopK, index.MaxTopK)
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
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}
