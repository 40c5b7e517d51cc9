package dump_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/dump"
	"github.com/simgym/simgym/corpus/webqa"
)

// TestBrowseCompCorpusLines: BrowseComp-Plus's {"docid", "text", "url"}
// lines keep their docid and URL, titled from the front matter.
func TestBrowseCompCorpusLines(t *testing.T) {
	in := `{"docid": "101", "text": "---\ntitle: Hudson River\n---\nThe Hudson flows south.", "url": "https://example.org/hudson"}
{"docid": 102, "text": "A page with no front matter\nMore.", "url": "https://example.org/p"}
`
	var got []corpus.Document
	_, err := dump.ReadJSONL(context.Background(), strings.NewReader(in), dump.Options{}, func(d corpus.Document) error {
		got = append(got, d)
		return nil
	})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "101", got[0].ID)
	assert.Equal(t, "Hudson River", got[0].Title)
	assert.Equal(t, "https://example.org/hudson", got[0].URL)
	assert.Equal(t, "102", got[1].ID)
	assert.Equal(t, "A page with no front matter", got[1].Title)
}

// TestBrowseCompQueries reads queries with their gold and evidence
// documents as web tasks.
func TestBrowseCompQueries(t *testing.T) {
	f, err := os.Open("testdata/browsecomp_queries.jsonl")
	require.NoError(t, err)
	defer f.Close()
	ts, err := dump.ReadBrowseCompQueries(f, "q.jsonl")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	assert.Equal(t, "769", ts[0].ID)
	assert.Equal(t, "Which river?", ts[0].Question)
	assert.Equal(t, []webqa.Article{{ID: "101"}}, ts[0].Support)
	assert.Equal(t, []webqa.Evidence{{ID: "101"}, {ID: "102"}}, ts[0].Evidence)

	_, err = dump.ReadBrowseCompQueries(strings.NewReader("{\"query\": \"x\"}\n"), "bad.jsonl")
	assert.ErrorContains(t, err, "bad.jsonl:1: query_id")
}
