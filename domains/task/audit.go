package task

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// Defects count what makes a finished task incoherent; a task worth
// keeping has none. Audit finds them independently of how the task was
// made, so they serve as tests of any sampler.
type Defects struct {
	// Trivial: an output the instruction already states.
	Trivial int `json:"trivial"`
	// SelfWrittenOutputs: an output the task's own earlier write set.
	SelfWrittenOutputs int `json:"self_written_outputs"`
	// WrongRowOutputs: an output read from a list row other than the
	// one the instruction names (or a list fact that does not hold).
	WrongRowOutputs int `json:"wrong_row_outputs"`
	// WritesAfterTerminal: a write to an entity after the task deleted it
	// or put it in a terminal state (cancelled, closed, refunded, ...).
	WritesAfterTerminal int `json:"writes_after_terminal"`
	// StatusReversals: an entity whose status the task changes twice.
	StatusReversals int `json:"status_reversals"`
	// NoopUpdates: an update that leaves its row as it was (a status
	// action on an entity already in that status included).
	NoopUpdates int `json:"noop_updates"`
	// RefusedCalls: a ground-truth call the tool refuses with an error.
	RefusedCalls int `json:"refused_calls"`
	// UnknowableArguments: an argument neither stated in the instruction
	// nor seen in an earlier observation (generated ids: only the latter).
	UnknowableArguments int `json:"unknowable_arguments"`
	// IDsInInstructions: a generated internal id in the instruction.
	IDsInInstructions int `json:"ids_in_instructions"`
}

// Total is the number of defects.
func (d Defects) Total() int {
	return d.Trivial + d.SelfWrittenOutputs + d.WrongRowOutputs + d.WritesAfterTerminal + d.StatusReversals +
		d.NoopUpdates + d.RefusedCalls + d.UnknowableArguments + d.IDsInInstructions
}

// Add adds o's counts to d.
func (d *Defects) Add(o Defects) {
	d.Trivial += o.Trivial
	d.SelfWrittenOutputs += o.SelfWrittenOutputs
	d.WrongRowOutputs += o.WrongRowOutputs
	d.WritesAfterTerminal += o.WritesAfterTerminal
	d.StatusReversals += o.StatusReversals
	d.NoopUpdates += o.NoopUpdates
	d.RefusedCalls += o.RefusedCalls
	d.UnknowableArguments += o.UnknowableArguments
	d.IDsInInstructions += o.IDsInInstructions
}

// Tasks counts, for each defect, the tasks that have it at least once.
func (d Defects) tasks() Defects {
	one := func(n int) int {
		if n > 0 {
			return 1
		}
		return 0
	}
	return Defects{one(d.Trivial), one(d.SelfWrittenOutputs), one(d.WrongRowOutputs), one(d.WritesAfterTerminal),
		one(d.StatusReversals), one(d.NoopUpdates), one(d.RefusedCalls), one(d.UnknowableArguments), one(d.IDsInInstructions)}
}

// terminalStates are statuses after which an entity takes no more writes.
var terminalStates = map[string]bool{
	"cancelled": true, "canceled": true, "closed": true, "deleted": true, "refunded": true, "rejected": true,
	"completed": true, "expired": true, "void": true, "voided": true, "returned": true, "declined": true,
	"dismissed": true, "archived": true, "finalized": true, "delivered": true, "checked_out": true,
	"terminated": true, "revoked": true, "removed": true, "done": true, "failed": true, "resolved": true,
}

// isTerminal reports whether a status value is terminal.
func isTerminal(v any) bool {
	s, ok := v.(string)
	return ok && terminalStates[strings.ToLower(strings.ReplaceAll(s, " ", "_"))]
}

// statusColumn is the column an op's fixed state goes to, or "".
func statusColumn(op *schema.Op) string {
	if len(op.Sets) > 0 {
		return op.Sets[0].Column
	}
	return ""
}

// Audit replays a task's ground truth on a fresh copy of its initial
// state and counts its defects.
func Audit(ctx context.Context, d *domains.Domain, t *Task) (Defects, error) {
	var df Defects
	db, err := d.NewDB(ctx, t.StateSeed)
	if err != nil {
		return df, err
	}
	defer db.Close()
	tables := tableSet(d)
	type ent struct{ table, id string }
	ended := map[ent]bool{}
	statusChanges := map[ent]int{}
	for i, a := range t.Actions {
		op := d.Model.Op(a.Tool)
		if op == nil {
			return df, fmt.Errorf("audit %s: step %d: no op for tool %s", t.ID, i, a.Tool)
		}
		args := decode(a.Arguments)
		df.UnknowableArguments += unknowable(d, tables, op, args, t.Instruction, t.Observations[:min(i, len(t.Observations))])
		table := d.Table(op.Table)
		var before map[string]any
		var key ent
		if op.Kind.IsWrite() {
			if op.Kind != schema.Create {
				if k := keyArg(op); k != "" && args[k] != nil {
					key = ent{op.Table, fmt.Sprint(args[k])}
					before, err = readByID(ctx, db, table, args[k])
					if err != nil {
						return df, err
					}
					if ended[key] {
						df.WritesAfterTerminal++
					}
				}
			}
			// A write that references an entity the task ended.
			for _, arg := range op.Args {
				if arg.Column == "" || arg.Role == schema.RoleKey || args[arg.Name] == nil {
					continue
				}
				if c := table.Column(arg.Column); c != nil && c.Ref != "" && ended[ent{c.Ref, fmt.Sprint(args[arg.Name])}] {
					df.WritesAfterTerminal++
				}
			}
		}
		res, err := d.Call(ctx, db, a.Tool, a.Arguments)
		if err != nil {
			if domains.IsToolError(err) {
				df.RefusedCalls++
				continue
			}
			return df, fmt.Errorf("audit %s: step %d: %w", t.ID, i, err)
		}
		if isErrorObservation(res) {
			df.RefusedCalls++
			continue
		}
		switch op.Kind {
		case schema.Delete:
			ended[key] = true
		case schema.Update:
			if key.id == "" {
				break
			}
			after, err := readByID(ctx, db, table, args[keyArg(op)])
			if err != nil {
				return df, err
			}
			if before != nil && reflect.DeepEqual(before, after) {
				df.NoopUpdates++
			}
			if sc := statusColumn(op); sc != "" {
				k := table.Column(sc)
				if k != nil && before != nil && after != nil && fmt.Sprint(before[k.Key]) != fmt.Sprint(after[k.Key]) {
					statusChanges[key]++
					if statusChanges[key] == 2 {
						df.StatusReversals++
					}
				}
				if k != nil && after != nil && isTerminal(after[k.Key]) {
					ended[key] = true
				}
			}
		}
	}
	df.IDsInInstructions += len(idsIn(t.Instruction, tables))
	outputDefects(d, t, &df)
	return df, nil
}

// outputDefects checks each required output against the instruction,
// the task's writes and the list it was read from.
func outputDefects(d *domains.Domain, t *Task, df *Defects) {
	for i, ref := range t.OutputRefs {
		if i >= len(t.Outputs) || ref.Step < 0 || ref.Step >= len(t.Observations) {
			df.WrongRowOutputs++
			continue
		}
		out := t.Outputs[i]
		if mentions(t.Instruction, out) {
			df.Trivial++
		}
		for _, a := range t.Actions[:ref.Step] {
			op := d.Model.Op(a.Tool)
			if op == nil || !op.Kind.IsWrite() {
				continue
			}
			written := false
			for _, v := range decode(a.Arguments) {
				if s, ok := scalarString(v); ok && norm(s) == norm(out) {
					written = true
				}
			}
			if written {
				df.SelfWrittenOutputs++
				break
			}
		}
		var v any
		_ = json.Unmarshal(t.Observations[ref.Step], &v)
		list, isList := v.([]any)
		switch {
		case ref.Fact == FactCount:
			if !isList || scalarText(float64(len(list))) != out || !strings.Contains(strings.ToLower(t.Instruction), "how many") {
				df.WrongRowOutputs++
			}
		case ref.Fact == FactLatest:
			row := latestRow(list, ref.By)
			if got, ok := scalarField(row, ref.Field); row == nil || !ok || got != out {
				df.WrongRowOutputs++
			}
		case isList && len(list) > 1:
			if ref.Match == nil || !mentions(t.Instruction, ref.Match.Value) {
				df.WrongRowOutputs++
				continue
			}
			n := 0
			for _, x := range list {
				if m, ok := x.(map[string]any); ok {
					if s, ok := scalarField(m, ref.Match.Field); ok && s == ref.Match.Value {
						n++
						if got, _ := scalarField(m, ref.Field); got != out {
							df.WrongRowOutputs++
						}
					}
				}
			}
			if n != 1 {
				df.WrongRowOutputs++
			}
		}
	}
}

// unknowable counts an action's argument values an agent could not
// know: generated ids not seen in an earlier observation, other values
// neither stated in the instruction nor seen.
func unknowable(d *domains.Domain, tables map[string]bool, op *schema.Op, args map[string]any, instruction string, obs []json.RawMessage) int {
	seen := map[string]bool{}
	for _, o := range obs {
		var v any
		if json.Unmarshal(o, &v) == nil {
			leaves(v, func(s string) { seen[norm(s)] = true })
		}
	}
	n := 0
	for _, name := range sortedKeys(args) {
		var arg *schema.Arg
		for _, a := range op.Args {
			if a.Name == name {
				arg = a
			}
		}
		bad := false
		check := func(s string, isBool bool) {
			switch {
			case seen[norm(s)]:
			case isSyntheticID(s, tables):
				bad = true
			case isBool:
				if !mentions(instruction, fieldPhrase(name)) && !mentions(instruction, human(name)) {
					bad = true
				}
			case !mentions(instruction, s):
				bad = true
			}
		}
		var walkArg func(v any)
		walkArg = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for _, k := range sortedKeys(x) {
					walkArg(x[k])
				}
			case []any:
				for _, e := range x {
					walkArg(e)
				}
			case bool:
				check(scalarText(x), true)
			case nil:
			default:
				check(scalarText(x), false)
			}
		}
		if arg != nil && (arg.Role == schema.RoleLimit || arg.Role == schema.RoleOffset || arg.Role == schema.RoleIgnored) {
			continue
		}
		walkArg(args[name])
		if bad {
			n++
		}
	}
	return n
}

// leaves calls f with the text of every scalar in v.
func leaves(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			leaves(e, f)
		}
	case []any:
		for _, e := range x {
			leaves(e, f)
		}
	case nil:
	case bool:
		f(fmt.Sprint(x))
	default:
		f(scalarText(x))
	}
}

func scalarString(v any) (string, bool) {
	switch v.(type) {
	case string, float64:
		return scalarText(v), true
	}
	return "", false
}

func isErrorObservation(res json.RawMessage) bool {
	var m map[string]any
	if json.Unmarshal(res, &m) != nil || len(m) != 1 {
		return false
	}
	_, ok := m["error"]
	return ok
}

func readByID(ctx context.Context, db domains.DBTX, t *schema.Table, id any) (map[string]any, error) {
	rows, err := domains.Rows(ctx, db, t, `WHERE "id" = ?`, id)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

func tableSet(d *domains.Domain) map[string]bool {
	m := map[string]bool{}
	for _, t := range d.Model.Tables {
		m[t.Name] = true
	}
	return m
}
