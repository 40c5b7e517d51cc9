package index

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
)

func TestSplitPassagesKeepsEveryWordInOrder(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("word ", i%13))
		b.WriteString("ends here. ")
		if i%7 == 6 {
			b.WriteString("\n\nHeading\n\n")
		}
	}
	doc := corpus.Document{ID: "7", Title: "T", Text: b.String()}
	ps := SplitPassages(doc, 50)
	require.Greater(t, len(ps), 3)
	var all []string
	for i, p := range ps {
		assert.Equal(t, "7#"+strconv.Itoa(i), p.ID)
		assert.Equal(t, "7", p.DocID)
		assert.Equal(t, i, p.Ordinal)
		assert.Equal(t, "T", p.Title)
		n := len(strings.Fields(p.Text))
		assert.GreaterOrEqual(t, n, 50/3, "passage %d too short", i)
		assert.LessOrEqual(t, n, 50+50/2+50/3, "passage %d too long", i)
		all = append(all, strings.Fields(p.Text)...)
	}
	assert.Equal(t, strings.Fields(doc.Text), all)
	// Passages end at sentence ends (every sentence here ends in "here.").
	for _, p := range ps[:len(ps)-1] {
		assert.True(t, strings.HasSuffix(p.Text, "here.") || strings.HasSuffix(p.Text, "Heading"), p.Text)
	}
}

func TestSplitPassagesShortDocumentKeepsItsID(t *testing.T) {
	ps := SplitPassages(corpus.Document{ID: "42", Title: "Short", Text: "Just a few words."}, 0)
	require.Len(t, ps, 1)
	assert.Equal(t, "42", ps[0].ID)
	assert.Equal(t, "\"Short\"\nJust a few words.", ps[0].Contents())
	assert.Empty(t, SplitPassages(corpus.Document{ID: "1", Title: "Empty", Text: " \n "}, 0))
}

func TestSplitPassagesCutsRunOnSentences(t *testing.T) {
	text := strings.TrimSpace(strings.Repeat("alpha ", 250))
	ps := SplitPassages(corpus.Document{ID: "x", Text: text}, 100)
	require.Len(t, ps, 3)
	assert.Len(t, strings.Fields(ps[0].Text), 100)
	assert.Len(t, strings.Fields(ps[1].Text), 100)
	assert.Len(t, strings.Fields(ps[2].Text), 50)
}

func TestSplitPassagesJoinsShortTail(t *testing.T) {
	text := strings.Repeat("One two three four five six seven eight nine ten. ", 10) + "Tail end."
	ps := SplitPassages(corpus.Document{ID: "x", Text: text}, 100)
	require.Len(t, ps, 1)
	assert.True(t, strings.HasSuffix(ps[0].Text, "Tail end."))
}

func TestEndsSentence(t *testing.T) {
	for w, want := range map[string]bool{
		"end.": true, "end?": true, `end."`: true, "end.)": true,
		"U.S.": false, "J.": false, "end": false, "e.g.": false, "3.5": false,
	} {
		assert.Equal(t, want, endsSentence(w), w)
	}
}
