// Package web provides the web tools that research agents use in
// episodes, over the offline Wikipedia index: search (titles, URLs and
// snippets), visit (a page's clean text, a bounded page at a time) and
// find (a pattern in the page in hand). A Session holds one episode's page
// in hand. RetrieveHandler serves POST /retrieve, the passage retrieval
// API of Search-R1's retrieval server.
package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"
)

// Searcher is what the tools need from an index; *index.Index is one.
type Searcher interface {
	Search(ctx context.Context, query string, topK int) ([]index.Hit, error)
	Page(ref string) (corpus.Document, error)
}

// Tool errors. Their text is what an agent reads, so it says what to do.
var (
	// ErrNotFound: visit found no page for the URL or title.
	ErrNotFound = errors.New("no page with this URL or title; search for it and visit one of the result URLs")
	// ErrNoPage: find was called before any visit.
	ErrNoPage = errors.New("no page in hand; visit a page first")
	// ErrBadArgument: an argument is missing or out of range.
	ErrBadArgument = errors.New("bad argument")
	// ErrUnknownTool: Call was given a name that is not a web tool.
	ErrUnknownTool = errors.New("unknown tool")
)

// Limits and defaults of the tools.
const (
	// DefaultPageChars is the default bound on a visit page's length.
	DefaultPageChars = 4000
	// DefaultSearchResults is the number of search results when the
	// agent gives no top_k; MaxSearchResults caps top_k.
	DefaultSearchResults = 5
	MaxSearchResults     = 20
	// DefaultFindMatches is the default bound on find's matches.
	DefaultFindMatches = 20
	// MaxPatternChars bounds the length of find's pattern.
	MaxPatternChars = 200
)

// A find match shows the whole line when it is at most longLine bytes,
// else findContext bytes either side of the match.
const (
	longLine    = 300
	findContext = 120
)

// Options tune the tools. The zero value gives the defaults.
type Options struct {
	// PageChars bounds the length of a visited page, in bytes of UTF-8
	// text; 0 means DefaultPageChars.
	PageChars int
	// MaxFindMatches bounds the matches find returns; 0 means
	// DefaultFindMatches.
	MaxFindMatches int
	// Provider answers the Tongyi-format tools (search with a list of
	// queries, visit with a goal, google_scholar); nil means the offline
	// provider over the session's searcher (NewOffline).
	Provider Provider
}

func (o Options) pageChars() int {
	if o.PageChars > 0 {
		return o.PageChars
	}
	return DefaultPageChars
}

func (o Options) maxFindMatches() int {
	if o.MaxFindMatches > 0 {
		return o.MaxFindMatches
	}
	return DefaultFindMatches
}

// SearchResult is one result of the search tool.
type SearchResult struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Snippet string `json:"snippet"`
}

// SearchResponse is what the search tool returns.
type SearchResponse struct {
	Query   string         `json:"query"`
	Results []SearchResult `json:"results"`
}

// VisitResponse is what the visit tool returns: one page of a document.
type VisitResponse struct {
	Title string `json:"title"`
	URL   string `json:"url"`
	// Page is this page's number, from 1, of Pages.
	Page  int    `json:"page"`
	Pages int    `json:"pages"`
	Text  string `json:"text"`
	// NextPage is the number to visit for the rest of the text, or 0 on
	// the last page.
	NextPage int `json:"next_page,omitempty"`
}

// FindResponse is what the find tool returns.
type FindResponse struct {
	Pattern string `json:"pattern"`
	Title   string `json:"title"`
	URL     string `json:"url"`
	// Total is the number of matching lines; Matches holds at most the
	// first MaxFindMatches of them.
	Total   int         `json:"total"`
	Matches []FindMatch `json:"matches"`
}

// FindMatch is a line of the page in hand that holds the pattern.
type FindMatch struct {
	// Page is the visit page the line is on.
	Page int `json:"page"`
	// Text is the line, or a window of it around the match, with "…"
	// where it was cut.
	Text string `json:"text"`
}

// Session is one episode's browser: the tools, and the page in hand that
// visit sets and find searches. It is safe for concurrent use, though an
// episode's calls are normally sequential.
type Session struct {
	searcher Searcher
	opts     Options

	provider Provider

	mu    sync.Mutex
	doc   corpus.Document
	pages []string // the page in hand, cut into visit pages; nil before any visit

	// opened are the pages read (a document ID, or a URL read through
	// the provider), in order; searches counts search queries.
	opened   []string
	searches int
}

// NewSession returns a session with no page in hand.
func NewSession(s Searcher, opts Options) *Session {
	p := opts.Provider
	if p == nil {
		p = NewOffline(s)
	}
	return &Session{searcher: s, opts: opts, provider: p}
}

// Search runs the search tool: the topK (DefaultSearchResults if 0, at
// most MaxSearchResults) best pages for the query.
func (s *Session) Search(ctx context.Context, query string, topK int) (SearchResponse, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return SearchResponse{}, fmt.Errorf("search: %w: query is empty", ErrBadArgument)
	}
	switch {
	case topK == 0:
		topK = DefaultSearchResults
	case topK < 0:
		return SearchResponse{}, fmt.Errorf("search: %w: top_k must be positive", ErrBadArgument)
	case topK > MaxSearchResults:
		topK = MaxSearchResults
	}
	s.count(1)
	hits, err := s.searcher.Search(ctx, query, topK)
	if err != nil {
		return SearchResponse{}, fmt.Errorf("search %q: %w", query, err)
	}
	out := SearchResponse{Query: query, Results: make([]SearchResult, len(hits))}
	for i, h := range hits {
		out.Results[i] = SearchResult{Title: h.Title, URL: h.URL, Snippet: h.Snippet}
	}
	return out, nil
}

// Visit runs the visit tool: page page (from 1; 0 means 1) of the
// document that ref names (a URL from search results, or a title), which
// becomes the page in hand. An empty ref reads another page of the page in
// hand.
func (s *Session) Visit(ctx context.Context, ref string, page int) (VisitResponse, error) {
	if err := ctx.Err(); err != nil {
		return VisitResponse{}, err
	}
	ref = strings.TrimSpace(ref)
	if page < 0 {
		return VisitResponse{}, fmt.Errorf("visit: %w: page must be positive", ErrBadArgument)
	}
	if page == 0 {
		page = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref == "" {
		if s.pages == nil {
			return VisitResponse{}, fmt.Errorf("visit: %w: url is empty and no page is in hand", ErrBadArgument)
		}
	} else if ref != s.doc.URL && ref != s.doc.Title || s.pages == nil {
		doc, err := s.searcher.Page(ref)
		if errors.Is(err, index.ErrNotFound) {
			return VisitResponse{}, fmt.Errorf("visit %q: %w", ref, ErrNotFound)
		}
		if err != nil {
			return VisitResponse{}, fmt.Errorf("visit %q: %w", ref, err)
		}
		s.doc, s.pages = doc, paginate(doc.Text, s.opts.pageChars())
		s.opened = append(s.opened, doc.ID)
	}
	if page > len(s.pages) {
		return VisitResponse{}, fmt.Errorf("visit %q: %w: page %d of %d", s.doc.Title, ErrBadArgument, page, len(s.pages))
	}
	out := VisitResponse{
		Title: s.doc.Title,
		URL:   s.doc.URL,
		Page:  page,
		Pages: len(s.pages),
		Text:  s.pages[page-1],
	}
	if page < len(s.pages) {
		out.NextPage = page + 1
	}
	return out, nil
}

// Find runs the find tool: the lines of the page in hand (all of its
// visit pages) that hold pattern, ignoring case.
func (s *Session) Find(ctx context.Context, pattern string) (FindResponse, error) {
	if err := ctx.Err(); err != nil {
		return FindResponse{}, err
	}
	pattern = strings.TrimSpace(pattern)
	switch {
	case pattern == "":
		return FindResponse{}, fmt.Errorf("find: %w: pattern is empty", ErrBadArgument)
	case utf8.RuneCountInString(pattern) > MaxPatternChars:
		return FindResponse{}, fmt.Errorf("find: %w: pattern is longer than %d characters", ErrBadArgument, MaxPatternChars)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pages == nil {
		return FindResponse{}, fmt.Errorf("find %q: %w", pattern, ErrNoPage)
	}
	out := FindResponse{Pattern: pattern, Title: s.doc.Title, URL: s.doc.URL, Matches: []FindMatch{}}
	lp := strings.ToLower(pattern)
	limit := s.opts.maxFindMatches()
	for i, p := range s.pages {
		for line := range strings.Lines(p) {
			line = strings.TrimSpace(line)
			lower := strings.ToLower(line)
			at := strings.Index(lower, lp)
			if at < 0 {
				continue
			}
			out.Total++
			if len(out.Matches) < limit {
				out.Matches = append(out.Matches, FindMatch{Page: i + 1, Text: around(line, lower, at, len(lp))})
			}
		}
	}
	return out, nil
}

// count adds n search queries to the session's count.
func (s *Session) count(n int) {
	s.mu.Lock()
	s.searches += n
	s.mu.Unlock()
}

// noteOpened records a page read.
func (s *Session) noteOpened(ref string) {
	s.mu.Lock()
	s.opened = append(s.opened, ref)
	s.mu.Unlock()
}

// Searches returns how many search queries the session ran (search and
// google_scholar, each query of a list counted).
func (s *Session) Searches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.searches
}

// Opened returns the IDs of the documents the session read (visit,
// get_document, Tongyi visits), in first-read order without repeats. A
// page read through a provider is resolved by its URL; one the searcher
// does not know is left out.
func (s *Session) Opened() []string {
	s.mu.Lock()
	refs := append([]string(nil), s.opened...)
	s.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, r := range refs {
		id := r
		if strings.Contains(r, "://") {
			doc, err := s.searcher.Page(r)
			if err != nil {
				continue
			}
			id = doc.ID
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// PageInHand returns the document last visited, and false before any visit.
func (s *Session) PageInHand() (corpus.Document, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doc, s.pages != nil
}

// around returns line, or, if it is long, a window of it around the match
// at byte at of lower (line in lower case) of n bytes.
func around(line, lower string, at, n int) string {
	if len(line) <= longLine {
		return line
	}
	if len(lower) != len(line) {
		// Lower-casing changed the byte offsets; cut from the start.
		return cutAt(line, 0, 2*findContext)
	}
	return cutAt(line, max(0, at-findContext), at+n+findContext)
}

// cutAt returns s[from:to], both moved out to rune and word boundaries,
// with "…" marking a cut.
func cutAt(s string, from, to int) string {
	to = min(to, len(s))
	for from > 0 && !isSpace(s[from-1]) {
		from--
	}
	for to < len(s) && !isSpace(s[to]) {
		to++
	}
	out := strings.TrimSpace(s[from:to])
	if from > 0 {
		out = "…" + out
	}
	if to < len(s) {
		out += "…"
	}
	return out
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// paginate cuts text into pages of at most n bytes each: at the last
// paragraph break of a page's second half if there is one, else at its
// last sentence end, else at its last space, else inside a word (but never
// inside a character). A text with no words is one empty page.
func paginate(text string, n int) []string {
	text = strings.TrimSpace(text)
	var pages []string
	for len(text) > n {
		cut := pageCut(text[:n+1])
		pages = append(pages, strings.TrimSpace(text[:cut]))
		text = strings.TrimSpace(text[cut:])
	}
	return append(pages, text)
}

// pageCut returns where to end a page within window (one byte longer than
// a page, so a break right after a full page counts).
func pageCut(window string) int {
	half := len(window) / 2 // a page is at least half full
	if i := strings.LastIndex(window, "\n\n"); i >= half {
		return i
	}
	best := -1
	for _, end := range []string{". ", "! ", "? ", ".\n", "!\n", "?\n"} {
		if i := strings.LastIndex(window, end); i+1 > best {
			best = i + 1
		}
	}
	if best >= half {
		return best
	}
	if i := strings.LastIndexAny(window, " \n\t"); i >= half {
		return i
	}
	cut := len(window) - 1
	for cut > 0 && !utf8.RuneStart(window[cut]) {
		cut--
	}
	if cut == 0 { // one huge rune: cannot happen with n >= 4
		return len(window)
	}
	return cut
}
