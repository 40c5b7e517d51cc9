package webqa

import (
	"strings"
	"unicode"
)

// asciiPunct is Python's string.punctuation, which SQuAD's normalisation
// removes.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// Normalize is SQuAD's answer normalisation, as Search-R1 and most QA
// evaluations use it: lower case, punctuation removed (ASCII and Unicode
// punctuation), the articles "a", "an" and "the" removed, white space
// collapsed.
func Normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.Map(func(r rune) rune {
		if r < 128 && strings.ContainsRune(asciiPunct, r) || r >= 128 && unicode.IsPunct(r) {
			return -1
		}
		return r
	}, s)
	words := strings.Fields(s)
	out := words[:0]
	for _, w := range words {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// ExactMatch reports whether the normalised answer equals a normalised
// gold answer. An answer that normalises to nothing matches nothing.
func ExactMatch(answer string, golds []string) bool {
	a := Normalize(answer)
	if a == "" {
		return false
	}
	for _, g := range golds {
		if Normalize(g) == a {
			return true
		}
	}
	return false
}

// F1 is the best token F1 of the normalised answer against the normalised
// gold answers: the harmonic mean of the share of the answer's tokens
// found in the gold answer and the share of the gold answer's tokens
// found in the answer, counting repeats. An answer that normalises to
// nothing scores 0.
func F1(answer string, golds []string) float64 {
	a := strings.Fields(Normalize(answer))
	if len(a) == 0 {
		return 0
	}
	best := 0.0
	for _, g := range golds {
		best = max(best, tokenF1(a, strings.Fields(Normalize(g))))
	}
	return best
}

func tokenF1(pred, gold []string) float64 {
	if len(pred) == 0 || len(gold) == 0 {
		return 0
	}
	counts := make(map[string]int, len(gold))
	for _, w := range gold {
		counts[w]++
	}
	common := 0
	for _, w := range pred {
		if counts[w] > 0 {
			counts[w]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p := float64(common) / float64(len(pred))
	r := float64(common) / float64(len(gold))
	return 2 * p * r / (p + r)
}
