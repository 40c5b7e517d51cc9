package indextest

import (
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/simgym/simgym/corpus"
)

// Synthetic articles are made of pseudo-words drawn with Zipf's law from a
// fixed vocabulary, mixed with English stop words at about the rate of
// English prose, with a few topic words that recur within an article (as
// real articles repeat their subject). That gives posting lists shaped
// like those of a real encyclopedia, which is what search speed depends on.
const (
	vocabularySize = 50_000
	zipfExponent   = 1.0
	topicWords     = 6
	minWords       = 150
	maxWords       = 450
)

// stopWords are common English function words, most frequent first.
var stopWords = strings.Fields(`the of and in to a was is for on as by with he
it that at from his an were are which this be or has had not first its
their but they one also been have who new after she her into more other
there all two when during most only over such some would can these than`)

var syllables = struct{ onsets, vowels, codas []string }{
	onsets: strings.Fields("b c d f g h j k l m n p r s t v w z br cr dr fl gr pl st tr sh ch th"),
	vowels: strings.Fields("a e i o u ai ea ou io"),
	codas:  append([]string{"", "", ""}, strings.Fields("n r s l m th nd st x")...),
}

// vocab is the generated vocabulary and the cumulative Zipf weights of
// its words, the most frequent first.
type vocab struct {
	words []string
	cdf   []float64
}

var vocabulary = sync.OnceValue(func() *vocab {
	r := rand.New(rand.NewPCG(1, 2))
	stop := map[string]bool{}
	for _, w := range stopWords {
		stop[w] = true
	}
	seen := map[string]bool{}
	v := &vocab{words: make([]string, 0, vocabularySize), cdf: make([]float64, 0, vocabularySize)}
	total := 0.0
	for len(v.words) < vocabularySize {
		n := 1 + r.IntN(2)
		if len(v.words) > 2_000 {
			n = 2 + r.IntN(2)
		}
		var b strings.Builder
		for range n {
			b.WriteString(pick(r, syllables.onsets))
			b.WriteString(pick(r, syllables.vowels))
			b.WriteString(pick(r, syllables.codas))
		}
		w := b.String()
		if len(w) < 3 || seen[w] || stop[w] {
			continue
		}
		seen[w] = true
		total += 1 / math.Pow(float64(len(v.words)+3), zipfExponent)
		v.words = append(v.words, w)
		v.cdf = append(v.cdf, total)
	}
	for i := range v.cdf {
		v.cdf[i] /= total
	}
	return v
})

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// zipf draws a word by Zipf's law.
func (v *vocab) zipf(r *rand.Rand) string {
	i, _ := slices.BinarySearch(v.cdf, r.Float64())
	return v.words[min(i, len(v.words)-1)]
}

// rare draws a word uniformly from the less frequent part of the vocabulary.
func (v *vocab) rare(r *rand.Rand) string {
	return v.words[500+r.IntN(len(v.words)-500)]
}

// article holds what the generator decides about one article before
// writing it, so that queries can be made about it.
type article struct {
	title  []string
	topics []string
}

func plan(seed uint64, i int) (article, *rand.Rand) {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	v := vocabulary()
	var a article
	for range 1 + r.IntN(3) {
		a.title = append(a.title, v.rare(r))
	}
	a.topics = append(a.topics, a.title...)
	for range topicWords {
		a.topics = append(a.topics, v.rare(r))
	}
	return a, r
}

// Article returns synthetic article i of the corpus with the given seed:
// ID i+1, a title of one to three words and 150 to 450 words of text in
// paragraphs of sentences. The same seed and i give the same article.
func Article(seed uint64, i int) corpus.Document {
	a, r := plan(seed, i)
	v := vocabulary()
	title := make([]string, len(a.title))
	for j, w := range a.title {
		title[j] = capital(w)
	}
	var b strings.Builder
	b.WriteString(strings.Join(title, " "))
	b.WriteString(" is a ")
	b.WriteString(v.zipf(r))
	b.WriteString(" of the ")
	b.WriteString(v.zipf(r))
	b.WriteString(".")
	n := minWords + r.IntN(maxWords-minWords+1)
	inSentence, sentenceLen, inParagraph := 0, 6+r.IntN(15), 0
	for range n {
		var w string
		switch x := r.Float64(); {
		case x < 0.42:
			w = stopWords[min(int(r.ExpFloat64()*12), len(stopWords)-1)]
		case x < 0.50:
			w = pick(r, a.topics)
		default:
			w = v.zipf(r)
		}
		if inSentence == 0 {
			b.WriteByte(' ')
			w = capital(w)
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if inSentence++; inSentence == sentenceLen {
			b.WriteByte('.')
			inSentence, sentenceLen = 0, 6+r.IntN(15)
			if inParagraph++; inParagraph == 4+r.IntN(3) {
				b.WriteString("\n")
				inParagraph = 0
			}
		}
	}
	if inSentence > 0 {
		b.WriteByte('.')
	}
	text := strings.ReplaceAll(b.String(), ".\n ", ".\n\n")
	return corpus.Document{ID: strconv.Itoa(i + 1), Title: strings.Join(title, " "), Text: text}
}

// Docs yields synthetic articles 0 to n-1 of the corpus with the given
// seed, in a form that index.Build takes.
func Docs(n int, seed uint64) iter.Seq2[corpus.Document, error] {
	return func(yield func(corpus.Document, error) bool) {
		for i := range n {
			if !yield(Article(seed, i), nil) {
				return
			}
		}
	}
}

// Queries returns n search queries about articles of the first docs
// articles of the corpus with the given seed, as a user or an agent might
// type them: the article's title words, one or two of its topic words,
// sometimes a common word, and stop words. The same arguments give the
// same queries.
func Queries(n, docs int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, math.MaxUint64))
	v := vocabulary()
	openers := []string{"", "what is the", "who was", "where is the", "when did the", "history of"}
	out := make([]string, n)
	for i := range out {
		a, _ := plan(seed, r.IntN(docs))
		var words []string
		if o := pick(r, openers); o != "" {
			words = append(words, o)
		}
		words = append(words, a.title...)
		for range 1 + r.IntN(2) {
			words = append(words, pick(r, a.topics[len(a.title):]))
		}
		if r.IntN(3) == 0 {
			words = append(words, "of the", v.zipf(r))
		}
		out[i] = strings.Join(words, " ")
	}
	return out
}

func capital(w string) string {
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}
