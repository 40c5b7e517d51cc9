package task

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/simgym/simgym/domains"
)

// Result is an episode's reward and why.
type Result struct {
	Reward float64 `json:"reward"`
	Info   Info    `json:"info"`
}

// Info explains a reward.
type Info struct {
	// StateMatch is true when the final state equals the ground truth's.
	StateMatch bool `json:"state_match"`
	// OutputsMatch is true when every required output is in the answer.
	OutputsMatch bool `json:"outputs_match"`
	// Missing lists the required outputs the answer lacks.
	Missing []string `json:"missing_outputs,omitempty"`
	// Diff lists the rows whose final content differs from the ground
	// truth's (at most MaxDiff).
	Diff []RowDiff `json:"diff,omitempty"`
	// Fingerprint is the final state's fingerprint; Expected the ground
	// truth's.
	Fingerprint string `json:"fingerprint"`
	Expected    string `json:"expected_fingerprint"`
}

// RowDiff is a row that ends differently from the ground truth.
type RowDiff struct {
	Table string         `json:"table"`
	Key   string         `json:"key"`
	Want  map[string]any `json:"want"`
	Got   map[string]any `json:"got"`
}

// MaxDiff bounds the rows Info.Diff reports.
const MaxDiff = 20

// Evaluate scores a finished episode: db is its database, answer what
// the agent said to the user.
func Evaluate(ctx context.Context, d *domains.Domain, db *sql.DB, t *Task, answer string) (Result, error) {
	changes, err := d.Changes(ctx, db, t.StateSeed)
	if err != nil {
		return Result{}, fmt.Errorf("evaluate %s: %w", t.ID, err)
	}
	return Score(changes, t, answer), nil
}

// Score compares an episode's changes and answer with the task's ground
// truth.
func Score(changes []domains.RowChange, t *Task, answer string) Result {
	info := Info{Fingerprint: domains.Fingerprint(changes), Expected: t.Fingerprint}
	info.StateMatch = info.Fingerprint == t.Fingerprint
	if !info.StateMatch {
		info.Diff = diff(t.Changes, changes)
	}
	info.Missing = MissingOutputs(t.Outputs, answer)
	info.OutputsMatch = len(info.Missing) == 0
	r := Result{Info: info}
	if info.StateMatch && info.OutputsMatch {
		r.Reward = 1
	}
	return r
}

// MissingOutputs returns the outputs not found in the answer, compared
// as tau-bench does: case-insensitive, with commas removed.
func MissingOutputs(outputs []string, answer string) []string {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, ",", "")) }
	a := norm(answer)
	var missing []string
	for _, o := range outputs {
		if !strings.Contains(a, norm(o)) {
			missing = append(missing, o)
		}
	}
	return missing
}

func diff(want, got []domains.RowChange) []RowDiff {
	type key struct{ table, key string }
	w := map[key]map[string]any{}
	g := map[key]map[string]any{}
	var keys []key
	for _, c := range want {
		k := key{c.Table, c.Key}
		w[k] = c.Row
		keys = append(keys, k)
	}
	for _, c := range got {
		k := key{c.Table, c.Key}
		if _, seen := w[k]; !seen {
			keys = append(keys, k)
		}
		g[k] = c.Row
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].table != keys[j].table {
			return keys[i].table < keys[j].table
		}
		return keys[i].key < keys[j].key
	})
	var out []RowDiff
	for _, k := range keys {
		_, inW := w[k]
		_, inG := g[k]
		if inW && inG && reflect.DeepEqual(w[k], g[k]) {
			continue
		}
		out = append(out, RowDiff{Table: k.table, Key: k.key, Want: w[k], Got: g[k]})
		if len(out) == MaxDiff {
			break
		}
	}
	return out
}

// Step is a process signal: how one action compares with the ground
// truth's action at the same position.
type Step struct {
	// ToolMatch: the same tool as the ground truth's step.
	ToolMatch bool `json:"tool_match"`
	// Exact: the same tool and the same arguments.
	Exact bool `json:"exact"`
	// ArgScore is the share of the ground truth's arguments given with
	// the same value (0 when the tool differs).
	ArgScore float64 `json:"arg_score"`
}

// StepSignal compares action number i of an episode with the ground
// truth's.
func StepSignal(t *Task, i int, a Action) Step {
	if i < 0 || i >= len(t.Actions) || t.Actions[i].Tool != a.Tool {
		return Step{}
	}
	want := decodeArgs(t.Actions[i].Arguments)
	got := decodeArgs(a.Arguments)
	s := Step{ToolMatch: true}
	same := 0
	for k, v := range want {
		if gv, ok := got[k]; ok && reflect.DeepEqual(v, gv) {
			same++
		}
	}
	if len(want) == 0 {
		s.ArgScore = 1
	} else {
		s.ArgScore = float64(same) / float64(len(want))
	}
	s.Exact = same == len(want) && len(got) == len(want)
	return s
}

func decodeArgs(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		_ = json.Unmarshal(raw, &m)
	}
	return m
}

// Answer builds the answer an agent that made these observations would
// give: the values at the task's output references. The oracle replays
// the ground truth and answers this way; so does a perturbed replay,
// whose different observations then miss the outputs.
func Answer(t *Task, observations []json.RawMessage) string {
	var parts []string
	for _, ref := range t.OutputRefs {
		if ref.Step < 0 || ref.Step >= len(observations) {
			continue
		}
		if v, ok := refValue(observations[ref.Step], ref); ok {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, "; ")
}

// refValue reads what ref points at in one observation.
func refValue(obs json.RawMessage, ref OutputRef) (string, bool) {
	var v any
	if err := json.Unmarshal(obs, &v); err != nil {
		return "", false
	}
	list, isList := v.([]any)
	switch {
	case ref.Fact == FactCount:
		if !isList {
			return "", false
		}
		return scalarText(float64(len(list))), true
	case ref.Fact == FactLatest:
		row := latestRow(list, ref.By)
		if row == nil {
			return "", false
		}
		return scalarField(row, ref.Field)
	case isList && ref.Match != nil:
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				if s, ok := scalarField(m, ref.Match.Field); ok && s == ref.Match.Value {
					return scalarField(m, ref.Field)
				}
			}
		}
		return "", false
	case isList:
		if len(list) == 0 {
			return "", false
		}
		v = list[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	return scalarField(m, ref.Field)
}

// latestRow returns the row of list with the greatest by (ISO dates and
// times compare as text), or nil when the list is empty or the greatest
// value is shared.
func latestRow(list []any, by string) map[string]any {
	var best map[string]any
	bestV, tie := "", false
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		s, ok := m[by].(string)
		if !ok {
			continue
		}
		switch {
		case best == nil || s > bestV:
			best, bestV, tie = m, s, false
		case s == bestV:
			tie = true
		}
	}
	if tie {
		return nil
	}
	return best
}

// scalarField reads a scalar field of a row as text.
func scalarField(m map[string]any, name string) (string, bool) {
	x, ok := m[name]
	if !ok || x == nil {
		return "", false
	}
	switch x.(type) {
	case map[string]any, []any:
		return "", false
	}
	return scalarText(x), true
}

// scalarText renders a JSON scalar as a user would write it.
func scalarText(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case float64:
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d", int64(v))
		}
		return fmt.Sprintf("%g", v)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	}
	return fmt.Sprint(x)
}
