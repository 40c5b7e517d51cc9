package schema_test

import (
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
	"github.com/simgym/simgym/tools/spec"
)

var update = flag.Bool("update", false, "rewrite the golden model.json and schema.sql files")

// Golden output files of a case; every other file in a case folder is
// an input spec.
const (
	goldenModel = "model.json"
	goldenDDL   = "schema.sql"
)

// readCase reads the spec files of a case folder into finalized tools.
func readCase(t *testing.T, dir string) []*tools.Tool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	cat := &tools.Catalog{}
	for _, e := range entries {
		if e.IsDir() || e.Name() == goldenModel || e.Name() == goldenDDL || strings.HasPrefix(e.Name(), "README") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		ts, skipped := spec.ReadDocument(e.Name(), data)
		require.Empty(t, skipped, "input %s reads cleanly", e.Name())
		cat.Tools = append(cat.Tools, ts...)
	}
	require.NotEmpty(t, cat.Tools, "case %s has an input spec", dir)
	cat.Finalize()
	return cat.Tools
}

// TestGolden infers the model of each testdata/<case>/ input (an OpenAPI
// or OpenAI-tools spec; the domain is named after the folder) and
// compares it with the case's model.json and schema.sql. Adding a case is
// adding a folder; go test -update writes its goldens.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := schema.Infer(filepath.Base(dir), readCase(t, dir), schema.Options{})
			model, err := json.MarshalIndent(m, "", "  ")
			require.NoError(t, err)
			model = append(model, '\n')
			ddl := m.DDL()
			if *update {
				require.NoError(t, os.WriteFile(filepath.Join(dir, goldenModel), model, 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, goldenDDL), []byte(ddl), 0o644))
			}
			want, err := os.ReadFile(filepath.Join(dir, goldenModel))
			require.NoError(t, err, "run go test -update to create the goldens")
			sameText(t, string(want), string(model), dir+"/"+goldenModel)
			want, err = os.ReadFile(filepath.Join(dir, goldenDDL))
			require.NoError(t, err, "run go test -update to create the goldens")
			sameText(t, string(want), ddl, dir+"/"+goldenDDL)

			// The golden model round-trips through JSON unchanged, as the
			// generated code loads it.
			var back schema.Model
			require.NoError(t, json.Unmarshal(model, &back))
			again, err := json.MarshalIndent(&back, "", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(model), string(again)+"\n")

			checkDDLRuns(t, m)
		})
	}
}

// checkDDLRuns loads the model's DDL into SQLite and checks that the
// tables, columns and foreign keys there are the model's.
func checkDDLRuns(t *testing.T, m *schema.Model) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+t.Name()+"?mode=memory")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec(m.DDL())
	require.NoError(t, err, "schema.sql runs in SQLite")
	for _, tb := range m.Tables {
		rows, err := db.Query(`SELECT name, type, pk FROM pragma_table_info(?)`, tb.Name)
		require.NoError(t, err)
		var got []string
		for rows.Next() {
			var name, typ string
			var pk int
			require.NoError(t, rows.Scan(&name, &typ, &pk))
			got = append(got, name+" "+typ)
			if name == "id" {
				assert.Equal(t, 1, pk, "%s.id is the primary key", tb.Name)
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
		var want []string
		for _, c := range tb.Columns {
			want = append(want, c.Name+" "+c.Type)
		}
		assert.Equal(t, want, got, "columns of %s", tb.Name)

		fks, err := db.Query(`SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)`, tb.Name)
		require.NoError(t, err)
		refs := map[string]string{}
		for fks.Next() {
			var from, table, to string
			require.NoError(t, fks.Scan(&from, &table, &to))
			assert.Equal(t, "id", to)
			assert.NotNil(t, m.Table(table), "%s.%s references an existing table", tb.Name, from)
			refs[from] = table
		}
		require.NoError(t, fks.Err())
		fks.Close()
		wantRefs := map[string]string{}
		for _, c := range tb.Columns {
			if c.Ref != "" {
				wantRefs[c.Name] = c.Ref
			}
		}
		assert.Equal(t, wantRefs, refs, "foreign keys of %s", tb.Name)
	}
}

// sameText fails with the first differing lines of a golden file and the
// output, rather than both texts whole.
func sameText(t *testing.T, want, got, file string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	show := func(lines []string) string {
		lo, hi := max(0, i-3), min(len(lines), i+4)
		return strings.Join(lines[lo:hi], "\n")
	}
	t.Errorf("%s differs from the output at line %d (run go test -update and review the diff)\n--- golden:\n%s\n--- output:\n%s",
		file, i+1, show(wl), show(gl))
}
