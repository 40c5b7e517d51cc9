package seed_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/simgym/simgym/domains"
	_ "github.com/simgym/simgym/domains/builtin"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/domains/seed"
)

func f64(v float64) *float64 { return &v }

func intp(v int) *int { return &v }

func col(name, typ, jsonType string) *schema.Column {
	return &schema.Column{Name: name, Key: name, Type: typ, JSONType: jsonType}
}

func pk(typ string) *schema.Column {
	c := col("id", typ, "string")
	if typ == schema.TypeInteger {
		c.JSONType = "integer"
	}
	c.PK = true
	return c
}

func ref(name, table string) *schema.Column {
	c := col(name, schema.TypeText, "string")
	c.Ref = table
	return c
}

// shop is a hand-made model exercising every kind of column.
func shop() *schema.Model {
	text := func(n string) *schema.Column { return col(n, schema.TypeText, "string") }
	withFormat := func(c *schema.Column, f string) *schema.Column { c.Format = f; return c }
	bounded := func(c *schema.Column, lo, hi *float64) *schema.Column { c.Min, c.Max = lo, hi; return c }
	status := text("status")
	status.Enum = []any{"pending", "paid", "shipped"}
	level := col("level", schema.TypeInteger, "integer")
	level.Enum = []any{1.0, 2.0, 3.0}
	short := text("shelf_code_note")
	short.MaxLength = intp(2)
	country := text("country")
	country.MaxLength = intp(2)
	return &schema.Model{Domain: "shop", Tables: []*schema.Table{
		{Name: "customer", Rows: 15, Columns: []*schema.Column{
			pk(schema.TypeText),
			text("email"),
			withFormat(text("contact"), "email"),
			text("first_name"),
			text("last_name"),
			text("phone"),
			text("city"),
			text("date_of_birth"),
			withFormat(text("joined"), "date"),
			withFormat(text("seen"), "date-time"),
			text("created_at"),
			text("website_url"),
			withFormat(text("token"), "uuid"),
			bounded(col("age", schema.TypeInteger, "integer"), f64(21), f64(30)),
			bounded(col("score", schema.TypeReal, "number"), nil, f64(0.5)),
			bounded(col("kids", schema.TypeInteger, "integer"), nil, f64(3)),
			bounded(col("floor", schema.TypeInteger, "integer"), f64(100), nil),
			col("is_vip", schema.TypeInteger, "boolean"),
			col("tags", schema.TypeText, "array"),
			col("prefs", schema.TypeText, "object"),
			level,
			short,
			country,
			bounded(col("nights", schema.TypeInteger, "integer"), f64(1.5), f64(4.5)),
		}},
		{Name: "order", Rows: 30, Columns: []*schema.Column{
			pk(schema.TypeInteger),
			ref("customer_id", "customer"),
			ref("coupon_id", "coupon"), // a table the model lacks
			status,
			bounded(col("quantity", schema.TypeInteger, "integer"), f64(1), f64(3)),
			bounded(col("total", schema.TypeReal, "number"), f64(10), f64(20)),
		}},
		{Name: "shipment", Rows: 10, Columns: []*schema.Column{
			pk(schema.TypeText),
			ref("order_id", "order"),
			withFormat(text("shipped_on"), "date"),
		}},
		// A reference cycle: one side cannot point at existing rows.
		{Name: "alpha", Rows: 5, Columns: []*schema.Column{pk(schema.TypeText), ref("beta_id", "beta")}},
		{Name: "beta", Rows: 5, Columns: []*schema.Column{pk(schema.TypeText), ref("alpha_id", "alpha")}},
		{Name: "empty", Rows: 0, Columns: []*schema.Column{pk(schema.TypeText), text("name")}},
	}}
}

// byTable indexes generated rows by table name.
func byTable(rs []seed.Rows) map[string]seed.Rows {
	out := map[string]seed.Rows{}
	for _, r := range rs {
		out[r.Table.Name] = r
	}
	return out
}

// values returns column c of every row.
func values(rs seed.Rows, c string) []any {
	i := -1
	for j, cc := range rs.Table.Columns {
		if cc.Name == c {
			i = j
		}
	}
	if i < 0 {
		panic("no column " + c)
	}
	out := make([]any, len(rs.Values))
	for k, v := range rs.Values {
		out[k] = v[i]
	}
	return out
}

func TestDeterministic(t *testing.T) {
	m := shop()
	a := seed.Generate(m, 42)
	b := seed.Generate(m, 42)
	require.True(t, reflect.DeepEqual(a, b), "same seed, same rows")
	c := seed.Generate(m, 43)
	require.Equal(t, len(a), len(c))
	assert.False(t, reflect.DeepEqual(a, c), "another seed, other rows")
	// Each table differs with the seed, not only some.
	ca := byTable(c)
	for _, rs := range a {
		if rs.Table.Rows > 1 && len(rs.Table.Columns) > 2 {
			assert.NotEqual(t, rs.Values, ca[rs.Table.Name].Values, "table %s changes with the seed", rs.Table.Name)
		}
	}
}

func TestTableOrderDoesNotMatter(t *testing.T) {
	m := shop()
	want := byTable(seed.Generate(m, 7))
	rev := shop()
	for i, j := 0, len(rev.Tables)-1; i < j; i, j = i+1, j-1 {
		rev.Tables[i], rev.Tables[j] = rev.Tables[j], rev.Tables[i]
	}
	got := byTable(seed.Generate(rev, 7))
	for name, rs := range want {
		assert.Equal(t, rs.Values, got[name].Values, "table %s", name)
	}
}

func TestRowsAndKeys(t *testing.T) {
	rs := byTable(seed.Generate(shop(), 1))
	require.Len(t, rs, 6)
	for _, tb := range shop().Tables {
		r := rs[tb.Name]
		assert.Len(t, r.Values, tb.Rows, "rows of %s", tb.Name)
		seen := map[any]bool{}
		for i, row := range r.Values {
			require.Len(t, row, len(tb.Columns))
			id := row[0]
			assert.False(t, seen[id], "%s id %v is unique", tb.Name, id)
			seen[id] = true
			if tb.Columns[0].Type == schema.TypeInteger {
				assert.Equal(t, int64(i+1), id)
			} else {
				assert.Equal(t, schema.IDFor(tb.Name, int64(i+1)), id)
			}
		}
	}
}

func TestParentsComeFirst(t *testing.T) {
	pos := map[string]int{}
	for i, r := range seed.Generate(shop(), 1) {
		pos[r.Table.Name] = i
	}
	assert.Less(t, pos["customer"], pos["order"])
	assert.Less(t, pos["order"], pos["shipment"])
}

// checkReferences asserts every non-empty reference names an existing
// row of its table.
func checkReferences(t *testing.T, m *schema.Model, rs []seed.Rows) {
	t.Helper()
	ids := map[string]map[any]bool{}
	for _, r := range rs {
		ids[r.Table.Name] = map[any]bool{}
		for _, row := range r.Values {
			ids[r.Table.Name][row[0]] = true
		}
	}
	for _, r := range rs {
		for i, c := range r.Table.Columns {
			if c.Ref == "" {
				continue
			}
			filled := 0
			for _, row := range r.Values {
				v := row[i]
				if v == nil {
					continue
				}
				filled++
				assert.True(t, ids[c.Ref][v], "%s.%s = %v names an existing %s", r.Table.Name, c.Name, v, c.Ref)
			}
			if m.Table(c.Ref) != nil && m.Table(c.Ref).Rows > 0 && ids[c.Ref] != nil && len(ids[c.Ref]) > 0 && !inCycle(m, r.Table.Name, c.Ref) {
				assert.Equal(t, len(r.Values), filled, "%s.%s is always filled when %s has rows", r.Table.Name, c.Name, c.Ref)
			}
		}
	}
}

// inCycle reports whether table child is reachable from parent by
// references (so one of them is seeded first and cannot refer ahead).
func inCycle(m *schema.Model, child, parent string) bool {
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		if n == child {
			return true
		}
		if seen[n] {
			return false
		}
		seen[n] = true
		t := m.Table(n)
		if t == nil {
			return false
		}
		for _, c := range t.Columns {
			if c.Ref != "" && walk(c.Ref) {
				return true
			}
		}
		return false
	}
	return walk(parent)
}

func TestReferentialIntegrity(t *testing.T) {
	m := shop()
	for _, s := range []int64{0, 1, 2, 99} {
		rs := seed.Generate(m, s)
		checkReferences(t, m, rs)
		for _, v := range values(byTable(rs)["order"], "coupon_id") {
			assert.Nil(t, v, "a reference to a table the model lacks stays empty")
		}
		// Of a cycle, exactly one side can point at existing rows.
		byT := byTable(rs)
		a, b := values(byT["alpha"], "beta_id"), values(byT["beta"], "alpha_id")
		assert.True(t, allNil(a) != allNil(b), "one side of the cycle is filled, the other empty")
	}
}

func allNil(vs []any) bool {
	for _, v := range vs {
		if v != nil {
			return false
		}
	}
	return true
}

// checkColumnValue asserts v fits column c of table tb: type, enum,
// bounds, length and format.
func checkColumnValue(t *testing.T, tb *schema.Table, c *schema.Column, v any) {
	t.Helper()
	where := fmt.Sprintf("%s.%s = %#v", tb.Name, c.Name, v)
	if v == nil {
		assert.True(t, c.Ref != "", "%s: only references may be empty", where)
		return
	}
	if len(c.Enum) > 0 {
		assert.Contains(t, c.Enum, v, "%s: in the enum", where)
		return
	}
	if c.PK || c.Ref != "" {
		// Keys; references are checked against their tables.
		return
	}
	num := func() (float64, bool) {
		switch x := v.(type) {
		case int64:
			return float64(x), true
		case float64:
			return x, true
		}
		return 0, false
	}
	switch c.JSONType {
	case "boolean":
		assert.IsType(t, true, v, where)
	case "integer":
		assert.IsType(t, int64(0), v, where)
	case "number":
		assert.IsType(t, float64(0), v, where)
	default:
		s, ok := v.(string)
		if !assert.True(t, ok, "%s: a string", where) {
			return
		}
		if c.MaxLength != nil {
			assert.LessOrEqual(t, len([]rune(s)), *c.MaxLength, "%s: at most %d characters", where, *c.MaxLength)
		}
		checkMeaning(t, c, s, where)
	}
	if x, ok := num(); ok {
		assert.False(t, math.IsNaN(x) || math.IsInf(x, 0), where)
		if c.Min != nil {
			assert.GreaterOrEqual(t, x, *c.Min, "%s: at least the minimum", where)
		}
		if c.Max != nil {
			assert.LessOrEqual(t, x, *c.Max, "%s: at most the maximum", where)
		}
	}
}

// checkMeaning asserts a string looks like what its column means.
func checkMeaning(t *testing.T, c *schema.Column, s, where string) {
	t.Helper()
	words := strings.Split(c.Name, "_")
	last := words[len(words)-1]
	has := func(w string) bool {
		for _, x := range words {
			if x == w {
				return true
			}
		}
		return false
	}
	switch {
	case c.JSONType == "array" || c.JSONType == "object":
		assert.True(t, isJSON(s), "%s: JSON text", where)
	case c.Format == "date" || c.Format == "" && (last == "date" || has("dob") || has("birthday") || has("birthdate") || strings.HasSuffix(c.Name, "_on")):
		_, err := time.Parse("2006-01-02", s)
		assert.NoError(t, err, "%s: a date", where)
	case c.Format == "date-time" || c.Format == "" && (last == "at" || last == "timestamp" || has("datetime")):
		_, err := time.Parse(time.RFC3339, s)
		assert.NoError(t, err, "%s: a date-time", where)
	case c.Format == "email" || c.Format == "" && has("email"):
		_, err := mail.ParseAddress(s)
		assert.NoError(t, err, "%s: an email address", where)
		assert.Contains(t, s, "@", where)
	case c.Format == "uuid":
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, s, where)
	case c.Format == "uri" || c.Format == "url" || has("url") || has("website"):
		assert.True(t, strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"), "%s: a URL", where)
	case has("phone"):
		assert.Regexp(t, `[0-9]{3}`, s, "%s: a phone number has digits", where)
	default:
		assert.NotEmpty(t, s, where)
	}
}

func isJSON(s string) bool {
	return strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") || strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")
}

func TestValuesFitTheirColumns(t *testing.T) {
	m := shop()
	for _, s := range []int64{1, 2, 3} {
		for _, r := range seed.Generate(m, s) {
			for _, row := range r.Values {
				for i, c := range r.Table.Columns {
					checkColumnValue(t, r.Table, c, row[i])
				}
			}
		}
	}
}

func TestValuesLookLikeTheirMeaning(t *testing.T) {
	rs := byTable(seed.Generate(shop(), 5))
	cust := rs["customer"]
	for _, v := range values(cust, "first_name") {
		s := v.(string)
		assert.Regexp(t, `^[A-Z]`, s, "a first name is capitalised")
		assert.NotContains(t, s, " ")
	}
	for _, v := range values(cust, "country") {
		assert.Regexp(t, `^[A-Z]{2}$`, v, "a two-letter country is a code")
	}
	for _, v := range values(cust, "age") {
		assert.GreaterOrEqual(t, v.(int64), int64(21))
		assert.LessOrEqual(t, v.(int64), int64(30))
	}
	// Values vary across rows: a column is not one constant.
	for _, c := range []string{"email", "first_name", "city", "joined", "age"} {
		distinct := map[any]bool{}
		for _, v := range values(cust, c) {
			distinct[v] = true
		}
		assert.Greater(t, len(distinct), 3, "column %s varies", c)
	}
}

func TestFill(t *testing.T) {
	m := shop()
	db, err := sql.Open("sqlite", "file:seedfill?mode=memory")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	// The model has a reference to a missing table; drop it from the
	// DDL the way inference never produces it.
	m.Table("order").Column("coupon_id").Ref = ""
	_, err = db.ExecContext(ctx, m.DDL())
	require.NoError(t, err)
	require.NoError(t, seed.Fill(ctx, db, m, 9))
	for _, tb := range m.Tables {
		var n int
		require.NoError(t, db.QueryRow(`SELECT COUNT(*) FROM `+schema.Quote(tb.Name)).Scan(&n))
		assert.Equal(t, tb.Rows, n, tb.Name)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	require.NoError(t, err)
	defer rows.Close()
	assert.False(t, rows.Next(), "no row breaks a foreign key")
	// The stored values are the generated ones.
	want := byTable(seed.Generate(m, 9))["customer"]
	var email string
	require.NoError(t, db.QueryRow(`SELECT "email" FROM "customer" WHERE "id" = ?`, want.Values[3][0]).Scan(&email))
	assert.Equal(t, values(want, "email")[3], email)

	// Filling again breaks the primary keys: an error, not a panic.
	assert.Error(t, seed.Fill(ctx, db, m, 9))
}

// TestBuiltinModels seeds every model of the default world and checks
// integrity and meaning on real inferred schemas.
func TestBuiltinModels(t *testing.T) {
	ds := domains.All()
	require.NotEmpty(t, ds)
	for _, d := range ds {
		if d.Loader != nil {
			continue
		}
		t.Run(d.Name, func(t *testing.T) {
			rs := seed.Generate(d.Model, 3)
			require.Len(t, rs, len(d.Model.Tables))
			checkReferences(t, d.Model, rs)
			for _, r := range rs {
				for _, row := range r.Values {
					for i, c := range r.Table.Columns {
						checkColumnValue(t, r.Table, c, row[i])
					}
				}
			}
			assert.True(t, reflect.DeepEqual(rs, seed.Generate(d.Model, 3)))
		})
	}
}

func TestEpochIsFixed(t *testing.T) {
	// Seeded dates never depend on the clock.
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), seed.Epoch)
	rs := byTable(seed.Generate(shop(), 11))
	for _, v := range values(rs["customer"], "joined") {
		d, err := time.Parse("2006-01-02", v.(string))
		require.NoError(t, err)
		assert.True(t, d.After(seed.Epoch.AddDate(-4, 0, 0)) && d.Before(seed.Epoch.AddDate(2, 0, 0)), "date %s near the epoch", d)
	}
}
