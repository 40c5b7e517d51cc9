package schema

import (
	"strings"

	"github.com/simgym/simgym/tools"
)

// Result-less tools (function-calling specs such as tau-bench's, whose
// results are bare strings or absent) say what they touch only through
// their names, descriptions and parameters. The functions here refine
// what classify and the builder learn from such tools: the entity a
// "find_user_id_by_email" looks up (the user, not the email), writes
// whose verb classify does not know ("exchange"), and the fields a
// "get_product_details" promises in its description.

// extraWriteVerbs change state but are in none of classify's verb lists.
var extraWriteVerbs = wordSet("exchange", "swap", "replace", "return", "refund", "cancel", "modify", "book", "update",
	"change", "edit", "amend", "rebook", "upgrade", "downgrade", "redeem", "charge", "credit", "debit", "renew")

// field is a column that a description word promises.
type field struct {
	column string
	schema *tools.Schema
}

// describedFields maps the words (and word pairs, joined by "_") that
// descriptions use for an entity's fields to the column they become.
var describedFields = func() map[string]field {
	str := func(format string) *tools.Schema { return &tools.Schema{Type: "string", Format: format} }
	num := &tools.Schema{Type: "number"}
	integer := &tools.Schema{Type: "integer"}
	boolean := &tools.Schema{Type: "boolean"}
	list := &tools.Schema{Type: "array", Items: &tools.Schema{Type: "object"}}
	object := &tools.Schema{Type: "object"}
	m := map[string]field{}
	add := func(col string, s *tools.Schema, words ...string) {
		for _, w := range append(words, col) {
			m[w] = field{col, s}
		}
	}
	add("name", str(""), "names")
	add("title", str(""), "titles")
	add("description", str(""), "descriptions")
	add("first_name", str(""))
	add("last_name", str(""))
	add("email", str("email"), "emails", "email_address")
	add("phone", str(""), "phone_number", "telephone")
	add("address", str(""), "addresses")
	add("shipping_address", str(""))
	add("billing_address", str(""))
	add("city", str(""), "cities")
	add("country", str(""), "countries")
	add("zip", str(""), "postal_code", "zip_code", "postcode")
	add("status", str(""), "statuses")
	add("date", str("date"), "dates")
	add("category", str(""), "categories")
	add("brand", str(""), "brands")
	add("color", str(""), "colour", "colors")
	add("size", str(""), "sizes")
	add("currency", str(""))
	add("notes", str(""), "note")
	add("price", num, "prices")
	add("cost", num, "costs")
	add("amount", num, "amounts")
	add("total", num, "totals")
	add("balance", num, "balances")
	add("rating", num, "ratings")
	add("weight", num)
	add("quantity", integer, "quantities")
	add("available", boolean, "availability")
	add("options", object, "option")
	add("variants", list, "variant")
	add("items", list, "item")
	add("tags", &tools.Schema{Type: "array", Items: &tools.Schema{Type: "string"}}, "tag")
	add("payment_methods", list, "payment_method")
	add("payment_history", list, "payments")
	return m
}()

// resultless reports whether a tool is classified from its name alone:
// no HTTP route and no result object to learn columns from.
func resultless(t *tools.Tool) bool {
	return (t.Path == "" || t.Method == "") && resultObject(t.Result) == nil
}

// refineResultless corrects the shapes of result-less tools once every
// tool is classified:
//   - a name "<verb>_<entity>_..._by_<criteria>" looks up the entity by
//     the criteria, which are filters and not entities of their own;
//   - a read whose name verb (or, for an unknown verb, whose
//     description's first word) changes state is a write: an update of
//     the row its key selects, else a create (a tool with neither key
//     nor arguments stays a read, as in classifyName);
//   - a keyless tool named after a compound noun whose words include an
//     entity that other tools select by id acts on that entity
//     ("list_all_product_types" on product).
func refineResultless(shapes []*shape) {
	keyed := map[string]bool{}
	for _, s := range shapes {
		if !resultless(s.tool) {
			continue
		}
		words := nameWordsOf(s.tool)
		if k := indexOf(words, "by"); k >= 2 && s.key == "" {
			redo := &shape{tool: s.tool}
			classifyName(redo, words[:k], words[0])
			if redo.entity != "" {
				s.entity, s.key, s.kind, s.action = tableName(redo.entity), redo.key, redo.kind, redo.action
			}
		}
		if !s.kind.IsWrite() && writes(s.tool, words) && (s.key != "" || s.hasAnyArg()) {
			s.kind = Create
			if s.key != "" {
				s.kind = Update
			}
		}
		if s.key != "" {
			keyed[s.entity] = true
		}
	}
	for _, s := range shapes {
		if !resultless(s.tool) || s.key != "" || keyed[s.entity] {
			continue
		}
		words := nameWordsOf(s.tool)
		for i := len(words) - 1; i >= 1; i-- {
			if e := tableName(words[i]); keyed[e] {
				s.entity = e
				break
			}
		}
	}
}

func nameWordsOf(t *tools.Tool) []string {
	if ws := tools.Words(t.OriginalName); len(ws) > 0 {
		return ws
	}
	return tools.Words(t.Name)
}

func indexOf(ws []string, w string) int {
	for i, x := range ws {
		if x == w {
			return i
		}
	}
	return -1
}

// writes reports whether a tool's verb says it changes state: the first
// word of its name, or, when that is no verb classify knows, the first
// word of its description.
func writes(t *tools.Tool, words []string) bool {
	if len(words) == 0 {
		return false
	}
	isWrite := func(v string) bool {
		return extraWriteVerbs[v] || createVerbs[v] || updateVerbs[v] || deleteVerbs[v] ||
			actionStates[v] != "" && !readVerbs[v]
	}
	verb := words[0]
	if readVerbs[verb] {
		return false
	}
	if isWrite(verb) {
		return true
	}
	if dw := tools.Words(t.Description); len(dw) > 0 {
		return isWrite(dw[0]) && !readVerbs[dw[0]]
	}
	return false
}

// describeFields adds to each entity that no tool gives a result object
// for, but that a result-less tool reads by key ("get_product_details"),
// the fields the descriptions of its reading tools name (a write's
// description tells what it does, not what the entity holds): "its name and, for
// each variant, the options, price and availability" gives name,
// variants, options, price and available. Words naming an entity of the
// domain are relations, not fields, and a field already present (or
// split into columns, as address into address_1 and address_2) is not
// added again.
func (b *builder) describeFields(shapes []*shape) {
	described := map[string]bool{}
	withResult := map[string]bool{}
	for _, s := range shapes {
		switch {
		case !resultless(s.tool):
			withResult[s.entity] = true
		case s.kind == Get:
			described[s.entity] = true
		}
	}
	for _, s := range shapes {
		if !described[s.entity] || withResult[s.entity] || !resultless(s.tool) || s.kind.IsWrite() {
			continue
		}
		t := b.table(s.entity)
		words := tools.Words(s.tool.Description)
		for i := 0; i < len(words); i++ {
			f, ok := field{}, false
			if i+1 < len(words) {
				f, ok = describedFields[words[i]+"_"+words[i+1]]
				if ok {
					i++
				}
			}
			if !ok {
				f, ok = describedFields[words[i]]
			}
			if !ok || b.entities[tableName(f.column)] || tableName(f.column) == s.entity || hasField(t, f.column) {
				continue
			}
			t.addColumn(f.column, f.schema)
		}
	}
}

// hasField reports whether a table has the column or columns split from
// it ("address_1").
func hasField(t *tableBuilder, col string) bool {
	if t.cols[col] != nil {
		return true
	}
	for n := range t.cols {
		if strings.HasPrefix(n, col+"_") {
			return true
		}
	}
	return false
}
