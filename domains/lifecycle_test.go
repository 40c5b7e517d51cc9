package domains_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// keyArgOf is the argument of op that selects its row.
func keyArgOf(op *schema.Op) string {
	for _, a := range op.Args {
		if a.Role == schema.RoleKey {
			return a.Name
		}
	}
	return ""
}

// guardedArgs are arguments of a guarded tool acting on row id: the key
// and the other required arguments drawn valid.
func guardedArgs(t *testing.T, d *domains.Domain, db domains.DBTX, tool string, id any) string {
	t.Helper()
	tl := d.Tool(tool)
	gen := &domains.ArgGen{Domain: d, Rand: rand.New(rand.NewPCG(1, 2))}
	var drawn map[string]any
	require.NoError(t, json.Unmarshal(gen.Valid(context.Background(), db, tl), &drawn))
	var sch struct {
		Required []string `json:"required"`
	}
	require.NoError(t, json.Unmarshal(tl.Parameters, &sch))
	args := map[string]any{}
	for _, n := range sch.Required {
		args[n] = drawn[n]
	}
	key := keyArgOf(d.Model.Op(tool))
	require.NotEmpty(t, key, "%s has a key argument", tool)
	args[key] = id
	b, err := json.Marshal(args)
	require.NoError(t, err)
	return string(b)
}

func spaced(s string) string { return strings.ReplaceAll(s, "_", " ") }

// TestLifecycleRulesDefaultWorld calls every guarded tool of the default
// world on an entity in each state of its lifecycle: the states the
// tool applies to succeed and leave the entity in the tool's target
// state; the others are refused with a message naming the entity, its
// state and what the tool needs, and leave the database as it was.
func TestLifecycleRulesDefaultWorld(t *testing.T) {
	guarded := 0
	for _, d := range domains.All() {
		tools := make([]string, 0, len(d.StateRules))
		for tool := range d.StateRules {
			tools = append(tools, tool)
		}
		sort.Strings(tools)
		for _, tool := range tools {
			r := d.StateRules[tool]
			guarded++
			t.Run(d.Name+"/"+tool, func(t *testing.T) {
				tb := d.Table(r.Table)
				require.NotNil(t, tb)
				require.NotNil(t, tb.Lifecycle, "the rule's table has a lifecycle in model.json")
				tr := tb.Lifecycle.Transition(tool)
				require.NotNil(t, tr)
				assert.Equal(t, tr.From, r.From, "generated rules match model.json")
				q := `SELECT "id" FROM ` + schema.Quote(r.Table) + ` WHERE ` + schema.Quote(r.Column) + ` = ? ORDER BY "id" LIMIT 1`
				seeded := newDB(t, d)
				for _, from := range r.From {
					var id any
					assert.NoError(t, seeded.QueryRowContext(callCtx(t), q, from).Scan(&id), "seeding has a %s %s", from, r.Table)
				}
				for _, state := range tb.Lifecycle.States {
					db := newDB(t, d)
					var id any
					require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT "id" FROM `+schema.Quote(r.Table)+` ORDER BY "id" LIMIT 1`).Scan(&id))
					_, err := db.ExecContext(callCtx(t), `UPDATE `+schema.Quote(r.Table)+` SET `+schema.Quote(r.Column)+` = ? WHERE "id" = ?`, state, id)
					require.NoError(t, err)
					args := guardedArgs(t, d, db, tool, id)
					before := dump(t, db)
					out, err := call(t, d, db, tool, args)
					if slices.Contains(r.From, state) {
						require.NoError(t, err, "%s on a %s %s: %s", tool, state, r.Table, args)
						row, ok := out.(map[string]any)
						require.True(t, ok)
						assert.Equal(t, r.To, row[tb.Column(r.Column).Key], "%s leaves the %s %s", tool, r.Table, r.To)
						continue
					}
					msg := toolError(t, err)
					assert.True(t, domains.IsRefused(err), "a broken precondition is a refusal: %v", err)
					from := make([]string, len(r.From))
					for i, f := range r.From {
						from[i] = spaced(f)
					}
					want := fmt.Sprintf("%s %v is %s; only ", spaced(r.Table), id, spaced(state))
					assert.True(t, strings.HasPrefix(msg, want), "%q starts with %q", msg, want)
					assert.True(t, strings.HasSuffix(msg, " can be "+r.Done), "%q says what the tool does", msg)
					for _, f := range from {
						assert.Contains(t, msg, f, "the message names the states the tool needs")
					}
					assert.Equal(t, before, dump(t, db), "a refused call changes nothing")
				}
			})
		}
	}
	assert.GreaterOrEqual(t, guarded, 30, "the default world's actions are guarded")
}

func TestGuardMessage(t *testing.T) {
	d := domainWith(t, "approve_transfer")
	db := newDB(t, d)
	_, err := db.ExecContext(callCtx(t), `UPDATE "transfer" SET "status" = 'cancelled' WHERE "id" = 'transfer_0011'`)
	require.NoError(t, err)
	_, err = call(t, d, db, "approve_transfer", `{"transfer_id": "transfer_0011"}`)
	assert.Equal(t, "transfer transfer_0011 is cancelled; only pending transfers can be approved", toolError(t, err))
	_, err = db.ExecContext(callCtx(t), `UPDATE "transfer" SET "status" = 'completed' WHERE "id" = 'transfer_0011'`)
	require.NoError(t, err)
	_, err = call(t, d, db, "cancel_transfer", `{"transfer_id": "transfer_0011"}`)
	assert.Equal(t, "transfer transfer_0011 is completed; only pending or approved transfers can be cancelled", toolError(t, err))
	// A missing row is still "not found", not a refusal.
	_, err = call(t, d, db, "approve_transfer", `{"transfer_id": "transfer_0404"}`)
	assert.False(t, domains.IsRefused(err))
	assert.Contains(t, toolError(t, err), "not found")
}

// dangling lists references to rows that do not exist.
func dangling(t *testing.T, d *domains.Domain, db domains.DBTX) []string {
	t.Helper()
	var out []string
	for _, tb := range d.Model.Tables {
		for _, c := range tb.Columns {
			if c.Ref == "" {
				continue
			}
			ids, err := db.QueryContext(callCtx(t), `SELECT "id", `+schema.Quote(c.Name)+` FROM `+schema.Quote(tb.Name)+
				` WHERE `+schema.Quote(c.Name)+` IS NOT NULL AND `+schema.Quote(c.Name)+` NOT IN (SELECT "id" FROM `+schema.Quote(c.Ref)+`)`)
			require.NoError(t, err)
			for ids.Next() {
				var id, ref any
				require.NoError(t, ids.Scan(&id, &ref))
				out = append(out, fmt.Sprintf("%s %v -> %s %v", tb.Name, id, c.Ref, ref))
			}
			require.NoError(t, ids.Err())
			ids.Close()
		}
	}
	return out
}

// TestDeleteReferenceRules deletes every seeded row of every keyed delete
// tool of the default world: some deletes succeed, a restricted one is
// refused naming the referencing rows and changes nothing, and no call
// leaves a dangling reference.
func TestDeleteReferenceRules(t *testing.T) {
	for _, d := range domains.All() {
		for _, op := range d.Model.Ops {
			key := keyArgOf(op)
			if op.Kind != schema.Delete || key == "" {
				continue
			}
			t.Run(d.Name+"/"+op.Tool, func(t *testing.T) {
				tb := d.Table(op.Table)
				seeded := newDB(t, d)
				require.Empty(t, dangling(t, d, seeded), "seeding leaves no dangling references")
				ok, refused := 0, 0
				for n := 1; n <= tb.Rows; n++ {
					db := newDB(t, d)
					id := schema.IDFor(tb.Name, int64(n))
					before := dump(t, db)
					_, err := call(t, d, db, op.Tool, guardedArgs(t, d, db, op.Tool, id))
					switch {
					case err == nil:
						ok++
					case domains.IsRefused(err):
						refused++
						assert.Contains(t, toolError(t, err), "cannot delete "+spaced(tb.Name)+" "+id+": ")
						assert.Equal(t, before, dump(t, db), "a refused delete changes nothing")
					default:
						t.Fatalf("delete %s: %v", id, err)
					}
					assert.Empty(t, dangling(t, d, db), "no dangling references after deleting %s", id)
				}
				assert.Positive(t, ok, "some seeded rows can be deleted")
				for _, r := range tb.Referrers {
					if r.OnDelete == schema.Restrict {
						assert.Positive(t, refused, "rows referenced through %s.%s are refused", r.Table, r.Column)
					}
				}
				t.Logf("%s: %d deleted, %d refused of %d", op.Tool, ok, refused, tb.Rows)
			})
		}
	}
}

// TestDeleteSetNull deletes a vehicle rides reference through an
// optional column: the rides stay, unlinked.
func TestDeleteSetNull(t *testing.T) {
	d := domainWith(t, "delete_vehicle")
	db := newDB(t, d)
	var vehicle string
	var rides int
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT "vehicle_id", COUNT(*) FROM "ride" WHERE "vehicle_id" IS NOT NULL GROUP BY "vehicle_id" ORDER BY "vehicle_id" LIMIT 1`).Scan(&vehicle, &rides))
	require.Positive(t, rides)
	var total int
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT COUNT(*) FROM "ride"`).Scan(&total))
	mustCall(t, d, db, "delete_vehicle", `{"vehicle_id": "`+vehicle+`"}`)
	var left, after int
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT COUNT(*) FROM "ride" WHERE "vehicle_id" = ?`, vehicle).Scan(&left))
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT COUNT(*) FROM "ride"`).Scan(&after))
	assert.Zero(t, left, "rides no longer name the deleted vehicle")
	assert.Equal(t, total, after, "the rides are kept")
}

// TestDeleteCascade sets the vehicle's rides to cascade: deleting the
// vehicle deletes them too, in the same call.
func TestDeleteCascade(t *testing.T) {
	src := domainWith(t, "delete_vehicle")
	raw, err := json.Marshal(src.Model)
	require.NoError(t, err)
	d := copyDomain(src, "ride_cascade")
	d.Model = domains.MustModel(raw)
	for _, r := range d.Model.Table("vehicle").Referrers {
		r.OnDelete = schema.Cascade
	}
	// Generated handlers run on their own domain; this one runs on the
	// copy's model.
	d.Override("delete_vehicle", func(ctx context.Context, db domains.DBTX, args json.RawMessage) (any, error) {
		var a struct {
			VehicleID string `json:"vehicle_id"`
		}
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		return d.DeleteRow(ctx, db, "vehicle", `DELETE FROM "vehicle" WHERE "id" = ?1`, a.VehicleID)
	})
	db := newDB(t, d)
	var vehicle string
	var rides, total int
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT "vehicle_id", COUNT(*) FROM "ride" WHERE "vehicle_id" IS NOT NULL GROUP BY "vehicle_id" ORDER BY "vehicle_id" LIMIT 1`).Scan(&vehicle, &rides))
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT COUNT(*) FROM "ride"`).Scan(&total))
	mustCall(t, d, db, "delete_vehicle", `{"vehicle_id": "`+vehicle+`"}`)
	var after int
	require.NoError(t, db.QueryRowContext(callCtx(t), `SELECT COUNT(*) FROM "ride"`).Scan(&after))
	assert.Equal(t, total-rides, after, "the vehicle's rides are deleted with it")
	assert.Empty(t, dangling(t, d, db))
}

// TestCreatedEntityStartsInitial books a flight and tickets it: a new
// entity starts in its lifecycle's initial state, so the tools that
// apply to new entities accept it.
func TestCreatedEntityStartsInitial(t *testing.T) {
	d := domainWith(t, "confirm_booking")
	db := newDB(t, d)
	gen := &domains.ArgGen{Domain: d, Rand: rand.New(rand.NewPCG(1, 2))}
	var booking map[string]any
	for range 20 {
		v, err := call(t, d, db, "create_booking", string(gen.Valid(callCtx(t), db, d.Tool("create_booking"))))
		if err == nil {
			booking = v.(map[string]any)
			break
		}
	}
	require.NotNil(t, booking, "a booking is created")
	assert.Equal(t, d.Table("booking").Lifecycle.Initial, booking["status"])
	confirmed := row(t, d, db, "confirm_booking", fmt.Sprintf(`{"booking_id": %q}`, booking["id"]))
	assert.Equal(t, "confirmed", confirmed["status"])
	_, err := call(t, d, db, "confirm_booking", fmt.Sprintf(`{"booking_id": %q}`, booking["id"]))
	assert.True(t, domains.IsRefused(err), "a confirmed booking cannot be confirmed again: %v", err)
}
