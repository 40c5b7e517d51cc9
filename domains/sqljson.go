package domains

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/simgym/simgym/domains/schema"
)

// Generated get and list tools have SQLite encode their rows as JSON
// (json_object), so that a row crosses from SQLite to Go as one value
// instead of one per column: each crossing costs a lock and a copy, and
// this halves the time of a typical read. The objects hold the same
// values the Go encoder (encodeRows) gives, with SQLite's spelling:
// floats keep a decimal point (3.0) and control characters use short
// escapes (\b) where it has them.

// jsonQueries caches rewritten queries by table and query.
var jsonQueries sync.Map // jsonQueryKey -> string ("" when the query is not rewritable)

type jsonQueryKey struct {
	t     *schema.Table
	query string
}

// jsonQuery rewrites a generated query, SELECT "a", "b", ... FROM ...,
// on table t into one that selects each row as a JSON object keyed as
// encodeRows keys it. It returns "" for a query of another shape or with
// a column t does not declare.
func jsonQuery(t *schema.Table, query string) string {
	if t == nil {
		return ""
	}
	key := jsonQueryKey{t, query}
	if q, ok := jsonQueries.Load(key); ok {
		return q.(string)
	}
	q := rewriteJSONQuery(t, query)
	jsonQueries.Store(key, q)
	return q
}

func rewriteJSONQuery(t *schema.Table, query string) string {
	rest, ok := strings.CutPrefix(query, "SELECT ")
	if !ok {
		return ""
	}
	var b strings.Builder
	b.WriteString("SELECT json_object(")
	for i := 0; ; i++ {
		name, after, ok := cutIdent(rest)
		if !ok {
			return ""
		}
		c := t.Column(name)
		if c == nil {
			return ""
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlString(c.Key))
		b.WriteString(", ")
		b.WriteString(jsonExpr(c))
		if r, ok := strings.CutPrefix(after, ", "); ok {
			rest = r
			continue
		}
		if r, ok := strings.CutPrefix(after, " FROM "); ok {
			b.WriteString(") FROM ")
			b.WriteString(r)
			return b.String()
		}
		return ""
	}
}

// cutIdent cuts a double-quoted SQL identifier off the front of s.
func cutIdent(s string) (name, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	var n strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			n.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '"' {
			n.WriteByte('"')
			i++
			continue
		}
		return n.String(), s[i+1:], true
	}
	return "", "", false
}

// jsonExpr is the SQL giving column c's value as encodeRows shows it:
// stored 0/1 as a boolean, stored JSON text as JSON.
func jsonExpr(c *schema.Column) string {
	q := schema.Quote(c.Name)
	switch c.JSONType {
	case "boolean":
		return "CASE typeof(" + q + ") WHEN 'integer' THEN json(CASE WHEN " + q + " THEN 'true' ELSE 'false' END)" +
			" WHEN 'real' THEN json(CASE WHEN " + q + " <> 0 THEN 'true' ELSE 'false' END) ELSE " + q + " END"
	case "object", "array":
		// SQLite's JSON parser stops at a NUL; Go's does not take one.
		return "CASE WHEN typeof(" + q + ") = 'text' AND instr(" + q + ", char(0)) = 0 AND json_valid(" + q + ") THEN json(" + q + ") ELSE " + q + " END"
	}
	return q
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// queryJSON runs a query rewritten by jsonQuery and returns its rows'
// objects as a JSON array (asList) or, without asList, the first object
// alone (nil when there is none).
func queryJSON(ctx context.Context, db DBTX, query string, asList bool, args []any) (json.RawMessage, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var b []byte
	var raw sql.RawBytes
	n := 0
	for rows.Next() {
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if !asList {
			b = append(b, raw...)
			n++
			break
		}
		if n == 0 {
			b = make([]byte, 1, len(raw)*8+2)
			b[0] = '['
		} else {
			b = append(b, ',')
		}
		b = append(b, raw...)
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if asList {
		if n == 0 {
			return json.RawMessage("[]"), nil
		}
		b = append(b, ']')
	} else if n == 0 {
		return nil, nil
	}
	// SQLite passes text that is not UTF-8 through as it is; the Go
	// encoder replaces each bad byte, and so does this.
	if !utf8.Valid(b) {
		b = replaceBadUTF8(b)
	}
	return json.RawMessage(b), nil
}

// replaceBadUTF8 replaces each byte of b that is not part of a UTF-8
// sequence with U+FFFD.
func replaceBadUTF8(b []byte) []byte {
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
