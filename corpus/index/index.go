package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/simgym/simgym/corpus"
)

// Query limits.
const (
	// MaxTopK is the largest number of results one query may ask for.
	MaxTopK = 100
	// MaxQueryTerms is the number of distinct terms of a query that are
	// searched; the rest are ignored, which bounds a query's cost.
	MaxQueryTerms = 32
	// MaxQueryBytes is the length of query text that is analysed; the rest
	// is ignored.
	MaxQueryBytes = 4096
)

// Defaults for Options.
const (
	DefaultTitleBoost        = 2.0
	DefaultPassageTitleBoost = 1.0
	DefaultCommonTermRatio   = 0.05
)

// commonTermMinDocs is the least number of documents a common term is in:
// in a small index no term is common.
const commonTermMinDocs = 1000

// Options tune an opened index. The zero value gives the defaults.
type Options struct {
	// CacheEntries bounds the query-result cache by count; 0 means
	// DefaultCacheEntries and a negative value disables the cache.
	CacheEntries int
	// CacheBytes bounds the cache by the estimated size of its results;
	// 0 means DefaultCacheBytes and a negative value disables the cache.
	CacheBytes int64
	// TitleBoost weighs a query term found in a document's title against
	// one found in its text, for Search; 0 means DefaultTitleBoost.
	TitleBoost float64
	// PassageTitleBoost does the same for Passages; 0 means
	// DefaultPassageTitleBoost, which scores a passage much as BM25 over
	// its wiki-18 "contents" (title and text together) would.
	PassageTitleBoost float64
	// SnippetChars is the length of search snippets; 0 means
	// DefaultSnippetChars.
	SnippetChars int
	// CommonTermRatio makes queries cheaper, as Lucene's common-terms
	// query does: a query term found in the text of more than this
	// fraction of the documents (and of at least 1,000) only adds to the
	// score of documents that the query's other terms find, instead of
	// making every document that holds it a candidate. Scores are still
	// BM25; only documents that hold nothing but common terms are left
	// out, and if that leaves fewer than topK results the query is run
	// again without the distinction. If every term is common, the rarest
	// one must match. 0 means DefaultCommonTermRatio; a negative value
	// turns this off, for exact BM25 over all candidates.
	CommonTermRatio float64
}

// Hit is one document found by Search.
type Hit struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	// Snippet is plain text: a window of the document's text around the
	// best match of the query, with "…" where it was cut.
	Snippet string  `json:"snippet"`
	Score   float64 `json:"score"`
}

// PassageHit is one passage found by Passages.
type PassageHit struct {
	Passage
	Score float64 `json:"score"`
}

// Info describes an open index.
type Info struct {
	Dir          string `json:"dir"`
	Documents    int    `json:"documents"`
	Passages     int    `json:"passages"`
	Redirects    int    `json:"redirects"`
	PassageWords int    `json:"passage_words"`
}

// Index is an open, read-only index: documents and their passages, scored
// with BM25, and a cache of query results. It is safe for concurrent use.
type Index struct {
	info      Info
	opts      Options
	docs      bleve.Index
	passages  bleve.Index
	redirects bleve.Index // nil when the index has no redirects
	analyzer  analysis.Analyzer
	cache     *resultCache
	flight    singleflight.Group
	latency   *prometheus.HistogramVec

	mu     sync.RWMutex // guards closed against Close
	closed bool
}

// Open opens the index in dir for reading, with default Options.
func Open(dir string) (*Index, error) {
	return OpenWithOptions(dir, Options{})
}

// OpenWithOptions opens the index in dir for reading. It fails with
// ErrNotIndex if dir holds no simgym index and ErrIndexVersion if the
// index was written in another format version.
func OpenWithOptions(dir string, opts Options) (*Index, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("open index %s: %w", dir, ErrNotIndex)
	}
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Format != formatName {
		return nil, fmt.Errorf("open index %s: %w", dir, ErrNotIndex)
	}
	if m.Version != formatVersion {
		return nil, fmt.Errorf("open index %s: version %d, want %d: %w", dir, m.Version, formatVersion, ErrIndexVersion)
	}
	x := &Index{
		info: Info{Dir: dir, Documents: m.Documents, Passages: m.Passages, Redirects: m.Redirects, PassageWords: m.PassageWords},
		opts: opts,
	}
	fail := func(err error) (*Index, error) {
		x.closeAll()
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if x.docs, err = openBleve(dir, docsName); err != nil {
		return fail(err)
	}
	if x.passages, err = openBleve(dir, passagesName); err != nil {
		return fail(err)
	}
	if m.Redirects > 0 {
		if x.redirects, err = openBleve(dir, redirectsName); err != nil {
			return fail(err)
		}
	}
	if x.analyzer = x.docs.Mapping().AnalyzerNamed(en.AnalyzerName); x.analyzer == nil {
		return fail(fmt.Errorf("analyzer %q missing", en.AnalyzerName))
	}
	entries, bytes := opts.CacheEntries, opts.CacheBytes
	if entries == 0 {
		entries = DefaultCacheEntries
	}
	if bytes == 0 {
		bytes = DefaultCacheBytes
	}
	x.cache = newResultCache(entries, bytes)
	x.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "simgym_index_search_seconds",
		Help:    "Time to answer a query that missed the cache.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
	}, []string{"kind"})
	return x, nil
}

func openBleve(dir, name string) (bleve.Index, error) {
	b, err := bleve.OpenUsing(filepath.Join(dir, name), map[string]any{"read_only": true})
	if err != nil {
		return nil, fmt.Errorf("open %s index: %w", name, err)
	}
	return b, nil
}

// Close releases the index. Calls after Close fail with ErrIndexClosed.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	if err := x.closeAll(); err != nil {
		return fmt.Errorf("close index %s: %w", x.info.Dir, err)
	}
	return nil
}

func (x *Index) closeAll() error {
	var errs []error
	for _, b := range []bleve.Index{x.docs, x.passages, x.redirects} {
		if b != nil {
			errs = append(errs, b.Close())
		}
	}
	return errors.Join(errs...)
}

// Info describes the index.
func (x *Index) Info() Info { return x.info }

// Collectors returns the index's Prometheus metrics (cache hits, misses,
// evictions, size, and uncached search latency) for the caller to register.
func (x *Index) Collectors() []prometheus.Collector {
	return append(x.cache.collectors(), x.latency)
}

// queryTerm is an analysed query term and how often the query holds it.
type queryTerm struct {
	term  string
	count int
}

// analyze turns query text into its distinct terms, in order of first
// appearance, as the index analysed its text.
func (x *Index) analyze(q string) ([]queryTerm, error) {
	if strings.TrimSpace(q) == "" {
		return nil, ErrEmptyQuery
	}
	if len(q) > MaxQueryBytes {
		cut := MaxQueryBytes
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = q[:cut]
	}
	var terms []queryTerm
	for _, tok := range x.analyzer.Analyze([]byte(q)) {
		i := slices.IndexFunc(terms, func(t queryTerm) bool { return t.term == string(tok.Term) })
		if i >= 0 {
			terms[i].count++
			continue
		}
		if len(terms) < MaxQueryTerms {
			terms = append(terms, queryTerm{term: string(tok.Term), count: 1})
		}
	}
	return terms, nil
}

// Search finds the topK documents that best match the query, scored with
// BM25 over their title (boosted) and text. Ties are broken by ID, so the
// order is the same every time for a given index. A query whose words are
// all stop words finds nothing. Results are cached; callers must not
// modify the returned slice's elements.
func (x *Index) Search(ctx context.Context, q string, topK int) ([]Hit, error) {
	v, err := x.run(ctx, kindSearch, q, topK, func(ctx context.Context, terms []queryTerm) (any, int64, error) {
		hits, err := x.searchDocuments(ctx, terms, topK)
		var size int64
		for _, h := range hits {
			size += int64(len(h.ID)+len(h.Title)+len(h.URL)+len(h.Snippet)) + 96
		}
		return hits, size, err
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q, err)
	}
	return slices.Clone(v.([]Hit)), nil
}

// Passages finds the topK passages that best match the query, scored with
// BM25 over their title and text, ties broken by ID. Results are cached.
func (x *Index) Passages(ctx context.Context, q string, topK int) ([]PassageHit, error) {
	v, err := x.run(ctx, kindPassages, q, topK, func(ctx context.Context, terms []queryTerm) (any, int64, error) {
		hits, err := x.searchPassages(ctx, terms, topK)
		var size int64
		for _, h := range hits {
			size += int64(len(h.ID)+len(h.DocID)+len(h.Title)+len(h.Text)) + 112
		}
		return hits, size, err
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve passages %q: %w", q, err)
	}
	return slices.Clone(v.([]PassageHit)), nil
}

// run answers a query from the cache or, on a miss, with fn, letting
// concurrent identical queries share one evaluation.
func (x *Index) run(ctx context.Context, kind, q string, topK int,
	fn func(context.Context, []queryTerm) (any, int64, error)) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if topK < 1 || topK > MaxTopK {
		return nil, fmt.Errorf("topK %d not in 1..%d: %w", topK, MaxTopK, ErrTopK)
	}
	if err := x.acquire(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	terms, err := x.analyze(q)
	if err != nil {
		return nil, err
	}
	key := cacheKey(kind, topK, terms)
	if v, ok := x.cache.get(kind, key); ok {
		return v, nil
	}
	ch := x.flight.DoChan(key, func() (any, error) {
		// The evaluation serves every caller waiting on it, so one
		// caller's cancellation must not end it; it is short anyway.
		start := time.Now()
		v, size, err := fn(context.WithoutCancel(ctx), terms)
		if err != nil {
			return nil, err
		}
		x.latency.WithLabelValues(kind).Observe(time.Since(start).Seconds())
		x.cache.add(key, v, size)
		return v, nil
	})
	select {
	case r := <-ch:
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acquire read-locks the index, failing if it is closed.
func (x *Index) acquire() error {
	x.mu.RLock()
	if x.closed {
		x.mu.RUnlock()
		return ErrIndexClosed
	}
	return nil
}

// termQuery builds the BM25 query: one disjunction of a term query per
// term and field, the title's boosted. A term that the query repeats
// weighs as many times more.
func termQuery(terms []queryTerm, titleBoost float64) query.Query {
	qs := make([]query.Query, 0, 2*len(terms))
	for _, t := range terms {
		qs = append(qs, fieldTerm(fieldTitle, t, titleBoost), fieldTerm(fieldText, t, 1))
	}
	return query.NewDisjunctionQuery(qs)
}

func fieldTerm(field string, t queryTerm, boost float64) *query.TermQuery {
	q := query.NewTermQuery(t.term)
	q.SetField(field)
	q.SetBoost(boost * float64(t.count))
	return q
}

// commonTermsQuery builds the query that CommonTermRatio describes, or
// returns nil if no term is common, so that termQuery is the query.
func (x *Index) commonTermsQuery(ctx context.Context, b bleve.Index, docs int, terms []queryTerm, titleBoost float64) (query.Query, error) {
	ratio := x.opts.CommonTermRatio
	if ratio == 0 {
		ratio = DefaultCommonTermRatio
	}
	limit := uint64(max(commonTermMinDocs, ratio*float64(docs)))
	if ratio < 0 || docs <= commonTermMinDocs {
		return nil, nil
	}
	dfs, err := docFreqs(ctx, b, fieldText, terms)
	if err != nil {
		return nil, err
	}
	rarest := 0
	var common []int
	for i, df := range dfs {
		if df > limit {
			common = append(common, i)
		}
		if df < dfs[rarest] {
			rarest = i
		}
	}
	if len(common) == 0 {
		return nil, nil
	}
	if len(common) == len(terms) {
		common = slices.DeleteFunc(common, func(i int) bool { return i == rarest })
	}
	must := make([]query.Query, 0, 2*len(terms))
	should := make([]query.Query, 0, len(common))
	for i, t := range terms {
		must = append(must, fieldTerm(fieldTitle, t, titleBoost))
		if slices.Contains(common, i) {
			should = append(should, fieldTerm(fieldText, t, 1))
		} else {
			must = append(must, fieldTerm(fieldText, t, 1))
		}
	}
	return query.NewBooleanQuery([]query.Query{query.NewDisjunctionQuery(must)}, should, nil), nil
}

// docFreqs returns the number of documents of b whose field holds each term.
func docFreqs(ctx context.Context, b bleve.Index, field string, terms []queryTerm) ([]uint64, error) {
	adv, err := b.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dfs := make([]uint64, len(terms))
	for i, t := range terms {
		tfr, err := r.TermFieldReader(ctx, []byte(t.term), field, false, false, false)
		if err != nil {
			return nil, err
		}
		dfs[i] = tfr.Count()
		if err := tfr.Close(); err != nil {
			return nil, err
		}
	}
	return dfs, nil
}

// best returns the topK matches of the query for terms in b, which holds
// docs documents: those of the common-terms query if it finds enough,
// else those of the plain query.
func (x *Index) best(ctx context.Context, b bleve.Index, docs int, terms []queryTerm, titleBoost float64, topK int) (search.DocumentMatchCollection, error) {
	q, err := x.commonTermsQuery(ctx, b, docs, terms, titleBoost)
	if err != nil {
		return nil, err
	}
	if q != nil {
		hits, err := topMatches(ctx, b, q, topK)
		if err != nil || len(hits) == topK {
			return hits, err
		}
	}
	return topMatches(ctx, b, termQuery(terms, titleBoost), topK)
}

// topMatches runs q on b and returns the IDs and scores of the topK best
// matches, ordered by score and then by ID.
//
// Sorting by ID inside bleve would load every match's ID, so it is done
// here instead: one more match than asked for is fetched, ordered by
// score alone, and re-sorted; only if that extra match ties with the last
// one kept (so the cut might fall inside a tie) does it search again with
// bleve sorting by score and ID.
func topMatches(ctx context.Context, b bleve.Index, q query.Query, topK int) (search.DocumentMatchCollection, error) {
	req := bleve.NewSearchRequestOptions(q, topK+1, 0, false)
	res, err := b.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	hits := res.Hits
	if len(hits) > topK {
		if hits[topK].Score == hits[topK-1].Score {
			req = bleve.NewSearchRequestOptions(q, topK, 0, false)
			req.SortBy([]string{"-_score", "_id"})
			if res, err = b.SearchInContext(ctx, req); err != nil {
				return nil, err
			}
			return res.Hits, nil
		}
		hits = hits[:topK]
	}
	slices.SortStableFunc(hits, func(a, b *search.DocumentMatch) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return hits, nil
}

func (x *Index) searchDocuments(ctx context.Context, terms []queryTerm, topK int) ([]Hit, error) {
	if len(terms) == 0 {
		return []Hit{}, nil
	}
	boost := x.opts.TitleBoost
	if boost == 0 {
		boost = DefaultTitleBoost
	}
	matches, err := x.best(ctx, x.docs, x.info.Documents, terms, boost, topK)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, 0, len(matches))
	for _, m := range matches {
		doc, err := x.document(m.ID)
		if err != nil {
			return nil, err
		}
		hits = append(hits, Hit{
			ID:      doc.ID,
			Title:   doc.Title,
			URL:     doc.URL,
			Snippet: snippet(doc.Text, terms, x.analyzer, x.opts.SnippetChars),
			Score:   m.Score,
		})
	}
	return hits, nil
}

func (x *Index) searchPassages(ctx context.Context, terms []queryTerm, topK int) ([]PassageHit, error) {
	if len(terms) == 0 {
		return []PassageHit{}, nil
	}
	boost := x.opts.PassageTitleBoost
	if boost == 0 {
		boost = DefaultPassageTitleBoost
	}
	matches, err := x.best(ctx, x.passages, x.info.Passages, terms, boost, topK)
	if err != nil {
		return nil, err
	}
	hits := make([]PassageHit, 0, len(matches))
	for _, m := range matches {
		fields, err := storedFields(x.passages, m.ID)
		if err != nil {
			return nil, err
		}
		if fields == nil {
			return nil, fmt.Errorf("passage %s matched but has no stored fields", m.ID)
		}
		doc := fields[fieldDoc]
		ord := 0
		if m.ID != doc { // doc + "#" + ordinal
			ord, _ = strconv.Atoi(m.ID[min(len(doc)+1, len(m.ID)):])
		}
		hits = append(hits, PassageHit{
			Passage: Passage{ID: m.ID, DocID: doc, Ordinal: ord, Title: fields[fieldTitle], Text: fields[fieldText]},
			Score:   m.Score,
		})
	}
	return hits, nil
}

// storedFields returns the stored fields of the document id in b, or nil
// if there is no such document.
func storedFields(b bleve.Index, id string) (map[string]string, error) {
	d, err := b.Document(id)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err)
	}
	if d == nil {
		return nil, nil
	}
	fields := make(map[string]string, 4)
	d.VisitFields(func(f bleveindex.Field) {
		fields[f.Name()] = string(f.Value())
	})
	return fields, nil
}

// document loads the document id, or returns ErrNotFound.
func (x *Index) document(id string) (corpus.Document, error) {
	fields, err := storedFields(x.docs, id)
	if err != nil {
		return corpus.Document{}, err
	}
	if fields == nil {
		return corpus.Document{}, fmt.Errorf("document %q: %w", id, ErrNotFound)
	}
	return corpus.Document{ID: id, Title: fields[fieldTitle], URL: fields[fieldURL], Text: fields[fieldText]}, nil
}

// Document returns the document with the given ID (its ID, title, URL and
// text), or an error wrapping ErrNotFound.
func (x *Index) Document(id string) (corpus.Document, error) {
	if err := x.acquire(); err != nil {
		return corpus.Document{}, err
	}
	defer x.mu.RUnlock()
	return x.document(id)
}

// Page finds the document a reference names, trying in turn: the URL
// (an exact stored URL, or the title in a ".../wiki/Title" URL), the exact
// title, the document ID, the title ignoring case, and a redirect from
// the title. It returns the document's ID, title, URL and text, or an
// error wrapping ErrNotFound.
func (x *Index) Page(ref string) (corpus.Document, error) {
	if err := x.acquire(); err != nil {
		return corpus.Document{}, err
	}
	defer x.mu.RUnlock()
	doc, err := x.page(strings.TrimSpace(ref))
	if err != nil {
		return corpus.Document{}, fmt.Errorf("page %q: %w", ref, err)
	}
	return doc, nil
}

func (x *Index) page(ref string) (corpus.Document, error) {
	if ref == "" {
		return corpus.Document{}, ErrNotFound
	}
	title := ref
	if strings.Contains(ref, "://") {
		id, err := x.lookupOne(fieldURL, ref)
		if err != nil {
			return corpus.Document{}, err
		}
		if id != "" {
			return x.document(id)
		}
		t, ok := titleFromURL(ref)
		if !ok {
			return corpus.Document{}, ErrNotFound
		}
		title = t
	}
	doc, err := x.byTitle(title, true)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return doc, err
	}
	if title == ref {
		if doc, err := x.document(ref); err == nil || !errors.Is(err, ErrNotFound) {
			return doc, err
		}
	}
	return x.byTitle(title, false)
}

// byTitle finds a document by title: exactly if exact, else ignoring case
// or through up to two redirects. Among documents with the same title,
// the one with the least ID wins.
func (x *Index) byTitle(title string, exact bool) (corpus.Document, error) {
	key := foldTitle(title)
	for range 3 {
		ids, err := x.lookup(fieldTitleKey, key, 50)
		if err != nil {
			return corpus.Document{}, err
		}
		var fallback *corpus.Document
		for _, id := range ids {
			doc, err := x.document(id)
			if err != nil {
				return corpus.Document{}, err
			}
			if doc.Title == title || doc.Title == strings.ReplaceAll(title, "_", " ") {
				return doc, nil
			}
			if fallback == nil {
				fallback = &doc
			}
		}
		if exact {
			return corpus.Document{}, ErrNotFound
		}
		if fallback != nil {
			return *fallback, nil
		}
		to, err := x.redirect(key)
		if err != nil || to == "" {
			return corpus.Document{}, errors.Join(err, ErrNotFound)
		}
		title, key = to, foldTitle(to)
	}
	return corpus.Document{}, ErrNotFound
}

// redirect returns the title that the title with key key redirects to, or "".
func (x *Index) redirect(key string) (string, error) {
	if x.redirects == nil {
		return "", nil
	}
	fields, err := storedFields(x.redirects, key)
	if err != nil || fields == nil {
		return "", err
	}
	return fields[fieldTo], nil
}

// lookupOne returns the least ID of the documents whose keyword field
// holds value, or "".
func (x *Index) lookupOne(field, value string) (string, error) {
	ids, err := x.lookup(field, value, 1)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// lookup returns the IDs, least first, of up to n documents whose keyword
// field holds value.
func (x *Index) lookup(field, value string, n int) ([]string, error) {
	q := query.NewTermQuery(value)
	q.SetField(field)
	req := bleve.NewSearchRequestOptions(q, n, 0, false)
	req.SortBy([]string{"_id"})
	res, err := x.docs.Search(req)
	if err != nil {
		return nil, fmt.Errorf("look up %s %q: %w", field, value, err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// titleFromURL reads the title out of a wiki URL: the path after "/wiki/"
// (or after "simgym://wiki/"), unescaped, with spaces for underscores.
func titleFromURL(ref string) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	p := u.Path
	if u.Scheme == "simgym" && u.Host == "wiki" {
		p = "/wiki" + p
	}
	_, t, ok := strings.Cut(p, "/wiki/")
	if !ok || t == "" {
		return "", false
	}
	return strings.ReplaceAll(t, "_", " "), true
}
