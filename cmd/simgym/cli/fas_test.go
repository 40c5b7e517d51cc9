package cli

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorpusFAS: every record has a plan of one step per gold hop at
// least, and a search as its first action.
func TestCorpusFAS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sw")
	code, _, stderr := runCmd(t, "corpus", "simwiki", "--articles", "100", "--out", dir)
	require.Equal(t, 0, code, stderr)
	out := filepath.Join(t.TempDir(), "fas.jsonl")
	code, _, stderr = runCmd(t, "corpus", "fas", "--simwiki", dir, "--out", out)
	require.Equal(t, 0, code, stderr)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); n++ {
		var r fasRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		assert.NotEmpty(t, r.Question)
		assert.NotEmpty(t, r.Plan)
		assert.Equal(t, "search", r.FirstAction.Tool)
		var args map[string]string
		require.NoError(t, json.Unmarshal(r.FirstAction.Arguments, &args))
		assert.NotEmpty(t, args["query"])
	}
	assert.Positive(t, n)
}
