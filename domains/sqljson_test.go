package domains_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// selectAll is the shape of a generated read: the table's columns, in
// order, quoted.
func selectAll(t *schema.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = schema.Quote(c.Name)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + schema.Quote(t.Name) + ` ORDER BY "id"`
}

// sameJSON asserts two encodings hold the same values.
func sameJSON(t *testing.T, want, got json.RawMessage, msg ...any) {
	t.Helper()
	require.True(t, utf8.Valid(got), "not UTF-8: %q", got)
	var a, b any
	require.NoError(t, json.Unmarshal(want, &a), "%s", want)
	require.NoError(t, json.Unmarshal(got, &b), "%s", got)
	assert.Equal(t, a, b, msg...)
}

// TestSQLiteEncodingMatchesGo reads every table of the default world both
// ways: SQLite's json_object rows must hold what the Go encoder gives.
func TestSQLiteEncodingMatchesGo(t *testing.T) {
	ctx := context.Background()
	tables := 0
	for _, d := range domains.All() {
		if d.Loader != nil {
			continue // real data with its own tools
		}
		db := newDB(t, d)
		for _, tbl := range d.Model.Tables {
			bySQLite, byGo, ok, err := domains.EncodeBothWays(ctx, db, tbl, selectAll(tbl))
			require.NoError(t, err, "%s.%s", d.Name, tbl.Name)
			require.True(t, ok, "%s.%s: the generated shape is rewritten", d.Name, tbl.Name)
			require.NotEqual(t, "[]", string(bySQLite), "%s.%s is seeded", d.Name, tbl.Name)
			sameJSON(t, byGo, bySQLite, "%s.%s", d.Name, tbl.Name)
			tables++
		}
	}
	assert.GreaterOrEqual(t, tables, 30)
}

// oddTable has a column of every kind the generator makes.
var oddTable = &schema.Table{Name: "odd", Columns: []*schema.Column{
	{Name: "id", Key: "id", Type: "TEXT", JSONType: "string", PK: true},
	{Name: "flag", Key: "flag", Type: "INTEGER", JSONType: "boolean"},
	{Name: "n", Key: "n", Type: "INTEGER", JSONType: "integer"},
	{Name: "x", Key: "x", Type: "REAL", JSONType: "number"},
	{Name: "tags", Key: "tags", Type: "TEXT", JSONType: "array"},
	{Name: "text", Key: "te'xt \"q\"", Type: "TEXT", JSONType: "string"},
}}

func oddDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(`CREATE TABLE "odd" ("id" TEXT PRIMARY KEY, "flag" INTEGER, "n" INTEGER, "x" REAL, "tags" TEXT, "text" TEXT)`)
	require.NoError(t, err)
	return db
}

func insertOdd(t testing.TB, db *sql.DB, id string, flag, n, x, tags, text any) {
	t.Helper()
	_, err := db.Exec(`INSERT INTO "odd" VALUES (?, ?, ?, ?, ?, ?)`, id, flag, n, x, tags, text)
	require.NoError(t, err)
}

// TestSQLiteEncodingOddValues covers values the seed does not make:
// escapes, text that is not UTF-8, booleans stored oddly, floats with no
// fraction or with exponents, JSON columns holding text that is not JSON.
func TestSQLiteEncodingOddValues(t *testing.T) {
	db := oddDB(t)
	texts := []string{"", "plain", "quote \" and \\ backslash", "\b\f\n\r\t\x01\x1f\x7f", "nul \x00 inside",
		"line\u2028sep\u2029", "emoji 😀 and é", "bad \xff\xfe utf-8", "<html>&amp;</html>", strings.Repeat("long ", 400)}
	flags := []any{nil, 0, 1, 2, -1, 0.0, 0.5, "yes", ""}
	nums := []any{nil, 0, -7, int64(math.MaxInt64), int64(math.MinInt64), 2.5, "twelve"}
	xs := []any{nil, 3.0, 0.1 + 0.2, 1e21, 1e-7, 2.5e-5, 100.0, math.Copysign(0, -1), 123.456, 1e300, int64(42), "n/a"}
	tags := []any{nil, `["a","b"]`, `[1, 2,  {"x" : "\u0041"}]`, `{"k": [true, null]}`, `not json`, `{a:1}`, `[1,]`, 7, `""`}
	for i := range 40 {
		insertOdd(t, db, string(rune('a'+i%26))+strings.Repeat("z", i/26),
			flags[i%len(flags)], nums[i%len(nums)], xs[i%len(xs)], tags[i%len(tags)], texts[i%len(texts)])
	}
	bySQLite, byGo, ok, err := domains.EncodeBothWays(context.Background(), db, oddTable, selectAll(oddTable))
	require.NoError(t, err)
	require.True(t, ok)
	sameJSON(t, byGo, bySQLite)
	assert.Contains(t, string(bySQLite), `"te'xt \"q\"":`, "keys are quoted both ways")
}

func TestJSONQueryRewritesOnlyKnownShapes(t *testing.T) {
	db := oddDB(t)
	insertOdd(t, db, "a", 1, 2, 3.5, `[1]`, "t")
	for _, q := range []string{
		`SELECT * FROM "odd"`,
		`SELECT "id", "nope" FROM "odd"`,
		`SELECT "id" "n" FROM "odd"`,
		`SELECT "id`,
		`select "id" from "odd"`,
	} {
		_, _, ok, err := domains.EncodeBothWays(context.Background(), db, oddTable, q)
		assert.NoError(t, err, q)
		assert.False(t, ok, q)
	}
	_, _, ok, err := domains.EncodeBothWays(context.Background(), db, nil, `SELECT "id" FROM "odd"`)
	assert.NoError(t, err)
	assert.False(t, ok, "no table, no rewrite")
}

// FuzzSQLiteEncoding stores fuzzed values and checks SQLite's encoding
// holds what the Go encoder's does.
func FuzzSQLiteEncoding(f *testing.F) {
	f.Add("hello", int64(1), 2.5, `[1,2]`, int64(1))
	f.Add("\x00\xff\u2028", int64(-1), math.Copysign(0, -1), `{"a":`, int64(0))
	f.Add("", int64(math.MaxInt64), 1e21, `"s"`, int64(7))
	db := oddDB(f)
	f.Fuzz(func(t *testing.T, text string, n int64, x float64, tags string, flag int64) {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			t.Skip("JSON arguments cannot carry these")
		}
		_, err := db.Exec(`DELETE FROM "odd"`)
		require.NoError(t, err)
		insertOdd(t, db, "a", flag, n, x, tags, text)
		insertOdd(t, db, "b", nil, text, text, text, nil)
		bySQLite, byGo, ok, err := domains.EncodeBothWays(context.Background(), db, oddTable, selectAll(oddTable))
		require.NoError(t, err)
		require.True(t, ok)
		sameJSON(t, byGo, bySQLite)
	})
}

func TestCallRefusesADoneContext(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Call(ctx, db, "list_patients", json.RawMessage(`{}`))
	assert.ErrorIs(t, err, context.Canceled)
}
