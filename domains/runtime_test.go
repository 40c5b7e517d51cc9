package domains_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
)

func TestDefaultWorldRegistered(t *testing.T) {
	ds := domains.All()
	require.GreaterOrEqual(t, len(ds), 10)
	tools := 0
	for i, d := range ds {
		if i > 0 {
			assert.Less(t, ds[i-1].Name, d.Name, "All is sorted by name")
		}
		assert.Same(t, d, domains.Lookup(d.Name))
		require.NotNil(t, d.Model, d.Name)
		assert.Len(t, d.Model.Ops, len(d.Tools), "%s: one op per tool", d.Name)
		for j, tl := range d.Tools {
			if j > 0 {
				assert.Less(t, d.Tools[j-1].Name, tl.Name, "%s: tools sorted", d.Name)
			}
			assert.NotNil(t, d.Model.Op(tl.Name), "%s.%s has an op", d.Name, tl.Name)
			assert.NotNil(t, tl.Handler)
			var s map[string]any
			require.NoError(t, json.Unmarshal(tl.Parameters, &s), "%s.%s parameters", d.Name, tl.Name)
			assert.Equal(t, "object", s["type"])
			assert.Equal(t, false, s["additionalProperties"], "%s.%s refuses undeclared arguments", d.Name, tl.Name)
		}
		tools += len(d.Tools)
	}
	assert.Nil(t, domains.Lookup("no_such_domain"))
	t.Logf("%d domains, %d tools", len(ds), tools)
}

func TestGet(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	p := row(t, d, db, "get_patient", `{"patient_id": "patient_0003"}`)
	assert.Equal(t, "patient_0003", p["id"])
	// Every column is in the result, under its JSON key.
	for _, c := range d.Table("patient").Columns {
		assert.Contains(t, p, c.Key)
	}
	assert.NotEmpty(t, p["first_name"])
	assert.IsType(t, []any{}, p["allergies"], "array columns come back as JSON arrays, not text")
	assert.Equal(t, before, dump(t, db), "a read changes nothing")

	doc := row(t, d, db, "get_doctor", `{"doctor_id": "doctor_0001"}`)
	assert.IsType(t, true, doc["is_accepting_patients"], "boolean columns come back as booleans")
	assert.IsType(t, float64(0), doc["consultation_fee"])
}

func TestGetNotFound(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	for tool, arg := range map[string]string{
		"get_patient":     "patient_id",
		"get_appointment": "appointment_id",
		"get_doctor":      "doctor_id",
	} {
		_, err := call(t, d, db, tool, fmt.Sprintf(`{%q: "nobody_42"}`, arg))
		msg := toolError(t, err)
		entity := strings.TrimSuffix(arg, "_id")
		assert.Contains(t, msg, entity, "%s: the message names the entity", tool)
		assert.Contains(t, msg, "nobody_42", "%s: the message names the id", tool)
		assert.Contains(t, msg, "not found")
	}
	assert.Equal(t, before, dump(t, db))
}

func TestList(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	all := rows(t, d, db, "list_patients", `{}`)
	assert.Len(t, all, 20, "default limit 20 over 20 seeded patients")
	for i := 1; i < len(all); i++ {
		assert.Less(t, all[i-1]["id"], all[i]["id"], "ordered by id")
	}
	assert.Len(t, rows(t, d, db, "list_patients", `{"limit": 5}`), 5)
	assert.Equal(t, all[:5], rows(t, d, db, "list_patients", `{"limit": 5}`))

	// Filters select exactly the matching rows.
	apps := rows(t, d, db, "list_appointments", `{"limit": 100}`)
	require.NotEmpty(t, apps)
	pid := apps[0]["patient_id"].(string)
	want := 0
	for _, a := range apps {
		if a["patient_id"] == pid {
			want++
		}
	}
	got := rows(t, d, db, "list_appointments", fmt.Sprintf(`{"patient_id": %q, "limit": 100}`, pid))
	assert.Len(t, got, want)
	for _, a := range got {
		assert.Equal(t, pid, a["patient_id"])
	}
	// Two filters combine with AND.
	status := apps[0]["status"]
	for _, a := range rows(t, d, db, "list_appointments", fmt.Sprintf(`{"patient_id": %q, "status": %q}`, pid, status)) {
		assert.Equal(t, pid, a["patient_id"])
		assert.Equal(t, status, a["status"])
	}
	// A boolean filter.
	for _, doc := range rows(t, d, db, "list_doctors", `{"is_accepting_patients": true}`) {
		assert.Equal(t, true, doc["is_accepting_patients"])
	}
	// A filter matching nothing is an empty list, not an error.
	assert.Empty(t, rows(t, d, db, "list_appointments", `{"patient_id": "patient_9999"}`))
}

func TestListSearch(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	doc := row(t, d, db, "get_doctor", `{"doctor_id": "doctor_0004"}`)
	last := doc["last_name"].(string)
	found := rows(t, d, db, "list_doctors", fmt.Sprintf(`{"q": %q, "limit": 100}`, last))
	ids := []any{}
	for _, r := range found {
		ids = append(ids, r["id"])
		text := strings.ToLower(fmt.Sprint(r))
		assert.Contains(t, text, strings.ToLower(last), "every hit contains the search text")
	}
	assert.Contains(t, ids, "doctor_0004")
	// Search is a substring match, case-insensitive for ASCII.
	assert.NotEmpty(t, rows(t, d, db, "list_doctors", fmt.Sprintf(`{"q": %q}`, strings.ToUpper(last[1:len(last)-1]))))
	// LIKE wildcards in the text are literal characters.
	for q, want := range map[string]int{"%": 0, `\`: 0, "%%": 0, "doctor%0004": 0, "doctor_000_": 0, "_": 20, "doctor_0004": 1} {
		hits := rows(t, d, db, "list_doctors", fmt.Sprintf(`{"q": %q, "limit": 100}`, q))
		for _, h := range hits {
			assert.Contains(t, fmt.Sprint(h), q, "q=%q matches literally", q)
		}
		assert.Len(t, hits, want, "q=%q", q)
	}
	// An empty search is no filter.
	assert.Len(t, rows(t, d, db, "list_doctors", `{"q": ""}`), 20)
}

func TestCreate(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	p := row(t, d, db, "create_patient", `{"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1815-12-10", "allergies": ["penicillin"], "blood_type": "O-"}`)
	assert.Equal(t, "patient_0021", p["id"], "the next id after 20 seeded rows")
	assert.Equal(t, "Ada", p["first_name"])
	assert.Equal(t, []any{"penicillin"}, p["allergies"])
	assert.Nil(t, p["email"], "an argument not given stays empty")
	assert.Equal(t, p, row(t, d, db, "get_patient", `{"patient_id": "patient_0021"}`), "the row reads back as created")
	p2 := row(t, d, db, "create_patient", `{"first_name": "Alan", "last_name": "Turing", "date_of_birth": "1912-06-23"}`)
	assert.Equal(t, "patient_0022", p2["id"])
	after := dump(t, db)
	assert.Equal(t, []string{"patient"}, userChanges(before, after), "only the patient table changes")
	added, removed, changed := rowDiff(before.Tables["patient"], after.Tables["patient"])
	assert.Len(t, added, 2)
	assert.Empty(t, removed)
	assert.Empty(t, changed)

	// A create with references to rows that exist.
	a := row(t, d, db, "create_appointment", `{"patient_id": "patient_0021", "doctor_id": "doctor_0002", "starts_at": "2026-03-01T09:30:00Z", "duration_minutes": 30}`)
	assert.Equal(t, "patient_0021", a["patient_id"])
	assert.Equal(t, float64(30), a["duration_minutes"])
}

func TestCreateWithMissingReference(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	for _, c := range []struct{ args, missing string }{
		{`{"patient_id": "patient_9999", "doctor_id": "doctor_0001", "starts_at": "2026-03-01T09:30:00Z"}`, "patient_9999"},
		{`{"patient_id": "patient_0001", "doctor_id": "doctor_0404", "starts_at": "2026-03-01T09:30:00Z"}`, "doctor_0404"},
	} {
		_, err := call(t, d, db, "create_appointment", c.args)
		msg := toolError(t, err)
		assert.Contains(t, msg, c.missing)
		assert.Contains(t, msg, "not found")
	}
	// A reference on update is checked too.
	rd := domainWith(t, "update_fitness_class")
	rdb := newDB(t, rd)
	rbefore := dump(t, rdb)
	_, err := call(t, rd, rdb, "update_fitness_class", `{"fitness_class_id": "fitness_class_0001", "trainer_id": "trainer_0999"}`)
	assert.Contains(t, toolError(t, err), "trainer_0999")
	assert.Equal(t, rbefore, dump(t, rdb))
	assert.Equal(t, before, dump(t, db), "rejected creates change nothing")
}

func TestUpdate(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	old := row(t, d, db, "get_patient", `{"patient_id": "patient_0005"}`)
	upd := row(t, d, db, "update_patient", `{"patient_id": "patient_0005", "phone": "+1 555 0100", "allergies": []}`)
	assert.Equal(t, "+1 555 0100", upd["phone"])
	assert.Equal(t, []any{}, upd["allergies"])
	for k, v := range old {
		if k != "phone" && k != "allergies" {
			assert.Equal(t, v, upd[k], "%s is left as it was", k)
		}
	}
	after := dump(t, db)
	assert.Equal(t, []string{"patient"}, userChanges(before, after))
	added, removed, changed := rowDiff(before.Tables["patient"], after.Tables["patient"])
	assert.Empty(t, added)
	assert.Empty(t, removed)
	assert.Equal(t, []string{`"patient_0005"`}, changed, "only the keyed row changes")

	// An action writes its fixed state.
	c := row(t, d, db, "cancel_appointment", `{"appointment_id": "appointment_0002", "reason": "feeling better"}`)
	assert.Equal(t, "cancelled", c["status"])
	assert.Equal(t, "feeling better", c["reason"])
	assert.Equal(t, "checked_in", row(t, d, db, "check_in_appointment", `{"appointment_id": "appointment_0007"}`)["status"])

	// Updating a missing row is an error naming it, and changes nothing.
	mid := dump(t, db)
	_, err := call(t, d, db, "update_patient", `{"patient_id": "patient_0404", "phone": "1"}`)
	msg := toolError(t, err)
	assert.Contains(t, msg, "patient")
	assert.Contains(t, msg, "patient_0404")
	_, err = call(t, d, db, "cancel_appointment", `{"appointment_id": "appointment_0404"}`)
	assert.Contains(t, toolError(t, err), "appointment_0404")
	assert.Equal(t, mid, dump(t, db))
}

func TestDelete(t *testing.T) {
	d := domainWith(t, "delete_menu_item")
	db := newDB(t, d)
	before := dump(t, db)
	res := row(t, d, db, "delete_menu_item", `{"menu_item_id": "menu_item_0007"}`)
	assert.Equal(t, true, res["deleted"])
	assert.Equal(t, "menu_item_0007", res["id"])
	_, err := call(t, d, db, "get_menu_item", `{"menu_item_id": "menu_item_0007"}`)
	assert.Contains(t, toolError(t, err), "not found")
	after := dump(t, db)
	assert.Equal(t, []string{"menu_item"}, userChanges(before, after))
	added, removed, changed := rowDiff(before.Tables["menu_item"], after.Tables["menu_item"])
	assert.Empty(t, added)
	assert.Equal(t, []string{`"menu_item_0007"`}, removed)
	assert.Empty(t, changed)

	// Deleting it again: not found, nothing changes.
	_, err = call(t, d, db, "delete_menu_item", `{"menu_item_id": "menu_item_0007"}`)
	msg := toolError(t, err)
	assert.Contains(t, msg, "menu_item")
	assert.Contains(t, msg, "menu_item_0007")
	assert.Equal(t, after, dump(t, db))
}

func TestUnknownTool(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	_, err := call(t, d, db, "drop_everything", `{}`)
	msg := toolError(t, err)
	assert.Contains(t, msg, "drop_everything")
	assert.Contains(t, msg, d.Name)
}

func TestInvalidArguments(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	long := strings.Repeat("x", 61)
	cases := []struct {
		name, tool, args string
		// mention is a word the message must contain (the argument).
		mention string
	}{
		{"unknown argument", "get_patient", `{"patient_id": "patient_0001", "zz_extra": 1}`, "zz_extra"},
		{"unknown argument on a write", "create_patient", `{"first_name": "A", "last_name": "B", "date_of_birth": "2000-01-01", "ssn": "1"}`, "ssn"},
		{"wrong type: number for string", "get_patient", `{"patient_id": 17}`, "patient_id"},
		{"wrong type: string for integer", "list_patients", `{"limit": "10"}`, "limit"},
		{"wrong type: string for boolean", "list_doctors", `{"is_accepting_patients": "yes"}`, "is_accepting_patients"},
		{"wrong type: object for array", "update_patient", `{"patient_id": "patient_0001", "allergies": {"a": 1}}`, "allergies"},
		{"wrong type: array items", "update_patient", `{"patient_id": "patient_0001", "allergies": [1, 2]}`, "allergies"},
		{"fraction for integer", "list_patients", `{"limit": 2.5}`, "limit"},
		{"outside the enum", "list_doctors", `{"specialty": "astrology"}`, "specialty"},
		{"below the minimum", "list_patients", `{"limit": 0}`, "limit"},
		{"above the maximum", "list_patients", `{"limit": 101}`, "limit"},
		{"too long", "update_patient", `{"patient_id": "patient_0001", "first_name": "` + long + `"}`, "first_name"},
		{"too many items", "update_patient", `{"patient_id": "patient_0001", "allergies": ["a","b","c","d","e","f","g","h","i","j","k"]}`, "allergies"},
		{"bad date", "create_patient", `{"first_name": "A", "last_name": "B", "date_of_birth": "2026-13-45"}`, "date_of_birth"},
		{"bad date-time", "create_appointment", `{"patient_id": "patient_0001", "doctor_id": "doctor_0001", "starts_at": "tomorrow"}`, "starts_at"},
		{"bad email", "update_patient", `{"patient_id": "patient_0001", "email": "not-an-email"}`, "email"},
		{"missing required", "get_patient", `{}`, "patient_id"},
		{"missing required on create", "create_patient", `{"first_name": "A"}`, "last_name"},
		{"null for a string", "get_patient", `{"patient_id": null}`, "patient_id"},
		{"array, not object", "get_patient", `["patient_0001"]`, "object"},
		{"string, not object", "get_patient", `"patient_0001"`, "object"},
		{"number, not object", "get_patient", `42`, "object"},
		{"null, not object", "get_patient", `null`, "object"},
		{"not JSON", "get_patient", `{"patient_id": `, "JSON"},
		{"trailing garbage", "get_patient", `{"patient_id": "patient_0001"} x`, ""},
		{"two values", "get_patient", `{"patient_id": "patient_0001"} {"patient_id": "patient_0002"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := call(t, d, db, c.tool, c.args)
			msg := toolError(t, err)
			if c.mention != "" {
				assert.Contains(t, msg, c.mention)
			}
			assert.NotContains(t, msg, "panic")
		})
	}
	// Empty arguments mean {}.
	_, err := call(t, d, db, "create_patient", ``)
	assert.Contains(t, toolError(t, err), "first_name")
	assert.Len(t, rows(t, d, db, "list_patients", ``), 20)
	// Oversized arguments are refused before parsing.
	big := `{"q": "` + strings.Repeat("a", domains.MaxArgumentBytes) + `"}`
	_, err = call(t, d, db, "list_patients", big)
	assert.Contains(t, toolError(t, err), "bytes")
	assert.Equal(t, before, dump(t, db), "rejected calls change nothing")
}

// TestSQLInjectionIsData sends SQL in every kind of argument: it is
// stored and matched as text, never run.
func TestSQLInjectionIsData(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	before := dump(t, db)
	evil := []string{
		`'; DROP TABLE patient; --`,
		`" OR 1=1 --`,
		`patient_0001' OR '1'='1`,
		`x"); DELETE FROM doctor; --`,
		"a\x00b",
	}
	for _, e := range evil {
		arg, _ := json.Marshal(e)
		_, err := call(t, d, db, "get_patient", fmt.Sprintf(`{"patient_id": %s}`, arg))
		toolError(t, err)
		assert.Empty(t, rows(t, d, db, "list_patients", fmt.Sprintf(`{"last_name": %s}`, arg)))
		if !strings.Contains(e, "\x00") {
			assert.Empty(t, rows(t, d, db, "list_patients", fmt.Sprintf(`{"q": %s}`, arg)))
		}
	}
	assert.Equal(t, before, dump(t, db))
	// Stored as given, read back as given.
	for _, e := range evil {
		arg, _ := json.Marshal(e)
		p := row(t, d, db, "create_patient", fmt.Sprintf(`{"first_name": %s, "last_name": "X", "date_of_birth": "2000-01-01"}`, arg))
		assert.Equal(t, e, p["first_name"])
		assert.Equal(t, p, row(t, d, db, "get_patient", fmt.Sprintf(`{"patient_id": %q}`, p["id"])))
		got := rows(t, d, db, "list_patients", fmt.Sprintf(`{"q": %s, "limit": 100}`, arg))
		ids := []any{}
		for _, g := range got {
			ids = append(ids, g["id"])
		}
		assert.Contains(t, ids, p["id"], "search finds the row holding %q", e)
		if !strings.Contains(e, "\x00") {
			// SQLite's LIKE stops at a NUL, so text with one matches
			// more than it should; other text matches exactly.
			assert.Len(t, got, 1, "search finds only the row holding %q", e)
		}
	}
	after := dump(t, db)
	assert.Equal(t, before.Schema, after.Schema, "no table dropped or created")
	assert.Equal(t, []string{"patient"}, userChanges(before, after))
}

// writeThenFail writes, then fails the call with a tool error.
func writeThenFail(ctx context.Context, db domains.DBTX, args map[string]any) error {
	if _, err := db.ExecContext(ctx, `UPDATE "doctor" SET "first_name" = 'Mallory'`); err != nil {
		return err
	}
	return domains.Errorf("rule says no to %v", args["patient_id"])
}

func TestRuleFailureRollsBack(t *testing.T) {
	d := copyDomain(clinic(t), "clinic_rules")
	db := newDB(t, d)
	before := dump(t, db)
	var seen map[string]any
	d.AddRule("update_patient", func(ctx context.Context, db domains.DBTX, args map[string]any) error {
		seen = args
		return nil
	})
	d.AddRule("update_patient", writeThenFail)
	_, err := call(t, d, db, "update_patient", `{"patient_id": "patient_0001", "phone": "1"}`)
	assert.Equal(t, "rule says no to patient_0001", toolError(t, err))
	assert.Equal(t, map[string]any{"patient_id": "patient_0001", "phone": "1"}, seen, "rules see the decoded arguments")
	assert.Equal(t, before, dump(t, db), "neither the rule's write nor the tool's ran")

	// A rule's plain error is an internal error, also rolled back.
	d.AddRule("create_doctor", func(ctx context.Context, db domains.DBTX, args map[string]any) error {
		if _, err := db.ExecContext(ctx, `DELETE FROM "patient"`); err != nil {
			return err
		}
		return errors.New("database on fire")
	})
	_, err = call(t, d, db, "create_doctor", `{"first_name": "A", "last_name": "B", "specialty": "neurology"}`)
	require.Error(t, err)
	assert.False(t, domains.IsToolError(err))
	assert.Equal(t, before, dump(t, db))

	// Rules do not run on invalid arguments.
	calls := 0
	d.AddRule("get_patient", func(context.Context, domains.DBTX, map[string]any) error { calls++; return nil })
	_, err = call(t, d, db, "get_patient", `{"patient_id": 5}`)
	toolError(t, err)
	assert.Zero(t, calls)
	mustCall(t, d, db, "get_patient", `{"patient_id": "patient_0001"}`)
	assert.Equal(t, 1, calls)

	// Tools without rules are unaffected.
	assert.Equal(t, "patient_0001", row(t, d, db, "get_patient", `{"patient_id": "patient_0001"}`)["id"])
}

func TestHandlerFailureAfterWriteRollsBack(t *testing.T) {
	base := clinic(t)
	d := copyDomain(base, "clinic_failing")
	db := newDB(t, d)
	before := dump(t, db)
	create := base.Tool("create_patient").Handler
	d.Override("create_patient", func(ctx context.Context, db domains.DBTX, args json.RawMessage) (any, error) {
		if _, err := create(ctx, db, args); err != nil {
			return nil, err
		}
		return nil, domains.Errorf("second thoughts")
	})
	d.Override("update_patient", func(ctx context.Context, db domains.DBTX, args json.RawMessage) (any, error) {
		if _, err := db.ExecContext(ctx, `DELETE FROM "appointment"`); err != nil {
			return nil, err
		}
		panic("boom")
	})
	d.Override("get_patient", func(ctx context.Context, db domains.DBTX, args json.RawMessage) (any, error) {
		if _, err := db.ExecContext(ctx, `DELETE FROM "doctor"`); err != nil {
			return nil, err
		}
		return func() {}, nil // cannot be encoded as JSON
	})
	_, err := call(t, d, db, "create_patient", `{"first_name": "A", "last_name": "B", "date_of_birth": "2000-01-01"}`)
	assert.Equal(t, "second thoughts", toolError(t, err))
	assert.Equal(t, before, dump(t, db))

	_, err = call(t, d, db, "update_patient", `{"patient_id": "patient_0001"}`)
	var pe *domains.PanicError
	require.True(t, errors.As(err, &pe), "a panic becomes a *PanicError, got %v", err)
	assert.Equal(t, "update_patient", pe.Tool)
	assert.Equal(t, "boom", pe.Value)
	assert.False(t, domains.IsToolError(err))
	assert.Equal(t, before, dump(t, db), "the panicking call's write is rolled back")

	_, err = call(t, d, db, "get_patient", `{"patient_id": "patient_0001"}`)
	require.Error(t, err)
	assert.False(t, domains.IsToolError(err), "an unencodable result is an internal error")
	assert.Equal(t, before, dump(t, db))

	// The database is still usable: no transaction was left open.
	assert.Len(t, rows(t, d, db, "list_patients", `{}`), 20)
}

func TestOverride(t *testing.T) {
	base := clinic(t)
	d := copyDomain(base, "clinic_override")
	db := newDB(t, d)
	var got json.RawMessage
	d.Override("get_doctor", func(ctx context.Context, db domains.DBTX, args json.RawMessage) (any, error) {
		got = args
		return map[string]any{"overridden": true}, nil
	})
	assert.Equal(t, map[string]any{"overridden": true}, row(t, d, db, "get_doctor", `{"doctor_id": "doctor_0001"}`))
	assert.JSONEq(t, `{"doctor_id": "doctor_0001"}`, string(got))
	// Validation still runs before the override.
	got = nil
	_, err := call(t, d, db, "get_doctor", `{"doctor_id": 1}`)
	toolError(t, err)
	assert.Nil(t, got)
	// The default world's tool is untouched.
	assert.Equal(t, "doctor_0001", row(t, base, newDB(t, base), "get_doctor", `{"doctor_id": "doctor_0001"}`)["id"])
	// Misspelled names fail loudly.
	assert.Panics(t, func() { d.Override("get_docter", nil) })
	assert.Panics(t, func() { d.AddRule("get_docter", nil) })
}

func TestRegister(t *testing.T) {
	base := clinic(t)
	d := copyDomain(base, "zz_test_register_"+t.Name())
	// Tools out of order are sorted at registration; rules and overrides
	// added before registration apply.
	d.Tools[0], d.Tools[len(d.Tools)-1] = d.Tools[len(d.Tools)-1], d.Tools[0]
	pending := &domains.Domain{Name: d.Name, Model: d.Model, SchemaSQL: d.SchemaSQL}
	pending.AddRule("get_doctor", func(context.Context, domains.DBTX, map[string]any) error { return domains.Errorf("closed today") })
	pending.Override("get_patient", func(context.Context, domains.DBTX, json.RawMessage) (any, error) { return "overridden", nil })
	pending.Tools = d.Tools
	domains.Register(pending)
	assert.Same(t, pending, domains.Lookup(d.Name))
	for i := 1; i < len(pending.Tools); i++ {
		assert.Less(t, pending.Tools[i-1].Name, pending.Tools[i].Name)
	}
	db := newDB(t, pending)
	_, err := call(t, pending, db, "get_doctor", `{"doctor_id": "doctor_0001"}`)
	assert.Equal(t, "closed today", toolError(t, err))
	assert.Equal(t, "overridden", mustCall(t, pending, db, "get_patient", `{"patient_id": "patient_0001"}`))
	assert.Panics(t, func() { domains.Register(&domains.Domain{Name: d.Name}) }, "duplicate names panic")
	bad := &domains.Domain{Name: d.Name + "_bad"}
	bad.AddRule("nope", nil)
	bad.Tools = []*domains.Tool{{Name: "yes"}}
	assert.Panics(t, func() { domains.Register(bad) }, "a rule for an unknown tool panics at registration")
}

func TestIsolation(t *testing.T) {
	d := clinic(t)
	db1, db2 := newDB(t, d), newDB(t, d)
	fresh := dump(t, db2)
	row(t, d, db1, "create_patient", `{"first_name": "Only", "last_name": "One", "date_of_birth": "2000-01-01"}`)
	row(t, d, db1, "cancel_appointment", `{"appointment_id": "appointment_0001"}`)
	_, err := call(t, d, db2, "get_patient", `{"patient_id": "patient_0021"}`)
	toolError(t, err)
	assert.Equal(t, fresh, dump(t, db2), "db2 never sees db1's writes")
	// And the other way round.
	row(t, d, db2, "update_patient", `{"patient_id": "patient_0002", "phone": "db2"}`)
	assert.NotEqual(t, "db2", row(t, d, db1, "get_patient", `{"patient_id": "patient_0002"}`)["phone"])
	// A database opened after the writes starts from the seed again.
	assert.Equal(t, fresh, dump(t, newDB(t, d)))
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	d := clinic(t)
	a, b := newDB(t, d), newDB(t, d)
	da, db := dump(t, a), dump(t, b)
	assert.Equal(t, da, db, "NewDB twice gives the same content")
	sa, err := domains.Serialize(ctx, a)
	require.NoError(t, err)
	sb, err := domains.Serialize(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, sa, sb, "and the same bytes")

	// A domain built from scratch (no cached snapshot) seeds the same.
	c := copyDomain(d, "clinic_copy")
	assert.Equal(t, da, dump(t, newDB(t, c)))

	// Another seed, other rows, same schema.
	other, err := d.NewDB(ctx, 2)
	require.NoError(t, err)
	defer other.Close()
	do := dump(t, other)
	assert.Equal(t, da.Schema, do.Schema)
	assert.NotEqual(t, da.Tables["patient"], do.Tables["patient"])

	// Deserialize restores a snapshot taken after writes.
	row(t, d, a, "create_patient", `{"first_name": "Snap", "last_name": "Shot", "date_of_birth": "2000-01-01"}`)
	snap, err := domains.Serialize(ctx, a)
	require.NoError(t, err)
	restored, err := domains.OpenMemory()
	require.NoError(t, err)
	defer restored.Close()
	require.NoError(t, domains.Deserialize(ctx, restored, snap))
	assert.Equal(t, dump(t, a), dump(t, restored))
	assert.Equal(t, "Snap", row(t, d, restored, "get_patient", `{"patient_id": "patient_0021"}`)["first_name"])
	// The snapshot is a copy: later writes to the source do not show.
	row(t, d, a, "update_patient", `{"patient_id": "patient_0021", "first_name": "Changed"}`)
	assert.Equal(t, "Snap", row(t, d, restored, "get_patient", `{"patient_id": "patient_0021"}`)["first_name"])
}

func TestSnapshotOfBrokenSchema(t *testing.T) {
	d := &domains.Domain{Name: "broken", Model: clinic(t).Model, SchemaSQL: "CREATE TABLE oops ("}
	_, err := d.NewDB(context.Background(), 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "broken")
}

func TestLoader(t *testing.T) {
	base := clinic(t)
	d := copyDomain(base, "clinic_loader")
	d.Loader = func(ctx context.Context, db domains.DBTX, seed int64) error {
		_, err := db.ExecContext(ctx, `INSERT INTO "patient" ("id", "first_name") VALUES (?, 'Loaded')`, fmt.Sprintf("p%d", seed))
		return err
	}
	db := newDB(t, d)
	all := rows(t, d, db, "list_patients", `{}`)
	require.Len(t, all, 1)
	assert.Equal(t, "p1", all[0]["id"])
	assert.Empty(t, rows(t, d, db, "list_doctors", `{}`))
}

// TestConcurrentCalls runs many databases of one domain at once (for the
// race detector: snapshot cache, validators, registry).
func TestConcurrentCalls(t *testing.T) {
	d := clinic(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := d.NewDB(context.Background(), int64(i%3))
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			for j := range 5 {
				args := fmt.Sprintf(`{"first_name": "G%d", "last_name": "N%d", "date_of_birth": "2000-01-01"}`, i, j)
				if _, err := d.Call(context.Background(), db, "create_patient", json.RawMessage(args)); err != nil {
					errs <- err
					return
				}
				if _, err := d.Call(context.Background(), db, "list_patients", json.RawMessage(`{"q": "G"}`)); err != nil {
					errs <- err
					return
				}
				_ = domains.All()
			}
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM "patient"`).Scan(&n); err != nil {
				errs <- err
				return
			}
			if n != 25 {
				errs <- fmt.Errorf("database %d has %d patients, want 25", i, n)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCheckDefaultWorld(t *testing.T) {
	rep, err := domains.Check(context.Background(), domains.All(), domains.CheckOptions{Valid: 3, Seed: 1})
	require.NoError(t, err)
	t.Logf("%+v", *rep)
	tools := 0
	for _, d := range domains.All() {
		tools += len(d.Tools)
	}
	assert.Equal(t, len(domains.All()), rep.Domains)
	assert.Equal(t, tools, rep.Tools)
	assert.Zero(t, rep.InternalErrors, "internal errors: %v", rep.Problems)
	assert.Zero(t, rep.Panics, "panics: %v", rep.Problems)
	assert.Zero(t, rep.InvalidAccepted, "invalid arguments accepted: %v", rep.Problems)
	assert.Equal(t, rep.Calls, rep.OK+rep.ToolErrors+rep.InternalErrors+rep.Panics+rep.InvalidAccepted)
	assert.Greater(t, rep.OK+rep.RefusedByRule, rep.Calls/4, "most valid calls succeed or are refused by a rule")
	assert.Positive(t, rep.LifecycleRules, "the default world has lifecycle rules")
	assert.Positive(t, rep.RefusedByRule, "some random calls break a rule")
	assert.Positive(t, rep.InvalidRejected)
}

func TestCheckCountsFailures(t *testing.T) {
	d := copyDomain(clinic(t), "clinic_check")
	d.Override("get_patient", func(context.Context, domains.DBTX, json.RawMessage) (any, error) { panic("bad") })
	d.Override("get_doctor", func(context.Context, domains.DBTX, json.RawMessage) (any, error) { return nil, errors.New("bad") })
	rep, err := domains.Check(context.Background(), []*domains.Domain{d}, domains.CheckOptions{Valid: 3, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Panics, "every valid get_patient call panics")
	assert.Equal(t, 3, rep.InternalErrors)
	assert.NotEmpty(t, rep.Problems)
	assert.Zero(t, rep.InvalidAccepted)
}

// TestIntegralNumbers: JSON Schema counts 5.0 and 5e0 as integers, so
// the validator accepts them; the tool must accept them too.
func TestIntegralNumbers(t *testing.T) {
	d := clinic(t)
	db := newDB(t, d)
	for _, limit := range []string{"5.0", "5e0", "50e-1", "0.5e1"} {
		assert.Len(t, rows(t, d, db, "list_patients", `{"limit": `+limit+`}`), 5, "limit %s", limit)
	}
	a := row(t, d, db, "create_appointment", `{"patient_id": "patient_0001", "doctor_id": "doctor_0001", "starts_at": "2026-03-01T09:30:00Z", "duration_minutes": 3e1}`)
	assert.Equal(t, float64(30), a["duration_minutes"])
	// Fractions stay invalid.
	_, err := call(t, d, db, "list_patients", `{"limit": 5.5}`)
	assert.Contains(t, toolError(t, err), "limit")

	// Decode itself, on a struct like the generated ones.
	var args struct {
		N    *int64          `json:"n"`
		F    *float64        `json:"f"`
		Raw  json.RawMessage `json:"raw"`
		Name *string         `json:"name"`
	}
	require.NoError(t, domains.Decode(json.RawMessage(`{"n": 1.0e3, "f": 2.5, "raw": [1.0, {"x": "<b>"}], "name": "1.0 <&>"}`), &args))
	assert.Equal(t, int64(1000), *args.N)
	assert.Equal(t, 2.5, *args.F)
	assert.Equal(t, "1.0 <&>", *args.Name, "strings are left alone")
	assert.JSONEq(t, `[1, {"x": "<b>"}]`, string(args.Raw))
	assert.Contains(t, string(args.Raw), "<b>", "stored JSON text is not HTML-escaped")
	for _, bad := range []string{`{"n": 1.5}`, `{"n": 1e30}`, `{"n": "1"}`, `{"n": 9223372036854775808.0}`} {
		err := domains.Decode(json.RawMessage(bad), &args)
		assert.True(t, domains.IsToolError(err), "%s: %v", bad, err)
	}
	require.NoError(t, domains.Decode(json.RawMessage(`{"n": 9007199254740993.0}`), &args))
	assert.Equal(t, int64(9007199254740993), *args.N, "exactly, beyond float64's integers")
	var n int64
	require.NoError(t, domains.DecodeField(json.RawMessage(`{"a,b": 7.0}`), "a,b", &n))
	assert.Equal(t, int64(7), n)
}

// TestArgGenValidPassesValidation: arguments ArgGen.Valid draws pass the
// tool's schema (a call may still fail on state, e.g. a missing row,
// but never on its arguments).
func TestArgGenValidPassesValidation(t *testing.T) {
	for _, d := range domains.All() {
		db := newDB(t, d)
		gen := &domains.ArgGen{Domain: d, Rand: rand.New(rand.NewPCG(7, 8))}
		for _, tl := range d.Tools {
			for range 4 {
				args := gen.Valid(context.Background(), db, tl)
				_, err := d.Call(callCtx(t), db, tl.Name, args)
				if err != nil {
					msg := toolError(t, err)
					assert.NotContains(t, msg, "invalid arguments", "%s.%s(%s)", d.Name, tl.Name, args)
					assert.NotContains(t, msg, "cannot use", "%s.%s(%s)", d.Name, tl.Name, args)
				}
			}
			for _, bad := range gen.Invalid(tl) {
				_, err := d.Call(callCtx(t), db, tl.Name, bad.Args)
				assert.True(t, domains.IsToolError(err), "%s.%s must reject %s: %s", d.Name, tl.Name, bad.What, bad.Args)
			}
		}
	}
}
