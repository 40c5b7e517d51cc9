package schema_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
)

// TestResultlessRetail infers the retail-shaped fixture (tools without
// result schemas): one order table written by cancel, exchange and
// return; users found by email or name and zip rather than tables of
// emails and zips; product fields from the descriptions.
func TestResultlessRetail(t *testing.T) {
	m := schema.Infer("retail", readCase(t, "testdata/retail_openai"), schema.Options{})
	var names []string
	for _, tb := range m.Tables {
		names = append(names, tb.Name)
	}
	assert.Equal(t, []string{"agent", "calculate", "order", "product", "think", "user"}, names)

	ops := []struct {
		tool  string
		kind  schema.Kind
		table string
	}{
		{"cancel_pending_order", schema.Update, "order"},
		{"exchange_delivered_order_items", schema.Update, "order"},
		{"return_delivered_order_items", schema.Update, "order"},
		{"modify_pending_order_items", schema.Update, "order"},
		{"get_order_details", schema.Get, "order"},
		{"find_user_id_by_email", schema.List, "user"},
		{"find_user_id_by_name_zip", schema.List, "user"},
		{"list_all_product_types", schema.List, "product"},
		{"get_product_details", schema.Get, "product"},
		{"think", schema.List, "think"},
	}
	for _, o := range ops {
		op := m.Op(o.tool)
		require.NotNil(t, op, o.tool)
		assert.Equal(t, o.kind, op.Kind, "%s kind", o.tool)
		assert.Equal(t, o.table, op.Table, "%s table", o.tool)
	}
	assert.Equal(t, []string{"email=filter:email"}, roles(m.Op("find_user_id_by_email")))
	assert.Equal(t, []string{"first_name=filter:first_name", "last_name=filter:last_name", "zip=filter:zip"},
		roles(m.Op("find_user_id_by_name_zip")))

	cols := func(table string) map[string]string {
		out := map[string]string{}
		for _, c := range m.Table(table).Columns {
			out[c.Name] = c.Type
		}
		return out
	}
	product := cols("product")
	for name, typ := range map[string]string{"name": "TEXT", "price": "REAL", "available": "INTEGER", "variants": "TEXT", "options": "TEXT"} {
		assert.Equal(t, typ, product[name], "product.%s from get_product_details' description", name)
	}
	order := cols("order")
	assert.Contains(t, order, "status", "from get_order_details' description")
	assert.NotContains(t, order, "variants", "a write's description names no fields")
	user := cols("user")
	assert.Contains(t, user, "email")
	assert.NotContains(t, user, "address", "the address is already split into address_1, address_2, ...")

	// The cancel writes the status the description named, not the
	// address's "state".
	cancel := m.Op("cancel_pending_order")
	require.Len(t, cancel.Sets, 1)
	assert.Equal(t, "status", cancel.Sets[0].Column)
}

// TestResultlessRules covers each refinement on its own, and that tools
// with a result schema keep classify's reading.
func TestResultlessRules(t *testing.T) {
	str := &tools.Schema{Type: "string"}
	withDesc := func(tl *tools.Tool, d string) *tools.Tool { tl.Description = d; return tl }
	cases := []struct {
		name  string
		ts    []*tools.Tool
		tool  string
		kind  schema.Kind
		table string
	}{
		{
			name: "criteria after by are filters",
			ts:   []*tools.Tool{fnTool("lookup_account_by_phone", map[string]*tools.Schema{"phone": str})},
			tool: "lookup_account_by_phone", kind: schema.List, table: "account",
		},
		{
			name: "an unknown name verb with a write description is a write",
			ts:   []*tools.Tool{withDesc(fnTool("swapout_ticket", map[string]*tools.Schema{"ticket_id": str, "seat": str}), "Exchange a ticket for another seat.")},
			tool: "swapout_ticket", kind: schema.Update, table: "ticket",
		},
		{
			name: "an unknown name verb with a read description stays a read",
			ts:   []*tools.Tool{withDesc(fnTool("peek_ticket", map[string]*tools.Schema{"ticket_id": str}), "Show a ticket.")},
			tool: "peek_ticket", kind: schema.Get, table: "ticket",
		},
		{
			name: "a compound noun acts on the entity others select by id",
			ts: []*tools.Tool{
				fnTool("get_room_details", map[string]*tools.Schema{"room_id": str}),
				fnTool("list_room_kinds", map[string]*tools.Schema{}),
			},
			tool: "list_room_kinds", kind: schema.List, table: "room",
		},
		{
			name: "a tool with a result keeps its own reading",
			ts: []*tools.Tool{{Name: "exchange_ticket", OriginalName: "exchange_ticket", Parameters: obj(map[string]*tools.Schema{"ticket_id": str}),
				Result: obj(map[string]*tools.Schema{"seat": str})}},
			tool: "exchange_ticket", kind: schema.Get, table: "ticket",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := schema.Infer("d", tc.ts, schema.Options{})
			op := m.Op(tc.tool)
			require.NotNil(t, op)
			assert.Equal(t, tc.kind, op.Kind)
			assert.Equal(t, tc.table, op.Table)
		})
	}
}

// TestDescribedFieldsNeedAReadByKey: an entity only listed (no
// "get_..._details") gains no fields from descriptions, as tau-bench's
// airline "List all airports and their cities" keeps airport bare.
func TestDescribedFieldsNeedAReadByKey(t *testing.T) {
	ts := []*tools.Tool{{Name: "list_all_airports", OriginalName: "list_all_airports", Description: "List all airports with their city and country.", Parameters: obj(nil)}}
	m := schema.Infer("d", ts, schema.Options{})
	require.NotNil(t, m.Table("airport"))
	assert.Len(t, m.Table("airport").Columns, 1)

	ts = append(ts, &tools.Tool{Name: "get_airport", OriginalName: "get_airport", Description: "Get an airport: its city and country.",
		Parameters: obj(map[string]*tools.Schema{"airport_id": {Type: "string"}})})
	m = schema.Infer("d", ts, schema.Options{})
	assert.NotNil(t, m.Table("airport").Column("city"))
	assert.NotNil(t, m.Table("airport").Column("country"))
}
