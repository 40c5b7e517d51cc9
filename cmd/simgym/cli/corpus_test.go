package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
)

func TestCorpusBuildRealDumps(t *testing.T) {
	data := testenv.Data(t, "wiki")
	out := filepath.Join(t.TempDir(), "index")
	code, stdout, stderr := runCmd(t, "corpus", "build", "--input", filepath.Join(data, "enwiki-table-markup.xml.bz2"),
		"--input", filepath.Join(data, "bgwiki-pages-articles-shortened.xml.bz2"), "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	for _, k := range []string{"documents", "redirects", "skipped", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 6, sum["documents"], "5 English and 1 Bulgarian articles")
	assert.EqualValues(t, 0, sum["skipped"])
	// An index may not be built over an existing one.
	code, _, stderr = runCmd(t, "corpus", "build", "--input", filepath.Join(data, "enwiki-table-markup.xml.bz2"), "--out", out)
	assert.Equal(t, 1, code)
	assert.NotEmpty(t, stderr)
}

func TestCorpusSimWiki(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sw")
	code, stdout, stderr := runCmd(t, "corpus", "simwiki", "--articles", "300", "--seed", "4", "--out", out, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &sum))
	for _, k := range []string{"articles", "entities", "tasks", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 300, sum["articles"])
	assert.Greater(t, sum["tasks"].(float64), 0.0)
	code, _, _ = runCmd(t, "corpus", "simwiki", "--articles", "300")
	assert.Equal(t, 2, code, "--out is required")
	code, _, _ = runCmd(t, "corpus", "nope")
	assert.Equal(t, 2, code)
}
