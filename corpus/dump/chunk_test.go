package dump

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

// sentence returns a sentence of n words.
func sentence(n int, tag string) string {
	words := make([]string, n)
	for i := range words {
		words[i] = fmt.Sprintf("%s%d", tag, i)
	}
	words[0] = "The" + words[0]
	return strings.Join(words, " ") + "."
}

func TestChunk(t *testing.T) {
	var parts []string
	for i := range 30 {
		parts = append(parts, sentence(20+i%7, fmt.Sprint("s", i, "w")))
	}
	text := strings.Join(parts, " ")
	doc := corpus.Document{ID: "42", Title: "Doc", Text: text}
	passages := Chunk(doc, 100)
	total := 0
	var rebuilt []string
	for i, p := range passages {
		n := len(strings.Fields(p.Text))
		total += n
		if p.DocID != "42" || p.Ordinal != i || p.ID != fmt.Sprintf("42-%d", i) || p.Title != "Doc" {
			t.Errorf("passage %d: %+v", i, p)
		}
		if (n < 50 && i < len(passages)-1) || n < 25 || n > 150 {
			t.Errorf("passage %d has %d words", i, n)
		}
		if !strings.HasSuffix(p.Text, ".") {
			t.Errorf("passage %d does not end a sentence: %q", i, p.Text[max(0, len(p.Text)-30):])
		}
		rebuilt = append(rebuilt, p.Text)
	}
	if total != len(strings.Fields(text)) || strings.Join(rebuilt, " ") != text {
		t.Errorf("passages lose or change words: %d of %d", total, len(strings.Fields(text)))
	}
	if got := passages[0].Contents(); !strings.HasPrefix(got, "\"Doc\"\nThe") {
		t.Errorf("contents = %q", got[:20])
	}
}

func TestChunkLongSentence(t *testing.T) {
	doc := corpus.Document{ID: "x", Text: sentence(450, "w")}
	passages := Chunk(doc, 100)
	var sizes []int
	for _, p := range passages {
		sizes = append(sizes, len(strings.Fields(p.Text)))
	}
	if !reflect.DeepEqual(sizes, []int{100, 100, 100, 150}) {
		t.Errorf("sizes %v", sizes)
	}
}

func TestChunkSmall(t *testing.T) {
	if got := Chunk(corpus.Document{ID: "a", Text: "One short text."}, 0); len(got) != 1 || got[0].Text != "One short text." {
		t.Errorf("got %+v", got)
	}
	if got := Chunk(corpus.Document{ID: "a", Text: "  \n "}, 100); len(got) != 0 {
		t.Errorf("empty text gave %+v", got)
	}
	// A short tail joins the passage before.
	text := sentence(95, "a") + " " + sentence(10, "b")
	if got := Chunk(corpus.Document{ID: "a", Text: text}, 100); len(got) != 1 {
		t.Errorf("got %d passages", len(got))
	}
}

func TestSentences(t *testing.T) {
	got := sentences("Dr. Smith met J. R. Tolkien in St. Louis. They talked! \"Why?\" he asked. e.g. this\nNew line")
	var joined []string
	for _, s := range got {
		joined = append(joined, strings.Join(s, " "))
	}
	want := []string{"Dr. Smith met J. R. Tolkien in St. Louis.", "They talked!", "\"Why?\" he asked. e.g. this", "New line"}
	if !reflect.DeepEqual(joined, want) {
		t.Errorf("sentences = %q, want %q", joined, want)
	}
}
