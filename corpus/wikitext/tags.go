package wikitext

import "strings"

// tagAction says what the first pass does with an extension tag and its
// content.
type tagAction int

const (
	tagDrop     tagAction = iota + 1 // remove the tag and its content
	tagVerbatim                      // keep the content as plain text, markup escaped
)

// extensionTags are the tags whose content is not ordinary wikitext.
var extensionTags = map[string]tagAction{
	"ref":             tagDrop,
	"references":      tagDrop,
	"gallery":         tagDrop,
	"math":            tagDrop,
	"chem":            tagDrop,
	"ce":              tagDrop,
	"timeline":        tagDrop,
	"score":           tagDrop,
	"graph":           tagDrop,
	"mapframe":        tagDrop,
	"maplink":         tagDrop,
	"templatedata":    tagDrop,
	"templatestyles":  tagDrop,
	"imagemap":        tagDrop,
	"hiero":           tagDrop,
	"inputbox":        tagDrop,
	"categorytree":    tagDrop,
	"indicator":       tagDrop,
	"includeonly":     tagDrop,
	"charinsert":      tagDrop,
	"section":         tagDrop,
	"nowiki":          tagVerbatim,
	"pre":             tagVerbatim,
	"syntaxhighlight": tagVerbatim,
	"source":          tagVerbatim,
}

// stripTags removes HTML comments and the extension tags that carry no
// prose (references, galleries, formulas...), and escapes the markup
// inside nowiki and pre so that later passes leave it alone. An unclosed
// comment runs to the end of the text; an unclosed tag is dropped alone.
func stripTags(s string) string {
	if !strings.ContainsRune(s, '<') {
		return s
	}
	lower := asciiLower(s)
	var b strings.Builder
	b.Grow(len(s))
	unclosed := map[string]bool{}
	angle := newFinder(s, "<>")
	last, i := 0, 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		j += i
		if strings.HasPrefix(s[j:], "<!--") {
			b.WriteString(s[last:j])
			k := strings.Index(s[j+4:], "-->")
			if k < 0 {
				last = len(s)
				break
			}
			i = j + 4 + k + 3
			last = i
			if endsLine(&b, s, j) {
				i = skipNewline(s, i)
				last = i
			}
			continue
		}
		name, end := tagName(lower, j+1)
		action := extensionTags[name]
		if action == 0 {
			i = j + 1
			continue
		}
		if end < len(s) && !isTagNameEnd(s[end]) {
			i = j + 1
			continue
		}
		open := angle.next(end)
		if open < 0 || s[open] != '>' {
			i = j + 1
			continue
		}
		b.WriteString(s[last:j])
		i = open + 1
		last = i
		if s[open-1] == '/' {
			if action == tagDrop && endsLine(&b, s, j) {
				i = skipNewline(s, i)
				last = i
			}
			continue
		}
		closeAt, closeEnd := -1, -1
		if !unclosed[name] {
			closeAt, closeEnd = findClose(lower, name, open+1)
			if closeAt < 0 {
				unclosed[name] = true
			}
		}
		if closeAt < 0 {
			continue
		}
		if action == tagVerbatim {
			escapeMarkup(&b, s[open+1:closeAt])
		}
		i = closeEnd
		if action == tagDrop && endsLine(&b, s, j) {
			i = skipNewline(s, i)
		}
		last = i
	}
	b.WriteString(s[last:])
	return b.String()
}

// endsLine reports whether the output so far is empty or ends a line,
// given that the removed element started at s[start].
func endsLine(b *strings.Builder, s string, start int) bool {
	return start == 0 || s[start-1] == '\n' && (b.Len() == 0 || b.String()[b.Len()-1] == '\n')
}

// skipNewline returns i+1 when s[i] is a newline, else i.
func skipNewline(s string, i int) int {
	if i < len(s) && s[i] == '\n' {
		return i + 1
	}
	return i
}

// tagName reads a tag name (ASCII letters and digits) at lower[i:] and
// returns it with the index just past it.
func tagName(lower string, i int) (string, int) {
	j := i
	for j < len(lower) && (isASCIILetter(lower[j]) || (j > i && lower[j] >= '0' && lower[j] <= '9')) {
		j++
	}
	return lower[i:j], j
}

// isTagNameEnd reports whether c may follow a tag name.
func isTagNameEnd(c byte) bool {
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n'
}

// findClose finds the closing tag of name in lower from index from and
// returns where it starts and the index just past it.
func findClose(lower, name string, from int) (int, int) {
	needle := "</" + name
	for from < len(lower) {
		k := strings.Index(lower[from:], needle)
		if k < 0 {
			return -1, -1
		}
		at := from + k
		end := at + len(needle)
		if end >= len(lower) {
			return at, end
		}
		if isTagNameEnd(lower[end]) {
			for end < len(lower) && (lower[end] == ' ' || lower[end] == '\t' || lower[end] == '\n') {
				end++
			}
			if end < len(lower) && lower[end] == '>' {
				end++
			}
			return at, end
		}
		from = end
	}
	return -1, -1
}

// escapeMarkup writes s with the characters that start markup replaced by
// numeric entities, which the last pass decodes.
func escapeMarkup(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '{', '}', '[', ']', '<', '>', '|', '\'', '=', '*', '#', ':', ';', '_', '~', '-', '!':
			b.WriteString("&#")
			b.WriteString(itoa(int(c)))
			b.WriteByte(';')
		default:
			b.WriteByte(c)
		}
	}
}

// itoa formats a small non-negative number.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// asciiLower lowers ASCII letters only, so that byte offsets stay valid.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for k := i; k < len(b); k++ {
				if b[k] >= 'A' && b[k] <= 'Z' {
					b[k] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isASCIILetter(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// finder returns the next index of any of a set of bytes, remembering its
// last answer so that repeated searches from growing positions cost linear
// time in total.
type finder struct {
	s     string
	chars string
	from  int // the last search started here...
	found int // ...and found this (-1: nothing from there on)
	valid bool
}

func newFinder(s, chars string) *finder {
	return &finder{s: s, chars: chars}
}

// next returns the first index >= from holding one of the finder's bytes,
// or -1.
func (f *finder) next(from int) int {
	if f.valid && from >= f.from && (f.found < 0 || from <= f.found) {
		return f.found
	}
	f.valid = true
	f.from = from
	if from >= len(f.s) {
		f.found = -1
		return -1
	}
	k := strings.IndexAny(f.s[from:], f.chars)
	if k < 0 {
		f.found = -1
	} else {
		f.found = from + k
	}
	return f.found
}
