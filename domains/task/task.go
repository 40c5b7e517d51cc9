// Package task makes simgym an RL environment: it samples tasks as
// directed walks over a domain's tool-dependency graph, executes each on
// a fresh copy of the seeded state to record its ground truth (actions,
// observations, the final state's changes and the values the user asks
// for), renders the instruction a user would give, and scores episodes
// tau-bench style: reward 1 only when the final state equals the ground
// truth's and every required output is in the answer.
package task

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/simgym/simgym/domains"
)

// Action is one tool call.
type Action struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
}

// OutputRef says where in the ground truth a required output is read:
// a field of the object a step returned or, for a list, of the row
// Match selects (the row the instruction names), or a fact about the
// whole list (Fact "count": how many rows; "latest": the row with the
// greatest By).
type OutputRef struct {
	Step  int    `json:"step"`
	Field string `json:"field"`
	// Match selects a list's row by a field's value.
	Match *Match `json:"match,omitempty"`
	// Fact is a list-level fact ("count" or "latest"), when not a row's.
	Fact string `json:"fact,omitempty"`
	// By is the field "latest" orders by.
	By string `json:"by,omitempty"`
}

// Match selects the list row whose Field reads Value.
type Match struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// The list-level facts an OutputRef may ask for.
const (
	FactCount  = "count"
	FactLatest = "latest"
)

// Task is one verifiable task.
type Task struct {
	// ID is unique within a task set and stable for a seed.
	ID string `json:"id"`
	// Domain is the domain the task runs in.
	Domain string `json:"domain"`
	// StateSeed selects the initial state (the domain's seeded snapshot).
	StateSeed int64 `json:"state_seed"`
	// Instruction is what the user asks for.
	Instruction string `json:"instruction"`
	// Actions are the ground-truth tool calls, in order.
	Actions []Action `json:"actions"`
	// Observations are the ground truth's tool results, one per action.
	Observations []json.RawMessage `json:"observations"`
	// Outputs are the values the answer must contain.
	Outputs []string `json:"outputs"`
	// OutputRefs say where each output was read in the ground truth.
	OutputRefs []OutputRef `json:"output_refs"`
	// Changes are the rows the ground truth leaves different from the
	// initial state.
	Changes []domains.RowChange `json:"changes"`
	// Fingerprint hashes Changes.
	Fingerprint string `json:"fingerprint"`
	// Shape is the sequence of tool kinds, e.g. "list>get>update".
	Shape string `json:"shape"`
	// Skeleton is the instruction with every stated value replaced by
	// "{}": tasks sharing it differ only in their values.
	Skeleton string `json:"skeleton,omitempty"`
	// Facts are the values the instruction states; a paraphrase must
	// keep every one.
	Facts []string `json:"facts,omitempty"`
}

// Writes counts the ground truth's state-changing actions.
func (t *Task) Writes(d *domains.Domain) int {
	n := 0
	for _, a := range t.Actions {
		if op := d.Model.Op(a.Tool); op != nil && op.Kind.IsWrite() {
			n++
		}
	}
	return n
}

// WriteJSONL writes tasks one per line.
func WriteJSONL(w io.Writer, tasks []*Task) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, t := range tasks {
		if err := enc.Encode(t); err != nil {
			return fmt.Errorf("write task %s: %w", t.ID, err)
		}
	}
	return nil
}

// ReadJSONL reads tasks written by WriteJSONL; a bad line fails with its
// line number.
func ReadJSONL(path string) ([]*Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read tasks %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []*Task
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var t Task
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return nil, fmt.Errorf("read tasks %s:%d: %w", path, line, err)
		}
		out = append(out, &t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tasks %s: %w", path, err)
	}
	return out, nil
}
