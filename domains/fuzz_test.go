package domains_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// fuzzTool is a real tool of the default world with arguments on which
// it succeeds; the fuzzer starts from them.
type fuzzTool struct {
	name  string
	valid string
}

// fuzzTools cover every kind of tool and argument: keys, filters,
// free-text search, limits, enums, booleans, numbers with bounds, dates,
// arrays stored as JSON, references, fixed-state actions and deletes.
var fuzzTools = []fuzzTool{
	{"get_patient", `{"patient_id": "patient_0001"}`},
	{"list_patients", `{"q": "a", "last_name": "Smith", "date_of_birth": "1990-01-01", "limit": 5}`},
	{"list_doctors", `{"q": "o", "specialty": "neurology", "is_accepting_patients": true, "limit": 3}`},
	{"list_appointments", `{"patient_id": "patient_0001", "status": "confirmed", "limit": 10}`},
	{"create_patient", `{"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1815-12-10", "allergies": ["penicillin"], "email": "ada@example.com", "blood_type": "O-"}`},
	{"create_appointment", `{"patient_id": "patient_0001", "doctor_id": "doctor_0001", "starts_at": "2026-03-01T09:30:00Z", "duration_minutes": 30, "visit_reason": "cough"}`},
	{"update_patient", `{"patient_id": "patient_0002", "phone": "555", "allergies": [], "insurance_number": "X1"}`},
	{"cancel_appointment", `{"appointment_id": "appointment_0002", "reason": "better"}`},
	{"delete_menu_item", `{"menu_item_id": "menu_item_0005"}`},
	{"create_menu_item", `{"restaurant_id": "restaurant_0001", "name": "Soup", "price": 4.5, "course": "starter"}`},
	{"list_books", `{"q": "the", "publication_year": 2001, "limit": 7}`},
}

// hostile are argument values meant to break SQL building, escaping,
// decoding or the database: SQL metacharacters, LIKE wildcards, escapes,
// NUL bytes, odd Unicode, huge and tiny numbers, deep nesting, long text.
var hostile = []string{
	`"'; DROP TABLE patient; --"`,
	`"\"; DELETE FROM doctor; --"`,
	`"patient_0001' OR '1'='1"`,
	`"%"`, `"_"`, `"\\"`, `"%_\\%"`,
	`"a\u0000b"`, `"\u0000"`,
	`"\ud800"`, `"é\u200b😀"`,
	`""`, `" "`,
	`1e400`, `-1e400`, `1e-400`, `9223372036854775808`, `-9223372036854775809`, `1.0`, `1e2`, `-0`,
	`true`, `null`, `[]`, `{}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	`{"a": {"b": {"c": {"d": "'; DROP TABLE x; --"}}}`,
	`"` + strings.Repeat("x", 5000) + `"`,
}

// fuzzWorld caches, per domain, the content of a fresh database, so each
// fuzz input costs one NewDB and one dump.
var fuzzWorld struct {
	once  sync.Once
	dom   map[string]*domains.Domain
	fresh map[string]Dump
}

func fuzzSetup(t testing.TB) {
	fuzzWorld.once.Do(func() {
		fuzzWorld.dom = map[string]*domains.Domain{}
		fuzzWorld.fresh = map[string]Dump{}
		for _, ft := range fuzzTools {
			d := domainWith(t, ft.name)
			fuzzWorld.dom[ft.name] = d
			if _, ok := fuzzWorld.fresh[d.Name]; !ok {
				db, err := d.NewDB(context.Background(), 1)
				if err != nil {
					t.Fatal(err)
				}
				fuzzWorld.fresh[d.Name] = dump(t, db)
				db.Close()
			}
		}
	})
}

// fuzzSeeds returns the seed corpus: each tool's valid arguments, and
// those arguments with one argument replaced by each hostile value (or
// an extra argument added), plus malformed documents.
func fuzzSeeds() []struct {
	tool uint8
	args []byte
} {
	var out []struct {
		tool uint8
		args []byte
	}
	add := func(i int, s string) {
		out = append(out, struct {
			tool uint8
			args []byte
		}{uint8(i), []byte(s)})
	}
	for i, ft := range fuzzTools {
		add(i, ft.valid)
		var base map[string]json.RawMessage
		if err := json.Unmarshal([]byte(ft.valid), &base); err != nil {
			panic(err)
		}
		// Each hostile value goes into one argument, in turn: string
		// values into the string arguments, others into any.
		var names, strs []string
		for n, v := range base {
			names = append(names, n)
			if strings.HasPrefix(string(v), `"`) {
				strs = append(strs, n)
			}
		}
		sort.Strings(names)
		sort.Strings(strs)
		if len(strs) == 0 {
			strs = names
		}
		for k, h := range hostile {
			into := names
			if strings.HasPrefix(h, `"`) {
				into = strs
			}
			add(i, replaceArg(base, into[k%len(into)], h))
		}
		add(i, replaceArg(base, "zz_extra", `"'; DROP TABLE patient; --"`))
		add(i, replaceArg(base, `'; DROP TABLE patient; --`, `1`))
		add(i, ft.valid+` {"more": 1}`)
		add(i, strings.Repeat("[", 100000))
		add(i, "\x00")
		add(i, "")
		add(i, `"`+strings.Repeat(`\`, 11)+`"`)
		add(i, "{\"patient_id\": \"\xff\xfe\"}")
		add(i, `{"patient_id": "patient_0001", "patient_id": "patient_0002"}`)
	}
	return out
}

// replaceArg renders base with argument name set to the raw JSON value.
func replaceArg(base map[string]json.RawMessage, name, value string) string {
	m := make(map[string]json.RawMessage, len(base)+1)
	for k, v := range base {
		m[k] = v
	}
	m[name] = json.RawMessage(value)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteString(": ")
		b.Write(m[k])
	}
	b.WriteString("}")
	return b.String()
}

// FuzzCallArguments calls real tools of the default world with arbitrary
// argument bytes. A call either succeeds or fails with a *ToolError (never
// a panic or an internal error); a failed call leaves the database as it
// was; a successful one changes only what its kind allows: reads nothing,
// a create one new row of its table, an update at most the keyed row, a
// delete the keyed row. No table, index or trigger is ever created or
// dropped.
func FuzzCallArguments(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.tool, s.args)
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		fuzzSetup(t)
		ft := fuzzTools[int(which)%len(fuzzTools)]
		d := fuzzWorld.dom[ft.name]
		fresh := fuzzWorld.fresh[d.Name]
		db, err := d.NewDB(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		out, err := d.Call(callCtx(t), db, ft.name, json.RawMessage(args))
		if err != nil {
			var te *domains.ToolError
			if !errors.As(err, &te) {
				t.Fatalf("%s(%q): internal error %T: %v", ft.name, args, err, err)
			}
			if te.Msg == "" {
				t.Fatalf("%s(%q): empty tool error", ft.name, args)
			}
			if out != nil {
				t.Fatalf("%s(%q): result %s with an error", ft.name, args, out)
			}
		} else if !json.Valid(out) {
			t.Fatalf("%s(%q): result is not JSON: %q", ft.name, args, out)
		}
		after := dump(t, db)
		if fmt.Sprint(after.Schema) != fmt.Sprint(fresh.Schema) {
			t.Fatalf("%s(%q): schema changed:\n%v\n%v", ft.name, args, fresh.Schema, after.Schema)
		}
		if err != nil {
			if ch := changedTables(fresh, after); len(ch) > 0 {
				t.Fatalf("%s(%q) failed (%v) but changed %v", ft.name, args, err, ch)
			}
			return
		}
		checkChange(t, d, ft.name, args, out, fresh, after)
	})
}

// checkChange asserts a successful call changed only what its kind
// allows.
func checkChange(t *testing.T, d *domains.Domain, tool string, args, out []byte, before, after Dump) {
	t.Helper()
	op := d.Model.Op(tool)
	if op == nil {
		t.Fatalf("%s has no op", tool)
	}
	changed := changedTables(before, after)
	if !op.Kind.IsWrite() {
		if len(changed) > 0 {
			t.Fatalf("%s(%q) is a %s but changed %v", tool, args, op.Kind, changed)
		}
		return
	}
	for _, c := range changed {
		if c != op.Table && !internalTable(c) {
			t.Fatalf("%s(%q) writes %s but changed %s", tool, args, op.Table, c)
		}
	}
	added, removed, modified := rowDiff(before.Tables[op.Table], after.Tables[op.Table])
	var res map[string]any
	_ = json.Unmarshal(out, &res)
	id := fmt.Sprintf("%#v", res["id"])
	switch op.Kind {
	case schema.Create:
		if len(added) != 1 || len(removed) != 0 || len(modified) != 0 {
			t.Fatalf("%s(%q): create added %v, removed %v, changed %v", tool, args, added, removed, modified)
		}
		if added[0] != id {
			t.Fatalf("%s(%q): created %s but returned %s", tool, args, added[0], id)
		}
	case schema.Update:
		if len(added) != 0 || len(removed) != 0 || len(modified) > 1 {
			t.Fatalf("%s(%q): update added %v, removed %v, changed %v", tool, args, added, removed, modified)
		}
		if len(modified) == 1 && modified[0] != id {
			t.Fatalf("%s(%q): changed %s but returned %s", tool, args, modified[0], id)
		}
	case schema.Delete:
		if len(added) != 0 || len(modified) != 0 || len(removed) == 0 {
			t.Fatalf("%s(%q): delete added %v, removed %v, changed %v", tool, args, added, removed, modified)
		}
		if res["id"] != nil && (len(removed) != 1 || removed[0] != id) {
			t.Fatalf("%s(%q): deleted %v but returned %s", tool, args, removed, id)
		}
	}
}

// TestFuzzSeedsCoverOutcomes makes sure the seed corpus reaches both
// outcomes for every tool, so the fuzzer starts from deep states.
func TestFuzzSeedsCoverOutcomes(t *testing.T) {
	fuzzSetup(t)
	ok, failed := map[string]int{}, map[string]int{}
	for _, s := range fuzzSeeds() {
		ft := fuzzTools[int(s.tool)%len(fuzzTools)]
		d := fuzzWorld.dom[ft.name]
		db, err := d.NewDB(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Call(callCtx(t), db, ft.name, s.args); err == nil {
			ok[ft.name]++
		} else {
			failed[ft.name]++
		}
		db.Close()
	}
	for _, ft := range fuzzTools {
		if ok[ft.name] == 0 || failed[ft.name] == 0 {
			t.Errorf("%s: %d seeds succeed, %d fail; want both", ft.name, ok[ft.name], failed[ft.name])
		}
	}
}

// FuzzCallStringArgument keeps a tool's arguments valid JSON and puts an
// arbitrary string (or, for numeric arguments, number) in one of them, so
// the fuzzer explores what strings do to SQL, escaping and storage rather
// than JSON syntax. The same invariants as FuzzCallArguments hold.
func FuzzCallStringArgument(f *testing.F) {
	for i := range fuzzTools {
		for j, v := range []string{"'; DROP TABLE patient; --", "%", "_", `\`, "a\x00b", "\xff", "patient_0001", "menu_item_0004", "", strings.Repeat("é", 300)} {
			f.Add(uint8(i), uint8(j), v, float64(j)*1e10-3)
		}
	}
	f.Fuzz(func(t *testing.T, which, arg uint8, value string, num float64) {
		fuzzSetup(t)
		ft := fuzzTools[int(which)%len(fuzzTools)]
		var base map[string]json.RawMessage
		if err := json.Unmarshal([]byte(ft.valid), &base); err != nil {
			t.Fatal(err)
		}
		var params struct {
			Properties map[string]struct {
				Type any `json:"type"`
			} `json:"properties"`
		}
		d := fuzzWorld.dom[ft.name]
		if err := json.Unmarshal(d.Tool(ft.name).Parameters, &params); err != nil {
			t.Fatal(err)
		}
		names := make([]string, 0, len(params.Properties))
		for n := range params.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		name := names[int(arg)%len(names)]
		var raw []byte
		switch params.Properties[name].Type {
		case "integer", "number":
			raw, _ = json.Marshal(num)
		default:
			raw, _ = json.Marshal(value)
		}
		if raw == nil {
			return // NaN or Inf: not JSON
		}
		args := []byte(replaceArg(base, name, string(raw)))
		fresh := fuzzWorld.fresh[d.Name]
		db, err := d.NewDB(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		out, err := d.Call(callCtx(t), db, ft.name, args)
		if err != nil && !domains.IsToolError(err) {
			t.Fatalf("%s(%s): internal error %T: %v", ft.name, args, err, err)
		}
		after := dump(t, db)
		if fmt.Sprint(after.Schema) != fmt.Sprint(fresh.Schema) {
			t.Fatalf("%s(%s): schema changed", ft.name, args)
		}
		if err != nil {
			if ch := changedTables(fresh, after); len(ch) > 0 {
				t.Fatalf("%s(%s) failed (%v) but changed %v", ft.name, args, err, ch)
			}
			return
		}
		checkChange(t, d, ft.name, args, out, fresh, after)
	})
}
