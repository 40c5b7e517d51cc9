package task_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

// TestSamplerKeepsToRules samples every default domain: no walk is
// stopped by a lifecycle or reference rule (candidates in the wrong
// state are skipped), and guarded tools still appear in tasks, each on
// an entity the rule allowed.
func TestSamplerKeepsToRules(t *testing.T) {
	ctx := context.Background()
	guarded := 0
	for _, d := range domains.All() {
		s := task.NewSampler(d, task.Options{Seed: 3})
		ts, err := s.Sample(ctx, 30)
		require.NoError(t, err)
		assert.Zero(t, s.Stats().Refused, "%s: walks refused by a rule: %+v", d.Name, s.Stats())
		for _, tk := range ts {
			for _, a := range tk.Actions {
				if d.StateRules[a.Tool] != nil {
					guarded++
				}
			}
		}
	}
	t.Logf("%d guarded calls in sampled tasks", guarded)
	assert.Positive(t, guarded, "tasks still use the guarded tools")
}
