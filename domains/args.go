package domains

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"

	"github.com/simgym/simgym/domains/schema"
)

// jsonSchema is the part of a tool's parameter schema argument
// generators read.
type jsonSchema struct {
	Type       any                    `json:"type"`
	Format     string                 `json:"format"`
	Enum       []any                  `json:"enum"`
	Minimum    *float64               `json:"minimum"`
	Maximum    *float64               `json:"maximum"`
	MinLength  *int                   `json:"minLength"`
	MaxLength  *int                   `json:"maxLength"`
	MinItems   *int                   `json:"minItems"`
	MaxItems   *int                   `json:"maxItems"`
	Pattern    string                 `json:"pattern"`
	Properties map[string]*jsonSchema `json:"properties"`
	Required   []string               `json:"required"`
	Items      *jsonSchema            `json:"items"`
}

func (s *jsonSchema) typ() string {
	switch t := s.Type.(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if n, ok := e.(string); ok && n != "null" {
				return n
			}
		}
	}
	if len(s.Properties) > 0 {
		return "object"
	}
	return ""
}

// Schema returns the tool's parameter schema decoded for generators.
func (t *Tool) schema() *jsonSchema {
	var s jsonSchema
	if err := json.Unmarshal(t.Parameters, &s); err != nil {
		return &jsonSchema{Type: "object"}
	}
	return &s
}

// ArgGen draws random arguments for a domain's tools: valid ones (that
// pass the tool's schema, with ids drawn from rows that exist, so calls
// mostly succeed) and invalid ones (that the tool must reject).
type ArgGen struct {
	Domain *Domain
	Rand   *rand.Rand
}

// Valid draws arguments that satisfy the tool's schema. Ids of key and
// reference columns are taken from db's rows most of the time.
func (g *ArgGen) Valid(ctx context.Context, db DBTX, t *Tool) json.RawMessage {
	s := t.schema()
	op := g.Domain.Model.Op(t.Name)
	out := map[string]any{}
	for _, name := range sortedProps(s) {
		p := s.Properties[name]
		if !contains(s.Required, name) && g.Rand.IntN(2) == 0 {
			continue
		}
		if id, ok := g.existingID(ctx, db, op, name); ok && g.Rand.IntN(10) < 8 {
			out[name] = id
			continue
		}
		out[name] = g.value(p, 0)
	}
	data, _ := json.Marshal(out)
	return data
}

// existingID picks an existing row id for an argument that names a key
// or a reference.
func (g *ArgGen) existingID(ctx context.Context, db DBTX, op *schema.Op, arg string) (any, bool) {
	if op == nil || db == nil {
		return nil, false
	}
	for _, a := range op.Args {
		if a.Name != arg || a.Column == "" {
			continue
		}
		table := op.Table
		if a.Column != "id" {
			c := g.Domain.Table(op.Table).Column(a.Column)
			if c == nil || c.Ref == "" {
				return nil, false
			}
			table = c.Ref
		}
		var n int
		q := schema.Quote(table)
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+q).Scan(&n); err != nil || n == 0 {
			return nil, false
		}
		var id any
		if err := db.QueryRowContext(ctx, `SELECT "id" FROM `+q+` ORDER BY "id" LIMIT 1 OFFSET ?`, g.Rand.IntN(n)).Scan(&id); err != nil {
			return nil, false
		}
		if b, ok := id.([]byte); ok {
			id = string(b)
		}
		return id, true
	}
	return nil, false
}

func sortedProps(s *jsonSchema) []string {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var words = []string{"alpha", "harbor", "maple", "quartz", "river", "summit", "velvet", "willow", "cedar", "orbit"}

// value draws a value satisfying s.
func (g *ArgGen) value(s *jsonSchema, depth int) any {
	if len(s.Enum) > 0 {
		return s.Enum[g.Rand.IntN(len(s.Enum))]
	}
	switch s.typ() {
	case "integer":
		lo, hi := numBounds(s, 0, 100)
		lo, hi = math.Ceil(lo), math.Floor(hi)
		if hi < lo {
			return int64(lo)
		}
		return int64(lo) + g.Rand.Int64N(int64(hi-lo)+1)
	case "number":
		lo, hi := numBounds(s, 0, 100)
		return math.Round((lo+g.Rand.Float64()*(hi-lo))*100) / 100
	case "boolean":
		return g.Rand.IntN(2) == 0
	case "array":
		n := 1 + g.Rand.IntN(2)
		if s.MinItems != nil && *s.MinItems > n {
			n = *s.MinItems
		}
		if s.MaxItems != nil && *s.MaxItems < n {
			n = *s.MaxItems
		}
		items := make([]any, 0, n)
		for range n {
			if s.Items == nil || depth > 4 {
				items = append(items, words[g.Rand.IntN(len(words))])
				continue
			}
			items = append(items, g.value(s.Items, depth+1))
		}
		return items
	case "object":
		obj := map[string]any{}
		if depth > 4 {
			return obj
		}
		for _, n := range sortedProps(s) {
			if contains(s.Required, n) || g.Rand.IntN(2) == 0 {
				obj[n] = g.value(s.Properties[n], depth+1)
			}
		}
		return obj
	case "null":
		return nil
	}
	return g.str(s)
}

func numBounds(s *jsonSchema, lo, hi float64) (float64, float64) {
	if s.Minimum != nil {
		lo = *s.Minimum
		if s.Maximum == nil {
			hi = lo + 100
		}
	}
	if s.Maximum != nil {
		hi = *s.Maximum
		if s.Minimum == nil {
			lo = math.Min(0, hi-100)
		}
	}
	// Keep draws in a sane window inside wide ranges, so integers never
	// overflow and values stay readable.
	if hi-lo > 1e6 {
		switch {
		case lo <= 0 && hi >= 0:
			lo, hi = math.Max(lo, -1000), math.Min(hi, 1000)
		case lo > 0:
			hi = lo + 1000
		default:
			lo = hi - 1000
		}
	}
	const edge = 1 << 62
	lo, hi = math.Max(lo, -edge), math.Min(hi, edge)
	return lo, hi
}

func (g *ArgGen) str(s *jsonSchema) string {
	var v string
	switch s.Format {
	case "date":
		v = fmt.Sprintf("2026-%02d-%02d", 1+g.Rand.IntN(12), 1+g.Rand.IntN(28))
	case "date-time":
		v = fmt.Sprintf("2026-%02d-%02dT%02d:%02d:00Z", 1+g.Rand.IntN(12), 1+g.Rand.IntN(28), g.Rand.IntN(24), 15*g.Rand.IntN(4))
	case "time":
		v = fmt.Sprintf("%02d:%02d:00Z", g.Rand.IntN(24), 15*g.Rand.IntN(4))
	case "email":
		v = words[g.Rand.IntN(len(words))] + "@example.com"
	case "uri", "url", "uri-reference", "iri":
		v = "https://example.com/" + words[g.Rand.IntN(len(words))]
	case "uuid":
		v = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", g.Rand.Uint32(), g.Rand.IntN(1<<16), g.Rand.IntN(1<<12), g.Rand.IntN(1<<12), g.Rand.Int64N(1<<48))
	case "ipv4":
		v = fmt.Sprintf("10.%d.%d.%d", g.Rand.IntN(256), g.Rand.IntN(256), 1+g.Rand.IntN(254))
	case "hostname":
		v = words[g.Rand.IntN(len(words))] + ".example.com"
	default:
		v = words[g.Rand.IntN(len(words))]
	}
	if s.Pattern != "" {
		if re, err := regexp.Compile(s.Pattern); err == nil && !re.MatchString(v) {
			v = patternSample(re, g.Rand, v)
		}
	}
	if s.MinLength != nil {
		for len([]rune(v)) < *s.MinLength {
			v += "x"
		}
	}
	if s.MaxLength != nil && len([]rune(v)) > *s.MaxLength {
		v = string([]rune(v)[:*s.MaxLength])
	}
	return v
}

// patternSample tries simple candidates for a pattern; it returns the
// fallback when none matches (the call then counts as a tool error).
func patternSample(re *regexp.Regexp, r *rand.Rand, fallback string) string {
	cands := []string{"ABC", "abc", "123", "A1", "a1b2c3", "2026-01-01", "AB12", "x", "US", "USD", "abc-123", "ABC123"}
	for _, c := range cands {
		if re.MatchString(c) {
			return c
		}
	}
	digits := fmt.Sprint(r.IntN(1000000))
	if re.MatchString(digits) {
		return digits
	}
	return fallback
}

// Invalid returns argument sets the tool must reject, each with what is
// wrong with it: an undeclared argument, a missing required one, a wrong
// type, a value outside an enum or range, and a non-object.
func (g *ArgGen) Invalid(t *Tool) []InvalidArgs {
	s := t.schema()
	base := map[string]any{}
	for _, n := range s.Required {
		if p := s.Properties[n]; p != nil {
			base[n] = g.value(p, 0)
		}
	}
	with := func(k string, v any) json.RawMessage {
		m := map[string]any{}
		for bk, bv := range base {
			m[bk] = bv
		}
		m[k] = v
		data, _ := json.Marshal(m)
		return data
	}
	out := []InvalidArgs{
		{What: "undeclared argument", Args: with("zz_not_an_argument", 1)},
		{What: "not an object", Args: json.RawMessage(`["not", "an", "object"]`)},
	}
	if len(s.Required) > 0 {
		m := map[string]any{}
		for k, v := range base {
			if k != s.Required[0] {
				m[k] = v
			}
		}
		data, _ := json.Marshal(m)
		out = append(out, InvalidArgs{What: "missing required " + s.Required[0], Args: data})
	}
	for _, n := range sortedProps(s) {
		p := s.Properties[n]
		switch p.typ() {
		case "integer", "number":
			out = append(out, InvalidArgs{What: n + " of the wrong type", Args: with(n, "not a number")})
			if p.Maximum != nil {
				out = append(out, InvalidArgs{What: n + " above its maximum", Args: with(n, *p.Maximum+1)})
			}
		case "string":
			out = append(out, InvalidArgs{What: n + " of the wrong type", Args: with(n, 12345)})
			if len(p.Enum) > 0 {
				out = append(out, InvalidArgs{What: n + " outside its enum", Args: with(n, "zz-not-allowed")})
			}
		case "boolean":
			out = append(out, InvalidArgs{What: n + " of the wrong type", Args: with(n, "yes")})
		case "array":
			out = append(out, InvalidArgs{What: n + " of the wrong type", Args: with(n, "not an array")})
		case "object":
			out = append(out, InvalidArgs{What: n + " of the wrong type", Args: with(n, 7)})
		}
		if len(out) > 8 {
			break
		}
	}
	return out
}

// InvalidArgs is one argument set a tool must reject.
type InvalidArgs struct {
	What string
	Args json.RawMessage
}
