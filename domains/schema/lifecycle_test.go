package schema_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
)

// transferTools is a small banking API: transfers with a status enum and
// actions whose descriptions and failures state their preconditions.
func transferTools() []*tools.Tool {
	status := enumProp("pending", "approved", "completed", "rejected", "cancelled")
	get := httpTool("getTransfer", "GET", "/transfers/{transfer_id}", map[string]*tools.Schema{"transfer_id": prop("string")})
	get.Result = obj(map[string]*tools.Schema{"id": prop("string"), "status": status, "amount": prop("number")})
	action := func(name, verb, desc string, errs ...tools.Response) *tools.Tool {
		tl := httpTool(name, "POST", "/transfers/{transfer_id}/"+verb, map[string]*tools.Schema{"transfer_id": prop("string")})
		tl.Description, tl.Errors = desc, errs
		return tl
	}
	return []*tools.Tool{get,
		action("approveTransfer", "approve", "Approves a pending transfer."),
		action("cancelTransfer", "cancel", "Cancels a transfer that has not been executed yet.",
			tools.Response{Status: "404", Description: "No transfer has this id."},
			tools.Response{Status: "409", Description: "The transfer cannot be cancelled. Only pending or approved transfers can be cancelled."}),
		action("rejectTransfer", "reject", "Rejects a transfer."),
		action("completeTransfer", "complete", "Executes the transfer; a cancelled transfer cannot be completed."),
	}
}

func TestLifecycleFromSpec(t *testing.T) {
	m := schema.Infer("bank", transferTools(), schema.Options{})
	l := m.Table("transfer").Lifecycle
	require.NotNil(t, l)
	assert.Equal(t, "status", l.Column)
	assert.Equal(t, []string{"pending", "approved", "completed", "rejected", "cancelled"}, l.States)
	assert.Equal(t, "pending", l.Initial)
	assert.Equal(t, []string{"completed", "rejected", "cancelled"}, l.Terminal)
	cases := []struct {
		tool, to, done, evidence string
		from                     []string
	}{
		// The description names the state.
		{"approveTransfer", "approved", "approved", "description", []string{"pending"}},
		// A documented failure with "only" wins over the description.
		{"cancelTransfer", "cancelled", "cancelled", "errors", []string{"pending", "approved"}},
		// Nothing said: a forward verb applies to the live states listed
		// before its target.
		{"rejectTransfer", "rejected", "rejected", "verb", []string{"pending", "approved"}},
		// A negated mention excludes a state (it is terminal anyway).
		{"completeTransfer", "completed", "completed", "verb", []string{"pending", "approved"}},
	}
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			tr := l.Transition(c.tool)
			require.NotNil(t, tr)
			assert.Equal(t, c.from, tr.From)
			assert.Equal(t, c.to, tr.To)
			assert.Equal(t, c.done, tr.Done)
			assert.Equal(t, c.evidence, tr.Evidence)
		})
	}
	assert.Nil(t, l.Transition("getTransfer"), "reads have no transition")
}

func TestLifecycleVerbs(t *testing.T) {
	// A reopen undoes a close, so "closed" is left and is not terminal.
	get := httpTool("getAccount", "GET", "/accounts/{account_id}", map[string]*tools.Schema{"account_id": prop("string")})
	get.Result = obj(map[string]*tools.Schema{"status": enumProp("open", "frozen", "closed")})
	closeT := httpTool("closeAccount", "POST", "/accounts/{account_id}/close", map[string]*tools.Schema{"account_id": prop("string")})
	reopen := httpTool("reopenAccount", "POST", "/accounts/{account_id}/reopen", map[string]*tools.Schema{"account_id": prop("string")})
	m := schema.Infer("bank", []*tools.Tool{get, closeT, reopen}, schema.Options{})
	l := m.Table("account").Lifecycle
	require.NotNil(t, l)
	assert.Equal(t, []string{"open", "frozen"}, l.Transition("closeAccount").From)
	assert.Equal(t, []string{"closed"}, l.Transition("reopenAccount").From)
	assert.Empty(t, l.Terminal)
}

func TestLifecycleWithoutEnum(t *testing.T) {
	// A status column without values gets the states the actions lead
	// to, after a first state, and seeding draws from them.
	get := fnTool("get_ticket", map[string]*tools.Schema{"ticket_id": prop("string")})
	get.Result = obj(map[string]*tools.Schema{"status": prop("string")})
	cancel := fnTool("cancel_ticket", map[string]*tools.Schema{"ticket_id": prop("string")})
	m := schema.Infer("d", []*tools.Tool{get, cancel}, schema.Options{})
	l := m.Table("ticket").Lifecycle
	require.NotNil(t, l)
	assert.Equal(t, []string{"pending", "cancelled"}, l.States)
	assert.Empty(t, m.Table("ticket").Column("status").Enum, "the column stays open")
	assert.Equal(t, []string{"pending"}, l.Transition("cancel_ticket").From)
}

func TestActionIgnoresAddressState(t *testing.T) {
	// An order whose "state" is where it ships to (a US state, no
	// lifecycle values) keeps it; the cancel writes a status column.
	get := httpTool("getOrder", "GET", "/orders/{order_id}", map[string]*tools.Schema{"order_id": prop("string")})
	get.Result = obj(map[string]*tools.Schema{"state": prop("string"), "city": prop("string")})
	cancel := httpTool("cancel_pending_order", "POST", "/orders/{order_id}/cancel", map[string]*tools.Schema{"order_id": prop("string")})
	m := schema.Infer("shop", []*tools.Tool{get, cancel}, schema.Options{})
	op := m.Op("cancel_pending_order")
	require.Len(t, op.Sets, 1)
	assert.Equal(t, "status", op.Sets[0].Column)
	assert.Equal(t, "status", m.Table("order").Lifecycle.Column)

	// A "state" whose values are lifecycle states is the lifecycle.
	get.Result = obj(map[string]*tools.Schema{"state": enumProp("open", "cancelled")})
	m = schema.Infer("shop", []*tools.Tool{get, cancel}, schema.Options{})
	assert.Equal(t, "state", m.Op("cancel_pending_order").Sets[0].Column)
}

func TestReferenceRules(t *testing.T) {
	owner := httpTool("createOwner", "POST", "/owners", map[string]*tools.Schema{"name": prop("string")})
	delOwner := httpTool("deleteOwner", "DELETE", "/owners/{owner_id}", map[string]*tools.Schema{"owner_id": prop("string")})
	// Pets nest under owners: owned, so deleting an owner deletes them.
	pet := httpTool("createPet", "POST", "/owners/{owner_id}/pets", map[string]*tools.Schema{"owner_id": prop("string"), "name": prop("string")})
	// Visits always name their vet (required), a note may name one.
	visit := httpTool("createVisit", "POST", "/visits", map[string]*tools.Schema{"vet_id": prop("string"), "reviewer_id": prop("string")})
	visit.Parameters.Required = []string{"vet_id"}
	vet := httpTool("createVet", "POST", "/vets", map[string]*tools.Schema{"name": prop("string")})
	reviewer := httpTool("createReviewer", "POST", "/reviewers", map[string]*tools.Schema{"name": prop("string")})
	// The spec says what happens to a room's bookings.
	room := httpTool("deleteRoom", "DELETE", "/rooms/{room_id}", map[string]*tools.Schema{"room_id": prop("string")})
	room.Errors = []tools.Response{{Status: "409", Description: "The room cannot be deleted while bookings reference it."}}
	booking := httpTool("createBooking", "POST", "/bookings", map[string]*tools.Schema{"room_id": prop("string")})
	m := schema.Infer("d", []*tools.Tool{owner, delOwner, pet, visit, vet, reviewer, room, booking}, schema.Options{})
	cases := []struct {
		parent, child, column string
		rule                  schema.OnDelete
		why                   string
	}{
		{"owner", "pet", "owner_id", schema.Cascade, "owned"},
		{"vet", "visit", "vet_id", schema.Restrict, "required"},
		{"reviewer", "visit", "reviewer_id", schema.SetNull, "optional"},
		{"room", "booking", "room_id", schema.Restrict, "spec"},
	}
	for _, c := range cases {
		t.Run(c.parent+"<-"+c.child, func(t *testing.T) {
			refs := m.Table(c.parent).Referrers
			require.Len(t, refs, 1)
			assert.Equal(t, schema.Reference{Table: c.child, Column: c.column, OnDelete: c.rule, Why: c.why}, *refs[0])
		})
	}
}

func TestDone(t *testing.T) {
	for action, want := range map[string]string{"approve": "approved", "cancel": "cancelled", "check_in": "checked in",
		"refund": "refunded", "activate": "activated", "freeze": "frozen", "ship": "shipped", "close": "closed", "verify": "verified"} {
		assert.Equal(t, want, schema.Done(action), action)
	}
}
