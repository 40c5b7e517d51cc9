package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/tools"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDomainsCommandJSON(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCmd(t, "domains", "--specs", "../../../tools/spec/testdata/input", "--out", dir, "--seed", "3", "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum), "stdout is exactly one JSON object: %q", out)
	for _, k := range []string{"specs", "tools", "skipped", "domains", "modularity", "nmi", "seconds"} {
		assert.Contains(t, sum, k)
	}
	assert.EqualValues(t, 7, sum["specs"])
	assert.EqualValues(t, 13, sum["tools"])
	assert.EqualValues(t, 0, sum["skipped"])
	f, err := tools.ReadDomains(filepath.Join(dir, "domains.json"))
	require.NoError(t, err)
	assert.Len(t, f.Tools, 13)
	assert.EqualValues(t, len(f.Domains), sum["domains"])

	// Same input and seed: byte-identical domains.json.
	first, err := os.ReadFile(filepath.Join(dir, "domains.json"))
	require.NoError(t, err)
	dir2 := t.TempDir()
	code, _, _ = runCmd(t, "domains", "--out", dir2, "--seed", "3", "../../../tools/spec/testdata/input")
	require.Equal(t, 0, code)
	second, err := os.ReadFile(filepath.Join(dir2, "domains.json"))
	require.NoError(t, err)
	assert.Equal(t, string(first), string(second))
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"domains", "--out", "x"}, 2, "--specs is required"},
		{[]string{"domains", "--specs", "x"}, 2, "--out is required"},
		{[]string{"domains", "--bogus"}, 2, "bogus"},
		{[]string{"domains", "--specs", "no/such/file.json", "--out", "x"}, 1, "no/such/file.json"},
		{[]string{"domains", "--specs", "../../../tools/spec/testdata/broken/unknown.json", "--out", "x"}, 1, "no tools found"},
	}
	for _, c := range cases {
		code, out, stderr := runCmd(t, c.args...)
		assert.Equal(t, c.code, code, "%v", c.args)
		assert.Empty(t, out, "%v", c.args)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}
