package spec

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
)

// countFunctions counts function docs in a BFCL file independently of the
// readers: a line is either one function doc or a question whose
// "function" lists them.
func countFunctions(t *testing.T, path string) int {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if fs, ok := m["function"]; ok {
			var list []json.RawMessage
			require.NoError(t, json.Unmarshal(fs, &list))
			n += len(list)
		} else {
			n++
		}
	}
	require.NoError(t, sc.Err())
	return n
}

func TestBFCLEveryFunctionRead(t *testing.T) {
	dir := testenv.Data(t, "bfcl")
	var files []string
	for _, pat := range []string{"*.json", "multi_turn_func_doc/*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	total := 0
	for _, f := range files {
		cat, err := Read(context.Background(), []string{f}, Options{})
		require.NoError(t, err)
		assert.Empty(t, cat.Skipped, f)
		want := countFunctions(t, f)
		assert.Equal(t, want, len(cat.Tools), f)
		total += want
	}
	t.Logf("BFCL: %d function docs in %d files, all read", total, len(files))
}

func TestTauBenchAirlineTools(t *testing.T) {
	path := testenv.Data(t, "taubench/airline/tools.json")
	cat, err := Read(context.Background(), []string{path}, Options{})
	require.NoError(t, err)
	require.Empty(t, cat.Skipped)
	require.Len(t, cat.Tools, 14)
	names := map[string]bool{}
	for _, tl := range cat.Tools {
		names[tl.Name] = true
		assert.Equal(t, FormatOpenAI, tl.Source.Format)
	}
	for _, n := range []string{"book_reservation", "cancel_reservation", "get_user_details", "update_reservation_flights", "search_direct_flight"} {
		assert.True(t, names[n], n)
	}
	var book = cat.Tools[0]
	for _, tl := range cat.Tools {
		if tl.Name == "book_reservation" {
			book = tl
		}
	}
	assert.Equal(t, "array", book.Parameters.Properties["passengers"].Type)
	assert.Contains(t, book.Parameters.Properties["passengers"].Items.Properties, "dob")
}

func TestApisguruAllSpecsAccounted(t *testing.T) {
	path := testenv.Data(t, "apisguru-30k.tar.gz")
	testenv.SkipIfRace(t, "parses 974 real specs")
	cat, err := Read(context.Background(), []string{path}, Options{})
	require.NoError(t, err)
	files := map[string]bool{}
	for _, tl := range cat.Tools {
		files[tl.Source.File] = true
	}
	for _, s := range cat.Skipped {
		files[s.File] = true
	}
	assert.Equal(t, 974, len(files), "every spec is read or skipped with a reason")
	assert.GreaterOrEqual(t, len(cat.Tools), 30000)
	t.Logf("apisguru: %d specs read, %d tools, %d skipped, %d repaired", cat.Specs, len(cat.Tools), len(cat.Skipped), len(cat.Repaired))
}
