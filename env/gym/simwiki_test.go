package gym_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/internal/simwikitest"
	"github.com/simgym/simgym/internal/testenv"
)

// gymBrowser calls the web tools through the gym, for webqa.Oracle.
type gymBrowser struct {
	c       *client.Client
	episode string
}

func (b gymBrowser) call(ctx context.Context, tool string, args map[string]any, out any) error {
	r, err := b.c.Step(ctx, b.episode, protocol.Call(tool, args))
	if err != nil {
		return err
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(r.Observation, &e) == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return json.Unmarshal(r.Observation, out)
}

func (b gymBrowser) Search(ctx context.Context, q string, k int) (web.SearchResponse, error) {
	var out web.SearchResponse
	return out, b.call(ctx, "search", map[string]any{"query": q, "top_k": k}, &out)
}

func (b gymBrowser) Visit(ctx context.Context, ref string, page int) (web.VisitResponse, error) {
	var out web.VisitResponse
	return out, b.call(ctx, "visit", map[string]any{"url": ref, "page": page}, &out)
}

func (b gymBrowser) Find(ctx context.Context, pattern string) (web.FindResponse, error) {
	var out web.FindResponse
	return out, b.call(ctx, "find", map[string]any{"pattern": pattern}, &out)
}

// TestSimWikiOracleThroughTheGym: on a 1,000-article SimWiki served by the
// gym, an oracle that follows each task's supporting articles with search
// and visit over the websocket earns reward 1 on every task; a random
// agent almost never does.
func TestSimWikiOracleThroughTheGym(t *testing.T) { oracleThroughGym(t, 1000, false) }

// TestSimWikiOracleThroughTongyiTools: the same oracle, calling only the
// Tongyi-format tools (search with a list of queries, visit with a goal,
// whose quoted evidence stands for find), earns reward 1 on every task
// of a 1,000-article world.
func TestSimWikiOracleThroughTongyiTools(t *testing.T) { oracleThroughGym(t, 1000, true) }

// TestSimWiki10kOracleThroughTheGym is the same on a 10,000-article world
// (1,000 tasks); too slow under -race, CI runs it in its second pass.
func TestSimWiki10kOracleThroughTheGym(t *testing.T) {
	testenv.SkipIfRace(t, "1,000 research episodes")
	oracleThroughGym(t, 10000, false)
}

func oracleThroughGym(t *testing.T, articles int, tongyi bool) {
	ctx := context.Background()
	ww, tasks := simwikitest.World(t, articles, 3)
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(ww))
	srv := httptest.NewServer(gym.New(m, gym.Options{}))
	defer srv.Close()
	c := dial(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/v1/gym")

	solved := 0
	for i := range tasks {
		tk := &tasks[i]
		r, err := c.Reset(ctx, "simwiki", tk.ID, nil)
		require.NoError(t, err)
		var b webqa.Browser = gymBrowser{c, r.Episode}
		if tongyi {
			b = newTongyiBrowser(c, r.Episode)
		}
		run, err := webqa.Oracle(ctx, b, tk)
		require.NoError(t, err, "task %s", tk.ID)
		fin, err := c.Step(ctx, r.Episode, protocol.Answer(run.Answer))
		require.NoError(t, err)
		if fin.Reward == 1 {
			solved++
		} else {
			t.Errorf("task %s: oracle answered %q, reward %v (%s)", tk.ID, run.Answer, fin.Reward, fin.Info)
		}
	}
	assert.Equal(t, len(tasks), solved)

	// A random agent: a search for random words of the question, then a
	// random result's title as the answer.
	rng := rand.New(rand.NewPCG(1, 2))
	lucky := 0
	for i := range tasks {
		tk := &tasks[i]
		r, err := c.Reset(ctx, "simwiki", tk.ID, nil)
		require.NoError(t, err)
		words := strings.Fields(tk.Question)
		q := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
		res, err := gymBrowser{c, r.Episode}.Search(ctx, q, 10)
		answer := "unknown"
		if err == nil && len(res.Results) > 0 {
			answer = res.Results[rng.IntN(len(res.Results))].Title
		}
		fin, err := c.Step(ctx, r.Episode, protocol.Answer(answer))
		require.NoError(t, err)
		if fin.Reward == 1 {
			lucky++
		}
	}
	assert.Less(t, float64(lucky)/float64(len(tasks)), 0.05, "random agent solved %d of %d", lucky, len(tasks))
	t.Logf("SimWiki %d articles: oracle %d/%d through the gym, random %d/%d", articles, solved, len(tasks), lucky, len(tasks))
}
