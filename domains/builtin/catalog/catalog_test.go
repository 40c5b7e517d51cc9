package catalog_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/builtin/catalog"
	"github.com/simgym/simgym/domains/codegen"
)

var update = flag.Bool("update", false, "rewrite the generated default world")

// TestBuiltinUpToDate regenerates the default world from the catalog and
// fails on any difference with the checked-in files.
func TestBuiltinUpToDate(t *testing.T) {
	// Run from the repository root so recorded sources match the
	// command's.
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	t.Chdir(root)
	resp, err := catalog.Generate(context.Background(), "domains/builtin/catalog")
	require.NoError(t, err)
	dir := filepath.Join(root, "domains/builtin")
	want := map[string]bool{}
	for _, f := range resp.Files {
		path := filepath.Join(dir, f.Path)
		want[path] = true
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, f.Content, 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "missing generated file; run with -update")
		assert.Equal(t, string(f.Content), string(got), "%s differs from the generator's output; run with -update", f.Path)
	}
	// No stale generated file may remain.
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || want[p] || strings.HasPrefix(p, filepath.Join(dir, "catalog")) {
			return err
		}
		data, rerr := os.ReadFile(p)
		if rerr != nil {
			return rerr
		}
		if strings.HasPrefix(string(data), codegen.Header) {
			if *update {
				return os.Remove(p)
			}
			t.Errorf("stale generated file %s", p)
		}
		return nil
	})
	require.NoError(t, err)
}
