// Package wikitext turns MediaWiki wikitext into clean text.
//
// Parse removes templates, references, comments, tables' markup, media and
// category links, formatting quotes and HTML tags, and returns the text
// together with what it found on the way: the article links, categories,
// section headings, infobox facts, and whether the page is a redirect or a
// disambiguation page.
//
// The parser is a handful of linear passes over the text. It never panics,
// handles unclosed constructs by keeping them as plain text (stripped of
// their brackets), and its cost grows linearly with the input, whatever the
// nesting.
package wikitext

import (
	"strings"
	"sync"

	"github.com/simgym/simgym/corpus"
)

// Page is one page of wikitext after parsing.
type Page struct {
	// Title is the title the page was parsed under.
	Title string
	// Text is the clean text: section headings on lines of their own,
	// paragraphs separated by blank lines, no markup. Empty for redirects.
	Text string
	// Sections are the headings kept in Text, in order.
	Sections []corpus.Section
	// Links are the article titles linked from the page, normalised, in
	// first-seen order, without duplicates. Links to other namespaces,
	// interwiki and language links are left out.
	Links []string
	// Categories are the category names, without the namespace.
	Categories []string
	// Facts are the fields of the page's infoboxes, with clean values.
	Facts []corpus.Fact
	// Redirect is the target title when the page is a redirect.
	Redirect string
	// Disambiguation marks disambiguation and set index pages.
	Disambiguation bool
}

// Document returns the page as a corpus.Document with the given id and URL.
func (p Page) Document(id, url string) corpus.Document {
	return corpus.Document{
		ID:             id,
		Title:          p.Title,
		Text:           p.Text,
		URL:            url,
		Sections:       p.Sections,
		Links:          p.Links,
		Facts:          p.Facts,
		Categories:     p.Categories,
		Disambiguation: p.Disambiguation,
	}
}

// MediaWiki namespace numbers that the parser treats specially.
const (
	// NamespaceMedia holds direct links to media files.
	NamespaceMedia = -2
	// NamespaceFile holds images and other media.
	NamespaceFile = 6
	// NamespaceTemplate holds templates.
	NamespaceTemplate = 10
	// NamespaceCategory holds categories.
	NamespaceCategory = 14
)

// Parser turns wikitext into clean text. It knows namespace names (English,
// common localised ones, and any added with NewParser) so that it can tell
// media, category and other non-article links apart from article links.
// A Parser is safe for concurrent use.
type Parser struct {
	namespaces map[string]int
}

// defaultParser is built on first use, after the namespace tables.
var defaultParser = sync.OnceValue(func() *Parser { return NewParser(nil) })

// NewParser returns a parser that knows the built-in namespace names plus
// the given ones (name, any case, to its MediaWiki namespace number, as in
// a dump's siteinfo). Names mapped to 0 are ignored.
func NewParser(namespaces map[string]int) *Parser {
	p := &Parser{namespaces: make(map[string]int, len(builtinNamespaces)+len(namespaces))}
	for name, n := range builtinNamespaces {
		p.namespaces[name] = n
	}
	for name, n := range namespaces {
		key := namespaceKey(name)
		if key == "" || n == 0 {
			continue
		}
		p.namespaces[key] = n
	}
	return p
}

// Parse parses src, the wikitext of the page titled title, with the
// built-in namespace names.
func Parse(title, src string) Page {
	return defaultParser().Parse(title, src)
}

// Parse parses src, the wikitext of the page titled title.
func (p *Parser) Parse(title, src string) Page {
	page := Page{Title: strings.TrimSpace(title)}
	src = strings.ToValidUTF8(src, "\uFFFD")
	src = unescapeXML(src)
	if target, ok := RedirectTarget(src); ok {
		page.Redirect = target
		return page
	}
	st := &state{parser: p, title: page.Title}
	// Private-use runes stand for escaped pipes and equals signs while
	// templates are expanded; drop any that the input brings along.
	src = inputCleaner.Replace(src)
	s := stripTags(src)
	s = st.expandTemplates(s)
	s = st.magicWords(s)
	s = markRestorer.Replace(s)
	s = st.resolveLinks(s)
	s = renderTables(s)
	s = stripHTML(s)
	page.Text, page.Sections = layout(s)
	page.Links = dedupe(st.links)
	page.Categories = dedupe(st.categories)
	page.Facts = st.facts
	page.Disambiguation = st.disambiguation || isDisambiguationTitle(page.Title)
	return page
}

// state is what one Parse call collects while it runs.
type state struct {
	parser         *Parser
	title          string
	links          []string
	categories     []string
	facts          []corpus.Fact
	disambiguation bool
}

var (
	inputCleaner = strings.NewReplacer(pipeMark, "", equalsMark, "", "\r\n", "\n", "\r", "\n")
	markRestorer = strings.NewReplacer(pipeMark, "|", equalsMark, "=")
	xmlUnescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", "\"", "&apos;", "'", "&amp;", "&")
)

// xmlEscaped holds wikitext markup that went through XML escaping twice.
var xmlEscaped = []string{"&lt;ref", "&lt;/ref&gt;", "&lt;!--", "&lt;br", "&lt;/small&gt;", "&lt;/span&gt;"}

// unescapeXML undoes a second round of XML escaping (text copied out of a
// dump: "&lt;ref&gt;" for "<ref>"), which would otherwise show markup as
// text. Pages that hold no such escaped markup are left alone.
func unescapeXML(src string) string {
	for _, e := range xmlEscaped {
		if strings.Contains(src, e) {
			return xmlUnescaper.Replace(src)
		}
	}
	return src
}

// dedupe returns the non-empty strings of list in first-seen order, once each.
func dedupe(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
