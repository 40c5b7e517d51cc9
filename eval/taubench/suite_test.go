package taubench

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/gym"
	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/internal/testenv"
)

var (
	loadOnce  sync.Once
	loaded    *Suite
	loadedErr error
)

// testSuite loads tau-bench's airline data once per test binary.
func testSuite(t *testing.T) *Suite {
	t.Helper()
	dir := testenv.Data(t, "taubench/airline")
	loadOnce.Do(func() { loaded, loadedErr = Load(dir) })
	require.NoError(t, loadedErr)
	return loaded
}

// serve serves the suite with a user on a loopback gym and returns its
// websocket URL.
func serve(t *testing.T, s *Suite, u User) string {
	t.Helper()
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(NewWorld(s, u)))
	srv := httptest.NewServer(gym.New(m, gym.Options{}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/gym"
}

// TestTaubenchOracle plays the oracle against the scripted user on all 50
// of tau-bench's airline test tasks over the websocket: every episode
// must end by the user's stop signal (or the transfer, for the tasks
// whose ground truth transfers) with reward 1, and tau-bench's pass^1
// must be 1. The ground truth's database hash reported in reward_info
// must be tau-bench's recorded one.
func TestTaubenchOracle(t *testing.T) {
	s := testSuite(t)
	require.Len(t, s.Tasks, 50)
	url := serve(t, s, ScriptedUser{})
	var tasks []int // nil: all 50
	if testenv.RaceEnabled {
		// Under the race detector every episode is several times slower;
		// a fifth of the tasks (13 and 38, which transfer, among them)
		// keep the run short. CI's heavy pass plays all 50.
		for i := 3; i < len(s.Tasks); i += 5 {
			tasks = append(tasks, i)
		}
	}
	results, err := Evaluate(context.Background(), EvalOptions{URL: url, Policy: &Oracle{Suite: s}, Suite: s, Tasks: tasks, Concurrency: 4})
	require.NoError(t, err)
	if tasks == nil {
		require.Len(t, results, 50)
	} else {
		require.Len(t, results, len(tasks))
	}

	var want struct {
		Tasks []struct {
			FinalStateSHA256 string `json:"final_state_sha256"`
		} `json:"tasks"`
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, "expected_test.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &want))
	for _, r := range results {
		i := r.TaskID
		task := s.Tasks[i]
		assert.Equal(t, 1.0, r.Reward, "task %d: %v", i, r.Info["reward_info"])
		wantReason := "user_stop"
		if n := len(task.Actions); n > 0 && task.Actions[n-1].Name == TransferTool {
			wantReason = "transfer"
		}
		assert.Equal(t, wantReason, r.Info["reason"], "task %d", i)
		var ri struct {
			Reward float64 `json:"reward"`
			Info   struct {
				RActions   *bool           `json:"r_actions"`
				GTDataHash string          `json:"gt_data_hash"`
				Outputs    map[string]bool `json:"outputs"`
			} `json:"info"`
			Actions []Action `json:"actions"`
		}
		raw, _ := r.Info["reward_info"].(json.RawMessage)
		require.NoError(t, json.Unmarshal(raw, &ri), "task %d", i)
		assert.Equal(t, 1.0, ri.Reward)
		assert.Len(t, ri.Actions, len(task.Actions), "task %d: ground-truth actions", i)
		if len(task.Outputs) == 0 {
			require.NotNil(t, ri.Info.RActions, "task %d", i)
			assert.True(t, *ri.Info.RActions)
			assert.Equal(t, want.Tasks[i].FinalStateSHA256, ri.Info.GTDataHash, "task %d: ground-truth hash", i)
		} else {
			assert.Len(t, ri.Info.Outputs, len(task.Outputs), "task %d", i)
		}
		// The conversation opens as tau-bench's: policy, then the user.
		require.GreaterOrEqual(t, len(r.Traj), 3)
		assert.Equal(t, "system", r.Traj[0].Role)
		assert.Equal(t, s.Policy, r.Traj[0].Content)
		assert.Equal(t, "user", r.Traj[1].Role)
	}
	assert.Equal(t, 1.0, PassHatK(results)[1])
	assert.Equal(t, 1.0, AverageReward(results))
}

// TestTaubenchPerturbedOracle changes one argument of one ground-truth
// action (or drops an output from what the oracle says) and expects
// reward 0: the scripted user never sees the goal met and gives up.
func TestTaubenchPerturbedOracle(t *testing.T) {
	s := testSuite(t)
	url := serve(t, s, ScriptedUser{MaxTurns: 2})
	perturb := func(task int, action int, key string, value any) func(*Task) []Action {
		return func(tk *Task) []Action {
			acts := append([]Action(nil), tk.Actions...)
			if tk.Index != task {
				return acts
			}
			var kw map[string]any
			require.NoError(t, json.Unmarshal(acts[action].Kwargs, &kw))
			require.Contains(t, kw, key, "task %d action %d", task, action)
			kw[key] = value
			acts[action].Kwargs, _ = json.Marshal(kw)
			return acts
		}
	}
	cases := []struct {
		name    string
		task    int
		actions func(*Task) []Action
	}{
		{"book with insurance", 0, perturb(0, len(s.Tasks[0].Actions)-1, "insurance", "yes")},
		{"cancel another reservation", 1, func(tk *Task) []Action {
			for i, a := range tk.Actions {
				if a.Name == "cancel_reservation" {
					return perturb(1, i, "reservation_id", "NO6JO3")(tk)
				}
			}
			t.Fatalf("task 1 cancels nothing")
			return nil
		}},
		{"output not said", 2, func(tk *Task) []Action {
			return tk.Actions // the outputs are removed below
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &Oracle{Suite: s, Actions: c.actions, OmitOutputs: c.name == "output not said"}
			results, err := Evaluate(context.Background(), EvalOptions{URL: url, Policy: o, Suite: s, Tasks: []int{c.task}})
			require.NoError(t, err)
			require.Len(t, results, 1)
			assert.Equal(t, 0.0, results[0].Reward, "%v", results[0].Info["reward_info"])
			assert.Equal(t, "user_stop", results[0].Info["reason"])
		})
	}
}

// TestTaubenchFork forks an episode after its booking: the fork's user
// keeps the conversation so far, and the two go on independently: the
// parent, told it is done, is stopped by the scripted user with reward 1;
// the fork cancels the new reservation first and scores 0.
func TestTaubenchFork(t *testing.T) {
	s := testSuite(t)
	ctx := context.Background()
	m := env.NewManager(nil, env.DefaultLimits)
	require.NoError(t, m.AddWorld(NewWorld(s, ScriptedUser{MaxTurns: 1})))
	owner := m.NewOwner()
	task := s.Tasks[0]
	ep, err := m.Reset(ctx, owner, EnvName, "test-0", nil)
	require.NoError(t, err)
	assert.Equal(t, s.Policy, ep.Observation().System)
	for _, a := range task.Actions {
		r, err := m.Step(ctx, owner, ep.ID, protocol.Action{Tool: a.Name, Arguments: a.Kwargs})
		require.NoError(t, err)
		require.False(t, r.Info.ToolError, "%s", r.Observation)
	}
	f, err := m.Fork(ctx, owner, ep.ID)
	require.NoError(t, err)
	assert.Equal(t, ep.Instruction(), f.Instruction())
	assert.Equal(t, s.Policy, f.Observation().System)

	respond := func(id, text string) env.StepResult {
		args, _ := json.Marshal(map[string]string{"content": text})
		r, err := m.Step(ctx, owner, id, protocol.Action{Tool: RespondTool, Arguments: args})
		require.NoError(t, err)
		return r
	}
	r := respond(ep.ID, "Your reservation is booked.")
	assert.True(t, r.Done)
	assert.Equal(t, "user_stop", r.Info.Reason)
	assert.Equal(t, 1.0, r.Reward)
	assert.JSONEq(t, `"###STOP###"`, string(r.Observation))

	cancel, err := m.Step(ctx, owner, f.ID, protocol.Action{Tool: "cancel_reservation", Arguments: json.RawMessage(`{"reservation_id":"HATHAT"}`)})
	require.NoError(t, err)
	require.False(t, cancel.Info.ToolError, "%s", cancel.Observation)
	r = respond(f.ID, "Anything else?")
	assert.False(t, r.Done, "the goal is not met: the user goes on")
	assert.Contains(t, string(r.Observation), "Yes, please go ahead")
	r = respond(f.ID, "Anything else?")
	assert.True(t, r.Done, "past MaxTurns the user gives up")
	assert.Equal(t, 0.0, r.Reward)
}
