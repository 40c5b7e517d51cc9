package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/mcp"
	"github.com/simgym/simgym/internal/simwikitest"
)

// mcpBrowser calls the web tools through an MCP session, for
// webqa.Oracle; it reads each observation from the structured content.
type mcpBrowser struct{ cs *sdk.ClientSession }

func (b mcpBrowser) call(ctx context.Context, tool string, args map[string]any, out any) error {
	r, err := b.cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return err
	}
	if r.IsError {
		return errors.New(r.Content[0].(*sdk.TextContent).Text)
	}
	data, err := json.Marshal(r.StructuredContent)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

func (b mcpBrowser) Search(ctx context.Context, q string, k int) (web.SearchResponse, error) {
	var out web.SearchResponse
	return out, b.call(ctx, "search", map[string]any{"query": q, "top_k": k}, &out)
}

func (b mcpBrowser) Visit(ctx context.Context, ref string, page int) (web.VisitResponse, error) {
	var out web.VisitResponse
	return out, b.call(ctx, "visit", map[string]any{"url": ref, "page": page}, &out)
}

func (b mcpBrowser) Find(ctx context.Context, pattern string) (web.FindResponse, error) {
	var out web.FindResponse
	return out, b.call(ctx, "find", map[string]any{"pattern": pattern}, &out)
}

// TestSimWiki: on a SimWiki web world served over MCP, the session's
// tools are the web tools plus submit_answer, the question is the
// instruction, and an oracle that searches and visits through MCP earns
// reward 1 on every task, with the score in the answer's info; a wrong
// answer earns 0.
func TestSimWiki(t *testing.T) {
	ctx := context.Background()
	ww, tasks := simwikitest.World(t, 500, 3)
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(ww))
	f := serve(t, m, mcp.Options{})

	cs := f.connect(t, "simwiki?task="+tasks[0].ID)
	lt, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	var names []string
	for _, tl := range lt.Tools {
		names = append(names, tl.Name)
	}
	for _, wt := range ww.Info().Tools {
		assert.Contains(t, names, wt.Function.Name)
	}
	assert.Contains(t, names, mcp.SubmitTool)
	assert.Len(t, names, len(ww.Info().Tools)+1)
	wrong := submit(t, cs, "certainly not the answer")
	assert.Equal(t, 0.0, wrong.Reward)
	require.NoError(t, cs.Close())

	for i := range tasks {
		tk := &tasks[i]
		cs := f.connect(t, "simwiki?task="+tk.ID)
		assert.Equal(t, tk.Question, cs.InitializeResult().Instructions)
		run, err := webqa.Oracle(ctx, mcpBrowser{cs}, tk)
		require.NoError(t, err, "task %s", tk.ID)
		a := submit(t, cs, run.Answer)
		assert.Equal(t, 1.0, a.Reward, "task %s: oracle answered %q (%+v)", tk.ID, run.Answer, a.Info)
		assert.NotNil(t, a.Info.Score)
		require.NoError(t, cs.Close())
	}
	t.Logf("SimWiki 500 articles: %d tasks solved through MCP", len(tasks))
}
