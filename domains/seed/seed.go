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
	"math"
	"sort"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/simgym/simgym/domains/schema"
)

// Epoch anchors generated dates, so data never depends on the clock.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

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
		for n := int64(1); n <= int64(t.Rows); n++ {
			vals := make([]any, len(t.Columns))
			for i, c := range t.Columns {
				switch {
				case c.PK && c.Type == schema.TypeInteger:
					vals[i] = n
				case c.PK:
					vals[i] = schema.IDFor(t.Name, n)
				case c.Ref != "":
					if parent := ids[c.Ref]; len(parent) > 0 {
						vals[i] = parent[f.IntRange(0, len(parent)-1)]
					}
				default:
					vals[i] = clip(c, value(f, t, c))
					if t.Lifecycle != nil && c.Name == t.Lifecycle.Column && len(t.Lifecycle.States) > 0 {
						vals[i] = lifecycleState(t.Lifecycle, n)
					}
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

var personTables = map[string]bool{"user": true, "customer": true, "patient": true, "person": true, "member": true,
	"employee": true, "student": true, "guest": true, "passenger": true, "driver": true, "doctor": true, "author": true,
	"owner": true, "contact": true, "client": true, "staff": true, "teacher": true, "instructor": true, "rider": true,
	"trainer": true, "agent": true, "account_holder": true, "player": true, "subscriber": true, "attendee": true}

// value draws a value for a column from what its name and type say.
func value(f *gofakeit.Faker, t *schema.Table, c *schema.Column) any {
	if len(c.Enum) > 0 {
		return c.Enum[f.IntRange(0, len(c.Enum)-1)]
	}
	words := strings.Split(c.Name, "_")
	has := func(ws ...string) bool {
		for _, w := range ws {
			for _, x := range words {
				if x == w {
					return true
				}
			}
		}
		return false
	}
	last := words[len(words)-1]
	switch c.JSONType {
	case "boolean":
		return f.Bool()
	case "array":
		n := f.IntRange(1, 3)
		items := make([]string, n)
		for i := range items {
			items[i] = f.Word()
		}
		data, _ := json.Marshal(items)
		return string(data)
	case "object":
		return "{}"
	case "integer":
		lo, hi := bounds(c, 0, 1000)
		switch {
		case has("age"):
			lo, hi = bounds(c, 18, 90)
		case has("rating", "stars", "score"):
			lo, hi = bounds(c, 1, 5)
		case has("quantity", "qty", "count", "seats", "guests", "nights", "capacity", "baggages", "bags", "pages", "floor", "rooms"):
			lo, hi = bounds(c, 1, 10)
		case has("year"):
			lo, hi = bounds(c, 1950, 2026)
		case has("duration", "minutes"):
			lo, hi = bounds(c, 5, 240)
		}
		lo, hi = math.Ceil(lo), math.Floor(hi)
		if hi < lo {
			hi = lo
		}
		return int64(f.IntRange(int(lo), int(hi)))
	case "number":
		switch {
		case has("lat", "latitude"):
			return round(f.Float64Range(-90, 90), 6)
		case has("lon", "lng", "longitude"):
			return round(f.Float64Range(-180, 180), 6)
		case has("rating", "score", "stars"):
			lo, hi := bounds(c, 1, 5)
			return round(f.Float64Range(lo, hi), 1)
		}
		lo, hi := bounds(c, 1, 1000)
		return round(f.Float64Range(lo, hi), 2)
	}
	// Strings, by format first, then by meaning.
	switch c.Format {
	case "date":
		return date(f).Format("2006-01-02")
	case "date-time":
		return date(f).Format(time.RFC3339)
	case "time":
		return fmt.Sprintf("%02d:%02d", f.IntRange(6, 22), 15*f.IntRange(0, 3))
	case "email":
		return strings.ToLower(f.Email())
	case "uri", "url":
		return f.URL()
	case "uuid":
		return f.UUID()
	}
	switch {
	case has("email"):
		return strings.ToLower(f.Email())
	case has("phone", "mobile", "tel", "telephone"):
		return f.Phone()
	case last == "date" || has("dob", "birthday", "birthdate") || strings.HasSuffix(c.Name, "_on"):
		return date(f).Format("2006-01-02")
	case last == "at" || last == "time" || last == "timestamp" || has("datetime"):
		return date(f).Format(time.RFC3339)
	case has("first") && has("name"):
		return f.FirstName()
	case has("last", "surname", "family") && has("name"):
		return f.LastName()
	case has("username", "login", "handle", "nickname"):
		return f.Username()
	case has("city", "town"):
		return f.City()
	case has("country"):
		if c.MaxLength != nil && *c.MaxLength <= 3 {
			return f.CountryAbr()
		}
		return f.Country()
	case has("state", "province", "region") && !has("status"):
		return f.State()
	case has("zip", "postal", "postcode"):
		return f.Zip()
	case has("address", "street"):
		return f.Street()
	case has("currency"):
		return f.CurrencyShort()
	case has("company", "organization", "organisation", "employer", "brand", "manufacturer"):
		return f.Company()
	case has("url", "website", "link", "homepage", "image", "avatar", "photo"):
		return f.URL()
	case has("color", "colour"):
		return f.Color()
	case has("status"):
		return []string{"active", "pending", "completed", "cancelled"}[f.IntRange(0, 3)]
	case has("description", "notes", "note", "comment", "comments", "summary", "bio", "message", "body", "content", "text", "reason", "details"):
		return f.Sentence(8)
	case has("title", "headline", "subject"):
		return titleCase(f.Word() + " " + f.Word())
	case has("code", "sku", "iata", "ticker", "symbol"):
		w := f.Word()
		return strings.ToUpper(w[:min(3, len(w))]) + fmt.Sprint(f.IntRange(10, 99))
	case has("name"):
		if personTables[t.Name] {
			return f.Name()
		}
		return titleCase(f.Word() + " " + f.Word())
	case has("type", "kind", "category", "tier", "class", "level", "plan", "cabin"):
		return []string{"basic", "standard", "premium"}[f.IntRange(0, 2)]
	}
	s := f.Word()
	if c.MaxLength != nil && len(s) > *c.MaxLength {
		s = s[:*c.MaxLength]
	}
	return s
}

func date(f *gofakeit.Faker) time.Time {
	return Epoch.AddDate(0, 0, f.IntRange(-3*365, 365)).Add(time.Duration(f.IntRange(0, 23)) * time.Hour)
}

func bounds(c *schema.Column, lo, hi float64) (float64, float64) {
	if c.Min != nil {
		lo = math.Max(lo, *c.Min)
	}
	if c.Max != nil {
		hi = math.Min(hi, *c.Max)
	}
	if hi < lo {
		// The declared range lies outside the default one: use it.
		switch {
		case c.Min != nil:
			lo = *c.Min
			hi = lo
			if c.Max != nil && *c.Max >= lo {
				hi = *c.Max
			}
		default:
			lo, hi = *c.Max, *c.Max
		}
	}
	return lo, hi
}

// clip cuts a string to its column's maximum length (enum values are
// left alone: they are the allowed ones).
func clip(c *schema.Column, v any) any {
	s, ok := v.(string)
	if !ok || c.MaxLength == nil || len(c.Enum) > 0 {
		return v
	}
	if r := []rune(s); len(r) > *c.MaxLength {
		return strings.TrimSpace(string(r[:max(*c.MaxLength, 0)]))
	}
	return v
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
