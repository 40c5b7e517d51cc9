package task_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
	_ "github.com/simgym/simgym/domains/taubench"
)

// TestAirlineThroughTheGenericSampler samples tau-bench's airline domain
// (its real data from SIMGYM_DATA) with the same sampler as any domain.
func TestAirlineThroughTheGenericSampler(t *testing.T) {
	if os.Getenv("SIMGYM_DATA") == "" {
		t.Skip("SIMGYM_DATA is not set")
	}
	d := domains.Lookup("airline")
	require.NotNil(t, d)
	ctx := context.Background()
	ts, err := task.NewSampler(d, task.Options{Seed: 11}).Sample(ctx, 50)
	require.NoError(t, err)
	distinct := map[string]bool{}
	for _, tk := range ts {
		v, err := task.Verify(ctx, d, tk)
		require.NoError(t, err)
		assert.True(t, v.OK(), tk.Instruction)
		df, err := task.Audit(ctx, d, tk)
		require.NoError(t, err)
		assert.Zero(t, df.Total(), "%s %+v", tk.Instruction, df)
		tools := make([]string, len(tk.Actions))
		for i, a := range tk.Actions {
			tools[i] = a.Tool
		}
		distinct[strings.Join(tools, ">")+"|"+string(tk.Actions[0].Arguments)] = true
	}
	t.Logf("%d tasks, %d distinct", len(ts), len(distinct))
	assert.GreaterOrEqual(t, len(distinct), 40)
}
