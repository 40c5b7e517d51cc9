package task_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

// bank is the default world's bank domain.
func bank(t *testing.T) *domains.Domain {
	d := domains.Lookup("account_card")
	require.NotNil(t, d)
	return d
}

// handTask runs calls on a fresh state and makes a task of them, as a
// careless sampler would.
func handTask(t *testing.T, d *domains.Domain, instruction string, calls [][2]string, refs []task.OutputRef) *task.Task {
	t.Helper()
	ctx := context.Background()
	db, err := d.NewDB(ctx, 1)
	require.NoError(t, err)
	defer db.Close()
	tk := &task.Task{ID: "hand", Domain: d.Name, StateSeed: 1, Instruction: instruction}
	for _, c := range calls {
		res, err := d.Call(ctx, db, c[0], json.RawMessage(c[1]))
		if err != nil {
			res = json.RawMessage(`{"error":"refused"}`)
		}
		tk.Actions = append(tk.Actions, task.Action{Tool: c[0], Arguments: json.RawMessage(c[1])})
		tk.Observations = append(tk.Observations, res)
	}
	tk.OutputRefs = refs
	tk.Outputs = nil
	for _, r := range refs {
		v := task.Answer(&task.Task{OutputRefs: []task.OutputRef{r}}, tk.Observations)
		tk.Outputs = append(tk.Outputs, v)
	}
	return tk
}

func mustDB(t *testing.T, d *domains.Domain) *sql.DB {
	db, err := d.NewDB(context.Background(), 1)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditFindsDefects(t *testing.T) {
	d := bank(t)
	ctx := context.Background()
	// Two open transfers of one status: the second is the one named.
	res, err := d.Call(ctx, mustDB(t, d), "list_transfers", json.RawMessage(`{}`))
	require.NoError(t, err)
	var transfers []map[string]any
	require.NoError(t, json.Unmarshal(res, &transfers))
	require.Greater(t, len(transfers), 2)
	second := transfers[1]
	ref2 := second["payment_reference"].(string)
	id2 := second["id"].(string)
	cases := []struct {
		name  string
		tk    *task.Task
		check func(task.Defects) int
	}{
		{"output from the first row, another named", handTask(t, d, "What is the amount of the transfer with payment reference "+ref2+"?",
			[][2]string{{"list_transfers", `{}`}}, []task.OutputRef{{Step: 0, Field: "amount"}}),
			func(df task.Defects) int { return df.WrongRowOutputs }},
		{"cancel then approve", handTask(t, d, "Cancel the transfer with payment reference "+ref2+" and approve it.",
			[][2]string{{"list_transfers", `{}`}, {"cancel_transfer", `{"transfer_id":"` + id2 + `"}`}, {"approve_transfer", `{"transfer_id":"` + id2 + `"}`}}, nil),
			func(df task.Defects) int { return df.WritesAfterTerminal + df.StatusReversals + df.RefusedCalls }},
		{"id nobody said", handTask(t, d, "Cancel my transfer.",
			[][2]string{{"cancel_transfer", `{"transfer_id":"` + id2 + `"}`}}, nil),
			func(df task.Defects) int { return df.UnknowableArguments }},
		{"required value never stated", handTask(t, d, "Send money from the account I have.",
			[][2]string{{"list_accounts", `{}`}, {"create_transfer", `{"account_id":"account_0001","amount":12.5,"beneficiary_iban":"DE00","beneficiary_name":"Zed","currency":"EUR"}`}}, nil),
			func(df task.Defects) int { return df.UnknowableArguments }},
		{"internal id in the instruction", handTask(t, d, "Cancel transfer "+id2+".",
			[][2]string{{"cancel_transfer", `{"transfer_id":"` + id2 + `"}`}}, nil),
			func(df task.Defects) int { return df.IDsInInstructions }},
		{"asks what it states", handTask(t, d, "What is the payment reference of the transfer with payment reference "+ref2+"?",
			[][2]string{{"list_transfers", `{}`}}, []task.OutputRef{{Step: 0, Field: "payment_reference", Match: &task.Match{Field: "payment_reference", Value: ref2}}}),
			func(df task.Defects) int { return df.Trivial }},
		{"reads back its own write", handTask(t, d, "Find the transfer with payment reference "+ref2+", cancel it because of \"typo\" and tell me its reason.",
			[][2]string{{"list_transfers", `{}`}, {"cancel_transfer", `{"transfer_id":"` + id2 + `","reason":"typo"}`}, {"get_transfer", `{"transfer_id":"` + id2 + `"}`}},
			[]task.OutputRef{{Step: 2, Field: "reason"}}),
			func(df task.Defects) int { return df.SelfWrittenOutputs + df.Trivial }},
		{"a no-op update", handTask(t, d, "Cancel the transfer with payment reference "+ref2+" twice.",
			[][2]string{{"list_transfers", `{}`}, {"cancel_transfer", `{"transfer_id":"` + id2 + `"}`}, {"cancel_transfer", `{"transfer_id":"` + id2 + `"}`}}, nil),
			func(df task.Defects) int { return df.NoopUpdates + df.WritesAfterTerminal + df.RefusedCalls }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			df, err := task.Audit(ctx, d, c.tk)
			require.NoError(t, err)
			assert.Positive(t, c.check(df), "%+v", df)
		})
	}
}

func TestSampledTasksPassAudit(t *testing.T) {
	ctx := context.Background()
	for _, d := range domains.All() {
		if d.Name == "airline" {
			continue // TestAirlineThroughTheGenericSampler, with its data
		}
		ts, err := task.NewSampler(d, task.Options{Seed: 3}).Sample(ctx, 12)
		require.NoError(t, err)
		require.NotEmpty(t, ts, d.Name)
		for _, tk := range ts {
			df, err := task.Audit(ctx, d, tk)
			require.NoError(t, err)
			assert.Zero(t, df.Total(), "%s: %s %+v", tk.ID, tk.Instruction, df)
			assertWording(t, tk)
		}
	}
}
