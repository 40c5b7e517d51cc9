package domains

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/domains/value"
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
	Example    any                    `json:"example"`
	Examples   []any                  `json:"examples"`
	Desc       string                 `json:"description"`
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
// mostly succeed) and invalid ones (that the tool must reject). Values
// follow what each argument means (package value): a beneficiary's name
// is a person's name, an IBAN has valid check digits.
type ArgGen struct {
	Domain *Domain
	Rand   *rand.Rand
	// Drawn counts the values drawn, by semantic type.
	Drawn map[string]int

	faker *gofakeit.Faker
	src   *rand.Rand
	types map[string]value.Type
}

func (g *ArgGen) fake() *gofakeit.Faker {
	if g.faker == nil || g.src != g.Rand {
		g.faker, g.src = gofakeit.NewFaker(g.Rand, false), g.Rand
	}
	return g.faker
}

// Valid draws arguments that satisfy the tool's schema. Ids of key and
// reference columns are taken from db's rows most of the time.
func (g *ArgGen) Valid(ctx context.Context, db DBTX, t *Tool) json.RawMessage {
	s := t.schema()
	op := g.Domain.Model.Op(t.Name)
	out := map[string]any{}
	var draw []string
	for _, name := range sortedProps(s) {
		if !contains(s.Required, name) && g.Rand.IntN(2) == 0 {
			continue
		}
		if id, ok := g.existingID(ctx, db, op, name); ok && g.Rand.IntN(10) < 8 {
			out[name] = id
			continue
		}
		draw = append(draw, name)
	}
	for k, v := range g.object(s, draw, t.Name, entityOf(op, t.Name), 0) {
		out[k] = v
	}
	data, _ := json.Marshal(out)
	return data
}

// entityOf names the entity a tool acts on: its op's table, else the
// noun its name ends with.
func entityOf(op *schema.Op, tool string) string {
	if op != nil {
		return op.Table
	}
	ws := strings.FieldsFunc(strings.ToLower(tool), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	for i := len(ws) - 1; i >= 0; i-- {
		switch ws[i] {
		case "get", "list", "create", "update", "delete", "search", "find", "add", "remove", "cancel", "book", "by", "id", "all":
			continue
		}
		return strings.TrimSuffix(ws[i], "s")
	}
	return ""
}

// object draws the named properties of s as one row, so values that go
// together agree (an email made from the name beside it).
func (g *ArgGen) object(s *jsonSchema, names []string, path, table string, depth int) map[string]any {
	out := map[string]any{}
	var fields []value.Field
	var scalars []string
	for _, n := range names {
		p := s.Properties[n]
		switch p.typ() {
		case "object", "array":
			out[n] = g.value(p, n, path+"."+n, table, depth+1)
			continue
		}
		h := hints(p, n, table)
		fields = append(fields, value.Field{Hints: h, Type: g.typeOf(path+"."+n, h)})
		scalars = append(scalars, n)
	}
	vals := value.Row(g.fake(), fields, nil)
	for i, n := range scalars {
		out[n] = vals[i]
		g.count(fields[i].Type)
	}
	return out
}

func (g *ArgGen) count(t value.Type) {
	if g.Drawn == nil {
		g.Drawn = map[string]int{}
	}
	g.Drawn[string(t)]++
}

// typeOf infers an argument's semantic type once per schema path.
func (g *ArgGen) typeOf(path string, h value.Hints) value.Type {
	if t, ok := g.types[path]; ok {
		return t
	}
	if g.types == nil {
		g.types = map[string]value.Type{}
	}
	t := value.Infer(h)
	if len(g.types) < 1<<16 {
		g.types[path] = t
	}
	return t
}

func hints(s *jsonSchema, name, table string) value.Hints {
	h := value.Hints{
		Name: name, Table: table, JSONType: s.typ(), Format: s.Format, Pattern: s.Pattern,
		Enum: s.Enum, Example: s.Example, Description: s.Desc,
		Min: s.Minimum, Max: s.Maximum, MinLength: s.MinLength, MaxLength: s.MaxLength,
	}
	if h.Example == nil && len(s.Examples) > 0 {
		h.Example = s.Examples[0]
	}
	if h.JSONType == "" {
		h.JSONType = "string"
	}
	return h
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

// value draws a value satisfying s, for the argument or item of the
// given name.
func (g *ArgGen) value(s *jsonSchema, name, path, table string, depth int) any {
	switch s.typ() {
	case "array":
		n := 1 + g.Rand.IntN(2)
		if s.MinItems != nil && *s.MinItems > n {
			n = *s.MinItems
		}
		if s.MaxItems != nil && *s.MaxItems < n {
			n = *s.MaxItems
		}
		items := make([]any, 0, n)
		item := s.Items
		if item == nil || depth > 4 {
			item = &jsonSchema{Type: "string"}
		}
		for range n {
			items = append(items, g.value(item, singular(name), path+"[]", table, depth+1))
		}
		return items
	case "object":
		if depth > 4 {
			return map[string]any{}
		}
		var names []string
		for _, n := range sortedProps(s) {
			if contains(s.Required, n) || g.Rand.IntN(2) == 0 {
				names = append(names, n)
			}
		}
		return g.object(s, names, path, table, depth)
	}
	h := hints(s, name, table)
	t := g.typeOf(path, h)
	g.count(t)
	return value.Generate(g.fake(), t, h)
}

func singular(name string) string {
	switch {
	case strings.HasSuffix(name, "ies"):
		return strings.TrimSuffix(name, "ies") + "y"
	case strings.HasSuffix(name, "ses"), strings.HasSuffix(name, "xes"):
		return strings.TrimSuffix(name, "es")
	case strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss"):
		return strings.TrimSuffix(name, "s")
	}
	return name
}

// Invalid returns argument sets the tool must reject, each with what is
// wrong with it: an undeclared argument, a missing required one, a wrong
// type, a value outside an enum or range, and a non-object.
func (g *ArgGen) Invalid(t *Tool) []InvalidArgs {
	s := t.schema()
	base := map[string]any{}
	for _, n := range s.Required {
		if p := s.Properties[n]; p != nil {
			base[n] = g.value(p, n, t.Name+"."+n, entityOf(g.Domain.Model.Op(t.Name), t.Name), 0)
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
