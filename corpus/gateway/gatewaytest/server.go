// Package gatewaytest provides fakes of the web providers for tests and
// benchmarks of the gateway: an HTTP server speaking Serper's and Jina
// Reader's protocols that injects faults, an offline Provider, and the
// fault-injected scenario that `simgym bench web` runs.
package gatewaytest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/simgym/simgym/corpus/web"
)

// Faults are the shares of requests a Server fails, drawn for each
// request from a hash of Seed, the request and how many times the server
// has seen it, so a run's faults do not depend on its timing.
type Faults struct {
	Unavailable float64 // 503 Service Unavailable
	TooMany     float64 // 429 Too Many Requests with Retry-After: RetryAfter
	RetryAfter  string
	Hang        float64 // no reply until the client gives up
	Malformed   float64 // 200 with a body that is not JSON
	Seed        uint64
}

// Fault names, as Server.Injected counts them.
const (
	FaultUnavailable = "503"
	FaultTooMany     = "429"
	FaultHang        = "hang"
	FaultMalformed   = "malformed"
)

// Server is a fake Serper (POST /search, POST /scholar with X-API-KEY)
// and Jina Reader (GET /{url} with Authorization: Bearer and Accept:
// application/json) on one httptest server. It records when each
// request arrived, by provider ("serper", "jina").
type Server struct {
	*httptest.Server
	key    string
	faults Faults

	mu       sync.Mutex
	arrivals map[string][]time.Time
	seen     map[string]int
	injected map[string]int
}

// NewServer starts a fake provider accepting key.
func NewServer(key string, f Faults) *Server {
	s := &Server{key: key, faults: f, arrivals: map[string][]time.Time{}, seen: map[string]int{}, injected: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Requests is how many requests the provider has received.
func (s *Server) Requests(provider string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrivals[provider])
}

// Injected is how many faults of each kind the server has injected.
func (s *Server) Injected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.injected {
		out[k] = v
	}
	return out
}

// MaxInWindow is the most requests the provider received within any
// span of w (a sliding window over the arrival times).
func (s *Server) MaxInWindow(provider string, w time.Duration) int {
	s.mu.Lock()
	ts := slices.Clone(s.arrivals[provider])
	s.mu.Unlock()
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	provider := "jina"
	if r.URL.Path == "/search" || r.URL.Path == "/scholar" {
		provider = "serper"
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id := r.Method + " " + r.URL.RequestURI() + " " + string(body)
	s.mu.Lock()
	s.arrivals[provider] = append(s.arrivals[provider], time.Now())
	n := s.seen[id]
	s.seen[id]++
	fault := s.draw(id, n)
	if fault != "" {
		s.injected[fault]++
	}
	s.mu.Unlock()
	switch fault {
	case FaultUnavailable:
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	case FaultTooMany:
		w.Header().Set("Retry-After", s.faults.RetryAfter)
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	case FaultHang:
		<-r.Context().Done()
		return
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"organic": [{"title": "trunc`)
		return
	}
	if provider == "serper" {
		s.serper(w, r, body)
		return
	}
	s.jina(w, r)
}

// draw picks the fault of the n-th arrival of request id, if any.
func (s *Server) draw(id string, n int) string {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.faults.Seed)
	h.Write(b[:])
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	h.Write(b[:])
	h.Write([]byte(id))
	u := float64(h.Sum64()>>11) / (1 << 53)
	f := s.faults
	for _, c := range []struct {
		p    float64
		name string
	}{{f.Unavailable, FaultUnavailable}, {f.TooMany, FaultTooMany}, {f.Hang, FaultHang}, {f.Malformed, FaultMalformed}} {
		if u < c.p {
			return c.name
		}
		u -= c.p
	}
	return ""
}

func (s *Server) serper(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.Header.Get("X-API-KEY") != s.key {
		writeJSON(w, http.StatusForbidden, map[string]any{"message": "Unauthorized.", "statusCode": 403})
		return
	}
	var q web.SearchQuery
	if err := json.Unmarshal(body, &q); err != nil || strings.TrimSpace(q.Q) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Missing query 'q' parameter.", "statusCode": 400})
		return
	}
	num := q.Num
	if num <= 0 {
		num = 10
	}
	num = min(num, 3)
	if r.URL.Path == "/scholar" {
		var res []web.ScholarResult
		for i := range num {
			res = append(res, web.ScholarResult{Title: fmt.Sprintf("Paper %d on %s", i+1, q.Q), Link: fmt.Sprintf("https://papers.example/%d?q=%s", i+1, q.Q),
				Snippet: "We study " + q.Q + ".", PublicationInfo: "A Author - Journal, 2020", Year: 2020 + i, CitedBy: 10 * (i + 1), Position: i + 1})
		}
		writeJSON(w, http.StatusOK, map[string]any{"searchParameters": map[string]any{"q": q.Q, "type": "scholar", "engine": "google-scholar"}, "organic": res, "credits": 1})
		return
	}
	var res []web.OrganicResult
	for i := range num {
		res = append(res, web.OrganicResult{Title: fmt.Sprintf("Result %d for %s", i+1, q.Q), Link: fmt.Sprintf("https://web.example/%d?q=%s", i+1, q.Q),
			Snippet: "About " + q.Q + ".", Position: i + 1})
	}
	writeJSON(w, http.StatusOK, map[string]any{"searchParameters": map[string]any{"q": q.Q, "type": "search", "engine": "google"}, "organic": res, "credits": 1})
}

func (s *Server) jina(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.key {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": 401, "name": "AuthenticationRequiredError", "message": "invalid key"})
		return
	}
	target := strings.TrimPrefix(r.URL.RequestURI(), "/")
	if r.Header.Get("Accept") != "application/json" {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "Title: Page\n\nURL Source: %s\n\nMarkdown Content:\nText of %s\n", target, target)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "status": 20000, "data": map[string]any{
		"title": "Page " + target, "description": "", "url": target, "content": "# Page\n\nText of " + target + ".", "usage": map[string]any{"tokens": 12}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
