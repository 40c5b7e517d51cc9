// Package dump streams documents out of Wikipedia dumps and passage files.
//
// ReadXML reads MediaWiki XML exports (any schema version, plain, gzip or
// bzip2, multistream bzip2 decoded in parallel, in UTF-8, UTF-16 or any
// encoding the XML declaration names), cleans each article's wikitext with
// corpus/wikitext and hands it to a callback as a corpus.Document. ReadJSONL
// reads passage files ({"id","contents"} or {"title","text"} per line).
// Read and ReadFile pick the reader by looking at the content.
//
// Readers hold one page at a time (plus a small window of pages being
// cleaned in parallel), so memory does not grow with the size of the dump.
// Redirects are collected in a Redirects table that resolves chains.
package dump

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus"
)

// Errors that readers return, wrapped with the input's name and position.
var (
	// ErrFormat means the input is neither MediaWiki XML nor JSONL.
	ErrFormat = errors.New("unrecognised input format")
	// ErrNotMediaWiki means the XML is not a MediaWiki export.
	ErrNotMediaWiki = errors.New("not a MediaWiki export")
)

// Options configures a reader. The zero value is ready to use.
type Options struct {
	// Source names the input in skip reasons and errors, usually its file
	// name. ReadFile sets it to the path when it is empty.
	Source string
	// Workers is how many goroutines decode multistream bzip2 and clean
	// wikitext; 0 means runtime.NumCPU().
	Workers int
	// Redirects, when not nil, receives every redirect read.
	Redirects *Redirects
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.NumCPU()
}

func (o Options) source() string {
	if o.Source != "" {
		return o.Source
	}
	return "input"
}

// MaxSkips is how many skipped inputs Stats.Skips lists; Stats.Skipped
// counts them all.
const MaxSkips = 1000

// Stats counts what a reader read.
type Stats struct {
	// Documents is the number of documents handed to the callback.
	Documents int `json:"documents"`
	// Redirects is the number of redirects read.
	Redirects int `json:"redirects"`
	// Disambiguations is the number of documents marked as disambiguation
	// pages (they are among Documents).
	Disambiguations int `json:"disambiguations"`
	// OtherNamespaces is the number of pages outside the article namespace,
	// which are not documents.
	OtherNamespaces int `json:"other_namespaces,omitempty"`
	// Skipped is the number of pages or lines that could not become
	// documents.
	Skipped int `json:"skipped"`
	// Skips says why, for the first MaxSkips of them.
	Skips []Skip `json:"skips,omitempty"`
}

// Add adds the counts of o to s.
func (s *Stats) Add(o Stats) {
	s.Documents += o.Documents
	s.Redirects += o.Redirects
	s.Disambiguations += o.Disambiguations
	s.OtherNamespaces += o.OtherNamespaces
	s.Skipped += o.Skipped
	for _, k := range o.Skips {
		if len(s.Skips) >= MaxSkips {
			break
		}
		s.Skips = append(s.Skips, k)
	}
}

// skip counts one skipped input.
func (s *Stats) skip(k Skip) {
	s.Skipped++
	if len(s.Skips) < MaxSkips {
		s.Skips = append(s.Skips, k)
	}
}

// Skip is one page or line that did not become a document.
type Skip struct {
	// Source is the input's name.
	Source string `json:"source"`
	// Line is the line where the page or passage starts (1-based).
	Line int `json:"line"`
	// Page is the page title or passage id, when known.
	Page string `json:"page,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
}

// String formats the skip as "source:line: page "title": reason".
func (k Skip) String() string {
	var b strings.Builder
	b.WriteString(k.Source)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(k.Line))
	b.WriteString(": ")
	if k.Page != "" {
		fmt.Fprintf(&b, "page %q: ", k.Page)
	}
	b.WriteString(k.Reason)
	return b.String()
}

// Damage is where and why an input could not be read to its end: a
// compressed stream cut short or failing its checksum, XML cut off or
// malformed, or a JSONL file whose last line was cut. The documents before
// the damage were read.
type Damage struct {
	// Source is the input's name.
	Source string `json:"file"`
	// Offset is the byte offset in the compressed input where the bad
	// data starts, for bzip2 and gzip corruption; nil otherwise.
	Offset *int64 `json:"offset,omitempty"`
	// Line is the line of the (decompressed) text where reading stopped,
	// when known (1-based).
	Line int `json:"line,omitempty"`
	// Page is the title of the page (or id of the passage) being read,
	// when known.
	Page string `json:"page,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
}

// DamageError is the error readers return for a damaged input, after
// handing every document before the damage to the callback. Its Err is a
// *CorruptError for compressed data that cannot be decoded, an
// *xml.SyntaxError for bad XML, or io.ErrUnexpectedEOF for a JSONL line
// cut short.
type DamageError struct {
	Damage
	Err error
}

// Error formats the damage on one line: "source: bzip2 data corrupt at
// compressed offset N: reason (text read to line L, page "P")" for
// compressed data, "source:line: page "P": reason" otherwise.
func (e *DamageError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Offset != nil {
		b.WriteString(": ")
		b.WriteString(e.Reason)
		if e.Line > 0 {
			fmt.Fprintf(&b, " (text read to line %d", e.Line)
			if e.Page != "" {
				fmt.Fprintf(&b, ", page %q", e.Page)
			}
			b.WriteByte(')')
		}
		return b.String()
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Page != "" {
		fmt.Fprintf(&b, "page %q: ", e.Page)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the error that stopped reading.
func (e *DamageError) Unwrap() error { return e.Err }

// damaged returns err as a *DamageError when it is damage of the input
// (corrupt compressed data, bad XML, input cut short), or nil.
func damaged(source string, line int, page string, err error) *DamageError {
	var (
		ce *CorruptError
		se *xml.SyntaxError
	)
	switch {
	case errors.As(err, &ce):
		off := ce.Offset
		return &DamageError{Damage: Damage{Source: source, Offset: &off, Line: line, Page: page, Reason: ce.Error()}, Err: ce}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &DamageError{Damage: Damage{Source: source, Line: line, Page: page, Reason: err.Error()}, Err: err}
	}
	return nil
}

// URLBase is where a dump's pages are: Wikipedia's.
const URLBase = "https://en.wikipedia.org/wiki/"

// PageURL returns the address visit uses for a title:
// "https://en.wikipedia.org/wiki/Title_With_Underscores".
func PageURL(title string) string {
	return URLBase + urlEscaper.Replace(title)
}

var urlEscaper = strings.NewReplacer(" ", "_", "%", "%25", "?", "%3F", "#", "%23")

// Format is the kind of content an input holds.
type Format int

// The formats Detect recognises.
const (
	FormatUnknown Format = iota
	FormatXML
	FormatJSONL
)

// String names the format.
func (f Format) String() string {
	switch f {
	case FormatXML:
		return "xml"
	case FormatJSONL:
		return "jsonl"
	}
	return "unknown"
}

// Detect tells MediaWiki XML from JSONL by the first bytes of
// decompressed content: a byte-order mark, UTF-16 text or "<" means XML,
// "{" means JSONL.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}), bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return FormatXML
	case len(head) >= 2 && (head[0] == 0) != (head[1] == 0):
		return FormatXML // UTF-16 without a byte-order mark
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0:
		return FormatUnknown
	case head[0] == '<':
		return FormatXML
	case head[0] == '{':
		return FormatJSONL
	}
	return FormatUnknown
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Read reads documents from r, which may be compressed (bzip2, gzip) and
// hold MediaWiki XML or JSONL passages, and calls fn for each in order.
// It stops at the first error fn returns and returns it wrapped.
func Read(ctx context.Context, r io.Reader, opts Options, fn func(corpus.Document) error) (Stats, error) {
	rc, err := decompress(r, opts)
	if err != nil {
		return Stats{}, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		// Damage after the first bytes is met again, and reported, by the
		// reader of the content (the decompressors' errors stay).
		d := damaged(opts.source(), 0, "", err)
		switch {
		case d == nil:
			return Stats{}, fmt.Errorf("%s: %w", opts.source(), err)
		case Detect(head) == FormatUnknown:
			return Stats{}, d
		}
	}
	switch Detect(head) {
	case FormatXML:
		return readXML(ctx, br, opts, fn)
	case FormatJSONL:
		return readJSONL(ctx, br, opts, fn)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return Stats{}, nil
	}
	return Stats{}, fmt.Errorf("%s: %w", opts.source(), ErrFormat)
}

// decompress is Decompress with errors wrapped with the input's name, as
// a *DamageError when the input is corrupt from the start.
func decompress(r io.Reader, opts Options) (io.ReadCloser, error) {
	rc, err := Decompress(r, opts.workers())
	if err != nil {
		if d := damaged(opts.source(), 0, "", err); d != nil {
			return nil, d
		}
		return nil, fmt.Errorf("%s: %w", opts.source(), err)
	}
	return rc, nil
}

// ReadFile opens the file at path and reads it with Read.
func ReadFile(ctx context.Context, path string, opts Options, fn func(corpus.Document) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	if opts.Source == "" {
		opts.Source = path
	}
	return Read(ctx, f, opts, fn)
}
