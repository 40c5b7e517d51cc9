package gym_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
)

// TestRecording: finished episodes land in the SQLite record file, with
// their instruction, actions, observations, reward and info.
func TestRecording(t *testing.T) {
	g, _, url := world(t, 2, env.DefaultLimits, gym.Options{})
	path := filepath.Join(t.TempDir(), "record.db")
	rec, err := env.OpenRecorder(path)
	require.NoError(t, err)
	g.Manager().OnFinish = rec.Add
	c := dial(t, url)
	ctx := context.Background()
	e := g.Manager().Envs()[0]
	tk := e.Tasks[0]
	episode, obs, _ := playOracle(t, ctx, c, e.Name, tk)
	// An unfinished episode is not recorded.
	_, err = c.Reset(ctx, e.Name, e.Tasks[1].ID, nil)
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	recs, err := env.ReadRecords(ctx, path)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	got := recs[0]
	assert.Equal(t, episode, got.Episode)
	assert.Equal(t, tk.ID, got.Task)
	assert.Equal(t, tk.Instruction, got.Instruction)
	assert.Equal(t, 1.0, got.Reward)
	require.Len(t, got.Turns, len(tk.Actions)+1)
	assert.Equal(t, tk.Actions[0].Tool, got.Turns[0].Action.Tool)
	assert.JSONEq(t, string(obs[0]), string(got.Turns[0].Observation))
	assert.NotNil(t, got.Turns[len(got.Turns)-1].Action.Answer)
	assert.Contains(t, string(got.Info), `"state_match":true`)
}
