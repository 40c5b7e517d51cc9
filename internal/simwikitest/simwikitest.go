// Package simwikitest builds a SimWiki web world for tests: a generated
// encyclopedia, its index and its questions, served as the environment
// "simwiki".
package simwikitest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
)

// World writes a SimWiki of the given size and seed in a temporary
// folder and returns it as the web world "simwiki" with all its
// questions. The index is closed when the test ends.
func World(tb testing.TB, articles int, seed int64) (*env.WebWorld, []webqa.Task) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "sw")
	sum, err := simwiki.Write(context.Background(), dir, simwiki.Options{Articles: articles, Seed: seed})
	require.NoError(tb, err)
	x, err := index.Open(filepath.Join(dir, simwiki.IndexDir))
	require.NoError(tb, err)
	tb.Cleanup(func() { x.Close() })
	f, err := os.Open(filepath.Join(dir, simwiki.TasksFile))
	require.NoError(tb, err)
	tasks, err := webqa.ReadJSONL(f)
	f.Close()
	require.NoError(tb, err)
	require.Equal(tb, sum.Tasks, len(tasks))
	ww, err := env.NewWebWorld("simwiki", "test", x, env.QATasks(tasks), web.Options{})
	require.NoError(tb, err)
	return ww, tasks
}
