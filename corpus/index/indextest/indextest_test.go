package indextest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArticlesAreDeterministic(t *testing.T) {
	a, b := Article(3, 17), Article(3, 17)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a.Text, Article(4, 17).Text)
	assert.Equal(t, "18", a.ID)
	n := len(strings.Fields(a.Text))
	assert.GreaterOrEqual(t, n, minWords)
	assert.LessOrEqual(t, n, maxWords+12)
	assert.True(t, strings.HasPrefix(a.Text, a.Title+" is a "))
	assert.Equal(t, Queries(20, 100, 3), Queries(20, 100, 3))

	var docs int
	for d, err := range Docs(5, 3) {
		require.NoError(t, err)
		assert.Equal(t, Article(3, docs), d)
		docs++
	}
	assert.Equal(t, 5, docs)
}

func TestFixtureIsWellFormed(t *testing.T) {
	ids, titles := map[string]bool{}, map[string]bool{}
	for _, d := range Fixture() {
		assert.False(t, ids[d.ID], d.ID)
		assert.False(t, titles[d.Title], d.Title)
		ids[d.ID], titles[d.Title] = true, true
		assert.NotEmpty(t, d.Text)
	}
	for _, r := range Redirects() {
		assert.True(t, titles[r.To], r.To)
	}
	assert.Greater(t, len(longArticle()), 2*4000)
}
