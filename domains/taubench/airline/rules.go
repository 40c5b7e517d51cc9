package airline

// Business rules: preconditions checked before a tool runs, in its
// transaction, that only ever reject a call. tau-bench's tools check
// little else (its policy: "The API does not check these for the agent,
// so the agent must make sure the rules apply"), so neither do these:
// the policy's limits (no change to basic economy flights, at most one
// certificate per booking, ...) are the agent's to respect, and a task's
// reward, comparing the final database with the ground truth's, is what
// tells whether it did.

import (
	"context"

	"github.com/simgym/simgym/domains"
)

func init() {
	for _, tool := range []string{"cancel_reservation", "get_reservation_details", "update_reservation_baggages", "update_reservation_flights", "update_reservation_passengers"} {
		domain.AddRule(tool, requireRecord(reservationTable, "reservation_id"))
	}
	for _, tool := range []string{"book_reservation", "get_user_details", "send_certificate"} {
		domain.AddRule(tool, requireRecord(userTable, "user_id"))
	}
	domain.AddRule("update_reservation_passengers", samePassengerCount)
}

// requireRecord rejects a call whose argument arg names no record of
// table.
func requireRecord(table, arg string) domains.Rule {
	return func(ctx context.Context, db domains.DBTX, args map[string]any) error {
		id, _ := args[arg].(string)
		ok, err := exists(ctx, db, table, id)
		if err != nil {
			return err
		}
		if !ok {
			return fail("%s %s not found", table, id)
		}
		return nil
	}
}

// samePassengerCount rejects a passenger update that changes how many
// passengers the reservation has (policy: "The user can modify
// passengers but cannot modify the number of passengers").
func samePassengerCount(ctx context.Context, db domains.DBTX, args map[string]any) error {
	id, _ := args["reservation_id"].(string)
	res, err := mustReservation(ctx, db, id)
	if err != nil {
		return err
	}
	given, _ := args["passengers"].([]any)
	if have := len(res.list("passengers")); have != len(given) {
		return fail("the number of passengers cannot change: the reservation has %d, not %d", have, len(given))
	}
	return nil
}
