package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
	"github.com/simgym/simgym/tools"
)

// TestDomainsKeepsTaubenchAirlineWhole runs `simgym domains` on
// tau-bench's airline tools (14 tools of one API): one domain by
// default, split by similarity when --spec-boundary 0 asks for it.
func TestDomainsKeepsTaubenchAirlineWhole(t *testing.T) {
	spec := testenv.Data(t, "taubench/airline/tools.json")
	cases := []struct {
		name        string
		args        []string
		wantDomains int // 0: more than one
		wantKept    int
	}{
		{"default boundary", nil, 1, 1},
		{"boundary 15", []string{"--spec-boundary", "15"}, 1, 1},
		{"boundary 14 is not above 14 tools", []string{"--spec-boundary", "14"}, 0, 0},
		{"boundary 0 disables", []string{"--spec-boundary", "0"}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"domains", "--specs", spec, "--out", dir, "--json"}, tc.args...)
			code, out, stderr := runCmd(t, args...)
			require.Equal(t, 0, code, stderr)
			var sum map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &sum))
			f, err := tools.ReadDomains(filepath.Join(dir, "domains.json"))
			require.NoError(t, err)
			assert.Len(t, f.Tools, 14)
			assert.EqualValues(t, len(f.Domains), sum["domains"])
			assert.EqualValues(t, tc.wantKept, sum["specs_kept_whole"])
			if tc.wantDomains > 0 {
				require.Len(t, f.Domains, tc.wantDomains)
				assert.Len(t, f.Domains[0].Tools, 14)
			} else {
				assert.Greater(t, len(f.Domains), 1)
			}
		})
	}
}

func TestDomainsRejectsNegativeBoundary(t *testing.T) {
	code, _, stderr := runCmd(t, "domains", "--specs", "x", "--out", "x", "--spec-boundary", "-1")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--spec-boundary")
}

// TestDomainsKeepsRetailFixtureWhole: the retail-shaped fixture (16
// tools of one API) is one domain, whose tools include every order tool.
func TestDomainsKeepsRetailFixtureWhole(t *testing.T) {
	dir := t.TempDir()
	code, out, stderr := runCmd(t, "domains", "--specs", "../../../domains/schema/testdata/retail_openai/tools.json", "--out", dir, "--json")
	require.Equal(t, 0, code, stderr)
	var sum map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	assert.EqualValues(t, 1, sum["domains"])
	assert.EqualValues(t, 1, sum["specs_kept_whole"])
	f, err := tools.ReadDomains(filepath.Join(dir, "domains.json"))
	require.NoError(t, err)
	require.Len(t, f.Domains, 1)
	assert.Len(t, f.Domains[0].Tools, 16)
	assert.Contains(t, f.Domains[0].Tools, "exchange_delivered_order_items")
	assert.Contains(t, f.Domains[0].Tools, "cancel_pending_order")
}
