package task

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/simgym/simgym/domains"
)

// Replay runs actions on a fresh copy of the task's initial state and
// returns the observations (a tool error's text as the agent would see
// it) and the resulting changes.
func Replay(ctx context.Context, d *domains.Domain, t *Task, actions []Action) ([]json.RawMessage, []domains.RowChange, error) {
	db, err := d.NewDB(ctx, t.StateSeed)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	obs := make([]json.RawMessage, 0, len(actions))
	for _, a := range actions {
		res, err := d.Call(ctx, db, a.Tool, a.Arguments)
		switch {
		case err == nil:
			obs = append(obs, res)
		case domains.IsToolError(err):
			obs = append(obs, mustJSON(map[string]string{"error": err.Error()}))
		default:
			return nil, nil, fmt.Errorf("replay %s: %w", t.ID, err)
		}
	}
	changes, err := d.Changes(ctx, db, t.StateSeed)
	if err != nil {
		return nil, nil, err
	}
	return obs, changes, nil
}

// Verification says how a task's ground truth fares on replay.
type Verification struct {
	// Replay: replaying the ground truth earns reward 1.
	Replay bool `json:"replay"`
	// PerturbedRejected: a perturbed replay (one argument changed, or one
	// write dropped) earns reward 0.
	PerturbedRejected bool `json:"perturbed_rejected"`
}

// OK reports whether the task is verifiable.
func (v Verification) OK() bool { return v.Replay && v.PerturbedRejected }

// Verify replays the ground truth and its perturbations (see
// Perturbations) on fresh copies of the initial state.
func Verify(ctx context.Context, d *domains.Domain, t *Task) (Verification, error) {
	var v Verification
	r, err := replayScore(ctx, d, t, t.Actions)
	if err != nil {
		return v, err
	}
	v.Replay = r.Reward == 1
	for _, p := range Perturbations(d, t) {
		pr, err := replayScore(ctx, d, t, p)
		if err != nil {
			return v, err
		}
		if pr.Reward == 0 {
			v.PerturbedRejected = true
			break
		}
	}
	return v, nil
}

func replayScore(ctx context.Context, d *domains.Domain, t *Task, actions []Action) (Result, error) {
	obs, changes, err := Replay(ctx, d, t, actions)
	if err != nil {
		return Result{}, err
	}
	return Score(changes, t, Answer(t, obs)), nil
}

// Perturbations lists altered versions of the ground truth, most telling
// first: the last write dropped, then one argument of a write changed,
// then the argument that selects what a read reports changed.
func Perturbations(d *domains.Domain, t *Task) [][]Action {
	var out [][]Action
	last := -1
	for i, a := range t.Actions {
		if op := d.Model.Op(a.Tool); op != nil && op.Kind.IsWrite() {
			last = i
		}
	}
	if last >= 0 {
		drop := append(append([]Action(nil), t.Actions[:last]...), t.Actions[last+1:]...)
		out = append(out, drop)
		out = append(out, changeArgs(t.Actions, last)...)
	}
	for _, ref := range t.OutputRefs {
		out = append(out, changeArgs(t.Actions, ref.Step)...)
	}
	return out
}

// changeArgs returns copies of actions with one argument of action i
// changed to another value of the same type.
func changeArgs(actions []Action, i int) [][]Action {
	args := decode(actions[i].Arguments)
	var out [][]Action
	for _, k := range sortedKeys(args) {
		v, ok := altered(args[k])
		if !ok {
			continue
		}
		m := map[string]any{}
		for kk, vv := range args {
			m[kk] = vv
		}
		m[k] = v
		cp := append([]Action(nil), actions...)
		cp[i] = Action{Tool: actions[i].Tool, Arguments: mustJSON(m)}
		out = append(out, cp)
	}
	return out
}

// altered returns a different value of the same JSON type.
func altered(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return x + "_x", true
	case float64:
		return x + 1, true
	case bool:
		return !x, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
