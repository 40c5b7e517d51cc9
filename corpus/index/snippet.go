package index

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// DefaultSnippetChars is the length of a search hit's snippet when
// Options.SnippetChars is zero.
const DefaultSnippetChars = 240

// match is a word of the text whose stem is one of the query's terms.
type match struct {
	start, end int
	term       int // index into the query's terms
}

// snippet returns about n bytes of text around the part where the query's
// terms are densest: the window that holds the most distinct terms, then
// the most matches, then comes first. It starts at a sentence start when
// one is close, ends at a word end, collapses white space (so headings and
// paragraphs run together), and marks cuts with "…". Without a match it is
// the start of the text.
func snippet(text string, terms []queryTerm, an analysis.Analyzer, n int) string {
	if n <= 0 {
		n = DefaultSnippetChars
	}
	if len(text) <= n {
		return collapse(text)
	}
	matches := findMatches(text, terms, an)
	from := 0
	if len(matches) > 0 {
		from = bestWindow(matches, len(terms), n)
		from = windowStart(text, from, n/4)
	}
	to := min(len(text), from+n)
	to = wordEnd(text, to)
	out := collapse(text[from:to])
	if from > 0 {
		out = "…" + out
	}
	if to < len(text) {
		out += "…"
	}
	return out
}

// maxSnippetScan is how much of a document is searched for the snippet.
const maxSnippetScan = 64 << 10

// findMatches lists, in order, the words of text whose stem is a query
// term. It looks for each term's stem prefix (in lower case, capitalised
// and in upper case) with strings.Index, then stems the word found there
// with the index's analyser, so that it agrees with the index; each
// distinct word is stemmed once. Only the first maxSnippetScan bytes are
// searched.
func findMatches(text string, terms []queryTerm, an analysis.Analyzer) []match {
	if len(terms) == 0 {
		return nil
	}
	if len(text) > maxSnippetScan {
		cut := maxSnippetScan
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	// Search a lower-case copy when lower-casing keeps byte offsets (it
	// nearly always does), else the text for each way of writing a prefix.
	haystack, lowered := strings.ToLower(text), true
	if len(haystack) != len(text) {
		haystack, lowered = text, false
	}
	stemmed := map[string]int{} // lower-case word -> term index, or -1
	var out []match
	seen := map[int]bool{}
	for _, t := range terms {
		p := t.term
		if k := max(3, len(p)-2); k < len(p) {
			p = p[:k]
		}
		variants := []string{p}
		if !lowered {
			variants = caseVariants(p)
		}
		for _, v := range variants {
			for off := 0; off < len(text); {
				j := strings.Index(haystack[off:], v)
				if j < 0 {
					break
				}
				start := off + j
				off = start + len(v)
				if seen[start] || !isWordStart(text, start) {
					continue
				}
				end := start
				for end < len(text) {
					r, size := utf8.DecodeRuneInString(text[end:])
					if !isWordRune(r) {
						break
					}
					end += size
				}
				lower := haystack[start:end]
				if !lowered {
					lower = strings.ToLower(lower)
				}
				ti, ok := stemmed[lower]
				if !ok {
					ti = -1
					for _, tok := range an.Analyze([]byte(lower)) {
						for i, t := range terms {
							if string(tok.Term) == t.term {
								ti = i
							}
						}
					}
					stemmed[lower] = ti
				}
				if ti >= 0 {
					seen[start] = true
					out = append(out, match{start: start, end: end, term: ti})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b match) int { return a.start - b.start })
	return out
}

// caseVariants returns s, s capitalised and s in upper case, without
// repeats.
func caseVariants(s string) []string {
	r, size := utf8.DecodeRuneInString(s)
	out := []string{s}
	if c := string(unicode.ToUpper(r)) + s[size:]; c != s {
		out = append(out, c)
	}
	if u := strings.ToUpper(s); u != out[len(out)-1] && u != s {
		out = append(out, u)
	}
	return out
}

// bestWindow returns the start offset of the first match of the best
// window of n bytes.
func bestWindow(ms []match, nTerms, n int) int {
	counts := make([]int, nTerms)
	distinct := 0
	bestDistinct, bestCount, best := -1, -1, 0
	lo := 0
	for hi, m := range ms {
		if counts[m.term] == 0 {
			distinct++
		}
		counts[m.term]++
		for ms[hi].end-ms[lo].start > n {
			counts[ms[lo].term]--
			if counts[ms[lo].term] == 0 {
				distinct--
			}
			lo++
		}
		if count := hi - lo + 1; distinct > bestDistinct || distinct == bestDistinct && count > bestCount {
			bestDistinct, bestCount, best = distinct, count, ms[lo].start
		}
	}
	return best
}

// windowStart moves at back from a match to give it some context: to the
// start of its sentence if that is at most back bytes before, else to a
// word start about back/2 bytes before.
func windowStart(text string, at, back int) int {
	lo := max(0, at-back)
	region := text[lo:at]
	if i := strings.LastIndexAny(region, "\n"); i >= 0 {
		return lo + i + 1
	}
	for i := len(region) - 2; i >= 0; i-- {
		if (region[i] == '.' || region[i] == '!' || region[i] == '?') && region[i+1] == ' ' {
			return lo + i + 2
		}
	}
	if lo == 0 {
		return 0
	}
	start := max(0, at-back/2)
	for start < at && !isWordStart(text, start) {
		start++
	}
	return start
}

// isWordStart reports whether a word begins at byte i of text.
func isWordStart(text string, i int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:])
	if !isWordRune(r) {
		return false
	}
	if i == 0 {
		return true
	}
	p, _ := utf8.DecodeLastRuneInString(text[:i])
	return !isWordRune(p)
}

// wordEnd moves to back so that text[:to] does not end inside a word.
func wordEnd(text string, to int) int {
	if to >= len(text) {
		return len(text)
	}
	for i := to; i > 0; {
		p, size := utf8.DecodeLastRuneInString(text[:i])
		if !isWordRune(p) {
			return i
		}
		i -= size
	}
	return to
}

// isWordRune reports whether r belongs to a word: letters, digits and
// apostrophes.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '\''
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// collapse trims s and replaces each run of white space with one space.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
