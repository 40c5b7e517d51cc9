package task_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/seed"
	"github.com/simgym/simgym/domains/task"
)

// trickyBank is the bank domain over a state built to provoke defects:
// every transfer pending (so cancel and approve both apply to each),
// every account open in EUR (so a list by currency returns them all,
// the named one rarely first), and every holder in one city.
func trickyBank(t *testing.T) *domains.Domain {
	base := bank(t)
	d := &domains.Domain{Name: "tricky_bank", Model: base.Model, SchemaSQL: base.SchemaSQL, Tools: base.Tools,
		Loader: func(ctx context.Context, db domains.DBTX, s int64) error {
			if err := seed.Fill(ctx, db, base.Model, s); err != nil {
				return err
			}
			for _, q := range []string{`UPDATE "transfer" SET "status" = 'pending'`, `UPDATE "account" SET "currency" = 'EUR', "status" = 'open'`,
				`UPDATE "account_holder" SET "city" = 'Lyon'`} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("%s: %w", q, err)
				}
			}
			return nil
		}}
	return d
}

func TestSamplerAvoidsDefectsInATrickyWorld(t *testing.T) {
	ctx := context.Background()
	d := trickyBank(t)
	ts, err := task.NewSampler(d, task.Options{Seed: 5}).Sample(ctx, 60)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ts), 40)
	listOutputs, statusTwice := 0, 0
	for _, tk := range ts {
		df, err := task.Audit(ctx, d, tk)
		require.NoError(t, err)
		assert.Zero(t, df.Total(), "%s %+v", tk.Instruction, df)
		// Each output read from a multi-row list names its row.
		for _, r := range tk.OutputRefs {
			var list []any
			if json.Unmarshal(tk.Observations[r.Step], &list) == nil && len(list) > 1 {
				listOutputs++
				assert.True(t, r.Match != nil || r.Fact != "", "%s: output from a list without its row", tk.Instruction)
			}
		}
		// No transfer both cancelled and approved.
		seen := map[string]int{}
		for _, a := range tk.Actions {
			if a.Tool == "cancel_transfer" || a.Tool == "approve_transfer" {
				var args map[string]any
				require.NoError(t, json.Unmarshal(a.Arguments, &args))
				seen[fmt.Sprint(args["transfer_id"])]++
			}
		}
		for _, n := range seen {
			if n > 1 {
				statusTwice++
			}
		}
		v, err := task.Verify(ctx, d, tk)
		require.NoError(t, err)
		assert.True(t, v.OK(), tk.Instruction)
	}
	assert.Zero(t, statusTwice)
	assert.Positive(t, listOutputs, "the world makes outputs come from lists")
}
