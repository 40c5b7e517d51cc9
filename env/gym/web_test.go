package gym_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/index/indextest"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/protocol"
)

// question is a minimal web task: exact match on one answer.
type question struct{ id, q, answer string }

func (q question) TaskID() string   { return q.id }
func (q question) Question() string { return q.q }
func (q question) Score(a string) (float64, any) {
	ok := strings.Contains(strings.ToLower(a), strings.ToLower(q.answer))
	r := 0.0
	if ok {
		r = 1
	}
	return r, map[string]any{"match": ok}
}

// TestWebWorldOverTheWire: a research episode searches, visits, finds and
// answers through the gym, and a fork keeps the page in hand.
func TestWebWorldOverTheWire(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	_, err := index.Build(ctx, dir, func(yield func(corpus.Document, error) bool) {
		for _, d := range indextest.Fixture() {
			if !yield(d, nil) {
				return
			}
		}
	}, index.BuildOptions{})
	require.NoError(t, err)
	x, err := index.Open(dir)
	require.NoError(t, err)
	defer x.Close()
	ww, err := env.NewWebWorld("web", "test encyclopedia", x, []env.WebTask{
		question{"q1", "Who sailed up the river that flows to New York Harbor, and in which year?", "1609"},
	}, web.Options{})
	require.NoError(t, err)
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(ww))
	srv := httptest.NewServer(gym.New(m, gym.Options{}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/gym")

	hello, err := c.Hello(ctx)
	require.NoError(t, err)
	require.Len(t, hello.Environments, 1)
	assert.Equal(t, []string{"q1"}, hello.Environments[0].TaskIDs)
	var names []string
	for _, tl := range hello.Environments[0].Tools {
		names = append(names, tl.Function.Name)
	}
	assert.Contains(t, names, "visit")

	r, err := c.Reset(ctx, "web", "q1", nil)
	require.NoError(t, err)
	sr, err := c.Step(ctx, r.Episode, protocol.Call("search", map[string]any{"query": "Hudson River", "top_k": 3}))
	require.NoError(t, err)
	var found struct {
		Results []struct{ Title, URL string } `json:"results"`
	}
	require.NoError(t, json.Unmarshal(sr.Observation, &found))
	require.NotEmpty(t, found.Results)
	assert.Equal(t, "Hudson River", found.Results[0].Title)
	sr, err = c.Step(ctx, r.Episode, protocol.Call("visit", map[string]any{"url": found.Results[0].URL}))
	require.NoError(t, err)
	assert.Contains(t, string(sr.Observation), "Henry Hudson")
	f, err := c.Fork(ctx, r.Episode)
	require.NoError(t, err)
	sr, err = c.Step(ctx, f.Episode, protocol.Call("find", map[string]any{"pattern": "sailed"}))
	require.NoError(t, err)
	assert.Contains(t, string(sr.Observation), "1609", "the fork has the page in hand")
	sr, err = c.Step(ctx, r.Episode, protocol.Call("visit", map[string]any{"url": "No Such Page"}))
	require.NoError(t, err)
	assert.Contains(t, string(sr.Observation), `"error"`)
	fin, err := c.Step(ctx, r.Episode, protocol.Answer("Henry Hudson, in 1609"))
	require.NoError(t, err)
	assert.Equal(t, 1.0, fin.Reward)
	assert.Contains(t, string(fin.Info), `"match":true`)
	fin, err = c.Step(ctx, f.Episode, protocol.Answer("Columbus, 1492"))
	require.NoError(t, err)
	assert.Equal(t, 0.0, fin.Reward)
}
