package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/index/indextest"
	"github.com/simgym/simgym/corpus/web"
)

var fixture struct {
	once sync.Once
	dir  string
	err  error
}

// fixtureIndex opens the hand-written fixture, built once per test binary.
func fixtureIndex(t testing.TB) *index.Index {
	t.Helper()
	fixture.once.Do(func() {
		fixture.dir, fixture.err = buildFixture(t)
	})
	require.NoError(t, fixture.err)
	x, err := index.Open(fixture.dir)
	require.NoError(t, err)
	t.Cleanup(func() { x.Close() })
	return x
}

// buildFixture builds the fixture in a folder that outlives the test that
// first asks for it (TestMain removes it).
func buildFixture(t testing.TB) (string, error) {
	dir := filepath.Join(sharedDir, "fixture")
	b, err := index.NewBuilder(dir, index.BuildOptions{})
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	for _, d := range indextest.Fixture() {
		if err := b.Add(ctx, d); err != nil {
			b.Abort()
			return "", err
		}
	}
	for _, r := range indextest.Redirects() {
		if err := b.AddRedirect(r); err != nil {
			b.Abort()
			return "", err
		}
	}
	_, err = b.Finish(ctx)
	return dir, err
}

func TestSearchTool(t *testing.T) {
	s := web.NewSession(fixtureIndex(t), web.Options{})
	ctx := context.Background()
	res, err := s.Search(ctx, "lynx", 0)
	require.NoError(t, err)
	assert.Equal(t, "lynx", res.Query)
	require.Len(t, res.Results, 2)
	assert.Equal(t, web.SearchResult{
		Title:   "Lynx",
		URL:     "simgym://wiki/Lynx",
		Snippet: "The lynx is a wild cat with tufted ears and a short tail. Four species are recognised. Lynx hunt snowshoe hares in the boreal forest, and their numbers rise and fall with those of the hares.",
	}, res.Results[0])
	assert.Equal(t, "Boreal forest of Canada", res.Results[1].Title)

	res, err = s.Search(ctx, "river", 1)
	require.NoError(t, err)
	assert.Len(t, res.Results, 1)
	res, err = s.Search(ctx, "the", 100) // all stop words; top_k is capped
	require.NoError(t, err)
	assert.Empty(t, res.Results)

	_, err = s.Search(ctx, " ", 3)
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Search(ctx, "river", -1)
	assert.ErrorIs(t, err, web.ErrBadArgument)
}

func TestVisitPagesThroughLongArticles(t *testing.T) {
	s := web.NewSession(fixtureIndex(t), web.Options{})
	ctx := context.Background()
	first, err := s.Visit(ctx, "simgym://wiki/History_of_the_Roman_Empire", 0)
	require.NoError(t, err)
	assert.Equal(t, indextest.LongTitle, first.Title)
	assert.Equal(t, 1, first.Page)
	require.GreaterOrEqual(t, first.Pages, 2)
	assert.Equal(t, 2, first.NextPage)
	assert.True(t, strings.HasPrefix(first.Text, "The Roman Empire was the state"))

	doc, err := fixtureIndex(t).Page(indextest.LongTitle)
	require.NoError(t, err)
	var all []string
	for p := 1; p <= first.Pages; p++ {
		// Empty url: another page of the page in hand.
		v, err := s.Visit(ctx, "", p)
		require.NoError(t, err)
		assert.Equal(t, p, v.Page)
		assert.LessOrEqual(t, len(v.Text), web.DefaultPageChars)
		assert.True(t, utf8.ValidString(v.Text))
		if p < first.Pages {
			assert.Equal(t, p+1, v.NextPage)
			// Pages end at paragraph or sentence ends.
			assert.True(t, strings.HasSuffix(v.Text, "."), "page %d ends %q", p, v.Text[len(v.Text)-20:])
		} else {
			assert.Zero(t, v.NextPage)
		}
		all = append(all, strings.Fields(v.Text)...)
	}
	assert.Equal(t, strings.Fields(doc.Text), all, "the pages hold the whole text")

	_, err = s.Visit(ctx, "", first.Pages+1)
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Visit(ctx, "", -1)
	assert.ErrorIs(t, err, web.ErrBadArgument)
}

func TestVisitByTitleRedirectAndNotFound(t *testing.T) {
	s := web.NewSession(fixtureIndex(t), web.Options{})
	ctx := context.Background()
	for _, ref := range []string{"New York City", "new york city", "Big Apple", "https://en.wikipedia.org/wiki/New_York_City"} {
		v, err := s.Visit(ctx, ref, 1)
		require.NoError(t, err, ref)
		assert.Equal(t, "New York City", v.Title, ref)
		assert.Equal(t, 1, v.Pages)
		assert.Contains(t, v.Text, "five boroughs")
	}
	_, err := s.Visit(ctx, "Atlantis", 1)
	require.ErrorIs(t, err, web.ErrNotFound)
	assert.Contains(t, err.Error(), `visit "Atlantis": no page`)
	// A failed visit keeps the page in hand.
	doc, ok := s.PageInHand()
	assert.True(t, ok)
	assert.Equal(t, "New York City", doc.Title)

	_, err = web.NewSession(fixtureIndex(t), web.Options{}).Visit(ctx, "", 1)
	assert.ErrorIs(t, err, web.ErrBadArgument)
}

func TestFindInPageInHand(t *testing.T) {
	s := web.NewSession(fixtureIndex(t), web.Options{MaxFindMatches: 3})
	ctx := context.Background()
	_, err := s.Find(ctx, "aqueduct")
	assert.ErrorIs(t, err, web.ErrNoPage)

	v, err := s.Visit(ctx, indextest.LongTitle, 1)
	require.NoError(t, err)
	assert.NotContains(t, strings.ToLower(v.Text), "aqueduct", "the word is on a later page")

	f, err := s.Find(ctx, "AQUEDUCT")
	require.NoError(t, err)
	assert.Equal(t, indextest.LongTitle, f.Title)
	assert.Equal(t, 6, f.Total) // two paragraphs, each given three times
	require.Len(t, f.Matches, 3)
	for _, m := range f.Matches {
		assert.Greater(t, m.Page, 1)
		assert.Contains(t, strings.ToLower(m.Text), "aqueduct")
	}
	// The match's page has the text.
	p, err := s.Visit(ctx, "", f.Matches[0].Page)
	require.NoError(t, err)
	assert.Contains(t, p.Text, strings.TrimSuffix(strings.TrimPrefix(f.Matches[0].Text, "…"), "…"))

	f, err = s.Find(ctx, "no such words here")
	require.NoError(t, err)
	assert.Zero(t, f.Total)
	assert.NotNil(t, f.Matches)

	_, err = s.Find(ctx, "")
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Find(ctx, strings.Repeat("x", web.MaxPatternChars+1))
	assert.ErrorIs(t, err, web.ErrBadArgument)
}

// pages is a Searcher over a few documents, for tests of paging and find.
type pages map[string]corpus.Document

func (p pages) Search(context.Context, string, int) ([]index.Hit, error) { return nil, nil }

func (p pages) Page(ref string) (corpus.Document, error) {
	if d, ok := p[ref]; ok {
		return d, nil
	}
	return corpus.Document{}, fmt.Errorf("page %q: %w", ref, index.ErrNotFound)
}

func TestFindShowsAWindowOfLongLines(t *testing.T) {
	long := strings.Repeat("Filler words go here. ", 30) + "The NEEDLE is here. " + strings.Repeat("More filler follows. ", 30)
	s := web.NewSession(pages{"d": {ID: "d", Title: "D", URL: "u", Text: "Short needle line.\n\n" + long}}, web.Options{})
	ctx := context.Background()
	_, err := s.Visit(ctx, "d", 1)
	require.NoError(t, err)
	f, err := s.Find(ctx, "needle")
	require.NoError(t, err)
	require.Len(t, f.Matches, 2)
	assert.Equal(t, "Short needle line.", f.Matches[0].Text)
	m := f.Matches[1].Text
	assert.Contains(t, m, "The NEEDLE is here.")
	assert.True(t, strings.HasPrefix(m, "…"), m)
	assert.True(t, strings.HasSuffix(m, "…"), m)
	assert.Less(t, len(m), 300)
}

func TestVisitCutsPagesAtBoundaries(t *testing.T) {
	para := strings.Repeat("A sentence of some words. ", 10) // 260 bytes
	doc := corpus.Document{ID: "d", Title: "D", URL: "u", Text: para + "\n\n" + para + "\n\n" + para}
	words := strings.Repeat("word ", 200)
	runOn := corpus.Document{ID: "r", Title: "R", URL: "r", Text: words}
	uni := corpus.Document{ID: "x", Title: "X", URL: "x", Text: strings.Repeat("é", 700)}
	s := web.NewSession(pages{"d": doc, "r": runOn, "x": uni}, web.Options{PageChars: 600})
	ctx := context.Background()

	v, err := s.Visit(ctx, "d", 1)
	require.NoError(t, err)
	assert.Equal(t, 2, v.Pages)
	assert.Equal(t, strings.TrimSpace(para+"\n\n"+para), v.Text, "cut at the paragraph break")

	v, err = s.Visit(ctx, "r", 1)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(v.Text, "word"), "cut at a space")
	assert.LessOrEqual(t, len(v.Text), 600)

	v, err = s.Visit(ctx, "x", 1)
	require.NoError(t, err)
	assert.True(t, utf8.ValidString(v.Text))
	assert.Equal(t, 3, v.Pages)
	var n int
	for p := 1; p <= v.Pages; p++ {
		v, err := s.Visit(ctx, "", p)
		require.NoError(t, err)
		assert.True(t, utf8.ValidString(v.Text))
		n += utf8.RuneCountInString(v.Text)
	}
	assert.Equal(t, 700, n)

	v, err = s.Visit(ctx, "u", 1) // the page in hand is not fetched again
	require.Error(t, err, "u is d's URL, but d is not in hand")
	_, err = s.Visit(ctx, "d", 1)
	require.NoError(t, err)
	v, err = s.Visit(ctx, "u", 2)
	require.NoError(t, err)
	assert.Equal(t, 2, v.Page)
}

func TestSessionsAreIndependent(t *testing.T) {
	x := fixtureIndex(t)
	a, b := web.NewSession(x, web.Options{}), web.NewSession(x, web.Options{})
	ctx := context.Background()
	_, err := a.Visit(ctx, "Paris", 1)
	require.NoError(t, err)
	_, err = b.Visit(ctx, "Tea", 1)
	require.NoError(t, err)
	fa, err := a.Find(ctx, "Seine")
	require.NoError(t, err)
	fb, err := b.Find(ctx, "Seine")
	require.NoError(t, err)
	assert.Equal(t, 1, fa.Total)
	assert.Zero(t, fb.Total)
}

func TestCallDispatchesJSON(t *testing.T) {
	s := web.NewSession(fixtureIndex(t), web.Options{})
	ctx := context.Background()
	out, err := s.Call(ctx, web.ToolSearch, json.RawMessage(`{"query": "Mona Lisa painter", "top_k": 2}`))
	require.NoError(t, err)
	var sr web.SearchResponse
	require.NoError(t, json.Unmarshal(out, &sr))
	require.Len(t, sr.Results, 2)

	out, err = s.Call(ctx, web.ToolVisit, json.RawMessage(`{"url": "`+sr.Results[0].URL+`"}`))
	require.NoError(t, err)
	var vr web.VisitResponse
	require.NoError(t, json.Unmarshal(out, &vr))
	assert.Equal(t, sr.Results[0].Title, vr.Title)

	out, err = s.Call(ctx, web.ToolFind, json.RawMessage(`{"pattern": "Louvre"}`))
	require.NoError(t, err)
	var fr web.FindResponse
	require.NoError(t, json.Unmarshal(out, &fr))
	assert.Equal(t, "Louvre", fr.Pattern)

	_, err = s.Call(ctx, web.ToolVisit, json.RawMessage(`{"title": "Tea", "page": 1}`))
	require.NoError(t, err)
	_, err = s.Call(ctx, "browse", nil)
	assert.ErrorIs(t, err, web.ErrUnknownTool)
	_, err = s.Call(ctx, web.ToolSearch, json.RawMessage(`{"q": "x"}`))
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Call(ctx, web.ToolSearch, json.RawMessage(`{"query": 3}`))
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Call(ctx, web.ToolSearch, json.RawMessage(`{"query": "x"} {}`))
	assert.ErrorIs(t, err, web.ErrBadArgument)
	_, err = s.Call(ctx, web.ToolFind, nil)
	assert.ErrorIs(t, err, web.ErrBadArgument)
}

func TestToolsDescribeTheirArguments(t *testing.T) {
	ts := web.Tools()
	require.Len(t, ts, 5)
	names := map[string][]string{}
	for _, tool := range ts {
		assert.NotEmpty(t, tool.Description)
		require.NotNil(t, tool.Parameters)
		names[tool.Name] = tool.Parameters.PropertyNames()
		for _, r := range tool.Parameters.Required {
			assert.Contains(t, tool.Parameters.Properties, r)
		}
	}
	assert.Equal(t, map[string][]string{
		"search":         {"query", "top_k"},
		"visit":          {"goal", "page", "url"},
		"find":           {"pattern"},
		"google_scholar": {"query"},
		"get_document":   {"docid"},
	}, names)
}
