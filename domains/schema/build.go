package schema

import (
	"sort"
	"strings"

	"github.com/simgym/simgym/domains/value"
	"github.com/simgym/simgym/tools"
)

type builder struct {
	tables   map[string]*tableBuilder
	entities map[string]bool
	maxCols  int
}

type tableBuilder struct {
	name string
	cols map[string]*Column
	// used counts how many arguments use each column; used columns are
	// kept first when a table has too many.
	used map[string]int
}

func (b *builder) table(name string) *tableBuilder {
	t := b.tables[name]
	if t == nil {
		t = &tableBuilder{name: name, cols: map[string]*Column{}, used: map[string]int{}}
		t.cols["id"] = &Column{Name: "id", Key: "id", Type: TypeText, JSONType: "string", PK: true}
		b.tables[name] = t
	}
	return t
}

// addColumn adds (or merges into) the column for a JSON property and
// returns its name.
func (t *tableBuilder) addColumn(key string, s *tools.Schema) string {
	name := tools.Identifier(key)
	if name == "" {
		name = "field"
	}
	if name == "rowid" || name == "oid" || name == "rowid_" {
		name = name + "_value"
	}
	jt, st := columnType(s)
	c := t.cols[name]
	if c == nil {
		c = &Column{Name: name, Key: key, Type: st, JSONType: jt}
		if s != nil {
			c.Format = s.Format
			c.Enum = scalarEnum(s.Enum)
			c.Min, c.Max, c.MaxLength = s.Minimum, s.Maximum, s.MaxLength
			c.Pattern, c.Description = s.Pattern, s.Description
			c.Example = scalarExample(s)
		}
		t.cols[name] = c
		c.Semantic = string(value.Infer(c.Hints(t.name)))
		return name
	}
	defer func() {
		if !c.PK && c.Ref == "" {
			c.Semantic = string(value.Infer(c.Hints(t.name)))
		}
	}()
	if c.PK {
		// The key's type follows what identifies rows in the tools, when
		// they agree on integers.
		if st == TypeInteger && c.JSONType == "string" && c.Key == "id" && key != "id" {
			return name
		}
		if st == TypeInteger && c.Type == TypeText && jt == "integer" {
			c.Type, c.JSONType = TypeInteger, "integer"
		}
		return name
	}
	if c.Type != st || c.JSONType != jt {
		// Conflicting evidence: strings hold anything.
		if c.JSONType == "integer" && jt == "number" || c.JSONType == "number" && jt == "integer" {
			c.Type, c.JSONType = TypeReal, "number"
		} else if c.JSONType != jt {
			c.Type, c.JSONType, c.Format, c.Min, c.Max = TypeText, "string", "", nil, nil
			c.Enum = nil
		}
	}
	if c.Enum == nil && s != nil && c.JSONType == "string" {
		c.Enum = scalarEnum(s.Enum)
	}
	if s != nil && c.JSONType == jt {
		if c.Pattern == "" && c.JSONType == "string" {
			c.Pattern = s.Pattern
		}
		if c.Example == nil {
			c.Example = scalarExample(s)
		}
		if c.Description == "" {
			c.Description = s.Description
		}
	}
	if c.JSONType != "string" {
		c.Pattern = ""
	}
	return name
}

// scalarExample returns the spec's example of a scalar schema (the first
// of its examples when it has no single one).
func scalarExample(s *tools.Schema) any {
	ex := s.Example
	if ex == nil && len(s.Examples) > 0 {
		ex = s.Examples[0]
	}
	switch ex.(type) {
	case string, float64, bool, int, int64:
		return ex
	}
	return nil
}

func scalarEnum(vals []any) []any {
	var out []any
	for _, v := range vals {
		switch v.(type) {
		case string, float64, bool, int, int64:
			out = append(out, v)
		}
	}
	return out
}

// columnType maps a JSON Schema to (JSON type, SQL type).
func columnType(s *tools.Schema) (string, string) {
	if s == nil {
		return "string", TypeText
	}
	switch s.Type {
	case "integer":
		return "integer", TypeInteger
	case "number":
		return "number", TypeReal
	case "boolean":
		return "boolean", TypeInteger
	case "object":
		return "object", TypeText
	case "array":
		return "array", TypeText
	case "string", "":
		if s.Type == "" && len(s.Properties) > 0 {
			return "object", TypeText
		}
		return "string", TypeText
	}
	return "string", TypeText
}

// resultObject returns the object schema describing rows in a tool's
// result: the result itself, the items of an array result, or the first
// array-of-objects property of a wrapper ({"data": [...]}).
func resultObject(r *tools.Schema) *tools.Schema {
	if r == nil {
		return nil
	}
	if r.Type == "array" && r.Items != nil && len(r.Items.Properties) > 0 {
		return r.Items
	}
	if len(r.Properties) > 0 {
		for _, n := range r.PropertyNames() {
			p := r.Properties[n]
			if p.Type == "array" && p.Items != nil && len(p.Items.Properties) > 0 && len(r.Properties) <= 4 {
				return p.Items
			}
		}
		return r
	}
	return nil
}

// op maps a classified tool onto tables, adding the columns it needs.
func (b *builder) op(s *shape) *Op {
	t := b.table(s.entity)
	op := &Op{Tool: s.tool.Name, Kind: s.kind, Table: s.entity}
	if s.kind != Delete {
		if obj := resultObject(s.tool.Result); obj != nil {
			for _, n := range obj.PropertyNames() {
				t.addColumn(n, obj.Properties[n])
			}
		}
	}
	parentCol := ""
	if s.parent != "" {
		b.table(s.parent)
		parentCol = tools.Identifier(s.parent) + "_id"
		if c := t.cols[parentCol]; c == nil {
			t.cols[parentCol] = &Column{Name: parentCol, Key: parentCol, Type: TypeText, JSONType: "string", Ref: s.parent}
		}
	}
	params := s.tool.Parameters
	for _, n := range params.PropertyNames() {
		p := params.Properties[n]
		id := tools.Identifier(n)
		arg := &Arg{Name: n}
		scalar := p.Type != "object" && p.Type != "array"
		switch {
		case n == s.key:
			arg.Role, arg.Column = RoleKey, "id"
			t.addColumn("id", p)
		case n == s.pkey && parentCol != "":
			arg.Role, arg.Column = RoleFilter, parentCol
			if s.kind == Create {
				arg.Role = RoleColumn
			}
		case s.kind == List && (limitArgs[id] || limitArgs[strings.ReplaceAll(id, "_", "")]) && (p.Type == "integer" || p.Type == "number"):
			arg.Role = RoleLimit
		case s.kind == List && offsetArgs[id] && (p.Type == "integer" || p.Type == "number"):
			arg.Role = RoleOffset
		case s.kind == List && searchArgs[id] && (p.Type == "string" || p.Type == ""):
			arg.Role = RoleSearch
		case ignoredArgs[id] || strings.HasPrefix(n, "$") || p.In == "header" || p.In == "cookie":
			arg.Role = RoleIgnored
		case s.kind == Create || s.kind == Update:
			arg.Role, arg.Column = RoleColumn, t.addColumn(n, p)
		case (s.kind == List || s.kind == Delete) && scalar:
			arg.Role, arg.Column = RoleFilter, t.addColumn(n, p)
		default:
			arg.Role = RoleIgnored
		}
		if arg.Column != "" {
			t.used[arg.Column]++
		}
		op.Args = append(op.Args, arg)
	}
	return op
}

// state adds the fixed state an action writes (status = "cancelled").
// It runs once every op has added its columns, so the state matches the
// status column's enum whichever tool declared it.
func (b *builder) state(op *Op, s *shape) {
	if s.action == "" {
		return
	}
	t := b.table(s.entity)
	col := statusColumn(t, s.action)
	if col == nil {
		name := "status"
		if c := t.cols[name]; c != nil {
			// A "status" that cannot hold states (a number, a code) keeps
			// its meaning; the lifecycle gets its own column.
			name = "lifecycle_status"
		}
		if t.cols[name] == nil {
			t.cols[name] = &Column{Name: name, Key: name, Type: TypeText, JSONType: "string"}
		}
		col = t.cols[name]
	}
	t.used[col.Name]++
	op.Sets = append(op.Sets, &Set{Column: col.Name, Value: stateValue(col, s.action)})
}

// statusColumn finds the column that holds an entity's state for an
// action: "status", "state", "*_status" or "*_state", as text. A column
// with a closed set of values must have a value the action leads to, or
// one of the usual lifecycle states; a "state" without one is taken for
// a place (a US state), never a lifecycle.
func statusColumn(t *tableBuilder, action string) *Column {
	names := make([]string, 0, len(t.cols))
	for n := range t.cols {
		names = append(names, n)
	}
	sort.Strings(names)
	var cands []string
	for _, n := range []string{"status", "state", "lifecycle_status"} {
		if t.cols[n] != nil {
			cands = append(cands, n)
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, "_status") && n != "lifecycle_status" || strings.HasSuffix(n, "_state") {
			cands = append(cands, n)
		}
	}
	for _, n := range cands {
		c := t.cols[n]
		if c.JSONType != "string" || c.PK || c.Ref != "" {
			continue
		}
		isStatus := n == "status" || n == "lifecycle_status" || strings.HasSuffix(n, "_status")
		if len(c.Enum) == 0 && isStatus || len(c.Enum) > 0 && fitsLifecycle(c, action) {
			return c
		}
	}
	return nil
}

// fitsLifecycle reports whether a column's closed set of values looks
// like lifecycle states for an action: it has the state the action
// leads to, or a usual lifecycle state.
func fitsLifecycle(c *Column, action string) bool {
	want := actionStates[action]
	stem := strings.TrimSuffix(strings.TrimSuffix(action, "e"), "_")
	for _, e := range c.Enum {
		v, ok := e.(string)
		if !ok {
			continue
		}
		l := strings.ToLower(v)
		if l == want || strings.HasPrefix(l, stem) || lifecycleStates[l] {
			return true
		}
	}
	return false
}

// lifecycleStates are values that, in a column's enum, mark it as a
// lifecycle (besides what actions lead to).
var lifecycleStates = func() map[string]bool {
	m := wordSet("pending", "requested", "held", "reserved", "placed", "booked", "scheduled", "draft", "new",
		"open", "active", "inactive", "in_progress", "processing", "paid", "unpaid", "waiting", "queued", "running")
	for _, s := range actionStates {
		m[s] = true
	}
	for s := range terminalWords {
		m[s] = true
	}
	return m
}()

// stateValue picks the state an action leaves: the column's enum value
// that best matches, else the action's past tense.
func stateValue(c *Column, action string) string {
	want := actionStates[action]
	stem := strings.TrimSuffix(strings.TrimSuffix(action, "e"), "_")
	for _, pass := range []func(string) bool{
		func(v string) bool { return strings.EqualFold(v, want) },
		func(v string) bool { return strings.HasPrefix(strings.ToLower(v), stem) },
	} {
		for _, e := range c.Enum {
			if v, ok := e.(string); ok && pass(v) {
				return v
			}
		}
	}
	if len(c.Enum) > 0 {
		// A closed set without a matching state: widen it.
		c.Enum = append(c.Enum, want)
	}
	return want
}

// finish turns the table builders into sorted tables, links foreign
// keys, and bounds column counts.
func (b *builder) finish(rows int) []*Table {
	names := make([]string, 0, len(b.tables))
	for n := range b.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*Table
	for _, n := range names {
		tb := b.tables[n]
		cols := make([]*Column, 0, len(tb.cols))
		for _, c := range tb.cols {
			if !c.PK && c.Ref == "" && strings.HasSuffix(c.Name, "_id") {
				ref := tableName(strings.TrimSuffix(c.Name, "_id"))
				if ref != n && b.tables[ref] != nil && c.JSONType != "object" && c.JSONType != "array" {
					c.Ref = ref
				}
			}
			cols = append(cols, c)
		}
		sort.Slice(cols, func(i, j int) bool {
			a, c := cols[i], cols[j]
			if a.PK != c.PK {
				return a.PK
			}
			return a.Name < c.Name
		})
		if len(cols) > b.maxCols {
			keep := cols[:1]
			var rest []*Column
			for _, c := range cols[1:] {
				if tb.used[c.Name] > 0 || c.Ref != "" {
					keep = append(keep, c)
				} else {
					rest = append(rest, c)
				}
			}
			for _, c := range rest {
				if len(keep) >= b.maxCols {
					break
				}
				keep = append(keep, c)
			}
			sort.Slice(keep[1:], func(i, j int) bool { return keep[1+i].Name < keep[1+j].Name })
			cols = keep
		}
		out = append(out, &Table{Name: n, Columns: cols, Rows: rows})
	}
	// A column dropped for size is used by no argument, so ops stay valid.
	return out
}
