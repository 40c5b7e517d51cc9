package schema_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
)

// prop builds a parameter or result property.
func prop(typ string) *tools.Schema { return &tools.Schema{Type: typ} }

func enumProp(vals ...any) *tools.Schema { return &tools.Schema{Type: "string", Enum: vals} }

func obj(props map[string]*tools.Schema) *tools.Schema {
	s := tools.ObjectSchema()
	for n, p := range props {
		s.Properties[n] = p
	}
	return s
}

// httpTool is a tool read from an HTTP operation.
func httpTool(name, method, path string, params map[string]*tools.Schema) *tools.Tool {
	return &tools.Tool{Name: name, OriginalName: name, Method: method, Path: path, Parameters: obj(params)}
}

// fnTool is a tool read from a function declaration (no HTTP method).
func fnTool(name string, params map[string]*tools.Schema) *tools.Tool {
	return &tools.Tool{Name: name, OriginalName: name, Parameters: obj(params)}
}

// roles renders an op's arguments as "name=role:column" in name order.
func roles(op *schema.Op) []string {
	var out []string
	for _, a := range op.Args {
		s := a.Name + "=" + string(a.Role)
		if a.Column != "" {
			s += ":" + a.Column
		}
		out = append(out, s)
	}
	return out
}

type classifyCase struct {
	name  string
	tool  *tools.Tool
	kind  schema.Kind
	table string
	args  []string // expected roles, as rendered by roles
	sets  map[string]any
	// ref, when set, is "column->table": the op's table must have that
	// column referencing that table.
	ref string
}

func runClassify(t *testing.T, cases []classifyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := schema.Infer("test", []*tools.Tool{c.tool}, schema.Options{})
			op := m.Op(c.tool.Name)
			require.NotNil(t, op)
			assert.Equal(t, c.kind, op.Kind, "kind")
			assert.Equal(t, c.table, op.Table, "table")
			assert.Equal(t, c.args, roles(op), "argument roles")
			got := map[string]any{}
			for _, s := range op.Sets {
				got[s.Column] = s.Value
			}
			if c.sets == nil {
				assert.Empty(t, op.Sets, "sets")
			} else {
				assert.Equal(t, c.sets, got, "sets")
			}
			table := m.Table(op.Table)
			require.NotNil(t, table, "the op's table exists")
			for _, a := range op.Args {
				if a.Column != "" {
					assert.NotNil(t, table.Column(a.Column), "argument %s names column %s of %s", a.Name, a.Column, table.Name)
				}
			}
			for _, s := range op.Sets {
				assert.NotNil(t, table.Column(s.Column), "set column %s exists", s.Column)
			}
			if c.ref != "" {
				col, ref, _ := strings.Cut(c.ref, "->")
				cc := table.Column(col)
				require.NotNil(t, cc, "column %s of %s", col, table.Name)
				assert.Equal(t, ref, cc.Ref, "%s.%s references", table.Name, col)
				assert.NotNil(t, m.Table(ref), "referenced table %s exists", ref)
			}
		})
	}
}

func TestClassifyHTTP(t *testing.T) {
	str, integer := prop("string"), prop("integer")
	runClassify(t, []classifyCase{
		{
			name: "GET item is a get by key",
			tool: httpTool("getThing", "GET", "/things/{thing_id}", map[string]*tools.Schema{"thing_id": str}),
			kind: schema.Get, table: "thing", args: []string{"thing_id=key:id"},
		},
		{
			name: "version and api segments are skipped",
			tool: httpTool("fetchWidget", "GET", "/api/v2/widgets/{id}", map[string]*tools.Schema{"id": str}),
			kind: schema.Get, table: "widget", args: []string{"id=key:id"},
		},
		{
			name: "GET collection is a list with roles",
			tool: httpTool("listThings", "GET", "/things", map[string]*tools.Schema{
				"limit": integer, "offset": integer, "q": str, "status": str, "sort_by": str,
			}),
			kind: schema.List, table: "thing",
			args: []string{"limit=limit", "offset=offset", "q=search", "sort_by=ignored", "status=filter:status"},
		},
		{
			name: "POST collection is a create",
			tool: httpTool("createThing", "POST", "/things", map[string]*tools.Schema{"name": str, "size": integer}),
			kind: schema.Create, table: "thing", args: []string{"name=column:name", "size=column:size"},
		},
		{
			name: "POST action on an item is an update with a fixed state",
			tool: httpTool("cancelThing", "POST", "/things/{thing_id}/cancel", map[string]*tools.Schema{"thing_id": str, "reason": str}),
			kind: schema.Update, table: "thing", args: []string{"reason=column:reason", "thing_id=key:id"},
			sets: map[string]any{"status": "cancelled"},
		},
		{
			name: "PUT item is an update",
			tool: httpTool("replaceThing", "PUT", "/things/{thing_id}", map[string]*tools.Schema{"thing_id": str, "name": str}),
			kind: schema.Update, table: "thing", args: []string{"name=column:name", "thing_id=key:id"},
		},
		{
			name: "PATCH item is an update",
			tool: httpTool("patchThing", "PATCH", "/things/{thing_id}", map[string]*tools.Schema{"thing_id": str, "colour": str}),
			kind: schema.Update, table: "thing", args: []string{"colour=column:colour", "thing_id=key:id"},
		},
		{
			name: "PUT collection is a create",
			tool: httpTool("putThings", "PUT", "/things", map[string]*tools.Schema{"name": str}),
			kind: schema.Create, table: "thing", args: []string{"name=column:name"},
		},
		{
			name: "DELETE item is a delete by key",
			tool: httpTool("deleteThing", "DELETE", "/things/{thing_id}", map[string]*tools.Schema{"thing_id": str}),
			kind: schema.Delete, table: "thing", args: []string{"thing_id=key:id"},
		},
		{
			name: "nested collection is a child table referencing its parent",
			tool: httpTool("listRepairs", "GET", "/cars/{plate}/repairs", map[string]*tools.Schema{"plate": str, "limit": integer}),
			kind: schema.List, table: "repair", args: []string{"limit=limit", "plate=filter:car_id"},
			ref: "car_id->car",
		},
		{
			name: "create in a nested collection writes the parent column",
			tool: httpTool("addRepair", "POST", "/cars/{plate}/repairs", map[string]*tools.Schema{"plate": str, "cost": prop("number")}),
			kind: schema.Create, table: "repair", args: []string{"cost=column:cost", "plate=column:car_id"},
			ref: "car_id->car",
		},
		{
			name: "nested item is a get with a parent filter",
			tool: httpTool("getRepair", "GET", "/cars/{plate}/repairs/{repair_id}", map[string]*tools.Schema{"plate": str, "repair_id": str}),
			kind: schema.Get, table: "repair", args: []string{"plate=filter:car_id", "repair_id=key:id"},
			ref: "car_id->car",
		},
		{
			name: "POST on an item without an action is an update",
			tool: httpTool("editThing", "POST", "/things/{thing_id}", map[string]*tools.Schema{"thing_id": str, "name": str}),
			kind: schema.Update, table: "thing", args: []string{"name=column:name", "thing_id=key:id"},
		},
		{
			name: "POST named as a read is a list",
			tool: httpTool("findThings", "POST", "/things", map[string]*tools.Schema{"query": str, "max_results": integer}),
			kind: schema.List, table: "thing", args: []string{"max_results=limit", "query=search"},
		},
		{
			name: "POST to a search endpoint reads the collection",
			tool: httpTool("searchThings", "POST", "/things/search", map[string]*tools.Schema{"q": str, "limit": integer}),
			kind: schema.List, table: "thing", args: []string{"limit=limit", "q=search"},
		},
		{
			name: "GET search endpoint named after the collection reads it",
			tool: httpTool("thingsSearch", "GET", "/things/search", map[string]*tools.Schema{"q": str}),
			kind: schema.List, table: "thing", args: []string{"q=search"},
		},
		{
			name: "header and cookie parameters are ignored",
			tool: httpTool("listThings", "GET", "/things", map[string]*tools.Schema{
				"X-Request-Id": {Type: "string", In: "header"}, "session": {Type: "string", In: "cookie"}, "colour": str,
			}),
			kind: schema.List, table: "thing", args: []string{"X-Request-Id=ignored", "colour=filter:colour", "session=ignored"},
		},
	})
}

func TestCancelStateMatchesEnum(t *testing.T) {
	cases := []struct {
		name string
		enum []any
		want string
		// widened: the enum gains the state when it has no match.
		widened bool
	}{
		{"exact", []any{"active", "cancelled"}, "cancelled", false},
		{"american spelling", []any{"active", "canceled"}, "canceled", false},
		{"upper case", []any{"ACTIVE", "CANCELLED"}, "CANCELLED", false},
		{"no match widens the enum", []any{"open", "closed"}, "cancelled", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl := httpTool("cancelBooking", "POST", "/bookings/{booking_id}/cancel", map[string]*tools.Schema{"booking_id": prop("string")})
			tl.Result = obj(map[string]*tools.Schema{"id": prop("string"), "status": enumProp(c.enum...)})
			m := schema.Infer("test", []*tools.Tool{tl}, schema.Options{})
			op := m.Op("cancelBooking")
			require.Len(t, op.Sets, 1)
			assert.Equal(t, "status", op.Sets[0].Column)
			assert.Equal(t, c.want, op.Sets[0].Value)
			col := m.Table("booking").Column("status")
			require.NotNil(t, col)
			assert.Contains(t, col.Enum, c.want, "the state written is one the column allows")
			if c.widened {
				assert.Len(t, col.Enum, len(c.enum)+1)
			} else {
				assert.Len(t, col.Enum, len(c.enum))
			}
		})
	}
}

func TestCancelStateMatchesEnumDeclaredByLaterTool(t *testing.T) {
	// cancel_repair sorts before list_repairs, whose result declares the
	// status enum: the state written must still be one of its values.
	cancel := fnTool("cancel_repair", map[string]*tools.Schema{"repair_id": prop("string")})
	list := fnTool("list_repairs", map[string]*tools.Schema{"limit": prop("integer")})
	list.Result = &tools.Schema{Type: "array", Items: obj(map[string]*tools.Schema{
		"id": prop("string"), "status": enumProp("open", "done", "canceled"),
	})}
	for _, ts := range [][]*tools.Tool{{cancel, list}, {list, cancel}} {
		m := schema.Infer("test", ts, schema.Options{})
		op := m.Op("cancel_repair")
		require.Len(t, op.Sets, 1)
		assert.Equal(t, "canceled", op.Sets[0].Value)
		assert.Equal(t, []any{"open", "done", "canceled"}, m.Table("repair").Column("status").Enum)
	}
}

func TestActionUsesStateColumn(t *testing.T) {
	// A table without "status" but with an "order_state" column writes
	// the state there, not into a new status column.
	tl := httpTool("approveOrder", "POST", "/orders/{order_id}/approve", map[string]*tools.Schema{"order_id": prop("string")})
	tl.Result = obj(map[string]*tools.Schema{"order_state": enumProp("pending", "approved")})
	m := schema.Infer("test", []*tools.Tool{tl}, schema.Options{})
	op := m.Op("approveOrder")
	require.Len(t, op.Sets, 1)
	assert.Equal(t, "order_state", op.Sets[0].Column)
	assert.Equal(t, "approved", op.Sets[0].Value)
	assert.Nil(t, m.Table("order").Column("status"))
}

func TestClassifyNames(t *testing.T) {
	str, integer := prop("string"), prop("integer")
	runClassify(t, []classifyCase{
		{
			name: "get_x_details with x_id is a get of x",
			tool: fnTool("get_user_details", map[string]*tools.Schema{"user_id": str}),
			kind: schema.Get, table: "user", args: []string{"user_id=key:id"},
		},
		{
			name: "camelCase names split into words",
			tool: fnTool("getReservationDetails", map[string]*tools.Schema{"reservationId": str}),
			kind: schema.Get, table: "reservation", args: []string{"reservationId=key:id"},
		},
		{
			name: "book_x is a create of x",
			tool: fnTool("book_reservation", map[string]*tools.Schema{"guest_name": str, "nights": integer}),
			kind: schema.Create, table: "reservation", args: []string{"guest_name=column:guest_name", "nights=column:nights"},
		},
		{
			name: "cancel_x is an update of x's status",
			tool: fnTool("cancel_order", map[string]*tools.Schema{"order_id": str, "reason": str}),
			kind: schema.Update, table: "order", args: []string{"order_id=key:id", "reason=column:reason"},
			sets: map[string]any{"status": "cancelled"},
		},
		{
			name: "two-word action",
			tool: fnTool("check_in_booking", map[string]*tools.Schema{"booking_id": str}),
			kind: schema.Update, table: "booking", args: []string{"booking_id=key:id"},
			sets: map[string]any{"status": "checked_in"},
		},
		{
			name: "list_xs with limit, offset and q",
			tool: fnTool("list_orders", map[string]*tools.Schema{"limit": integer, "offset": integer, "q": str, "status": str}),
			kind: schema.List, table: "order",
			args: []string{"limit=limit", "offset=offset", "q=search", "status=filter:status"},
		},
		{
			name: "search_xs with query and max_results",
			tool: fnTool("search_products", map[string]*tools.Schema{"query": str, "max_results": integer, "skip": integer}),
			kind: schema.List, table: "product", args: []string{"max_results=limit", "query=search", "skip=offset"},
		},
		{
			name: "limit that is not a number is a filter",
			tool: fnTool("list_orders", map[string]*tools.Schema{"limit": str}),
			kind: schema.List, table: "order", args: []string{"limit=filter:limit"},
		},
		{
			name: "the id argument decides the entity",
			tool: fnTool("update_user_address", map[string]*tools.Schema{"user_id": str, "address": str}),
			kind: schema.Update, table: "user", args: []string{"address=column:address", "user_id=key:id"},
		},
		{
			name: "delete_x with x_id",
			tool: fnTool("delete_file", map[string]*tools.Schema{"file_id": str}),
			kind: schema.Delete, table: "file", args: []string{"file_id=key:id"},
		},
		{
			name: "an id argument naming several words decides a compound entity",
			tool: fnTool("remove_cart_item", map[string]*tools.Schema{"cart_item_id": str}),
			kind: schema.Delete, table: "cart_item", args: []string{"cart_item_id=key:id"},
		},
		{
			name: "remove_x with filters deletes by filter",
			tool: fnTool("remove_items", map[string]*tools.Schema{"cart": str, "sku": str}),
			kind: schema.Delete, table: "item", args: []string{"cart=filter:cart", "sku=filter:sku"},
		},
		{
			name: "plural entity names become singular tables",
			tool: fnTool("list_categories", map[string]*tools.Schema{}),
			kind: schema.List, table: "category", args: nil,
		},
		{
			name: "a bare id argument is the key",
			tool: fnTool("get_invoice", map[string]*tools.Schema{"id": str}),
			kind: schema.Get, table: "invoice", args: []string{"id=key:id"},
		},
		{
			name: "an update without a key or arguments reads instead",
			tool: fnTool("reset_counters", map[string]*tools.Schema{}),
			kind: schema.List, table: "counter", args: nil,
		},
		{
			name: "reserved table names are prefixed",
			tool: httpTool("listSequences", "GET", "/sqlite_sequences", map[string]*tools.Schema{}),
			kind: schema.List, table: "entity_sqlite_sequence", args: nil,
		},
	})
}

func TestSingular(t *testing.T) {
	cases := map[string]string{
		"things":      "thing",
		"cities":      "city",
		"categories":  "category",
		"classes":     "class",
		"boxes":       "box",
		"matches":     "match",
		"dishes":      "dish",
		"addresses":   "address",
		"statuses":    "status",
		"buses":       "bus",
		"order_items": "order_item",
		"menu_items":  "menu_item",
		"status":      "status",
		"class":       "class",
		"analysis":    "analysis",
		"analytics":   "analytics",
		"bus":         "bus",
		"gas":         "gas",
		"data":        "data",
		"user":        "user",
		"shoes":       "shoe",
		"":            "",
	}
	for in, want := range cases {
		assert.Equal(t, want, schema.Singular(in), "Singular(%q)", in)
	}
	// Nouns whose singular ends in "ie", or that do not change.
	t.Run("ie nouns", func(t *testing.T) {
		assert.Equal(t, "movie", schema.Singular("movies"))
		assert.Equal(t, "cookie", schema.Singular("cookies"))
		assert.Equal(t, "series", schema.Singular("series"))
	})
}

func TestColumnTypes(t *testing.T) {
	get := httpTool("getItem", "GET", "/items/{item_id}", map[string]*tools.Schema{"item_id": prop("string")})
	lo, hi, ml := 1.0, 5.0, 40
	get.Result = obj(map[string]*tools.Schema{
		"count":      prop("integer"),
		"price":      prop("number"),
		"in_stock":   prop("boolean"),
		"dimensions": obj(map[string]*tools.Schema{"w": prop("number")}),
		"tags":       {Type: "array", Items: prop("string")},
		"released":   {Type: "string", Format: "date"},
		"rating":     {Type: "integer", Minimum: &lo, Maximum: &hi},
		"name":       {Type: "string", MaxLength: &ml},
		"colour":     enumProp("red", "green"),
		"untyped":    {},
		"rowid":      prop("integer"),
		"weight":     prop("integer"), // a number elsewhere: REAL
		"code":       prop("integer"), // a string elsewhere: TEXT
	})
	upd := httpTool("updateItem", "PATCH", "/items/{item_id}", map[string]*tools.Schema{
		"item_id": prop("string"), "weight": prop("number"), "code": prop("string"),
	})
	m := schema.Infer("test", []*tools.Tool{get, upd}, schema.Options{})
	tb := m.Table("item")
	require.NotNil(t, tb)
	type want struct{ sql, json, format string }
	for name, w := range map[string]want{
		"id":          {schema.TypeText, "string", ""},
		"count":       {schema.TypeInteger, "integer", ""},
		"price":       {schema.TypeReal, "number", ""},
		"in_stock":    {schema.TypeInteger, "boolean", ""},
		"dimensions":  {schema.TypeText, "object", ""},
		"tags":        {schema.TypeText, "array", ""},
		"released":    {schema.TypeText, "string", "date"},
		"rating":      {schema.TypeInteger, "integer", ""},
		"name":        {schema.TypeText, "string", ""},
		"colour":      {schema.TypeText, "string", ""},
		"untyped":     {schema.TypeText, "string", ""},
		"rowid_value": {schema.TypeInteger, "integer", ""},
		"weight":      {schema.TypeReal, "number", ""},
		"code":        {schema.TypeText, "string", ""},
	} {
		c := tb.Column(name)
		if !assert.NotNil(t, c, "column %s", name) {
			continue
		}
		assert.Equal(t, w.sql, c.Type, "%s SQL type", name)
		assert.Equal(t, w.json, c.JSONType, "%s JSON type", name)
		assert.Equal(t, w.format, c.Format, "%s format", name)
	}
	assert.Nil(t, tb.Column("rowid"), "rowid is SQLite's own; the column is renamed")
	assert.Equal(t, "rowid", tb.Column("rowid_value").Key, "the renamed column keeps its JSON key")
	r := tb.Column("rating")
	require.NotNil(t, r.Min)
	require.NotNil(t, r.Max)
	assert.Equal(t, 1.0, *r.Min)
	assert.Equal(t, 5.0, *r.Max)
	require.NotNil(t, tb.Column("name").MaxLength)
	assert.Equal(t, 40, *tb.Column("name").MaxLength)
	assert.Equal(t, []any{"red", "green"}, tb.Column("colour").Enum)
	assert.Nil(t, tb.Column("code").Enum)
	assert.Equal(t, "id", tb.Columns[0].Name, "the key comes first")
	assert.True(t, tb.Columns[0].PK)
	for i := 2; i < len(tb.Columns); i++ {
		assert.Less(t, tb.Columns[i-1].Name, tb.Columns[i].Name, "columns after the key are sorted")
	}
}

func TestIntegerKey(t *testing.T) {
	tl := httpTool("getPet", "GET", "/pets/{pet_id}", map[string]*tools.Schema{"pet_id": prop("integer")})
	m := schema.Infer("test", []*tools.Tool{tl}, schema.Options{})
	pk := m.Table("pet").PK()
	require.NotNil(t, pk)
	assert.Equal(t, "id", pk.Name)
	assert.Equal(t, schema.TypeInteger, pk.Type)
	assert.Equal(t, "integer", pk.JSONType)
}

func TestForeignKeys(t *testing.T) {
	str := prop("string")
	ts := []*tools.Tool{
		fnTool("create_customer", map[string]*tools.Schema{"name": str}),
		fnTool("create_order", map[string]*tools.Schema{
			"customer_id": str, // a table exists: a reference
			"coupon_id":   str, // no coupon table: plain text
			"order_id":    str, // names its own table: no self reference
			"parts_id":    {Type: "array", Items: str},
		}),
		fnTool("list_parts", map[string]*tools.Schema{"limit": prop("integer")}),
	}
	m := schema.Infer("shop", ts, schema.Options{})
	order := m.Table("order")
	require.NotNil(t, order)
	assert.Equal(t, "customer", order.Column("customer_id").Ref)
	assert.Empty(t, order.Column("coupon_id").Ref)
	// create_order's order_id names the row to create: the key.
	assert.Equal(t, "order_id=key:id", roles(m.Op("create_order"))[2])
	assert.Empty(t, order.Column("parts_id").Ref, "arrays never reference a table")
	assert.Contains(t, m.DDL(), `"customer_id" TEXT REFERENCES "customer"("id")`)
	assert.Contains(t, m.DDL(), `CREATE INDEX "idx_order_customer_id" ON "order"("customer_id");`)
}

func TestMaxColumnsKeepsUsedColumns(t *testing.T) {
	res := map[string]*tools.Schema{}
	for i := range 30 {
		res[fmt.Sprintf("extra_%02d", i)] = prop("string")
	}
	get := fnTool("get_report", map[string]*tools.Schema{"report_id": prop("string")})
	get.Result = obj(res)
	upd := fnTool("update_report", map[string]*tools.Schema{"report_id": prop("string"), "zz_title": prop("string"), "owner_id": prop("string")})
	owner := fnTool("get_owner", map[string]*tools.Schema{"owner_id": prop("string")})
	m := schema.Infer("test", []*tools.Tool{get, upd, owner}, schema.Options{MaxColumns: 10})
	tb := m.Table("report")
	assert.Len(t, tb.Columns, 10)
	assert.NotNil(t, tb.Column("zz_title"), "a column an argument writes is kept")
	assert.NotNil(t, tb.Column("owner_id"), "a reference is kept")
	assert.True(t, tb.Columns[0].PK)
	for _, op := range m.Ops {
		for _, a := range op.Args {
			if a.Column != "" {
				assert.NotNil(t, m.Table(op.Table).Column(a.Column), "%s.%s", op.Tool, a.Name)
			}
		}
	}
}

func TestRowsOption(t *testing.T) {
	m := schema.Infer("x", []*tools.Tool{fnTool("list_things", nil)}, schema.Options{})
	assert.Equal(t, 20, m.Tables[0].Rows, "default")
	m = schema.Infer("x", []*tools.Tool{fnTool("list_things", nil)}, schema.Options{Rows: 3})
	assert.Equal(t, 3, m.Tables[0].Rows)
}

func TestQuoteAndIDFor(t *testing.T) {
	assert.Equal(t, `"order"`, schema.Quote("order"))
	assert.Equal(t, `"a""b"`, schema.Quote(`a"b`))
	assert.Equal(t, "patient_0007", schema.IDFor("patient", 7))
	assert.Equal(t, "patient_12345", schema.IDFor("patient", 12345))
}

func TestKinds(t *testing.T) {
	for k, w := range map[schema.Kind]bool{schema.Get: false, schema.List: false, schema.Create: true, schema.Update: true, schema.Delete: true} {
		assert.Equal(t, w, k.IsWrite(), "%s", k)
	}
}

// world is a domain of mixed tools used by the determinism test.
func world() []*tools.Tool {
	str, integer := prop("string"), prop("integer")
	get := httpTool("getCar", "GET", "/cars/{plate}", map[string]*tools.Schema{"plate": str})
	get.Result = obj(map[string]*tools.Schema{"plate": str, "make": str, "status": enumProp("active", "sold"), "year": integer})
	return []*tools.Tool{
		get,
		httpTool("listCars", "GET", "/cars", map[string]*tools.Schema{"make": str, "limit": integer, "q": str}),
		httpTool("createCar", "POST", "/cars", map[string]*tools.Schema{"plate": str, "make": str, "owner_id": str}),
		httpTool("sellCar", "POST", "/cars/{plate}/archive", map[string]*tools.Schema{"plate": str}),
		httpTool("listRepairs", "GET", "/cars/{plate}/repairs", map[string]*tools.Schema{"plate": str}),
		httpTool("addRepair", "POST", "/cars/{plate}/repairs", map[string]*tools.Schema{"plate": str, "cost": prop("number")}),
		httpTool("deleteRepair", "DELETE", "/cars/{plate}/repairs/{repair_id}", map[string]*tools.Schema{"plate": str, "repair_id": str}),
		fnTool("get_owner_details", map[string]*tools.Schema{"owner_id": str}),
		fnTool("cancel_invoice", map[string]*tools.Schema{"invoice_id": str}),
		fnTool("book_inspection", map[string]*tools.Schema{"car_id": str, "date": {Type: "string", Format: "date"}}),
	}
}

func TestInferDeterministic(t *testing.T) {
	want := schema.Infer("garage", world(), schema.Options{})
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	wantDDL := want.DDL()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		ts := world()
		r.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
		got := schema.Infer("garage", ts, schema.Options{})
		gotJSON, err := json.Marshal(got)
		require.NoError(t, err)
		require.Equal(t, string(wantJSON), string(gotJSON), "shuffle %d: model differs", i)
		require.Equal(t, wantDDL, got.DDL(), "shuffle %d: DDL differs", i)
	}
	// Tables and ops are sorted by name.
	for i := 1; i < len(want.Tables); i++ {
		assert.Less(t, want.Tables[i-1].Name, want.Tables[i].Name)
	}
	for i := 1; i < len(want.Ops); i++ {
		assert.Less(t, want.Ops[i-1].Tool, want.Ops[i].Tool)
	}
}

func TestInferDoesNotModifyTools(t *testing.T) {
	ts := world()
	before, err := json.Marshal(ts)
	require.NoError(t, err)
	schema.Infer("garage", ts, schema.Options{})
	after, err := json.Marshal(ts)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
}

func TestModelLookups(t *testing.T) {
	m := schema.Infer("garage", world(), schema.Options{})
	assert.Nil(t, m.Table("nope"))
	assert.Nil(t, m.Op("nope"))
	assert.Nil(t, m.Table("car").Column("nope"))
	assert.NotNil(t, m.Op("getCar"))
	// Every op's table exists, every argument column exists, and every
	// reference points at a table of the model.
	for _, op := range m.Ops {
		tb := m.Table(op.Table)
		require.NotNil(t, tb, op.Tool)
		for _, a := range op.Args {
			if a.Column != "" {
				assert.NotNil(t, tb.Column(a.Column), "%s.%s", op.Tool, a.Name)
			}
		}
	}
	for _, tb := range m.Tables {
		for _, c := range tb.Columns {
			if c.Ref != "" {
				assert.NotNil(t, m.Table(c.Ref), "%s.%s references %s", tb.Name, c.Name, c.Ref)
			}
		}
	}
}
