package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/mcp"
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
	dir := filepath.Join(t.TempDir(), "sw")
	sum, err := simwiki.Write(ctx, dir, simwiki.Options{Articles: 500, Seed: 3})
	require.NoError(t, err)
	x, err := index.Open(filepath.Join(dir, simwiki.IndexDir))
	require.NoError(t, err)
	defer x.Close()
	fh, err := os.Open(filepath.Join(dir, simwiki.TasksFile))
	require.NoError(t, err)
	tasks, err := webqa.ReadJSONL(fh)
	fh.Close()
	require.NoError(t, err)
	require.Equal(t, sum.Tasks, len(tasks))
	ww, err := env.NewWebWorld("simwiki", "test", x, env.QATasks(tasks), web.Options{})
	require.NoError(t, err)
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
	t.Logf("SimWiki %d articles: %d tasks solved through MCP", sum.Articles, len(tasks))
}
