package codegen

import (
	"encoding/json"
	"fmt"
	gotoken "go/token"
	"regexp"
	"strconv"
	"strings"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
)

// toolCode builds the view of one tool: its argument struct, its SQL and
// the body of its handler.
func toolCode(m *schema.Model, op *schema.Op, t *tools.Tool, funcs map[string]bool) (*toolView, error) {
	table := m.Table(op.Table)
	if table == nil {
		return nil, fmt.Errorf("unknown table %s", op.Table)
	}
	goName := GoName(t.Name)
	fn := lowerFirst(goName)
	for n := 2; funcs[fn] || reserved(fn); n++ {
		fn = fmt.Sprintf("%s%d", lowerFirst(goName), n)
	}
	funcs[fn] = true
	tv := &toolView{
		Name:        t.Name,
		Description: t.Description,
		Func:        fn,
		ArgsType:    goName + "Args",
	}
	if tv.Description == "" {
		tv.Description = defaultDescription(op)
	}
	params, err := json.Marshal(paramSchema(t.Parameters, true))
	if err != nil {
		return nil, err
	}
	tv.Params = strconv.Quote(string(params))

	// Fields, in the order of the schema's sorted property names.
	fields := map[string]string{} // arg name -> field name
	taken := map[string]bool{}
	var pick []string // lines decoding fields whose names cannot be tags
	for _, name := range t.Parameters.PropertyNames() {
		p := t.Parameters.Properties[name]
		f := GoName(name)
		for n := 2; taken[f]; n++ {
			f = fmt.Sprintf("%s%d", GoName(name), n)
		}
		taken[f] = true
		fields[name] = f
		fv := fieldView{Name: f, Type: goType(p), Comment: oneLine(p.Description)}
		if jsonTagSafe.MatchString(name) {
			fv.Tag = fmt.Sprintf("`json:%s`", strconv.Quote(name+",omitempty"))
		} else {
			fv.Tag = "`json:\"-\"`"
			pick = append(pick, fmt.Sprintf("if err := domains.DecodeField(args, %s, &a.%s); err != nil {\nreturn nil, err\n}", strconv.Quote(name), f))
		}
		tv.Fields = append(tv.Fields, fv)
	}
	bind := func(a *schema.Arg) string {
		if goType(t.Parameters.Properties[a.Name]) == "json.RawMessage" {
			return "domains.JSONText(a." + fields[a.Name] + ")"
		}
		return "domains.Val(a." + fields[a.Name] + ")"
	}
	var key *schema.Arg
	var filters, searches []*schema.Arg
	var limit, offset *schema.Arg
	colArgs := map[string][]*schema.Arg{}
	var colOrder []string
	for _, a := range op.Args {
		switch a.Role {
		case schema.RoleKey:
			if key == nil {
				key = a
			}
		case schema.RoleFilter:
			filters = append(filters, a)
		case schema.RoleSearch:
			searches = append(searches, a)
		case schema.RoleLimit:
			limit = a
		case schema.RoleOffset:
			offset = a
		case schema.RoleColumn:
			if a.Column == "id" {
				continue
			}
			if colArgs[a.Column] == nil {
				colOrder = append(colOrder, a.Column)
			}
			colArgs[a.Column] = append(colArgs[a.Column], a)
		}
	}
	// Columns a fixed value sets are not also taken from arguments.
	setCols := map[string]bool{}
	for _, s := range op.Sets {
		setCols[s.Column] = true
	}
	var cols []string
	for _, c := range colOrder {
		if !setCols[c] {
			cols = append(cols, c)
		}
	}
	colBind := func(c string) string {
		args := colArgs[c]
		if len(args) == 1 {
			return bind(args[0])
		}
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = bind(a)
		}
		return "domains.First(" + strings.Join(parts, ", ") + ")"
	}
	keyBind := "nil"
	if key != nil {
		keyBind = bind(key)
	}
	selectCols := make([]string, len(table.Columns))
	for i, c := range table.Columns {
		selectCols[i] = schema.Quote(c.Name)
	}
	sel := "SELECT " + strings.Join(selectCols, ", ") + " FROM " + schema.Quote(table.Name)
	q := schema.Quote
	tableLit := strconv.Quote(table.Name)
	constName := func(suffix string) string { return fn + suffix }
	var body strings.Builder
	fmt.Fprintf(&body, "var a %s\nif err := domains.Decode(args, &a); err != nil {\nreturn nil, err\n}\n", tv.ArgsType)
	for _, p := range pick {
		body.WriteString(p + "\n")
	}
	filterSQL := func(start int, fs []*schema.Arg) (string, []string) {
		var conds, binds []string
		for i, f := range fs {
			n := start + i
			conds = append(conds, fmt.Sprintf("(?%d IS NULL OR %s = ?%d)", n, q(f.Column), n))
			binds = append(binds, bind(f))
		}
		return strings.Join(conds, " AND "), binds
	}
	switch op.Kind {
	case schema.Get:
		where := "\"id\" = ?1"
		fs, fb := filterSQL(2, filters)
		if fs != "" {
			where += " AND " + fs
		}
		tv.SQL = append(tv.SQL, sqlConst{constName("SQL"), sel + " WHERE " + where})
		fmt.Fprintf(&body, "return domain.GetRow(ctx, db, %s, %s, %s)", tableLit, constName("SQL"), strings.Join(append([]string{keyBind}, fb...), ", "))
	case schema.List:
		var conds, binds []string
		fs, fb := filterSQL(1, filters)
		if fs != "" {
			conds = append(conds, fs)
			binds = append(binds, fb...)
		}
		if len(searches) > 0 {
			var text []string
			for _, c := range table.Columns {
				if c.JSONType == "string" {
					text = append(text, q(c.Name)+` LIKE ?%[1]d ESCAPE '\'`)
				}
			}
			for _, s := range searches {
				n := len(binds) + 1
				ors := make([]string, len(text))
				for i, tx := range text {
					ors[i] = fmt.Sprintf(tx, n)
				}
				conds = append(conds, fmt.Sprintf("(?%d IS NULL OR %s)", n, strings.Join(ors, " OR ")))
				binds = append(binds, "domains.Like(a."+fields[s.Name]+")")
			}
		}
		where := ""
		if len(conds) > 0 {
			where = " WHERE " + strings.Join(conds, " AND ")
		}
		ln := len(binds) + 1
		lim := fmt.Sprintf("int64(%d)", defaultLimit(t, limit))
		if limit != nil {
			lim = fmt.Sprintf("domains.Limit(a.%s, %d)", fields[limit.Name], defaultLimit(t, limit))
		}
		off := "int64(0)"
		if offset != nil {
			off = fmt.Sprintf("domains.Offset(a.%s)", fields[offset.Name])
		}
		binds = append(binds, lim, off)
		tv.SQL = append(tv.SQL, sqlConst{constName("SQL"), fmt.Sprintf("%s%s ORDER BY \"id\" LIMIT ?%d OFFSET ?%d", sel, where, ln, ln+1)})
		fmt.Fprintf(&body, "return domain.ListRows(ctx, db, %s, %s, %s)", tableLit, constName("SQL"), strings.Join(binds, ", "))
	case schema.Create:
		names := []string{"id"}
		vals := []string{keyBind}
		for _, c := range cols {
			names = append(names, c)
			vals = append(vals, colBind(c))
		}
		for _, s := range op.Sets {
			names = append(names, s.Column)
			vals = append(vals, fmt.Sprintf("%#v", s.Value))
		}
		quoted := make([]string, len(names))
		marks := make([]string, len(names))
		for i, n := range names {
			quoted[i] = q(n)
			marks[i] = fmt.Sprintf("?%d", i+1)
		}
		tv.SQL = append(tv.SQL,
			sqlConst{constName("SQL"), fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", q(table.Name), strings.Join(quoted, ", "), strings.Join(marks, ", "))},
			sqlConst{constName("RowSQL"), sel + ` WHERE "id" = ?1`})
		fmt.Fprintf(&body, "return domain.Insert(ctx, db, %s, %s, %s, %s, []any{%s})", tableLit, constName("SQL"), constName("RowSQL"), goStrings(names), strings.Join(vals, ", "))
	case schema.Update:
		names := []string{"id"}
		vals := []string{keyBind}
		var sets []string
		for _, c := range cols {
			names = append(names, c)
			vals = append(vals, colBind(c))
			sets = append(sets, fmt.Sprintf("%s = COALESCE(?%d, %s)", q(c), len(names), q(c)))
		}
		for _, s := range op.Sets {
			names = append(names, s.Column)
			vals = append(vals, fmt.Sprintf("%#v", s.Value))
			sets = append(sets, fmt.Sprintf("%s = ?%d", q(s.Column), len(names)))
		}
		if len(sets) == 0 {
			sets = []string{`"id" = "id"`}
		}
		where := `"id" = ?1`
		for _, f := range filters {
			names = append(names, f.Column)
			vals = append(vals, bind(f))
			where += fmt.Sprintf(" AND (?%d IS NULL OR %s = ?%d)", len(names), q(f.Column), len(names))
		}
		if table.Lifecycle.Transition(op.Tool) != nil {
			fmt.Fprintf(&body, "if err := domain.Guard(ctx, db, %s, %s); err != nil {\nreturn nil, err\n}\n", strconv.Quote(op.Tool), keyBind)
		}
		tv.SQL = append(tv.SQL,
			sqlConst{constName("SQL"), fmt.Sprintf("UPDATE %s SET %s WHERE %s", q(table.Name), strings.Join(sets, ", "), where)},
			sqlConst{constName("RowSQL"), sel + ` WHERE "id" = ?1`})
		fmt.Fprintf(&body, "return domain.Update(ctx, db, %s, %s, %s, %s, []any{%s})", tableLit, constName("SQL"), constName("RowSQL"), goStrings(names), strings.Join(vals, ", "))
	case schema.Delete:
		if key != nil {
			where := `"id" = ?1`
			fs, fb := filterSQL(2, filters)
			if fs != "" {
				where += " AND " + fs
			}
			tv.SQL = append(tv.SQL, sqlConst{constName("SQL"), fmt.Sprintf("DELETE FROM %s WHERE %s", q(table.Name), where)})
			fmt.Fprintf(&body, "return domain.DeleteRow(ctx, db, %s, %s, %s)", tableLit, constName("SQL"), strings.Join(append([]string{keyBind}, fb...), ", "))
			break
		}
		fs, fb := filterSQL(1, filters)
		if fs == "" {
			fs = "0"
		}
		tv.SQL = append(tv.SQL, sqlConst{constName("SQL"), fmt.Sprintf("DELETE FROM %s WHERE %s", q(table.Name), fs)})
		fmt.Fprintf(&body, "return domain.DeleteWhere(ctx, db, %s, %s%s)", tableLit, constName("SQL"), prefixed(fb))
	default:
		return nil, fmt.Errorf("unknown kind %q", op.Kind)
	}
	tv.Body = body.String()
	for i := range tv.SQL {
		tv.SQL[i].SQL = strconv.Quote(tv.SQL[i].SQL)
	}
	return tv, nil
}

func prefixed(binds []string) string {
	if len(binds) == 0 {
		return ""
	}
	return ", " + strings.Join(binds, ", ")
}

func reserved(name string) bool {
	return predeclared[name] || gotoken.IsKeyword(name)
}

func goStrings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func defaultLimit(t *tools.Tool, limit *schema.Arg) int64 {
	if limit != nil {
		if d, ok := t.Parameters.Properties[limit.Name].Default.(float64); ok && d >= 1 && d <= 100 {
			return int64(d)
		}
	}
	return 20
}

func defaultDescription(op *schema.Op) string {
	switch op.Kind {
	case schema.Get:
		return "Get one " + op.Table + " by id."
	case schema.List:
		return "List " + op.Table + " records."
	case schema.Create:
		return "Create a " + op.Table + "."
	case schema.Update:
		return "Update a " + op.Table + "."
	}
	return "Delete a " + op.Table + "."
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 100 {
		cut := 100
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ReplaceAll(s, "*/", "* /")
}

// paramSchema renders a tool schema as standard JSON Schema for agents
// and for validation: OpenAPI's nullable becomes a type list, patterns Go
// cannot compile and contradictory bounds are dropped, and the top level
// accepts no undeclared arguments.
func paramSchema(s *tools.Schema, top bool) map[string]any {
	out := map[string]any{}
	if s == nil {
		return out
	}
	if s.Type != "" {
		if s.Nullable {
			out["type"] = []any{s.Type, "null"}
		} else {
			out["type"] = s.Type
		}
	}
	if s.Description != "" && !top {
		out["description"] = s.Description
	}
	if s.Format != "" {
		out["format"] = s.Format
	}
	if len(s.Enum) > 0 {
		enum := append([]any(nil), s.Enum...)
		if s.Nullable {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if s.Default != nil && !top {
		out["default"] = s.Default
	}
	if s.Minimum != nil && s.Maximum != nil && *s.Minimum > *s.Maximum {
		// Contradictory: keep neither.
	} else {
		if s.Minimum != nil {
			out["minimum"] = *s.Minimum
		}
		if s.Maximum != nil {
			out["maximum"] = *s.Maximum
		}
	}
	if s.MinLength != nil && (s.MaxLength == nil || *s.MinLength <= *s.MaxLength) {
		out["minLength"] = *s.MinLength
	}
	if s.MaxLength != nil && (s.MinLength == nil || *s.MinLength <= *s.MaxLength) {
		out["maxLength"] = *s.MaxLength
	}
	if s.MinItems != nil && (s.MaxItems == nil || *s.MinItems <= *s.MaxItems) {
		out["minItems"] = *s.MinItems
	}
	if s.MaxItems != nil && (s.MinItems == nil || *s.MinItems <= *s.MaxItems) {
		out["maxItems"] = *s.MaxItems
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err == nil {
			out["pattern"] = s.Pattern
		}
	}
	if len(s.Properties) > 0 || top {
		props := map[string]any{}
		for _, n := range s.PropertyNames() {
			props[n] = paramSchema(s.Properties[n], false)
		}
		out["properties"] = props
		if len(s.Required) > 0 {
			out["required"] = s.Required
		}
	}
	if s.Items != nil {
		out["items"] = paramSchema(s.Items, false)
	}
	if top {
		out["type"] = "object"
		out["additionalProperties"] = false
	}
	return out
}
