package domains

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/domains/value"
)

// EncodeBothWays reads a generated-shape query's rows twice: as SQLite
// encodes them (what GetRow and ListRows serve) and as the Go encoder
// does. rewritten is false when the query could not be rewritten.
func EncodeBothWays(ctx context.Context, db *sql.DB, t *schema.Table, query string) (bySQLite, byGo json.RawMessage, rewritten bool, err error) {
	q := jsonQuery(t, query)
	if q == "" {
		return nil, nil, false, nil
	}
	if bySQLite, err = queryJSON(ctx, db, q, true, nil); err != nil {
		return nil, nil, true, err
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, nil, true, err
	}
	byGo, err = encodeRows(t, rows, true, nil)
	return bySQLite, byGo, true, err
}

// CheckArgs checks drawn arguments against what each top-level scalar
// argument means: every value valid for its semantic type, and the
// values' ties (an email made from the name beside it). It returns how
// many values it checked and the failures.
func CheckArgs(d *Domain, t *Tool, args json.RawMessage) (int, []error) {
	var got map[string]any
	if err := json.Unmarshal(args, &got); err != nil {
		return 0, []error{err}
	}
	s := t.schema()
	table := entityOf(d.Model.Op(t.Name), t.Name)
	var fields []value.Field
	var vals []any
	var errs []error
	for _, n := range sortedProps(s) {
		v, ok := got[n]
		p := s.Properties[n]
		if !ok || p.typ() == "object" || p.typ() == "array" {
			continue
		}
		if id, ok := v.(string); ok && isRowID(id) {
			continue
		}
		if f, ok := v.(float64); ok && p.typ() == "integer" {
			v = int64(f)
		}
		h := hints(p, n, table)
		ty := value.Infer(h)
		if err := value.Check(ty, v, h); err != nil {
			errs = append(errs, fmt.Errorf("%s.%s (%s): %w", t.Name, n, ty, err))
		}
		fields = append(fields, value.Field{Hints: h, Type: ty})
		vals = append(vals, v)
	}
	for _, err := range value.CheckRow(fields, vals) {
		errs = append(errs, fmt.Errorf("%s: %w", t.Name, err))
	}
	return len(vals), errs
}

// isRowID reports whether s is a seeded row's id (schema.IDFor), which
// ArgGen takes from the database rather than drawing.
func isRowID(s string) bool {
	i := strings.LastIndexByte(s, '_')
	if i < 1 || len(s)-i != 5 {
		return false
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
