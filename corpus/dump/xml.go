package dump

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/wikitext"
)

// ReadXML reads a MediaWiki XML export from r (plain, gzip or bzip2) and
// calls fn with each article of the main namespace, in dump order. Pages of
// other namespaces are counted and left out; redirects are counted and
// added to opts.Redirects; pages whose text cannot become a document are
// counted as skipped with the reason. It stops at the first error of the
// XML, of ctx or of fn, and returns it wrapped with the input's name and
// line. A damaged input (compressed data that fails its checksum or is cut
// short, XML cut off or malformed) ends with a *DamageError after every
// page before the damage has been handed to fn.
func ReadXML(ctx context.Context, r io.Reader, opts Options, fn func(corpus.Document) error) (Stats, error) {
	rc, err := decompress(r, opts)
	if err != nil {
		return Stats{}, err
	}
	defer rc.Close()
	return readXML(ctx, rc, opts, fn)
}

// rawPage is a <page> as read from the XML.
type rawPage struct {
	line     int
	title    string
	ns       int
	hasNS    bool
	id       string
	redirect string // the <redirect title="..."/> attribute
	text     string
	model    string
	hasText  bool
}

// xmlRevision is the part of a <revision> the reader keeps.
type xmlRevision struct {
	Text  *string `xml:"text"`
	Model string  `xml:"model"`
}

// siteInfo is the part of <siteinfo> the reader keeps.
type siteInfo struct {
	Namespaces []struct {
		Key  int    `xml:"key,attr"`
		Name string `xml:",chardata"`
	} `xml:"namespaces>namespace"`
}

// newXMLDecoder returns a decoder for r that reads UTF-16 (told by a
// byte-order mark or by zero bytes) and any encoding an XML declaration
// names.
func newXMLDecoder(r io.Reader) *xml.Decoder {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(4)
	var src io.Reader = br
	utf16 := false
	switch {
	case len(head) >= 2 && ((head[0] == 0xFE && head[1] == 0xFF) || (head[0] == 0xFF && head[1] == 0xFE)):
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		utf16 = true
	case len(head) >= 2 && head[0] == 0 && head[1] != 0:
		src = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())
		utf16 = true
	case len(head) >= 2 && head[0] != 0 && head[1] == 0:
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
		utf16 = true
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		_, _ = br.Discard(3)
	}
	dec := xml.NewDecoder(src)
	dec.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		label = strings.ToLower(strings.TrimSpace(label))
		if utf16 || strings.HasPrefix(label, "utf-16") || strings.HasPrefix(label, "utf16") {
			// Already decoded from UTF-16 above (the declaration is read
			// after the bytes were told apart).
			return input, nil
		}
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, fmt.Errorf("encoding %q: %w", label, err)
		}
		return enc.NewDecoder().Reader(input), nil
	}
	return dec
}

// job is one page on its way through the cleaners.
type job struct {
	page   rawPage
	parser *wikitext.Parser
	ns     map[string]int
	doc    corpus.Document
	kind   resultKind
	why    string
	done   chan struct{}
}

type resultKind int

const (
	resultDocument resultKind = iota
	resultRedirect
	resultOtherNamespace
	resultSkip
)

// readXML reads decompressed XML: one goroutine decodes pages, workers
// clean them, and the caller's goroutine hands results to fn in order.
func readXML(ctx context.Context, r io.Reader, opts Options, fn func(corpus.Document) error) (Stats, error) {
	source := opts.source()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := opts.workers()
	pending := make(chan *job, 4*workers)
	work := make(chan *job, workers)
	decodeErr := make(chan error, 1)
	// The parser is set once the siteinfo has been read, before any page.
	var parser *wikitext.Parser
	var namespaces map[string]int
	go func() {
		defer close(pending)
		defer close(work)
		dec := newXMLDecoder(r)
		sawRoot := false
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				if !sawRoot {
					line, _ := dec.InputPos()
					decodeErr <- fmt.Errorf("%s:%d: %w", source, line, ErrNotMediaWiki)
				}
				return
			}
			if err != nil {
				line, _ := dec.InputPos()
				decodeErr <- readError(source, line, "", err)
				return
			}
			start, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			switch start.Name.Local {
			case "mediawiki":
				sawRoot = true
				continue
			case "siteinfo":
				var si siteInfo
				if err := dec.DecodeElement(&si, &start); err != nil {
					line, _ := dec.InputPos()
					if d := damaged(source, line, "", err); d != nil {
						decodeErr <- d
					} else {
						decodeErr <- fmt.Errorf("%s:%d: siteinfo: %w", source, line, err)
					}
					return
				}
				namespaces = map[string]int{}
				for _, n := range si.Namespaces {
					if name := strings.TrimSpace(n.Name); name != "" && n.Key != 0 {
						namespaces[name] = n.Key
					}
				}
				parser = wikitext.NewParser(namespaces)
				continue
			case "page":
			default:
				if !sawRoot {
					line, _ := dec.InputPos()
					decodeErr <- fmt.Errorf("%s:%d: root element <%s>: %w", source, line, start.Name.Local, ErrNotMediaWiki)
					return
				}
				continue
			}
			line, _ := dec.InputPos()
			page, err := decodePage(dec, &start)
			if err != nil {
				if d := damaged(source, 0, page.title, err); d != nil {
					d.Line, _ = dec.InputPos() // where the page was cut
					decodeErr <- d
				} else {
					decodeErr <- fmt.Errorf("%s:%d: page %q: %w", source, line, page.title, err)
				}
				return
			}
			page.line = line
			if parser == nil {
				parser = wikitext.NewParser(nil)
			}
			j := &job{page: page, parser: parser, ns: namespaces, done: make(chan struct{})}
			select {
			case pending <- j:
			case <-ctx.Done():
				return
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range work {
				j.clean()
				close(j.done)
			}
		}()
	}
	var stats Stats
	fail := func(err error) (Stats, error) {
		cancel()
		for range pending { // wait for the decoder to see the cancellation
		}
		return stats, err
	}
	for j := range pending {
		select {
		case <-j.done:
		case <-ctx.Done():
			return fail(fmt.Errorf("%s: %w", source, ctx.Err()))
		}
		p := &j.page
		switch j.kind {
		case resultOtherNamespace:
			stats.OtherNamespaces++
		case resultSkip:
			stats.skip(Skip{Source: source, Line: p.line, Page: p.title, Reason: j.why})
		case resultRedirect:
			stats.Redirects++
			if opts.Redirects != nil {
				opts.Redirects.Add(corpus.Redirect{From: p.title, To: j.why})
			}
		case resultDocument:
			if err := ctx.Err(); err != nil {
				return fail(fmt.Errorf("%s: %w", source, err))
			}
			if err := fn(j.doc); err != nil {
				return fail(fmt.Errorf("%s:%d: page %q: %w", source, p.line, p.title, err))
			}
			stats.Documents++
			if j.doc.Disambiguation {
				stats.Disambiguations++
			}
		}
		j.doc = corpus.Document{}
	}
	select {
	case err := <-decodeErr:
		return stats, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("%s: %w", source, err)
	}
	return stats, nil
}

// readError wraps an error of the XML decoder with the input's name and
// line: a *DamageError when the input is damaged.
func readError(source string, line int, page string, err error) error {
	if d := damaged(source, line, page, err); d != nil {
		return d
	}
	return fmt.Errorf("%s:%d: %w", source, line, err)
}

// decodePage reads the children of a <page> element, keeping the last
// revision's text.
func decodePage(dec *xml.Decoder, start *xml.StartElement) (rawPage, error) {
	var p rawPage
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return p, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return p, nil
		case xml.StartElement:
			switch t.Name.Local {
			case "title":
				err = dec.DecodeElement(&p.title, &t)
				p.title = strings.TrimSpace(p.title)
			case "ns":
				var s string
				if err = dec.DecodeElement(&s, &t); err == nil {
					n, convErr := strconv.Atoi(strings.TrimSpace(s))
					if convErr == nil {
						p.ns, p.hasNS = n, true
					}
				}
			case "id":
				err = dec.DecodeElement(&p.id, &t)
				p.id = strings.TrimSpace(p.id)
			case "redirect":
				for _, a := range t.Attr {
					if a.Name.Local == "title" {
						p.redirect = a.Value
					}
				}
				err = dec.Skip()
			case "revision":
				var rev xmlRevision
				if err = dec.DecodeElement(&rev, &t); err == nil {
					p.hasText = rev.Text != nil
					p.text = ""
					if rev.Text != nil {
						p.text = *rev.Text
					}
					p.model = strings.TrimSpace(rev.Model)
				}
			default:
				err = dec.Skip()
			}
			if err != nil {
				return p, err
			}
		}
	}
}

// clean turns the page into a document, a redirect, or a reason to skip.
func (j *job) clean() {
	p := &j.page
	ns := p.ns
	if !p.hasNS {
		ns = namespaceOfTitle(p.title, j.ns)
	}
	switch {
	case ns != 0:
		j.kind = resultOtherNamespace
		return
	case p.title == "":
		j.kind, j.why = resultSkip, "page has no title"
		return
	}
	if p.redirect != "" {
		target, _, _ := strings.Cut(p.redirect, "#")
		if target = wikitext.NormalizeTitle(target); target != "" {
			j.kind, j.why = resultRedirect, target
			return
		}
	}
	if target, ok := wikitext.RedirectTarget(p.text); ok {
		j.kind, j.why = resultRedirect, target
		return
	}
	switch {
	case p.model != "" && p.model != "wikitext":
		j.kind, j.why = resultSkip, "content model "+p.model+" is not wikitext"
		return
	case !p.hasText:
		j.kind, j.why = resultSkip, "page has no revision text"
		return
	case strings.TrimSpace(p.text) == "":
		j.kind, j.why = resultSkip, "page text is empty"
		return
	}
	page := j.parser.Parse(p.title, p.text)
	p.text = ""
	if page.Text == "" {
		j.kind, j.why = resultSkip, "no text left after removing markup"
		return
	}
	id := p.id
	if id == "" {
		id = p.title
	}
	j.kind = resultDocument
	j.doc = page.Document(id, PageURL(p.title))
}

// namespaceOfTitle finds a page's namespace from its title prefix, for
// exports without <ns> elements.
func namespaceOfTitle(title string, namespaces map[string]int) int {
	prefix, _, ok := strings.Cut(title, ":")
	if !ok {
		return 0
	}
	for name, key := range namespaces {
		if strings.EqualFold(name, prefix) {
			return key
		}
	}
	return 0
}
