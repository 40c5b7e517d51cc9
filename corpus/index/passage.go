package index

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus"
)

// DefaultPassageWords is the passage length, in words, that Build uses
// when BuildOptions.PassageWords is zero: the 100 words of the wiki-18
// passage corpus that DPR and Search-R1 retrieve from.
const DefaultPassageWords = 100

// Passage is a window of about a hundred words of one document, the unit
// that passage retrieval (POST /retrieve) returns.
type Passage struct {
	// ID is the document's ID when the document fits in one passage, else
	// the document's ID, "#" and the ordinal.
	ID string `json:"id"`
	// DocID is the ID of the document the passage was cut from.
	DocID string `json:"doc_id"`
	// Ordinal is the passage's position in its document, from 0.
	Ordinal int `json:"ordinal"`
	// Title is the document's title.
	Title string `json:"title"`
	// Text is the passage's words, separated by single spaces.
	Text string `json:"text"`
}

// Contents renders the passage the way the wiki-18 corpus and Search-R1's
// retrieval server do: the title in double quotes, a newline, the text.
func (p Passage) Contents() string {
	return `"` + p.Title + `"` + "\n" + p.Text
}

// SplitPassages cuts doc's text into passages of about words words (100
// when words <= 0). A passage ends at the first sentence end once it holds
// at least words words; a sentence longer than one and a half passages is
// cut at word boundaries; headings and paragraph breaks end sentences; a
// short tail joins the passage before it. Every word of the text appears in
// exactly one passage, in order. A document with no words has no passages.
func SplitPassages(doc corpus.Document, words int) []Passage {
	ps, _ := splitPassages(doc, words)
	return ps
}

// span is a range of bytes of a text.
type span struct{ start, end int }

// splitPassages is SplitPassages that also returns, for each passage, the
// range of the document's text its words come from.
func splitPassages(doc corpus.Document, words int) ([]Passage, []span) {
	if words <= 0 {
		words = DefaultPassageWords
	}
	long := words + words/2
	ws := wordSpans(doc.Text)
	var (
		chunks []span // ranges of word indexes
		cur    = span{}
	)
	flush := func() {
		if cur.end > cur.start {
			chunks = append(chunks, cur)
		}
		cur = span{cur.end, cur.end}
	}
	forEachSentence(doc.Text, ws, func(sentence span) {
		if sentence.end-sentence.start > long {
			// A run-on sentence (a list, a table turned into text): fill
			// the current passage, then cut the rest at word boundaries.
			for sentence.start < sentence.end {
				n := min(words-(cur.end-cur.start), sentence.end-sentence.start)
				cur.end += n
				sentence.start += n
				if cur.end-cur.start >= words {
					flush()
				}
			}
			return
		}
		cur.end = sentence.end
		if cur.end-cur.start >= words {
			flush()
		}
	})
	if cur.end > cur.start {
		if len(chunks) > 0 && cur.end-cur.start < words/3 {
			chunks[len(chunks)-1].end = cur.end
		} else {
			chunks = append(chunks, cur)
		}
	}
	out := make([]Passage, len(chunks))
	src := make([]span, len(chunks))
	var b strings.Builder
	for i, c := range chunks {
		id := doc.ID
		if len(chunks) > 1 {
			id = doc.ID + "#" + strconv.Itoa(i)
		}
		b.Reset()
		for k := c.start; k < c.end; k++ {
			if k > c.start {
				b.WriteByte(' ')
			}
			b.WriteString(doc.Text[ws[k].start:ws[k].end])
		}
		out[i] = Passage{ID: id, DocID: doc.ID, Ordinal: i, Title: doc.Title, Text: b.String()}
		src[i] = span{ws[c.start].start, ws[c.end-1].end}
	}
	return out, src
}

// wordSpans returns the white-space separated words of text, as
// strings.Fields does, by their byte ranges.
func wordSpans(text string) []span {
	var out []span
	start := -1
	for i, r := range text {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, span{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(text)})
	}
	return out
}

// forEachSentence calls fn with each sentence of text, as a range of
// indexes into its words ws, in order. A sentence ends at a word ending in
// '.', '!' or '?' (optionally followed by closing quotes or brackets) that
// is followed by a word that does not start with a lower-case letter, and
// at every line end (so a heading on its own line is a sentence of its
// own).
func forEachSentence(text string, ws []span, fn func(span)) {
	start := 0
	for i, w := range ws {
		end := i+1 == len(ws) ||
			strings.IndexByte(text[w.end:ws[i+1].start], '\n') >= 0 ||
			endsSentence(text[w.start:w.end]) && !startsLower(text[ws[i+1].start:ws[i+1].end])
		if end {
			fn(span{start, i + 1})
			start = i + 1
		}
	}
}

// endsSentence reports whether w ends with sentence punctuation, looking
// through closing quotes and brackets.
func endsSentence(w string) bool {
	w = strings.TrimRight(w, `"')]»”’`)
	if w == "" {
		return false
	}
	switch w[len(w)-1] {
	case '.', '!', '?':
	default:
		return false
	}
	// "U.S." style initials and single letters ("J.") rarely end a sentence.
	core := strings.TrimRight(w, ".!?")
	if utf8.RuneCountInString(core) == 1 {
		return false
	}
	return !strings.Contains(core, ".")
}

// startsLower reports whether w begins with a lower-case letter.
func startsLower(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsLower(r)
}
