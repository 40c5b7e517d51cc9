package simwiki

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// Names are built from syllables, so that the world's names are its own
// and no model has read about them. The inventories below are small and
// hand-made; their combinations number in the millions.

var (
	onsets = []string{"b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n", "p",
		"r", "s", "st", "t", "th", "tr", "v", "vr", "z", "sh", "kh", "y", "j", "w", "sk", "fl"}
	vowels = []string{"a", "e", "i", "o", "u", "a", "e", "o", "a", "i", "e", "o", "ae", "ei", "ou", "y"}
	codas  = []string{"", "", "", "n", "r", "l", "s", "th", "nd", "rk", "m", "v", "sk", "nt", "rn", "ld"}

	femaleEnds = []string{"a", "e", "ia", "ine", "elle", "ra", "is", "wen"}
	maleEnds   = []string{"o", "an", "ir", "us", "ek", "or", "in", "ald"}
	familyEnds = []string{"ander", "ell", "ovan", "ith", "erly", "ard", "oss", "enko", "ay", "arro", "im", "est", "ane", "orth"}
	placeEnds  = []string{"holm", "vara", "dun", "mere", "stad", "oss", "ar", "ith", "ova", "burg", "ane", "ek", "ora", "lin"}
	landEnds   = []string{"ia", "ar", "esh", "avia", "ora", "and", "ene", "istan", "ovia", "uria"}

	adjectives = []string{"Quiet", "Hollow", "Amber", "Silver", "Burning", "Distant", "Winter", "Broken",
		"Last", "Northern", "Golden", "Bitter", "Pale", "Hidden", "Endless", "Iron", "Crimson", "Salt",
		"Glass", "Velvet", "Wandering", "Sleeping", "Drowned", "Narrow", "Bright", "Second", "Lost", "Copper"}
	nouns = []string{"Orchard", "Harbour", "River", "House", "Letter", "Tide", "Garden", "Road", "Bell",
		"Mirror", "Crown", "Field", "Lantern", "Island", "Season", "Storm", "Voyage", "Shadow", "Song",
		"Tower", "Bridge", "Feast", "Promise", "Archive", "Orchid", "Compass", "Ledger", "Furnace",
		"Meadow", "Canal", "Clock", "Threshold", "Winter", "Kingdom", "Station", "Ferry", "Quarry"}
	festivalThemes = []string{"Lantern", "Harvest", "Music", "Film", "Book", "Folk", "Winter", "Light",
		"Theatre", "Kite", "Dance", "Poetry", "Wine", "Flower"}
	modelWords = []string{"Vista", "Comet", "Arrow", "Falcon", "Meridian", "Pilot", "Nova", "Atlas",
		"Sparrow", "Regent", "Zephyr", "Orbit", "Courier", "Beacon"}
)

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// syllables returns n syllables run together, in lower case.
func syllables(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(pick(r, onsets))
		b.WriteString(pick(r, vowels))
		if i == n-1 {
			b.WriteString(pick(r, codas))
		}
	}
	return b.String()
}

// coined returns a capitalised made-up word of 2 or 3 syllables.
func coined(r *rand.Rand) string {
	n := 2
	if r.IntN(4) == 0 {
		n = 3
	}
	return capitalise(syllables(r, n))
}

// stem returns one or two syllables without a coda, to take an ending.
func stem(r *rand.Rand) string {
	n := 1 + r.IntN(2)
	var b strings.Builder
	for range n {
		b.WriteString(pick(r, onsets))
		b.WriteString(pick(r, vowels))
	}
	return b.String()
}

// join puts a stem and an ending together; an ending that starts with
// a vowel takes the place of the stem's last vowels.
func join(stem, end string) string {
	if end != "" && isVowel(end[0]) {
		cut := len(stem)
		for cut > 1 && isVowel(stem[cut-1]) {
			cut--
		}
		stem = stem[:cut]
	}
	return capitalise(stem + end)
}

func isVowel(c byte) bool { return strings.IndexByte("aeiouy", c) >= 0 }

func givenName(r *rand.Rand, female bool) string {
	if female {
		return join(stem(r), pick(r, femaleEnds))
	}
	return join(stem(r), pick(r, maleEnds))
}

func familyName(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return coined(r)
	}
	return join(stem(r), pick(r, familyEnds))
}

func placeName(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return coined(r)
	}
	return join(stem(r), pick(r, placeEnds))
}

func countryName(r *rand.Rand) string {
	return join(stem(r)+pick(r, onsets), pick(r, landEnds))
}

// demonym makes the adjective of a country's name: Veldria -> Veldrian.
func demonym(country string) string {
	last := country[len(country)-1]
	switch {
	case last == 'a':
		return country + "n"
	case strings.ContainsRune("eiouy", rune(last)):
		return country[:len(country)-1] + "ian"
	case len(country)%2 == 0:
		return country + "ese"
	}
	return country + "ian"
}

// workTitle makes the title of a book, film or album; every title holds
// a made-up word.
func workTitle(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return "The " + pick(r, adjectives) + " " + pick(r, nouns) + " of " + coined(r)
	case 1:
		return pick(r, nouns) + " of " + coined(r)
	case 2:
		return "The " + pick(r, nouns) + "s of " + coined(r)
	case 3:
		return coined(r)
	case 4:
		n := pick(r, nouns)
		return capitalise(article(n)) + " " + n + " for " + givenName(r, r.IntN(2) == 0)
	case 5:
		return "The " + coined(r) + " " + pick(r, nouns)
	case 6:
		return coined(r) + " " + pick(r, nouns)
	}
	return pick(r, adjectives) + " " + coined(r)
}

func productModel(r *rand.Rand) string {
	if r.IntN(2) == 0 {
		return pick(r, modelWords)
	}
	letters := "ABCDEFGHJKLMNPRSTVXZ"
	return string(letters[r.IntN(len(letters))]) + "-" + strconv.Itoa(2+r.IntN(98))
}

// firstWord is a name's first word, as a brand.
func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	return s
}

// lastWord is a name's last word, as a family name.
func lastWord(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

// article is the indefinite article for word: "an" before a vowel
// sound, as far as spelling tells ("an 1867 novel", "a 1923 film").
func article(word string) string {
	lower := strings.ToLower(word)
	for _, p := range []string{"uni", "use", "usu", "eu", "one"} {
		if strings.HasPrefix(lower, p) {
			return "a"
		}
	}
	for _, p := range []string{"8", "11", "18"} {
		if strings.HasPrefix(lower, p) {
			return "an"
		}
	}
	if lower != "" && strings.ContainsRune("aeiou", rune(lower[0])) {
		return "an"
	}
	return "a"
}
