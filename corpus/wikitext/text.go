package wikitext

import (
	"html"
	"regexp"
	"strings"
	"unicode"

	"github.com/simgym/simgym/corpus"
)

// htmlTags are the HTML tags that wikitext allows; stripHTML removes them
// and keeps their content. Block tags become line breaks. Other "<...>"
// text is left alone, as MediaWiki shows it.
var htmlTags = map[string]bool{
	"b": false, "i": false, "u": false, "s": false, "del": false, "ins": false,
	"sup": false, "sub": false, "small": false, "big": false, "span": false,
	"font": false, "code": false, "tt": false, "abbr": false, "cite": false,
	"em": false, "strong": false, "var": false, "kbd": false, "samp": false,
	"mark": false, "q": false, "ruby": false, "rt": false, "rp": false,
	"strike": false, "wbr": false, "time": false, "data": false, "bdi": false,
	"bdo": false, "dfn": false, "a": false, "onlyinclude": false, "noinclude": false,
	"nowiki": false, "translate": false, "tvar": false, "languages": false,
	"br": true, "p": true, "div": true, "center": true, "blockquote": true,
	"poem": true, "table": true, "tr": true, "td": true, "th": true, "caption": true,
	"tbody": true, "thead": true, "tfoot": true, "ul": true, "ol": true, "li": true,
	"dl": true, "dt": true, "dd": true, "hr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "pre": true, "figure": true, "figcaption": true,
}

// stripHTML removes HTML tags, keeping their content; <br>, <p>, <div> and
// other block tags become line breaks.
func stripHTML(s string) string {
	if !strings.ContainsRune(s, '<') {
		return s
	}
	lower := asciiLower(s)
	angle := newFinder(s, "<>")
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		j += i
		k := j + 1
		if k < len(s) && s[k] == '/' {
			k++
		}
		name, end := tagName(lower, k)
		block, known := htmlTags[name]
		if !known || (end < len(s) && !isTagNameEnd(s[end])) {
			i = j + 1
			continue
		}
		gt := angle.next(end)
		if gt < 0 || s[gt] != '>' {
			i = j + 1
			continue
		}
		b.WriteString(s[last:j])
		if block {
			b.WriteByte('\n')
		}
		i = gt + 1
		last = i
	}
	b.WriteString(s[last:])
	return b.String()
}

// magicWord matches behaviour switches such as __NOTOC__.
var magicWord = regexp.MustCompile(`__[A-ZÀ-ÿА-Яа-я_]{2,30}__`)

// magicWords removes behaviour switches, noting __DISAMBIG__.
func (st *state) magicWords(s string) string {
	if !strings.Contains(s, "__") {
		return s
	}
	return magicWord.ReplaceAllStringFunc(s, func(w string) string {
		if w == "__DISAMBIG__" {
			st.disambiguation = true
		}
		return ""
	})
}

// layout turns the marked-up lines into the final text: headings on lines
// of their own between blank lines, list items as plain lines, formatting
// and entities resolved, runs of blank lines folded into one, and headings
// of empty sections dropped. It returns the text and the headings kept.
func layout(s string) (string, []corpus.Section) {
	type block struct {
		text    string
		level   int // heading level, 0 for text, -1 for a paragraph break
		heading bool
	}
	var blocks []block
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			blocks = append(blocks, block{level: -1})
			continue
		}
		if level, title, ok := heading(t); ok {
			title = sanitize(cleanLine(sanitize(title)))
			if title != "" {
				blocks = append(blocks, block{text: title, level: level, heading: true})
			}
			continue
		}
		if strings.Trim(t, "-") == "" && len(t) >= 4 {
			blocks = append(blocks, block{level: -1})
			continue
		}
		t = cleanLine(sanitize(strings.TrimLeft(t, "*#:;")))
		if !hasWordChar(t) {
			continue
		}
		blocks = append(blocks, block{text: t})
	}
	// Keep a heading only when text follows it before the next heading of
	// the same or a higher level.
	keep := make([]bool, len(blocks))
	var has [7]bool // has[l]: text ahead before a heading of level <= l
	for i := len(blocks) - 1; i >= 0; i-- {
		bl := blocks[i]
		switch {
		case bl.heading:
			keep[i] = has[bl.level]
			for l := bl.level; l < len(has); l++ {
				has[l] = false
			}
		case bl.level == 0:
			keep[i] = true
			has = [7]bool{true, true, true, true, true, true, true}
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	var sections []corpus.Section
	pendingBreak := false
	for i, bl := range blocks {
		switch {
		case bl.level == -1:
			pendingBreak = true
			continue
		case !keep[i]:
			continue
		}
		if b.Len() > 0 {
			if bl.heading || pendingBreak {
				b.WriteString("\n\n")
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString(bl.text)
		pendingBreak = bl.heading
		if bl.heading {
			sections = append(sections, corpus.Section{Title: bl.text, Level: bl.level})
		}
	}
	return sanitize(b.String()), sections
}

// heading reports whether line is "== Title ==" and returns its level and
// title.
func heading(line string) (int, string, bool) {
	if len(line) < 3 || line[0] != '=' || line[len(line)-1] != '=' {
		return 0, "", false
	}
	left := runLength(line, 0, '=')
	right := 0
	for right < len(line) && line[len(line)-1-right] == '=' {
		right++
	}
	if left == len(line) {
		return 0, "", false
	}
	level := min(left, right, 6)
	title := strings.TrimSpace(line[level : len(line)-level])
	if title == "" {
		return 0, "", false
	}
	return level, title, true
}

var (
	emptyParens   = regexp.MustCompile(`[(（]\s*[,;:.–—-]?\s*[)）]|\[\s*\]`)
	openParen     = regexp.MustCompile(`([(\[]) +`)
	leadingPunct  = regexp.MustCompile(`\(\s*[,;]\s*`)
	trailingPunct = regexp.MustCompile(`\s*[,;]\s*\)`)
)

// cleanLine resolves bold and italic quotes and HTML entities in one line,
// folds white space and tidies the punctuation that removed templates and
// references leave behind.
func cleanLine(s string) string {
	s = stripQuotes(s)
	if strings.ContainsRune(s, '&') {
		s = html.UnescapeString(s)
	}
	s = tidySpaces(s)
	if strings.ContainsAny(s, "(（[") {
		s = leadingPunct.ReplaceAllString(s, "(")
		s = trailingPunct.ReplaceAllString(s, ")")
		s = emptyParens.ReplaceAllString(s, "")
		s = openParen.ReplaceAllString(s, "$1")
		s = tidySpaces(s)
	}
	return s
}

// tidySpaces folds runs of white space into one space, drops white space
// before closing punctuation and at both ends.
func tidySpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\u00a0', '\u2009', '\u200a', '\u202f', '\u3000':
			space = true
			continue
		case ',', '.', ';', ':', '!', '?', ')', ']':
			space = false
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// stripQuotes removes the runs of apostrophes that make text bold or
// italic (2, 3 or 5), keeping any extra apostrophes as text.
func stripQuotes(s string) string {
	if !strings.Contains(s, "''") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] != '\'' {
			k := strings.IndexByte(s[i:], '\'')
			if k < 0 {
				k = len(s) - i
			}
			b.WriteString(s[i : i+k])
			i += k
			continue
		}
		n := runLength(s, i, '\'')
		switch {
		case n == 1:
			b.WriteByte('\'')
		case n == 4:
			b.WriteByte('\'')
		case n > 5:
			b.WriteString(strings.Repeat("'", n-5))
		}
		i += n
	}
	return b.String()
}

// hasWordChar reports whether s holds a letter or a digit.
func hasWordChar(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// sanitize guarantees that no markup delimiter survives in clean text:
// runs of two or more braces or square brackets are dropped, a single one
// is dropped when it would pair with the one written before it, "{|"
// loses its brace and "<ref" its angle bracket. The output never contains
// "{{", "}}", "[[", "]]", "{|" or "<ref", whatever the input.
func sanitize(s string) string {
	if !strings.ContainsAny(s, "{}[]<") {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '{', '}', '[', ']':
			n := runLength(s, i, c)
			i += n
			if n == 1 && (len(out) == 0 || out[len(out)-1] != c) {
				out = append(out, c)
			}
			continue
		case '|':
			if len(out) > 0 && out[len(out)-1] == '{' {
				out = out[:len(out)-1]
			}
		case 'f', 'F':
			for len(out) >= 3 && out[len(out)-3] == '<' && asciiLower(string(out[len(out)-2:])) == "re" {
				out = append(out[:len(out)-3], out[len(out)-2:]...)
			}
		}
		out = append(out, c)
		i++
	}
	return string(out)
}
