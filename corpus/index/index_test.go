package index_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/index/indextest"
)

// buildFixture builds the hand-written fixture, with its redirects, in a
// temporary folder and returns the folder.
func buildFixture(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "wiki")
	b, err := index.NewBuilder(dir, index.BuildOptions{BatchSize: 7})
	require.NoError(t, err)
	ctx := context.Background()
	for _, d := range indextest.Fixture() {
		require.NoError(t, b.Add(ctx, d))
	}
	for _, r := range indextest.Redirects() {
		require.NoError(t, b.AddRedirect(r))
	}
	st, err := b.Finish(ctx)
	require.NoError(t, err)
	require.Equal(t, len(indextest.Fixture()), st.Documents)
	return dir
}

func openFixture(t testing.TB, opts index.Options) *index.Index {
	t.Helper()
	x, err := index.OpenWithOptions(buildFixture(t), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, x.Close()) })
	return x
}

func titles(hits []index.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Title
	}
	return out
}

func TestBuildWritesManifestAndRefusesToOverwrite(t *testing.T) {
	dir := buildFixture(t)
	x, err := index.Open(dir)
	require.NoError(t, err)
	info := x.Info()
	require.NoError(t, x.Close())
	assert.Equal(t, len(indextest.Fixture()), info.Documents)
	assert.Equal(t, len(indextest.Redirects()), info.Redirects)
	assert.Greater(t, info.Passages, info.Documents, "the long article has several passages")
	assert.Equal(t, index.DefaultPassageWords, info.PassageWords)

	_, err = index.Build(context.Background(), dir, indextest.Docs(3, 1), index.BuildOptions{})
	assert.ErrorIs(t, err, index.ErrIndexExists)

	// No temporary folders are left beside the index.
	entries, err := os.ReadDir(filepath.Dir(dir))
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestBuildIntoEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	st, err := index.Build(context.Background(), dir, indextest.Docs(20, 3), index.BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, 20, st.Documents)
	x, err := index.Open(dir)
	require.NoError(t, err)
	require.NoError(t, x.Close())
}

func TestBuildSkipsDuplicatesAndEmptyDocuments(t *testing.T) {
	docs := []corpus.Document{
		{ID: "1", Title: "One", Text: "The first."},
		{ID: "1", Title: "One again", Text: "A duplicate."},
		{ID: "", Title: "No ID", Text: "Nothing."},
		{ID: "3", Title: " ", Text: "\n"},
		{ID: "4", Title: "Title only"},
	}
	dir := filepath.Join(t.TempDir(), "x")
	st, err := index.Build(context.Background(), dir, seq(docs), index.BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, st.Documents)
	assert.Equal(t, 3, st.Skipped)
	assert.Equal(t, 1, st.Passages)

	x, err := index.Open(dir)
	require.NoError(t, err)
	defer x.Close()
	doc, err := x.Page("1")
	require.NoError(t, err)
	assert.Equal(t, "One", doc.Title)
	hits, err := x.Search(context.Background(), "title", 5)
	require.NoError(t, err)
	assert.Equal(t, []string{"Title only"}, titles(hits))
}

func TestBuildOfTitlesOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x")
	st, err := index.Build(context.Background(), dir, seq([]corpus.Document{{ID: "1", Title: "Lonely title"}}), index.BuildOptions{})
	require.NoError(t, err)
	assert.Equal(t, 0, st.Passages)
	x, err := index.Open(dir)
	require.NoError(t, err)
	defer x.Close()
	ps, err := x.Passages(context.Background(), "lonely", 3)
	require.NoError(t, err)
	assert.Empty(t, ps)
}

func TestBuildFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("empty corpus", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		_, err := index.Build(ctx, dir, seq(nil), index.BuildOptions{})
		assert.ErrorIs(t, err, index.ErrEmptyCorpus)
		assert.NoDirExists(t, dir)
	})
	t.Run("source error", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		boom := errors.New("boom")
		docs := func(yield func(corpus.Document, error) bool) {
			for d := range indextest.Docs(30, 1) {
				if !yield(d, nil) {
					return
				}
			}
			yield(corpus.Document{}, boom)
		}
		_, err := index.Build(ctx, dir, docs, index.BuildOptions{BatchSize: 4})
		assert.ErrorIs(t, err, boom)
		assert.NoDirExists(t, dir)
		entries, _ := os.ReadDir(filepath.Dir(dir))
		assert.Empty(t, entries)
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := index.Build(cctx, dir, indextest.Docs(10, 1), index.BuildOptions{})
		assert.ErrorIs(t, err, context.Canceled)
		assert.NoDirExists(t, dir)
	})
	t.Run("a file in the way", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		require.NoError(t, os.WriteFile(dir, []byte("x"), 0o644))
		_, err := index.Build(ctx, dir, indextest.Docs(1, 1), index.BuildOptions{})
		assert.ErrorIs(t, err, index.ErrIndexExists)
	})
	t.Run("finish twice", func(t *testing.T) {
		b, err := index.NewBuilder(filepath.Join(t.TempDir(), "x"), index.BuildOptions{})
		require.NoError(t, err)
		require.NoError(t, b.Add(ctx, corpus.Document{ID: "1", Title: "A", Text: "B."}))
		_, err = b.Finish(ctx)
		require.NoError(t, err)
		_, err = b.Finish(ctx)
		assert.ErrorIs(t, err, index.ErrIndexClosed)
		assert.ErrorIs(t, b.Add(ctx, corpus.Document{ID: "2", Title: "C"}), index.ErrIndexClosed)
		b.Abort() // a no-op after Finish
	})
	t.Run("abort", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "x")
		b, err := index.NewBuilder(dir, index.BuildOptions{})
		require.NoError(t, err)
		for d := range indextest.Docs(5, 1) {
			require.NoError(t, b.Add(ctx, d))
		}
		b.Abort()
		entries, _ := os.ReadDir(filepath.Dir(dir))
		assert.Empty(t, entries)
	})
}

func TestBuildReportsProgress(t *testing.T) {
	var seen []index.Progress
	_, err := index.Build(context.Background(), filepath.Join(t.TempDir(), "x"), indextest.Docs(25, 2),
		index.BuildOptions{ProgressEvery: 10, Progress: func(p index.Progress) { seen = append(seen, p) }})
	require.NoError(t, err)
	require.Len(t, seen, 3) // at 10, at 20, and at the end
	assert.Equal(t, int64(10), seen[0].Documents)
	assert.Equal(t, int64(25), seen[2].Documents)
	assert.Greater(t, seen[2].Passages, int64(25))
	assert.Positive(t, seen[2].Bytes)
}

func TestOpenRefusesOtherFolders(t *testing.T) {
	_, err := index.Open(t.TempDir())
	assert.ErrorIs(t, err, index.ErrNotIndex)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "simgym-index.json"), []byte(`{"format":"simgym-index","version":99}`), 0o644))
	_, err = index.Open(dir)
	assert.ErrorIs(t, err, index.ErrIndexVersion)
}

func TestSearchRanksTitleMatchesFirst(t *testing.T) {
	x := openFixture(t, index.Options{})
	ctx := context.Background()
	// "Boreal forest of Canada" mentions a lynx once in its text; "Lynx"
	// is about lynx.
	hits, err := x.Search(ctx, "lynx", 5)
	require.NoError(t, err)
	require.Len(t, hits, 2)
	assert.Equal(t, []string{"Lynx", "Boreal forest of Canada"}, titles(hits))
	assert.Greater(t, hits[0].Score, hits[1].Score)

	// "Eiffel Tower" is in the title of one article and the text of two.
	hits, err = x.Search(ctx, "eiffel tower", 3)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	assert.Equal(t, "Eiffel Tower", hits[0].Title)

	// A title match beats an article that mentions the word only once.
	hits, err = x.Search(ctx, "capybaras", 5)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"Jaguar", "Pantanal"}, titles(hits))
	hits, err = x.Search(ctx, "Pantanal", 5)
	require.NoError(t, err)
	assert.Equal(t, "Pantanal", hits[0].Title)
}

func TestSearchHitsHaveURLsAndPlainSnippets(t *testing.T) {
	x := openFixture(t, index.Options{SnippetChars: 120})
	hits, err := x.Search(context.Background(), "aqueduct Segovia", 3)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	h := hits[0]
	assert.Equal(t, indextest.LongTitle, h.Title)
	assert.Equal(t, "simgym://wiki/History_of_the_Roman_Empire", h.URL)
	assert.Contains(t, strings.ToLower(h.Snippet), "aqueduct")
	assert.NotContains(t, h.Snippet, "<")
	assert.NotContains(t, h.Snippet, "\n")
	assert.LessOrEqual(t, len([]rune(h.Snippet)), 120+2)
	assert.True(t, strings.HasPrefix(h.Snippet, "…"), h.Snippet)
}

func TestSearchStemsAndIgnoresStopWords(t *testing.T) {
	x := openFixture(t, index.Options{})
	ctx := context.Background()
	hits, err := x.Search(ctx, "Who walked on the MOON?", 3)
	require.NoError(t, err)
	require.NotEmpty(t, hits)
	assert.Contains(t, []string{"Moon", "Neil Armstrong", "Apollo 11"}, hits[0].Title)

	hits, err = x.Search(ctx, "the of and", 3)
	require.NoError(t, err)
	assert.Empty(t, hits)

	_, err = x.Search(ctx, "  ", 3)
	assert.ErrorIs(t, err, index.ErrEmptyQuery)
	_, err = x.Search(ctx, "moon", 0)
	assert.ErrorIs(t, err, index.ErrTopK)
	_, err = x.Search(ctx, "moon", index.MaxTopK+1)
	assert.ErrorIs(t, err, index.ErrTopK)
}

func TestSearchIsDeterministicAcrossBuilds(t *testing.T) {
	a := openFixture(t, index.Options{CacheEntries: -1})
	b := openFixture(t, index.Options{CacheEntries: -1})
	ctx := context.Background()
	queries := []string{"mercury", "river", "the largest city", "planet sun earth", "chess", "paris louvre mona lisa", "painted"}
	for _, q := range queries {
		ra, err := a.Search(ctx, q, 10)
		require.NoError(t, err)
		rb, err := b.Search(ctx, q, 10)
		require.NoError(t, err)
		assert.Equal(t, ra, rb, q)
		again, err := a.Search(ctx, q, 10)
		require.NoError(t, err)
		assert.Equal(t, ra, again, q)
		for i := 1; i < len(ra); i++ {
			if ra[i-1].Score == ra[i].Score {
				assert.Less(t, ra[i-1].ID, ra[i].ID, "ties are ordered by ID")
			}
		}
		pa, err := a.Passages(ctx, q, 10)
		require.NoError(t, err)
		pb, err := b.Passages(ctx, q, 10)
		require.NoError(t, err)
		assert.Equal(t, pa, pb, q)
	}
}

func TestSearchBreaksTiesByID(t *testing.T) {
	// Five identical articles tie on every query; the cut at topK must
	// keep the least IDs.
	var docs []corpus.Document
	for _, id := range []string{"e", "b", "d", "a", "c"} {
		docs = append(docs, corpus.Document{ID: id, Title: "Same " + id, Text: "Identical text about owls."})
	}
	dir := filepath.Join(t.TempDir(), "x")
	_, err := index.Build(context.Background(), dir, seq(docs), index.BuildOptions{BatchSize: 2})
	require.NoError(t, err)
	x, err := index.Open(dir)
	require.NoError(t, err)
	defer x.Close()
	hits, err := x.Search(context.Background(), "owls", 3)
	require.NoError(t, err)
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	ps, err := x.Passages(context.Background(), "owls", 2)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, "a", ps[0].ID)
	assert.Equal(t, "b", ps[1].ID)
}

func TestPassages(t *testing.T) {
	x := openFixture(t, index.Options{})
	ps, err := x.Passages(context.Background(), "aqueduct of Segovia", 3)
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	p := ps[0]
	assert.Equal(t, indextest.LongTitle, p.Title)
	assert.True(t, strings.HasPrefix(p.ID, p.DocID+"#"), p.ID)
	assert.Contains(t, p.Text, "Segovia")
	assert.True(t, strings.HasPrefix(p.Contents(), "\""+indextest.LongTitle+"\"\n"))
	assert.Positive(t, p.Score)
	n := len(strings.Fields(p.Text))
	assert.InDelta(t, 100, n, 60)

	ps, err = x.Passages(context.Background(), "honey", 2)
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	assert.Equal(t, ps[0].DocID, ps[0].ID, "a short article is one passage under its own ID")
}

func TestPageLookups(t *testing.T) {
	x := openFixture(t, index.Options{})
	for _, ref := range []string{
		"New York City",
		"new york city",
		"New_York_City",
		"simgym://wiki/New_York_City",
		"https://en.wikipedia.org/wiki/New_York_City",
		"Big Apple",
		"big apple",
		"simgym://wiki/NYC",
		"5",
	} {
		doc, err := x.Page(ref)
		if assert.NoError(t, err, ref) {
			assert.Equal(t, "New York City", doc.Title, ref)
			assert.Equal(t, "5", doc.ID, ref)
			assert.Equal(t, "simgym://wiki/New_York_City", doc.URL, ref)
			assert.Contains(t, doc.Text, "Hudson River", ref)
		}
	}
	doc, err := x.Page("Hg")
	require.NoError(t, err)
	assert.Equal(t, "Mercury (element)", doc.Title)
	doc, err = x.Page("mercury")
	require.NoError(t, err)
	assert.Equal(t, "Mercury", doc.Title)

	for _, ref := range []string{"Atlantis", "", "simgym://wiki/Atlantis", "https://example.com/"} {
		_, err := x.Page(ref)
		assert.ErrorIs(t, err, index.ErrNotFound, ref)
	}
	_, err = x.Document("no such id")
	assert.ErrorIs(t, err, index.ErrNotFound)
}

func TestCacheCountsHitsAndMisses(t *testing.T) {
	x := openFixture(t, index.Options{})
	reg := prometheus.NewPedanticRegistry()
	for _, c := range x.Collectors() {
		require.NoError(t, reg.Register(c))
	}
	ctx := context.Background()
	first, err := x.Search(ctx, "Moon landing", 3)
	require.NoError(t, err)
	// The same terms, differently written, are the same query.
	second, err := x.Search(ctx, "  the MOON   landings ", 3)
	require.NoError(t, err)
	assert.Equal(t, first, second)
	_, err = x.Passages(ctx, "moon landing", 3)
	require.NoError(t, err)
	_, err = x.Search(ctx, "moon landing", 4) // another topK, another entry
	require.NoError(t, err)

	n, err := testutil.GatherAndCount(reg, "simgym_index_cache_hits_total", "simgym_index_cache_misses_total")
	require.NoError(t, err)
	assert.Equal(t, 3, n) // hits{search}, misses{search}, misses{passages}
	assert.Equal(t, 1.0, gathered(t, reg, "simgym_index_cache_hits_total"))
	assert.Equal(t, 3.0, gathered(t, reg, "simgym_index_cache_misses_total"))
	assert.Equal(t, 3.0, gathered(t, reg, "simgym_index_cache_entries"))

	// A query asked again word for word is a hit too, with the same results.
	again, err := x.Search(ctx, "Moon landing", 3)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Equal(t, 2.0, gathered(t, reg, "simgym_index_cache_hits_total"))
	assert.Equal(t, 3.0, gathered(t, reg, "simgym_index_cache_misses_total"))

	// Changing a returned slice does not change the cache.
	first[0].Title = "changed"
	third, err := x.Search(ctx, "moon landing", 3)
	require.NoError(t, err)
	assert.NotEqual(t, "changed", third[0].Title)
}

func TestConcurrentSearches(t *testing.T) {
	x := openFixture(t, index.Options{CacheEntries: 8})
	queries := []string{"moon", "river", "paris", "chess", "bee honey", "coffee brazil", "volcano iceland", "penguin", "tea", "go language"}
	want := map[string][]index.Hit{}
	for _, q := range queries {
		hits, err := x.Search(context.Background(), q, 5)
		require.NoError(t, err)
		want[q] = hits
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				q := queries[(g+i)%len(queries)]
				hits, err := x.Search(context.Background(), q, 5)
				if assert.NoError(t, err) {
					assert.Equal(t, want[q], hits, q)
				}
				_, err = x.Passages(context.Background(), q, 3)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}

func TestClosedIndex(t *testing.T) {
	x, err := index.Open(buildFixture(t))
	require.NoError(t, err)
	require.NoError(t, x.Close())
	require.NoError(t, x.Close())
	_, err = x.Search(context.Background(), "moon", 3)
	assert.ErrorIs(t, err, index.ErrIndexClosed)
	_, err = x.Page("Moon")
	assert.ErrorIs(t, err, index.ErrIndexClosed)
}

func TestSearchHonoursContext(t *testing.T) {
	x := openFixture(t, index.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := x.Search(ctx, "moon", 3)
	assert.ErrorIs(t, err, context.Canceled)
}

// gathered sums the values of the metric family name in reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

func seq(docs []corpus.Document) iter.Seq2[corpus.Document, error] {
	return func(yield func(corpus.Document, error) bool) {
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
}
