package airline

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
)

// newDB returns a fresh database holding tau-bench's initial state.
func newDB(t *testing.T) *sql.DB {
	t.Helper()
	loadData(t)
	db, err := domain.NewDB(context.Background(), 0)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func call(t *testing.T, db *sql.DB, tool, args string) (json.RawMessage, error) {
	t.Helper()
	return domain.Call(context.Background(), db, tool, json.RawMessage(args))
}

func mustCall(t *testing.T, db *sql.DB, tool, args string) json.RawMessage {
	t.Helper()
	out, err := call(t, db, tool, args)
	require.NoError(t, err, "%s %s", tool, args)
	return out
}

func TestAllToolsServed(t *testing.T) {
	names := make([]string, 0, len(domain.Tools))
	for _, tl := range domain.Tools {
		names = append(names, tl.Name)
	}
	assert.Equal(t, []string{"book_reservation", "calculate", "cancel_reservation", "get_reservation_details", "get_user_details",
		"list_all_airports", "search_direct_flight", "search_onestop_flight", "send_certificate", "think",
		"transfer_to_human_agents", "update_reservation_baggages", "update_reservation_flights", "update_reservation_passengers"}, names)
	for _, table := range []string{userTable, reservationTable, flightTable} {
		assert.NotNil(t, domain.Table(table).Column("record"), "model of %s", table)
	}
}

// TestToolErrors checks the agent-readable errors, and that a failed call
// changes nothing.
func TestToolErrors(t *testing.T) {
	db := newDB(t)
	book := func(payment string) string {
		return `{"user_id": "mia_li_3668", "origin": "JFK", "destination": "SEA", "flight_type": "one_way", "cabin": "economy",
"flights": [{"flight_number": "HAT136", "date": "2024-05-20"}, {"flight_number": "HAT039", "date": "2024-05-20"}],
"passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
"payment_methods": ` + payment + `, "total_baggages": 3, "nonfree_baggages": 0, "insurance": "no"}`
	}
	for _, c := range []struct{ tool, args, want string }{
		{"get_user_details", `{"user_id": "nobody_1"}`, "Error: user nobody_1 not found"},
		{"get_reservation_details", `{"reservation_id": "ZZZZZZ"}`, "Error: reservation ZZZZZZ not found"},
		{"cancel_reservation", `{"reservation_id": "ZZZZZZ"}`, "Error: reservation ZZZZZZ not found"},
		{"send_certificate", `{"user_id": "nobody_1", "amount": 100}`, "Error: user nobody_1 not found"},
		{"book_reservation", book(`[{"payment_id": "credit_card_4421486", "amount": 200}]`), "Error: payment amount does not add up: the total price is 255, but 200 was paid"},
		{"book_reservation", book(`[{"payment_id": "gift_card_0000000", "amount": 255}]`), "Error: payment method gift_card_0000000 not found"},
		{"book_reservation", book(`[{"payment_id": "certificate_4856383", "amount": 255}]`), "Error: not enough balance in certificate certificate_4856383: 100 left, 255 asked"},
		{"book_reservation", strings.Replace(book(`[]`), "2024-05-20", "2024-05-01", 1), "Error: flight HAT136 on 2024-05-01 cannot be booked: its status is landed"},
		{"book_reservation", strings.Replace(book(`[]`), "HAT136", "HAT999", 1), "Error: flight HAT999 not found"},
		{"update_reservation_passengers", `{"reservation_id": "4WQ150", "passengers": [{"first_name": "A", "last_name": "B", "dob": "2000-01-01"}]}`,
			"Error: the number of passengers cannot change: the reservation has 3, not 1"},
		{"update_reservation_baggages", `{"reservation_id": "4WQ150", "total_baggages": 9, "nonfree_baggages": 4, "payment_id": "certificate_0000000"}`,
			"Error: payment method certificate_0000000 not found"},
		{"calculate", `{"expression": "1 / (2 - 2)"}`, "Error: division by zero"},
		{"calculate", `{"expression": "__import__('os')"}`, "Error: invalid characters in expression"},
	} {
		_, err := call(t, db, c.tool, c.args)
		require.Error(t, err, c.tool)
		assert.True(t, domains.IsToolError(err), "%s: %v", c.tool, err)
		assert.Equal(t, c.want, err.Error(), c.tool)
	}
	changes, err := domain.Changes(context.Background(), db, 0)
	require.NoError(t, err)
	assert.Empty(t, changes, "failed calls changed the database")

	// A certificate cannot pay for a change; a gift card must cover it.
	user := decode(t, mustCall(t, db, "get_user_details", `{"user_id": "chen_jackson_3290"}`))
	var cert, gift string
	for _, k := range user.obj("payment_methods").keys {
		switch {
		case strings.HasPrefix(k, "certificate_") && cert == "":
			cert = k
		case strings.HasPrefix(k, "gift_card_") && gift == "":
			gift = k
		}
	}
	if cert != "" {
		_, err = call(t, db, "update_reservation_baggages", `{"reservation_id": "4WQ150", "total_baggages": 9, "nonfree_baggages": 4, "payment_id": "`+cert+`"}`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cannot pay for a change")
	}
	if gift != "" {
		_, err = call(t, db, "update_reservation_baggages", `{"reservation_id": "4WQ150", "total_baggages": 900, "nonfree_baggages": 900, "payment_id": "`+gift+`"}`)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "not enough balance in gift card")
	}
}

func decode(t *testing.T, raw json.RawMessage) *object {
	t.Helper()
	o, err := decodeObject(raw)
	require.NoError(t, err)
	return o
}

// TestBookingIDsAndMirrors books twice and sends two certificates, then
// checks the ids and that the inferred columns follow the records.
func TestBookingIDsAndMirrors(t *testing.T) {
	db := newDB(t)
	args := `{"user_id": "mia_li_3668", "origin": "JFK", "destination": "SEA", "flight_type": "one_way", "cabin": "business",
"flights": [{"flight_number": "HAT136", "date": "2024-05-20"}], "passengers": [{"first_name": "Mia", "last_name": "Li", "dob": "1990-04-05"}],
"payment_methods": [{"payment_id": "credit_card_4421486", "amount": %d}], "total_baggages": 0, "nonfree_baggages": 0, "insurance": "yes"}`
	var results []map[string]any
	require.NoError(t, json.Unmarshal(mustCall(t, db, "search_direct_flight", `{"origin": "JFK", "destination": "ATL", "date": "2024-05-20"}`), &results))
	var price int
	for _, r := range results {
		if r["flight_number"] == "HAT136" {
			price = int(r["prices"].(map[string]any)["business"].(float64))
		}
	}
	require.NotZero(t, price)
	total := price + 30
	first := decode(t, mustCall(t, db, "book_reservation", strings.Replace(args, "%d", itoa(total), 1)))
	second := decode(t, mustCall(t, db, "book_reservation", strings.Replace(args, "%d", itoa(total), 1)))
	assert.Equal(t, "HATHAT", first.str("reservation_id"))
	assert.Equal(t, "HATHAU", second.str("reservation_id"))
	assert.Equal(t, Now, first.str("created_at"))

	mustCall(t, db, "cancel_reservation", `{"reservation_id": "HATHAU"}`)
	var cabin, status, payment string
	var seq int64
	require.NoError(t, db.QueryRow(`SELECT "cabin", "status", "payment_id", "seq" FROM "reservation" WHERE "id" = 'HATHAU'`).Scan(&cabin, &status, &payment, &seq))
	assert.Equal(t, []any{"business", "cancelled", "credit_card_4421486", int64(2002)}, []any{cabin, status, payment, seq})

	c1 := mustCall(t, db, "send_certificate", `{"user_id": "mia_li_3668", "amount": 50}`)
	c2 := mustCall(t, db, "send_certificate", `{"user_id": "mia_li_3668", "amount": 75.5}`)
	assert.JSONEq(t, `"Certificate certificate_3221322 added to user mia_li_3668 with amount 50."`, string(c1))
	assert.JSONEq(t, `"Certificate certificate_3221323 added to user mia_li_3668 with amount 75.5."`, string(c2))
	user := decode(t, mustCall(t, db, "get_user_details", `{"user_id": "mia_li_3668"}`))
	assert.Equal(t, []any{"NO6JO3", "AIXC49", "HKEG34", "HATHAT", "HATHAU"}, user.list("reservations"))
	assert.Equal(t, `{"source":"certificate","amount":75.5,"id":"certificate_3221323"}`, string(encodeValue(user.obj("payment_methods").get("certificate_3221323"))))
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestSearchOnestopAndOthers(t *testing.T) {
	db := newDB(t)
	var pairs [][]map[string]any
	require.NoError(t, json.Unmarshal(mustCall(t, db, "search_onestop_flight", `{"origin": "JFK", "destination": "SEA", "date": "2024-05-20"}`), &pairs))
	require.NotEmpty(t, pairs)
	sawHAT136 := false
	for _, p := range pairs {
		require.Len(t, p, 2)
		a, b := p[0], p[1]
		assert.Equal(t, "JFK", a["origin"])
		assert.Equal(t, a["destination"], b["origin"])
		assert.Equal(t, "SEA", b["destination"])
		assert.Equal(t, "2024-05-20", a["date"])
		assert.Equal(t, "available", b["status"])
		sawHAT136 = sawHAT136 || a["flight_number"] == "HAT136" && b["flight_number"] == "HAT039"
	}
	assert.True(t, sawHAT136, "tau-bench's task 0 books HAT136 then HAT039")

	var airports map[string]string
	require.NoError(t, json.Unmarshal(mustCall(t, db, "list_all_airports", `{}`), &airports))
	assert.Len(t, airports, 20)
	assert.Equal(t, "Seattle", airports["SEA"])
	assert.JSONEq(t, `""`, string(mustCall(t, db, "think", `{"thought": "hmm"}`)))
	assert.JSONEq(t, `"Transfer successful"`, string(mustCall(t, db, "transfer_to_human_agents", `{"summary": "help"}`)))
	assert.Equal(t, "4.0", string(mustCall(t, db, "calculate", `{"expression": "2 + 2"}`)))
}

// TestCheck runs simgym's own checker on the domain: random valid and
// invalid calls on tau-bench's data must give no internal error, no
// panic, and no invalid call accepted.
func TestCheck(t *testing.T) {
	loadData(t)
	rep, err := domains.Check(context.Background(), []*domains.Domain{domain}, domains.CheckOptions{Valid: 10, Seed: 3})
	require.NoError(t, err)
	assert.Zero(t, rep.InternalErrors, "%v", rep.Problems)
	assert.Zero(t, rep.Panics, "%v", rep.Problems)
	assert.Zero(t, rep.InvalidAccepted, "%v", rep.Problems)
	t.Logf("check: %d calls, %d ok, %d tool errors", rep.Calls, rep.OK, rep.ToolErrors)
}
