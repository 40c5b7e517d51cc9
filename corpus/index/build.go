package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/util"

	"github.com/simgym/simgym/corpus"
)

// Layout of an index folder.
const (
	manifestName  = "simgym-index.json"
	docsName      = "documents"
	passagesName  = "passages"
	redirectsName = "redirects"
	formatName    = "simgym-index"
	formatVersion = 1
)

// DefaultBatchSize is the number of documents that go into one segment
// while building when BuildOptions.BatchSize is zero.
const DefaultBatchSize = 1000

// mergeMax is the number of segment files merged at a time at the end of
// a build: more means less rewriting but more files open at once.
const mergeMax = 64

// passagesPerDocument scales the batch size of the passages index, whose
// entries are a few times smaller and more numerous than documents.
const passagesPerDocument = 4

// BuildOptions tune Build and NewBuilder. The zero value is ready to use.
type BuildOptions struct {
	// BatchSize is the number of documents analysed into one segment
	// before it is written; memory while building grows with it. 0 means
	// DefaultBatchSize.
	BatchSize int
	// PassageWords is the passage length in words; 0 means
	// DefaultPassageWords.
	PassageWords int
	// Workers is the number of goroutines that analyse documents; 0 means
	// GOMAXPROCS. Two more goroutines write the documents and passages
	// indexes.
	Workers int
	// Progress, if set, is called from one goroutine at a time, every
	// ProgressEvery documents and once more when the build ends.
	Progress func(Progress)
	// ProgressEvery is the number of documents between Progress calls;
	// 0 means BatchSize.
	ProgressEvery int
}

func (o BuildOptions) batchSize() int {
	if o.BatchSize > 0 {
		return o.BatchSize
	}
	return DefaultBatchSize
}

func (o BuildOptions) passageWords() int {
	if o.PassageWords > 0 {
		return o.PassageWords
	}
	return DefaultPassageWords
}

func (o BuildOptions) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o BuildOptions) progressEvery() int {
	if o.ProgressEvery > 0 {
		return o.ProgressEvery
	}
	return o.batchSize()
}

// Progress is a snapshot of a running build.
type Progress struct {
	// Documents is the number of documents indexed so far.
	Documents int64
	// Passages is the number of passages indexed so far.
	Passages int64
	// Skipped is the number of documents refused so far (no ID, no
	// words, or an ID seen before).
	Skipped int64
	// Bytes is the text size of the documents indexed so far.
	Bytes int64
	// Elapsed is the time since the build started.
	Elapsed time.Duration
}

// Stats summarise a finished build. Its JSON names follow SPEC.md's
// command summaries.
type Stats struct {
	Documents int     `json:"documents"`
	Passages  int     `json:"passages"`
	Redirects int     `json:"redirects"`
	Skipped   int     `json:"skipped"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"seconds"`
}

// manifest is the index folder's description of itself.
type manifest struct {
	Format       string `json:"format"`
	Version      int    `json:"version"`
	Documents    int    `json:"documents"`
	Passages     int    `json:"passages"`
	Redirects    int    `json:"redirects"`
	PassageWords int    `json:"passage_words"`
}

// Build writes a new index of docs to dir, which must not exist or be an
// empty folder (else the error is ErrIndexExists). It reads docs once, in
// order, and holds at most a few batches of them in memory. A document
// with no ID, with no title and no text, or with an ID seen before is
// skipped. If docs yields an error, Build stops and returns it. Nothing is
// left at dir when Build fails. For the same documents in the same order,
// Build writes an index with the same content (the same documents, search
// results and scores), though Bleve's files may differ byte for byte.
func Build(ctx context.Context, dir string, docs iter.Seq2[corpus.Document, error], opts BuildOptions) (Stats, error) {
	b, err := NewBuilder(dir, opts)
	if err != nil {
		return Stats{}, err
	}
	for doc, err := range docs {
		if err == nil {
			err = b.Add(ctx, doc)
		}
		if err != nil {
			b.Abort()
			return Stats{}, fmt.Errorf("build index %s: %w", dir, err)
		}
	}
	return b.Finish(ctx)
}

// Builder writes a new index from documents pushed into it, for sources
// that produce documents through a callback (such as a dump reader). Its
// methods may be called from several goroutines; documents are indexed in
// the order Add is called. A Builder must end with Finish or Abort.
//
// Inside, Add hands each document to a pool of workers that split it
// into passages and analyse the text of both (the bulk of the work); a
// sequencer puts the results back in order and passes them to two
// writers, one per index, that build segments of BatchSize documents and
// merge them into one segment per index at the end.
type Builder struct {
	dir   string
	tmp   string
	opts  BuildOptions
	start time.Time

	docSchema, passageSchema, redirectSchema *schema

	jobs    chan analysisJob
	order   chan chan analysed
	docs    chan *document.Document
	pass    chan []*document.Document
	workers sync.WaitGroup // analysis workers
	rest    sync.WaitGroup // sequencer and writers
	stop    chan struct{}
	stopped sync.Once

	// mu orders Add and guards the channels against Finish closing them.
	mu      sync.Mutex
	closed  bool
	seed    maphash.Seed
	seen    map[uint64]struct{}
	skipped atomic.Int64

	nDocs, nPassages, nBytes atomic.Int64
	errMu                    sync.Mutex
	err                      error

	redirMu      sync.Mutex
	redirects    *scorch.Builder
	redirectSeen map[uint64]struct{}
	nRedirects   int
}

// analysisJob is one document on its way to a worker; the worker sends
// the result on res.
type analysisJob struct {
	doc corpus.Document
	res chan analysed
}

// analysed is a document turned into bleve documents for both indexes.
type analysed struct {
	doc      *document.Document
	passages []*document.Document
	bytes    int
}

// NewBuilder prepares a build of a new index at dir, which must not exist
// or be an empty folder (else the error is ErrIndexExists). The index is
// written to a temporary sibling folder and moved to dir by Finish.
func NewBuilder(dir string, opts BuildOptions) (*Builder, error) {
	if err := checkFree(dir); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	var (
		b   = &Builder{dir: dir, opts: opts, start: time.Now()}
		err error
	)
	if b.docSchema, err = newSchema(documentFields()); err != nil {
		return nil, err
	}
	if b.passageSchema, err = newSchema(passageFields()); err != nil {
		return nil, err
	}
	if b.redirectSchema, err = newSchema(redirectFields()); err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	if b.tmp, err = os.MkdirTemp(parent, "."+filepath.Base(dir)+".building-"); err != nil {
		return nil, fmt.Errorf("build index %s: %w", dir, err)
	}
	docsIndex, err := b.newSegmentBuilder(docsName, b.docSchema, opts.batchSize())
	if err != nil {
		b.cleanup()
		return nil, err
	}
	passageIndex, err := b.newSegmentBuilder(passagesName, b.passageSchema, passagesPerDocument*opts.batchSize())
	if err != nil {
		_ = docsIndex.Close()
		b.cleanup()
		return nil, err
	}
	n := opts.workers()
	b.jobs = make(chan analysisJob, n)
	b.order = make(chan chan analysed, 4*n+16)
	b.docs = make(chan *document.Document, 16)
	b.pass = make(chan []*document.Document, 16)
	b.stop = make(chan struct{})
	b.seed = maphash.MakeSeed()
	b.seen = make(map[uint64]struct{})
	b.redirectSeen = make(map[uint64]struct{})
	b.workers.Add(n)
	for range n {
		go b.analyse()
	}
	b.rest.Add(3)
	go b.sequence()
	go b.writeDocuments(docsIndex)
	go b.writePassages(passageIndex)
	return b, nil
}

// checkFree reports ErrIndexExists unless dir is missing or an empty folder.
func checkFree(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		if _, serr := os.Stat(dir); serr == nil {
			return ErrIndexExists // a file, not a folder
		}
		return err
	case len(entries) > 0:
		return ErrIndexExists
	}
	return nil
}

// Add queues doc for indexing. It blocks while the indexers are a few
// batches behind, and returns the first indexing error, if any, or the
// context's error. A skipped document is not an error.
func (b *Builder) Add(ctx context.Context, doc corpus.Document) error {
	if err := b.firstErr(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if doc.ID == "" || strings.TrimSpace(doc.Title) == "" && strings.TrimSpace(doc.Text) == "" {
		b.skipped.Add(1)
		return nil
	}
	if doc.URL == "" {
		doc.URL = PageURL(doc.Title)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrIndexClosed
	}
	h := maphash.String(b.seed, doc.ID)
	if _, dup := b.seen[h]; dup {
		b.skipped.Add(1)
		return nil
	}
	b.seen[h] = struct{}{}
	res := make(chan analysed, 1)
	select {
	case b.order <- res:
	case <-b.stop:
		return b.firstErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	// The sequencer now waits on res, so the job must reach a worker.
	b.jobs <- analysisJob{doc: doc, res: res}
	return nil
}

// analyse is a worker: it turns documents into analysed bleve documents.
func (b *Builder) analyse() {
	defer b.workers.Done()
	words := b.opts.passageWords()
	for job := range b.jobs {
		if b.firstErr() != nil {
			job.res <- analysed{}
			continue
		}
		d := job.doc
		// The title and the text are analysed once, for the document and
		// all its passages: a passage's words come from one range of the
		// text, and its tokens are those that start in that range.
		title := b.docSchema.analyze(fieldTitle, d.Title)
		text := b.docSchema.analyze(fieldText, d.Text)
		doc := document.NewDocument(d.ID)
		doc.AddField(b.docSchema.analyzedField(fieldTitle, d.Title, title))
		doc.AddField(b.docSchema.analyzedField(fieldText, d.Text, text))
		doc.AddField(b.docSchema.field(fieldURL, d.URL))
		doc.AddField(b.docSchema.field(fieldTitleKey, foldTitle(d.Title)))
		ps, src := splitPassages(d, words)
		tokens := passageTokens(text, src)
		passages := make([]*document.Document, len(ps))
		for i, p := range ps {
			pd := document.NewDocument(p.ID)
			pd.AddField(b.passageSchema.analyzedField(fieldTitle, p.Title, title))
			pd.AddField(b.passageSchema.analyzedField(fieldText, p.Text, tokens[i]))
			pd.AddField(b.passageSchema.field(fieldDoc, p.DocID))
			passages[i] = pd
		}
		job.res <- analysed{doc: doc, passages: passages, bytes: len(d.Text)}
	}
}

// passageTokens splits the tokens of a text among passages whose words
// come from the ranges src of the text: a passage's tokens are those that
// start in its range. Tokens never span white space, so they are the
// tokens of the passage's own text.
func passageTokens(text analysis.TokenStream, src []span) []analysis.TokenStream {
	out := make([]analysis.TokenStream, len(src))
	next := 0
	for i, r := range src {
		for next < len(text) && text[next].Start < r.start {
			next++
		}
		first := next
		for next < len(text) && text[next].Start < r.end {
			next++
		}
		out[i] = text[first:next:next]
	}
	return out
}

// sequence hands analysed documents to the writers in the order of Add.
func (b *Builder) sequence() {
	defer b.rest.Done()
	defer close(b.docs)
	defer close(b.pass)
	for res := range b.order {
		a := <-res
		if a.doc == nil { // a worker gave up after a failure
			continue
		}
		select {
		case b.docs <- a.doc:
		case <-b.stop:
			continue
		}
		b.nBytes.Add(int64(a.bytes))
		select {
		case b.pass <- a.passages:
		case <-b.stop:
		}
	}
}

// writeDocuments fills the documents index.
func (b *Builder) writeDocuments(sb *scorch.Builder) {
	defer b.rest.Done()
	every, n := b.opts.progressEvery(), 0
	for doc := range b.docs {
		if b.firstErr() != nil {
			continue
		}
		if err := sb.Index(doc); err != nil {
			b.fail(fmt.Errorf("index document %s: %w", doc.ID(), err))
			continue
		}
		b.nDocs.Add(1)
		if n++; n == every {
			n = 0
			b.report()
		}
	}
	// Without documents there is no segment to close with, and Finish
	// fails anyway; after a failure the files are removed unmerged.
	if b.firstErr() != nil || b.nDocs.Load() == 0 {
		return
	}
	if err := sb.Close(); err != nil {
		b.fail(fmt.Errorf("write documents index: %w", err))
	}
}

// writePassages fills the passages index.
func (b *Builder) writePassages(sb *scorch.Builder) {
	defer b.rest.Done()
	for passages := range b.pass {
		for _, p := range passages {
			if b.firstErr() != nil {
				break
			}
			if err := sb.Index(p); err != nil {
				b.fail(fmt.Errorf("index passage %s: %w", p.ID(), err))
				break
			}
			b.nPassages.Add(1)
		}
	}
	if b.firstErr() != nil {
		return
	}
	if b.nPassages.Load() == 0 {
		// Documents with titles but no text: bleve's offline builder
		// cannot close without a segment, so Finish writes an empty index.
		return
	}
	if err := sb.Close(); err != nil {
		b.fail(fmt.Errorf("write passages index: %w", err))
	}
}

// AddRedirect records that the title r.From leads to the title r.To, for
// Page lookups. The first redirect from a title (compared ignoring case)
// wins; a redirect to itself is ignored.
func (b *Builder) AddRedirect(r corpus.Redirect) error {
	from, to := foldTitle(r.From), strings.TrimSpace(r.To)
	if from == "" || to == "" || from == foldTitle(to) {
		return nil
	}
	b.redirMu.Lock()
	defer b.redirMu.Unlock()
	if b.redirectSeen == nil {
		return ErrIndexClosed
	}
	h := maphash.String(b.seed, from)
	if _, dup := b.redirectSeen[h]; dup {
		return nil
	}
	b.redirectSeen[h] = struct{}{}
	if b.redirects == nil {
		sb, err := b.newSegmentBuilder(redirectsName, b.redirectSchema, 10*b.opts.batchSize())
		if err != nil {
			return err
		}
		b.redirects = sb
	}
	doc := document.NewDocument(from)
	doc.AddField(b.redirectSchema.field(fieldTo, to))
	if err := b.redirects.Index(doc); err != nil {
		return fmt.Errorf("index redirect %q: %w", r.From, err)
	}
	b.nRedirects++
	return nil
}

// closeInput stops Add and lets the pipeline run dry. It reports whether
// this call closed it.
func (b *Builder) closeInput() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.closed = true
	close(b.order)
	close(b.jobs)
	return true
}

// Finish waits for indexing to end, merges each index into one segment,
// writes the manifest and moves the index to its folder. On failure
// nothing is left at the folder.
func (b *Builder) Finish(ctx context.Context) (Stats, error) {
	if !b.closeInput() {
		return Stats{}, ErrIndexClosed
	}
	b.workers.Wait()
	b.rest.Wait()
	b.redirMu.Lock()
	defer b.redirMu.Unlock()
	b.redirectSeen = nil
	fail := func(err error) (Stats, error) {
		b.cleanup()
		return Stats{}, fmt.Errorf("build index %s: %w", b.dir, err)
	}
	if b.redirects != nil {
		if err := b.redirects.Close(); err != nil {
			return fail(fmt.Errorf("write redirects index: %w", err))
		}
	}
	if err := b.firstErr(); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if b.nDocs.Load() == 0 {
		return fail(ErrEmptyCorpus)
	}
	if b.nPassages.Load() == 0 {
		if err := b.emptyIndex(passagesName, b.passageSchema); err != nil {
			return fail(err)
		}
	}
	m := manifest{
		Format:       formatName,
		Version:      formatVersion,
		Documents:    int(b.nDocs.Load()),
		Passages:     int(b.nPassages.Load()),
		Redirects:    b.nRedirects,
		PassageWords: b.opts.passageWords(),
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := os.WriteFile(filepath.Join(b.tmp, manifestName), append(data, '\n'), 0o644); err != nil {
		return fail(err)
	}
	if err := os.RemoveAll(filepath.Join(b.tmp, "segments")); err != nil {
		return fail(err)
	}
	if err := checkFree(b.dir); err != nil {
		return fail(err)
	}
	if err := os.Chmod(b.tmp, 0o755); err != nil { // MkdirTemp made it private
		return fail(err)
	}
	_ = os.Remove(b.dir) // an empty folder would be in the way of Rename
	if err := os.Rename(b.tmp, b.dir); err != nil {
		return fail(err)
	}
	b.report()
	return Stats{
		Documents: m.Documents,
		Passages:  m.Passages,
		Redirects: m.Redirects,
		Skipped:   int(b.skipped.Load()),
		Bytes:     b.nBytes.Load(),
		Seconds:   time.Since(b.start).Seconds(),
	}, nil
}

// Abort stops the build and removes everything it wrote. It is a no-op
// after Finish.
func (b *Builder) Abort() {
	if !b.closeInput() {
		return
	}
	b.fail(context.Canceled)
	b.workers.Wait()
	b.rest.Wait()
	b.redirMu.Lock()
	if b.redirects != nil {
		_ = b.redirects.Close()
		b.redirects = nil
	}
	b.redirectSeen = nil
	b.redirMu.Unlock()
	b.cleanup()
}

func (b *Builder) cleanup() {
	_ = os.RemoveAll(b.tmp)
}

// fail records the first error and stops the pipeline.
func (b *Builder) fail(err error) {
	b.errMu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.errMu.Unlock()
	b.stopped.Do(func() { close(b.stop) })
}

func (b *Builder) firstErr() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.err
}

// newSegmentBuilder starts bleve's offline index builder for one of the
// indexes in the temporary folder: it writes a segment file per batch of
// documents and merges them into one segment at Close, which is faster to
// build and to search than an index grown by online batches. The builder
// takes bleve documents, which the workers have analysed already, so the
// index folder is laid out here as bleve.NewBuilder would: the index
// metadata file, the store folder, and the mapping kept as internal data.
func (b *Builder) newSegmentBuilder(name string, s *schema, batch int) (*scorch.Builder, error) {
	path := filepath.Join(b.tmp, name)
	segs := filepath.Join(b.tmp, "segments")
	for _, d := range []string{path, segs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create %s index: %w", name, err)
		}
	}
	meta, err := json.Marshal(map[string]string{"storage": scorch.Name, "index_type": scorch.Name})
	if err != nil {
		return nil, fmt.Errorf("create %s index: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(path, "index_meta.json"), meta, 0o644); err != nil {
		return nil, fmt.Errorf("create %s index: %w", name, err)
	}
	mappingJSON, err := json.Marshal(s.mapping)
	if err != nil {
		return nil, fmt.Errorf("create %s index: %w", name, err)
	}
	sb, err := scorch.NewBuilder(map[string]any{
		"path":            filepath.Join(path, "store"),
		"buildPathPrefix": segs,
		"batchSize":       batch,
		"mergeMax":        mergeMax,
		"internal":        map[string][]byte{string(util.MappingInternalKey): mappingJSON},
	})
	if err != nil {
		return nil, fmt.Errorf("create %s index: %w", name, err)
	}
	return sb, nil
}

// emptyIndex replaces the index name in the temporary folder with an
// empty one.
func (b *Builder) emptyIndex(name string, s *schema) error {
	path := filepath.Join(b.tmp, name)
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("create empty %s index: %w", name, err)
	}
	ix, err := bleve.NewUsing(path, s.mapping, scorch.Name, scorch.Name, nil)
	if err != nil {
		return fmt.Errorf("create empty %s index: %w", name, err)
	}
	if err := ix.Close(); err != nil {
		return fmt.Errorf("create empty %s index: %w", name, err)
	}
	return nil
}

// report calls the Progress callback, if any.
func (b *Builder) report() {
	if b.opts.Progress == nil {
		return
	}
	b.opts.Progress(Progress{
		Documents: b.nDocs.Load(),
		Passages:  b.nPassages.Load(),
		Skipped:   b.skipped.Load(),
		Bytes:     b.nBytes.Load(),
		Elapsed:   time.Since(b.start),
	})
}

// PageURL is the URL of a page that its source gave none:
// "simgym://wiki/" and the title with underscores for spaces.
func PageURL(title string) string {
	return "simgym://wiki/" + strings.ReplaceAll(strings.TrimSpace(title), " ", "_")
}
