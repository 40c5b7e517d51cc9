// Package seed fills a domain's tables with deterministic, realistic
// rows: values chosen by what each column means (names, emails, dates,
// money, addresses, states from enums), foreign keys pointing at rows
// that exist, and the same rows for the same seed, always.
package seed

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/domains/value"
)

// Epoch anchors generated dates, so data never depends on the clock.
var Epoch = value.Epoch

// Rows are the generated rows of one table, values in column order.
type Rows struct {
	Table  *schema.Table
	Values [][]any
}

// Generate makes the rows of every table of m for a seed. Tables are
// filled parents first so references can point at existing rows; a
// reference that cannot (a cycle) is left empty.
func Generate(m *schema.Model, seed int64) []Rows {
	order := parentsFirst(m)
	ids := map[string][]any{}
	var out []Rows
	for _, t := range order {
		f := gofakeit.New(uint64(seed) ^ hashName(t.Name))
		rows := Rows{Table: t}
		var keys []any
		fields := Fields(t)
		for n := int64(1); n <= int64(t.Rows); n++ {
			preset := make([]any, len(t.Columns))
			for i, c := range t.Columns {
				switch {
				case c.PK && c.Type == schema.TypeInteger:
					preset[i] = n
				case c.PK:
					preset[i] = schema.IDFor(t.Name, n)
				case c.Ref != "":
					if parent := ids[c.Ref]; len(parent) > 0 {
						preset[i] = parent[f.IntRange(0, len(parent)-1)]
					}
					fields[i].Type = value.ID
				}
			}
			vals := value.Row(f, fields, preset)
			for i, c := range t.Columns {
				if c.Ref != "" && preset[i] == nil {
					vals[i] = nil
				}
				vals[i] = stored(vals[i])
				if t.Lifecycle != nil && c.Name == t.Lifecycle.Column && len(t.Lifecycle.States) > 0 {
					// Rows are spread over the lifecycle's states, so every
					// guarded tool has entities it applies to.
					vals[i] = lifecycleState(t.Lifecycle, n)
				}
			}
			keys = append(keys, vals[0])
			rows.Values = append(rows.Values, vals)
		}
		ids[t.Name] = keys
		out = append(out, rows)
	}
	return out
}

// Fill creates rows in db (whose tables exist) for a seed, in one
// statement per row, always parameterised.
func Fill(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, m *schema.Model, seed int64) error {
	for _, rs := range Generate(m, seed) {
		cols := make([]string, len(rs.Table.Columns))
		marks := make([]string, len(cols))
		for i, c := range rs.Table.Columns {
			cols[i] = schema.Quote(c.Name)
			marks[i] = "?"
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", schema.Quote(rs.Table.Name), strings.Join(cols, ", "), strings.Join(marks, ", "))
		for _, v := range rs.Values {
			if _, err := db.ExecContext(ctx, q, v...); err != nil {
				return fmt.Errorf("seed %s: %w", rs.Table.Name, err)
			}
		}
	}
	return nil
}

func hashName(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// parentsFirst orders tables so referenced tables come before the tables
// that reference them (ties and cycles by name).
func parentsFirst(m *schema.Model) []*schema.Table {
	done := map[string]bool{}
	visiting := map[string]bool{}
	var out []*schema.Table
	var visit func(t *schema.Table)
	visit = func(t *schema.Table) {
		if done[t.Name] || visiting[t.Name] {
			return
		}
		visiting[t.Name] = true
		for _, c := range t.Columns {
			if c.Ref != "" {
				if p := m.Table(c.Ref); p != nil {
					visit(p)
				}
			}
		}
		visiting[t.Name] = false
		done[t.Name] = true
		out = append(out, t)
	}
	tables := append([]*schema.Table(nil), m.Tables...)
	sort.Slice(tables, func(i, j int) bool { return tables[i].Name < tables[j].Name })
	for _, t := range tables {
		visit(t)
	}
	return out
}

// Fields returns what seeding draws for each of a table's columns: its
// hints and its semantic type (the model's, else inferred now).
func Fields(t *schema.Table) []value.Field {
	out := make([]value.Field, len(t.Columns))
	for i, c := range t.Columns {
		h := c.Hints(t.Name)
		typ := value.Type(c.Semantic)
		if typ == "" {
			typ = value.Infer(h)
		}
		out[i] = value.Field{Hints: h, Type: typ}
	}
	return out
}

// stored turns a drawn value into what a column stores: arrays and
// objects as JSON text.
func stored(v any) any {
	switch v.(type) {
	case []string, []any, map[string]any:
		data, _ := json.Marshal(v)
		return string(data)
	}
	return v
}
