package domains_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/schema"
)

// domainWith returns the registered domain that has the named tool.
func domainWith(t testing.TB, tool string) *domains.Domain {
	t.Helper()
	for _, d := range domains.All() {
		if d.Tool(tool) != nil {
			return d
		}
	}
	t.Fatalf("no registered domain has a tool %s", tool)
	return nil
}

// clinic is the default world's clinic domain (patients, doctors,
// appointments, prescriptions).
func clinic(t testing.TB) *domains.Domain { return domainWith(t, "create_appointment") }

// newDB opens a fresh seeded database of d, closed with the test.
func newDB(t testing.TB, d *domains.Domain) *sql.DB {
	t.Helper()
	db, err := d.NewDB(context.Background(), 1)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// callCtx bounds a call, so a connection left inside a transaction fails
// the test instead of hanging it.
func callCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call runs a tool and decodes a successful result.
func call(t testing.TB, d *domains.Domain, db *sql.DB, tool, args string) (any, error) {
	t.Helper()
	out, err := d.Call(callCtx(t), db, tool, json.RawMessage(args))
	if err != nil {
		require.Nil(t, out, "a failed call returns no result")
		return nil, err
	}
	var v any
	require.NoError(t, json.Unmarshal(out, &v), "result is JSON: %s", out)
	return v, nil
}

// mustCall runs a tool that must succeed.
func mustCall(t testing.TB, d *domains.Domain, db *sql.DB, tool, args string) any {
	t.Helper()
	v, err := call(t, d, db, tool, args)
	require.NoError(t, err, "%s(%s)", tool, args)
	return v
}

// row runs a tool that returns one object.
func row(t testing.TB, d *domains.Domain, db *sql.DB, tool, args string) map[string]any {
	t.Helper()
	v := mustCall(t, d, db, tool, args)
	m, ok := v.(map[string]any)
	require.True(t, ok, "%s returns an object, got %T", tool, v)
	return m
}

// rows runs a tool that returns a list of objects.
func rows(t testing.TB, d *domains.Domain, db *sql.DB, tool, args string) []map[string]any {
	t.Helper()
	v := mustCall(t, d, db, tool, args)
	list, ok := v.([]any)
	require.True(t, ok, "%s returns a list, got %T", tool, v)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], ok = e.(map[string]any)
		require.True(t, ok)
	}
	return out
}

// toolError asserts err is a *ToolError and returns its message.
func toolError(t testing.TB, err error) string {
	t.Helper()
	require.Error(t, err)
	var te *domains.ToolError
	require.True(t, errors.As(err, &te), "want a *ToolError, got %T: %v", err, err)
	require.True(t, domains.IsToolError(err))
	return te.Msg
}

// Dump is the whole content of a database: every schema object and every
// row of every table, rows keyed by their first column (the id of model
// tables).
type Dump struct {
	Schema []string
	Tables map[string]map[string]string
}

func dump(t testing.TB, db *sql.DB) Dump {
	t.Helper()
	ctx := callCtx(t)
	d := Dump{Tables: map[string]map[string]string{}}
	objs, err := db.QueryContext(ctx, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	require.NoError(t, err)
	var tables []string
	for objs.Next() {
		var typ, name, text string
		require.NoError(t, objs.Scan(&typ, &name, &text))
		d.Schema = append(d.Schema, typ+" "+name+": "+text)
		if typ == "table" && !strings.HasPrefix(name, "sqlite_") {
			tables = append(tables, name)
		}
	}
	require.NoError(t, objs.Err())
	objs.Close()
	for _, name := range tables {
		rs, err := db.QueryContext(ctx, `SELECT * FROM `+schema.Quote(name))
		require.NoError(t, err)
		cols, err := rs.Columns()
		require.NoError(t, err)
		m := map[string]string{}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		n := 0
		for rs.Next() {
			require.NoError(t, rs.Scan(ptrs...))
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprintf("%s=%#v", cols[i], v)
			}
			key := fmt.Sprintf("%#v", vals[0])
			if _, dup := m[key]; dup {
				key = fmt.Sprintf("%s#%d", key, n)
			}
			m[key] = strings.Join(parts, " ")
			n++
		}
		require.NoError(t, rs.Err())
		rs.Close()
		d.Tables[name] = m
	}
	return d
}

// changedTables lists the tables whose rows differ between two dumps.
func changedTables(a, b Dump) []string {
	var out []string
	seen := map[string]bool{}
	for name, ra := range a.Tables {
		seen[name] = true
		if !sameRows(ra, b.Tables[name]) {
			out = append(out, name)
		}
	}
	for name := range b.Tables {
		if !seen[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func sameRows(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// rowDiff counts rows of one table added, removed and changed.
func rowDiff(a, b map[string]string) (added, removed, changed []string) {
	for k, v := range a {
		w, ok := b[k]
		switch {
		case !ok:
			removed = append(removed, k)
		case w != v:
			changed = append(changed, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			added = append(added, k)
		}
	}
	return added, removed, changed
}

// internalTable reports tables the runtime keeps for itself (the change
// log), which writes may touch.
func internalTable(name string) bool { return strings.HasPrefix(name, "_simgym") }

// userChanges lists changed model tables, leaving out internal ones.
func userChanges(a, b Dump) []string {
	var out []string
	for _, n := range changedTables(a, b) {
		if !internalTable(n) {
			out = append(out, n)
		}
	}
	return out
}

// copyDomain builds an unregistered domain with the same model, schema
// and generated handlers as d, for tests that add rules or overrides
// without touching the shared default world.
func copyDomain(d *domains.Domain, name string) *domains.Domain {
	c := &domains.Domain{Name: name, Description: d.Description, Model: d.Model, SchemaSQL: d.SchemaSQL, Loader: d.Loader, StateRules: d.StateRules}
	for _, t := range d.Tools {
		c.Tools = append(c.Tools, &domains.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters, Handler: t.Handler})
	}
	return c
}
