package dump

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus"
)

// PassageWords is the usual passage length in words, as in the wiki-18
// corpus of DPR and Search-R1.
const PassageWords = 100

// Passage is a piece of a document of about a set number of words.
type Passage struct {
	// ID is the document id and the ordinal: "<doc id>-<ordinal>".
	ID string `json:"id"`
	// DocID is the id of the document the passage comes from.
	DocID string `json:"doc_id"`
	// Ordinal is the passage's position in its document, from 0.
	Ordinal int `json:"ordinal"`
	// Title is the document's title.
	Title string `json:"title"`
	// Text is the passage's text, on one line.
	Text string `json:"text"`
}

// Contents returns the passage as Search-R1's retriever shows it: the
// quoted title, a newline, then the text.
func (p Passage) Contents() string {
	return strconv.Quote(p.Title) + "\n" + p.Text
}

// Chunk splits a document's text into passages of about words words (100
// when words <= 0). Passages end at sentence ends where it can, never
// inside a word; a sentence longer than a passage is cut between words,
// and a short remainder joins the passage before it.
func Chunk(doc corpus.Document, words int) []Passage {
	if words <= 0 {
		words = PassageWords
	}
	var passages []Passage
	var cur []string
	flush := func() {
		if len(cur) == 0 {
			return
		}
		passages = append(passages, Passage{Text: strings.Join(cur, " ")})
		cur = cur[:0]
	}
	for _, sentence := range sentences(doc.Text) {
		if len(cur) > 0 && len(cur)+len(sentence) > words && len(cur) >= words/2 {
			flush()
		}
		for len(cur)+len(sentence) > words+words/2 {
			// A sentence too long for one passage: fill up and cut.
			take := max(1, words-len(cur))
			cur = append(cur, sentence[:take]...)
			sentence = sentence[take:]
			flush()
		}
		cur = append(cur, sentence...)
	}
	// A short remainder joins the passage before it.
	if len(cur) > 0 && len(cur) < words/4 && len(passages) > 0 {
		last := &passages[len(passages)-1]
		last.Text += " " + strings.Join(cur, " ")
		cur = cur[:0]
	}
	flush()
	for i := range passages {
		passages[i].DocID = doc.ID
		passages[i].Ordinal = i
		passages[i].ID = doc.ID + "-" + strconv.Itoa(i)
		passages[i].Title = doc.Title
	}
	return passages
}

// sentences splits text into sentences, each a list of words. A line end
// ends a sentence; so does a word ending in ".", "!" or "?" (before any
// closing quotes or brackets), unless it is a common abbreviation or an
// initial and the next word does not start with a capital or a digit.
func sentences(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		start := 0
		for i, w := range fields {
			if i+1 < len(fields) && endsSentence(w, fields[i+1]) {
				out = append(out, fields[start:i+1])
				start = i + 1
			}
		}
		if start < len(fields) {
			out = append(out, fields[start:])
		}
	}
	return out
}

// abbreviations do not end sentences.
var abbreviations = map[string]bool{
	"mr.": true, "mrs.": true, "ms.": true, "dr.": true, "prof.": true, "st.": true,
	"jr.": true, "sr.": true, "vs.": true, "etc.": true, "e.g.": true, "i.e.": true,
	"c.": true, "ca.": true, "fl.": true, "no.": true, "vol.": true, "pp.": true,
	"p.": true, "ed.": true, "eds.": true, "inc.": true, "ltd.": true, "co.": true,
	"gen.": true, "col.": true, "lt.": true, "sgt.": true, "capt.": true, "rev.": true,
	"mt.": true, "ft.": true, "approx.": true, "u.s.": true, "u.k.": true, "jan.": true,
	"feb.": true, "mar.": true, "apr.": true, "jun.": true, "jul.": true, "aug.": true,
	"sep.": true, "sept.": true, "oct.": true, "nov.": true, "dec.": true, "z.b.": true,
	"d.h.": true, "bzw.": true, "usw.": true, "г.": true, "т.е.": true, "др.": true,
}

// endsSentence reports whether word ends a sentence, given the next word.
func endsSentence(word, next string) bool {
	w := strings.TrimRight(word, `"'”’»)]`)
	if w == "" {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(w)
	if last != '.' && last != '!' && last != '?' {
		return false
	}
	first, _ := utf8.DecodeRuneInString(strings.TrimLeft(next, `"'“‘«([`))
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) {
		return false
	}
	if last == '.' {
		lw := strings.ToLower(w)
		if abbreviations[lw] {
			return false
		}
		// An initial: "J." or "A.B."
		if r, size := utf8.DecodeRuneInString(w); unicode.IsUpper(r) && (len(w) == size+1 || strings.Count(w, ".") > 1 && len(w) <= 6) {
			return false
		}
	}
	return true
}
