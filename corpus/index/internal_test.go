package index

import (
	"context"
	"iter"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index/indextest"
)

func openSynthetic(t *testing.T, n int) *Index {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "x")
	_, err := Build(context.Background(), dir, indextest.Docs(n, 5), BuildOptions{BatchSize: 16})
	require.NoError(t, err)
	x, err := Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { x.Close() })
	return x
}

func TestIndexesScoreWithBM25(t *testing.T) {
	x := openSynthetic(t, 30)
	for _, b := range []bleve.Index{x.docs, x.passages} {
		im, ok := b.Mapping().(*mapping.IndexMappingImpl)
		require.True(t, ok)
		assert.Equal(t, bleveindex.BM25Scoring, im.ScoringModel)
	}
	// And bleve does score with it: its explanation names the model.
	q := termQuery([]queryTerm{{term: strings.ToLower(strings.Fields(indextest.Article(5, 3).Title)[0]), count: 1}}, 2)
	req := bleve.NewSearchRequestOptions(q, 3, 0, true)
	res, err := x.docs.Search(req)
	require.NoError(t, err)
	require.NotEmpty(t, res.Hits)
	assert.Contains(t, res.Hits[0].Expl.String(), "bm25")
	assert.NotContains(t, res.Hits[0].Expl.String(), "tf-idf")
}

func TestBM25PrefersShorterDocumentsForEqualCounts(t *testing.T) {
	// With BM25's length normalisation, one mention in a short text beats
	// one mention in a long one.
	dir := filepath.Join(t.TempDir(), "x")
	long := "The heron waits. " + strings.Repeat("Reeds sway in the wind by the water. ", 30)
	docs := indextest.Fixture()[:3]
	docs = append(docs, docs[0], docs[0])
	docs[3].ID, docs[3].Title, docs[3].Text = "short", "Short", "The heron waits by the pond."
	docs[4].ID, docs[4].Title, docs[4].Text = "long", "Long", long
	_, err := Build(context.Background(), dir, seqOf(docs), BuildOptions{})
	require.NoError(t, err)
	x, err := Open(dir)
	require.NoError(t, err)
	defer x.Close()
	hits, err := x.Search(context.Background(), "heron", 2)
	require.NoError(t, err)
	require.Len(t, hits, 2)
	assert.Equal(t, "short", hits[0].ID)
}

func TestResultCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newResultCache(3, 1<<20)
	for _, k := range []string{"a", "b", "c"} {
		c.add(k, k, 10)
	}
	_, ok := c.get(kindSearch, "a") // a is now the most recent
	require.True(t, ok)
	c.add("d", "d", 10) // evicts b
	_, ok = c.get(kindSearch, "b")
	assert.False(t, ok)
	for _, k := range []string{"a", "c", "d"} {
		v, ok := c.get(kindSearch, k)
		assert.True(t, ok, k)
		assert.Equal(t, k, v)
	}
	assert.Equal(t, 1.0, testutil.ToFloat64(c.evictions))
	assert.Equal(t, 4.0, testutil.ToFloat64(c.hits.WithLabelValues(kindSearch)))
	assert.Equal(t, 1.0, testutil.ToFloat64(c.misses.WithLabelValues(kindSearch)))

	// The byte bound evicts too, and an oversized value is not kept.
	c = newResultCache(100, 4000)
	for i := range 10 {
		c.add(string(rune('a'+i)), i, 500)
	}
	n, size := c.Stats()
	assert.LessOrEqual(t, size, int64(4000))
	assert.Equal(t, 6, n)
	c.add("huge", 0, 2000)
	_, ok = c.get(kindSearch, "huge")
	assert.False(t, ok)

	// Replacing a value keeps the count right.
	c = newResultCache(2, 1<<20)
	c.add("a", 1, 10)
	c.add("a", 2, 20)
	n, _ = c.Stats()
	assert.Equal(t, 1, n)
	v, _ := c.get(kindSearch, "a")
	assert.Equal(t, 2, v)

	// A disabled cache keeps nothing.
	c = newResultCache(-1, 1<<20)
	c.add("a", 1, 10)
	_, ok = c.get(kindSearch, "a")
	assert.False(t, ok)
}

func TestSnippet(t *testing.T) {
	x := openSynthetic(t, 2)
	an := x.analyzer
	text := "Opening words of the article. " + strings.Repeat("Filler text without anything. ", 20) +
		"Here the Herons were wading and a heron fished. " + strings.Repeat("More filler. ", 20)
	terms, err := x.analyze("heron fishing")
	require.NoError(t, err)
	s := snippet(text, terms, an, 100)
	assert.Contains(t, s, "Herons were wading")
	assert.Contains(t, s, "fished")
	assert.True(t, strings.HasPrefix(s, "…Here the Herons"), s)
	assert.True(t, strings.HasSuffix(s, "…"), s)
	assert.LessOrEqual(t, len(s), 100+2*len("…"))

	// No match: the start of the text.
	terms, err = x.analyze("zebra")
	require.NoError(t, err)
	s = snippet(text, terms, an, 60)
	assert.True(t, strings.HasPrefix(s, "Opening words of the article."), s)

	// Short text comes back whole, with white space collapsed.
	assert.Equal(t, "A short text. Two lines.", snippet("A short\n\ntext.  Two lines.", terms, an, 60))

	// Unicode text is cut at word boundaries, never inside a character.
	uni := strings.Repeat("Ça été très café. ", 30) + "Ein Reiher wartet. " + strings.Repeat("Über öde Äcker. ", 30)
	terms, err = x.analyze("reiher")
	require.NoError(t, err)
	s = snippet(uni, terms, an, 80)
	assert.Contains(t, s, "Reiher")
	assert.True(t, strings.ToValidUTF8(s, "?") == s)
}

func seqOf(docs []corpus.Document) iter.Seq2[corpus.Document, error] {
	return func(yield func(corpus.Document, error) bool) {
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
}

func TestPassageTokensAreThoseOfThePassageText(t *testing.T) {
	s, err := newSchema(passageFields())
	require.NoError(t, err)
	terms := func(ts analysis.TokenStream) []string {
		out := make([]string, len(ts))
		for i, tok := range ts {
			out[i] = string(tok.Term)
		}
		return out
	}
	docs := []corpus.Document{
		indextest.Fixture()[len(indextest.Fixture())-1],
		{ID: "u", Title: "Ünïcode", Text: "Les élèves d'aujourd'hui — they're  \"quoted.\" U.S.A. e-mail 3.14 x\u00a0y.\n\nNew  paragraph, children's books; the dogs' bowls.\tTabs\tand\r\nCRLF lines."},
	}
	for i := range 3 {
		docs = append(docs, indextest.Article(9, i))
	}
	for _, d := range docs {
		text := s.analyze(fieldText, d.Text)
		ps, src := splitPassages(d, 12)
		got := passageTokens(text, src)
		require.Len(t, got, len(ps))
		for i, p := range ps {
			assert.Equal(t, terms(s.analyze(fieldText, p.Text)), terms(got[i]), "%s passage %d", d.ID, i)
		}
	}
}
