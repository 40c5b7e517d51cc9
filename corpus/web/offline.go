package web

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus/index"
)

// Serper's defaults and bounds, as the offline provider applies them.
const (
	// DefaultSerperResults is Serper's default "num".
	DefaultSerperResults = 10
	// MaxSerperResults bounds "num" times "page".
	MaxSerperResults = index.MaxTopK
)

// ErrNoResults: the offline provider found nothing for a query.
var ErrNoResults = errors.New("no results")

// Offline is the Provider over the offline corpus: Search and Scholar
// run the index's document search, Read returns a page by URL or title.
type Offline struct {
	s Searcher
}

// NewOffline returns the offline Provider over a searcher
// (*index.Index is one).
func NewOffline(s Searcher) *Offline { return &Offline{s: s} }

var _ Provider = (*Offline)(nil)

// window returns how many hits to ask for and which of them a query's
// page holds.
func (q SearchQuery) window() (num, from, to int, err error) {
	num, page := q.Num, q.Page
	if num <= 0 {
		num = DefaultSerperResults
	}
	if page <= 0 {
		page = 1
	}
	if num > MaxSerperResults {
		num = MaxSerperResults
	}
	if page*num > MaxSerperResults {
		return 0, 0, 0, fmt.Errorf("%w: page %d of %d results goes past the first %d results", ErrBadArgument, page, num, MaxSerperResults)
	}
	return num, (page - 1) * num, page * num, nil
}

// params is the searchParameters echo of a query.
func (q SearchQuery) params(kind string) map[string]any {
	num, page := q.Num, q.Page
	if num <= 0 {
		num = DefaultSerperResults
	}
	if page <= 0 {
		page = 1
	}
	p := map[string]any{"q": q.Q, "type": kind, "num": num, "page": page, "engine": "simgym"}
	for k, v := range map[string]string{"gl": q.GL, "hl": q.HL, "location": q.Location} {
		if v != "" {
			p[k] = v
		}
	}
	return p
}

// Search answers a Serper web search from the index: the query's page of
// results, best first, positions counted from 1 over all pages.
func (o *Offline) Search(ctx context.Context, q SearchQuery) (SerperResponse, error) {
	q.Q = strings.TrimSpace(q.Q)
	if q.Q == "" {
		return SerperResponse{}, fmt.Errorf("search: %w: q is empty", ErrBadArgument)
	}
	_, from, to, err := q.window()
	if err != nil {
		return SerperResponse{}, fmt.Errorf("search %q: %w", q.Q, err)
	}
	hits, err := o.s.Search(ctx, q.Q, to)
	if err != nil {
		return SerperResponse{}, fmt.Errorf("search %q: %w", q.Q, err)
	}
	out := SerperResponse{SearchParameters: q.params("search"), Organic: []OrganicResult{}}
	for i := from; i < min(to, len(hits)); i++ {
		h := hits[i]
		out.Organic = append(out.Organic, OrganicResult{Title: h.Title, Link: h.URL, Snippet: h.Snippet, Position: i + 1})
	}
	return out, nil
}

// Scholar answers a Serper Scholar search from the index. Works (pages
// whose infobox names an author, director or artist) come first, with
// their publication line, year and citation count read from the page;
// other pages follow without them. The link and pdfUrl are the page's URL.
func (o *Offline) Scholar(ctx context.Context, q SearchQuery) (ScholarResponse, error) {
	q.Q = strings.TrimSpace(q.Q)
	if q.Q == "" {
		return ScholarResponse{}, fmt.Errorf("scholar: %w: q is empty", ErrBadArgument)
	}
	_, from, to, err := q.window()
	if err != nil {
		return ScholarResponse{}, fmt.Errorf("scholar %q: %w", q.Q, err)
	}
	hits, err := o.s.Search(ctx, q.Q, min(MaxSerperResults, 3*to))
	if err != nil {
		return ScholarResponse{}, fmt.Errorf("scholar %q: %w", q.Q, err)
	}
	var works, others []ScholarResult
	for _, h := range hits {
		r := ScholarResult{Title: h.Title, Link: h.URL, PDFURL: h.URL, Snippet: h.Snippet}
		if doc, err := o.s.Page(h.URL); err == nil {
			if m, ok := ScholarMeta(doc.Title, doc.Text); ok {
				r.PublicationInfo, r.Year, r.CitedBy = m.PublicationInfo, m.Year, m.CitedBy
				works = append(works, r)
				continue
			}
		}
		others = append(others, r)
	}
	all := append(works, others...)
	out := ScholarResponse{SearchParameters: q.params("scholar"), Organic: []ScholarResult{}}
	for i := from; i < min(to, len(all)); i++ {
		r := all[i]
		r.Position = i + 1
		out.Organic = append(out.Organic, r)
	}
	return out, nil
}

// Read returns the page a URL (or title) names, its text as the content.
// An unknown page is an error wrapping ErrNotFound.
func (o *Offline) Read(ctx context.Context, url string) (Page, error) {
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	doc, err := o.s.Page(url)
	if errors.Is(err, index.ErrNotFound) {
		return Page{}, fmt.Errorf("read %q: %w", url, ErrNotFound)
	}
	if err != nil {
		return Page{}, fmt.Errorf("read %q: %w", url, err)
	}
	return Page{Title: doc.Title, URL: doc.URL, Content: doc.Text}, nil
}

// Scholarly is what a page says about a work, for Scholar results.
type Scholarly struct {
	// PublicationInfo is "Creator - Publisher, Year" (the parts known).
	PublicationInfo string
	Year            int
	CitedBy         int
}

// Infobox keys that name a work's creator, publisher and year.
var (
	creatorKeys   = []string{"Author", "Directed by", "Artist", "Authors"}
	publisherKeys = []string{"Publisher", "Studio", "Label", "Journal", "Published by"}
	yearKeys      = []string{"Published", "Released", "Release date", "Year", "Publication date"}
)

// ScholarMeta reads a work's scholarly metadata from its page: the
// creator, publisher and year from its "Key: value" lines, and the
// citation count from a "cited N times" sentence (SimWiki's works have
// one), else a count derived from the title. It reports false for a page
// that names no creator.
func ScholarMeta(title, text string) (Scholarly, bool) {
	fields := map[string]string{}
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if ok && len(k) <= 30 && v != "" {
			if _, seen := fields[k]; !seen {
				fields[k] = strings.TrimSpace(v)
			}
		}
	}
	first := func(keys []string) string {
		for _, k := range keys {
			if v := fields[k]; v != "" {
				return v
			}
		}
		return ""
	}
	creator := first(creatorKeys)
	if creator == "" {
		return Scholarly{}, false
	}
	var m Scholarly
	if y := first(yearKeys); y != "" {
		f := strings.Fields(y)
		if n, err := strconv.Atoi(strings.Trim(f[len(f)-1], ".,;()")); err == nil {
			m.Year = n
		}
	}
	info := creator
	if p := first(publisherKeys); p != "" {
		info += " - " + p
	}
	if m.Year > 0 {
		info += ", " + strconv.Itoa(m.Year)
	}
	m.PublicationInfo = info
	m.CitedBy = citedBy(title, text)
	return m, true
}

// citedBy reads "cited N times" from text, or derives a stable count
// from the title.
func citedBy(title, text string) int {
	if i := strings.Index(text, "cited "); i >= 0 {
		f := strings.Fields(text[i+len("cited "):])
		if len(f) >= 2 && strings.HasPrefix(f[1], "time") {
			if n, err := strconv.Atoi(strings.ReplaceAll(f[0], ",", "")); err == nil {
				return n
			}
		}
	}
	h := fnv.New32a()
	h.Write([]byte(title))
	return int(h.Sum32() % 500)
}
