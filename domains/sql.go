package domains

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/simgym/simgym/domains/schema"
)

// DefaultLimit is how many rows a list returns when the agent sets no
// limit and the tool's schema gives no default.
const DefaultLimit = 20

// MaxLimit caps any list.
const MaxLimit = 100

// JSONText turns a raw JSON argument (object or array) into the text
// stored in a column, or nil when absent.
func JSONText(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}

// Like turns a free-text search argument into a LIKE pattern with its
// wildcards escaped, or nil when absent.
func Like(q *string) any {
	if q == nil || *q == "" {
		return nil
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(*q) + "%"
}

// Limit resolves a list's limit argument (integer or number) with a
// default and the cap.
func Limit[T int64 | float64](v *T, def int64) int64 {
	n := def
	if v != nil {
		n = int64(*v)
	}
	if n <= 0 {
		n = DefaultLimit
	}
	return min(n, MaxLimit)
}

// Offset resolves a list's offset argument.
func Offset[T int64 | float64](v *T) int64 {
	if v == nil || *v < 0 {
		return 0
	}
	return int64(*v)
}

// Val dereferences an optional argument for binding: nil stays nil.
func Val[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// GetRow reads one row by primary key. A missing row is a *ToolError
// ("patient pat_0042 not found"). query selects the table's columns in
// order; args bind its parameters (the key first).
func (d *Domain) GetRow(ctx context.Context, db DBTX, table, query string, args ...any) (any, error) {
	t := d.Table(table)
	if len(args) == 0 || args[0] == nil {
		return nil, Errorf("missing the %s id", table)
	}
	if q := jsonQuery(t, query); q != "" {
		row, err := queryJSON(ctx, db, q, false, args)
		if err != nil {
			return nil, fmt.Errorf("get %s: %w", table, err)
		}
		if row == nil {
			return nil, Errorf("%s %v not found", table, args[0])
		}
		return row, nil
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", table, err)
	}
	list, err := scanJSON(t, rows)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", table, err)
	}
	if len(list) == 0 {
		return nil, Errorf("%s %v not found", table, args[0])
	}
	return list[0], nil
}

// ListRows reads the rows a list query selects, as a JSON array.
func (d *Domain) ListRows(ctx context.Context, db DBTX, table, query string, args ...any) (any, error) {
	if q := jsonQuery(d.Table(table), query); q != "" {
		list, err := queryJSON(ctx, db, q, true, args)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", table, err)
		}
		return list, nil
	}
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", table, err)
	}
	b, err := encodeRows(d.Table(table), rows, true, nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", table, err)
	}
	return json.RawMessage(b), nil
}

// Insert creates a row: cols name the inserted columns (the key first),
// vals their values (vals[0] the key, nil to draw the next id). It checks
// that referenced rows exist, then returns the new row.
func (d *Domain) Insert(ctx context.Context, db DBTX, table, insert, selectByID string, cols []string, vals []any) (any, error) {
	t := d.Table(table)
	if vals[0] == nil {
		id, err := NextID(ctx, db, t)
		if err != nil {
			return nil, err
		}
		vals[0] = id
	} else {
		var one int
		err := db.QueryRowContext(ctx, `SELECT 1 FROM `+schema.Quote(table)+` WHERE "id" = ?`, vals[0]).Scan(&one)
		if err == nil {
			return nil, Errorf("%s %v already exists", table, vals[0])
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("create %s: %w", table, err)
		}
	}
	if err := d.checkRefs(ctx, db, t, cols, vals); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, insert, vals...); err != nil {
		return nil, fmt.Errorf("create %s: %w", table, err)
	}
	return d.GetRow(ctx, db, table, selectByID, vals[0])
}

// Update changes the row whose key is vals[0]: cols name the columns
// the update statement binds after the key (nil values leave a column
// as it is). A missing row is a *ToolError. It returns the updated row.
func (d *Domain) Update(ctx context.Context, db DBTX, table, update, selectByID string, cols []string, vals []any) (any, error) {
	t := d.Table(table)
	if vals[0] == nil {
		return nil, Errorf("missing the %s id", table)
	}
	if err := d.checkRefs(ctx, db, t, cols, vals); err != nil {
		return nil, err
	}
	res, err := db.ExecContext(ctx, update, vals...)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, Errorf("%s %v not found", table, vals[0])
	}
	return d.GetRow(ctx, db, table, selectByID, vals[0])
}

// DeleteRow deletes the row whose key is args[0] (further args bind
// filters that must also match). A missing row is a *ToolError.
func (d *Domain) DeleteRow(ctx context.Context, db DBTX, table, del string, args ...any) (any, error) {
	if len(args) == 0 || args[0] == nil {
		return nil, Errorf("missing the %s id", table)
	}
	if t := d.Table(table); t != nil && len(t.Referrers) > 0 {
		// Rows referencing the deleted one follow their reference rules.
		ids, err := queryIDs(ctx, db, del+` RETURNING "id"`, args...)
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", table, err)
		}
		if len(ids) == 0 {
			return nil, Errorf("%s %v not found", table, args[0])
		}
		if err := d.deleted(ctx, db, table, ids); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": true, "id": args[0]}, nil
	}
	res, err := db.ExecContext(ctx, del, args...)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %w", table, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, Errorf("%s %v not found", table, args[0])
	}
	return map[string]any{"deleted": true, "id": args[0]}, nil
}

// DeleteWhere deletes the rows matching filters; at least one filter
// must be given, so a call never empties a table by accident.
func (d *Domain) DeleteWhere(ctx context.Context, db DBTX, table, del string, args ...any) (any, error) {
	given := false
	for _, a := range args {
		given = given || a != nil
	}
	if !given {
		return nil, Errorf("give at least one filter to delete %s records", table)
	}
	var n int64
	if t := d.Table(table); t != nil && len(t.Referrers) > 0 {
		ids, err := queryIDs(ctx, db, del+` RETURNING "id"`, args...)
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", table, err)
		}
		if err := d.deleted(ctx, db, table, ids); err != nil {
			return nil, err
		}
		n = int64(len(ids))
	} else {
		res, err := db.ExecContext(ctx, del, args...)
		if err != nil {
			return nil, fmt.Errorf("delete %s: %w", table, err)
		}
		n, _ = res.RowsAffected()
	}
	if n == 0 {
		return nil, Errorf("no %s matches", table)
	}
	return map[string]any{"deleted": n}, nil
}

// checkRefs makes sure every given foreign-key value names an existing
// row, so writes keep referential integrity.
func (d *Domain) checkRefs(ctx context.Context, db DBTX, t *schema.Table, cols []string, vals []any) error {
	for i, name := range cols {
		if i >= len(vals) || vals[i] == nil {
			continue
		}
		c := t.Column(name)
		if c == nil || c.Ref == "" {
			continue
		}
		var one int
		err := db.QueryRowContext(ctx, `SELECT 1 FROM `+schema.Quote(c.Ref)+` WHERE "id" = ?`, vals[i]).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return Errorf("%s %v not found", c.Ref, vals[i])
		}
		if err != nil {
			return fmt.Errorf("check %s.%s: %w", t.Name, name, err)
		}
	}
	return nil
}

// NextID returns the id for a new row: the next integer for integer
// keys, else "<table>_<n>" with n one past the row count, skipping ids
// already taken. It depends only on the table's content, so replays give
// the same ids.
func NextID(ctx context.Context, db DBTX, t *schema.Table) (any, error) {
	q := schema.Quote(t.Name)
	if pk := t.PK(); pk != nil && pk.Type == schema.TypeInteger {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX("id"), 0) + 1 FROM `+q).Scan(&n); err != nil {
			return nil, fmt.Errorf("next %s id: %w", t.Name, err)
		}
		return n, nil
	}
	var count int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+q).Scan(&count); err != nil {
		return nil, fmt.Errorf("next %s id: %w", t.Name, err)
	}
	for n := count + 1; ; n++ {
		id := schema.IDFor(t.Name, n)
		var one int
		err := db.QueryRowContext(ctx, `SELECT 1 FROM `+q+` WHERE "id" = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return id, nil
		}
		if err != nil {
			return nil, fmt.Errorf("next %s id: %w", t.Name, err)
		}
	}
}

// scanRows reads rows into maps keyed by the columns' JSON keys, with
// values as encoding/json decodes them.
func scanRows(t *schema.Table, rows *sql.Rows) ([]map[string]any, error) {
	list, err := scanJSON(t, rows)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, r := range list {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scanJSON reads rows as JSON objects keyed by the columns' JSON keys,
// in column order, turning stored JSON text back into values and 0/1
// into booleans. Encoding rows directly (not through maps) keeps results
// in a fixed order and is what makes a step cheap.
func scanJSON(t *schema.Table, rows *sql.Rows) ([]json.RawMessage, error) {
	var ends []int
	b, err := encodeRows(t, rows, false, &ends)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(ends))
	start := 0
	for i, end := range ends {
		out[i] = json.RawMessage(b[start:end:end])
		start = end
	}
	return out, nil
}

// rowLayout is what encoding a query's rows needs to know of its
// columns, worked out once per table and column list.
type rowLayout struct {
	cols []*schema.Column // nil for a column the table does not declare
	keys [][]byte         // each column's JSON key, quoted
	// size is the length of the last encoding, to size the next one's
	// buffer at once.
	size atomic.Int64
}

// layouts caches rowLayouts by table and column names.
var layouts sync.Map // layoutKey -> *rowLayout

type layoutKey struct {
	t     *schema.Table
	names string
}

func layoutOf(t *schema.Table, names []string) *rowLayout {
	key := layoutKey{t, strings.Join(names, "\x00")}
	if l, ok := layouts.Load(key); ok {
		return l.(*rowLayout)
	}
	l := &rowLayout{cols: make([]*schema.Column, len(names)), keys: make([][]byte, len(names))}
	for i, n := range names {
		if t != nil {
			l.cols[i] = t.Column(n)
		}
		k := n
		if l.cols[i] != nil {
			k = l.cols[i].Key
		}
		l.keys[i] = appendJSONString(nil, k)
	}
	actual, _ := layouts.LoadOrStore(key, l)
	return actual.(*rowLayout)
}

// encodeRows encodes each row as a JSON object, one after another, or,
// with asList, as the elements of a JSON array. When ends is not nil it
// gets the end offset of each object. It closes rows.
func encodeRows(t *schema.Table, rows *sql.Rows, asList bool, ends *[]int) ([]byte, error) {
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	l := layoutOf(t, names)
	vals := make([]any, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	b := make([]byte, 0, l.size.Load()*9/8+64)
	if asList {
		b = append(b, '[')
	}
	first := true
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		if !first && asList {
			b = append(b, ',')
		}
		first = false
		b = append(b, '{')
		for i := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, l.keys[i]...)
			b = append(b, ':')
			b = appendValue(b, l.cols[i], vals[i])
		}
		b = append(b, '}')
		if ends != nil {
			*ends = append(*ends, len(b))
		}
	}
	if asList {
		b = append(b, ']')
	}
	l.size.Store(int64(len(b)))
	return b, rows.Err()
}

// appendValue encodes a stored value as the JSON its column holds.
func appendValue(b []byte, c *schema.Column, v any) []byte {
	if raw, ok := v.([]byte); ok {
		v = string(raw)
	}
	jt := ""
	if c != nil {
		jt = c.JSONType
	}
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		if jt == "boolean" {
			return strconv.AppendBool(b, x != 0)
		}
		return strconv.AppendInt(b, x, 10)
	case float64:
		if jt == "boolean" {
			return strconv.AppendBool(b, x != 0)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		enc, _ := json.Marshal(x)
		return append(b, enc...)
	case bool:
		return strconv.AppendBool(b, x)
	case string:
		if (jt == "object" || jt == "array") && json.Valid([]byte(x)) {
			var buf bytes.Buffer
			if json.Compact(&buf, []byte(x)) == nil {
				return append(b, buf.Bytes()...)
			}
		}
		return appendJSONString(b, x)
	case time.Time:
		return appendJSONString(b, x.UTC().Format(time.RFC3339Nano))
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, enc...)
}

// appendJSONString appends s as a JSON string, without encoding/json's
// HTML escaping, with invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// First returns the first non-nil value: for a column that several
// arguments can fill.
func First(vals ...any) any {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// DecodeField decodes one argument by its exact name into a field, for
// argument names that cannot be Go struct tags.
func DecodeField(raw json.RawMessage, name string, v any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Errorf("invalid arguments: %v", err)
	}
	val, ok := m[name]
	if !ok {
		return nil
	}
	err := json.Unmarshal(val, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
		// As in Decode: 5.0 is an integer to JSON Schema.
		if norm, ok := integralNumbers(val); ok {
			err = json.Unmarshal(norm, v)
		}
	}
	if err != nil {
		return Errorf("argument %q: %v", name, err)
	}
	return nil
}
