package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// errRefused stops a walk whose call a tool refused: such a task is
// dropped, never kept with an error in its ground truth.
var errRefused = errors.New("call refused")

// errDead stops a walk that cannot go on coherently.
var errDead = errors.New("walk cannot continue")

// entity is a row a walk works on, as the instruction names it.
type entity struct {
	table string
	id    any
	row   map[string]any
	// desc names it for the user ("the account with IBAN ...").
	desc string
	// step is the observation it was found in; match selects its row
	// when that observation is a list.
	step  int
	match *Match
	// said: the instruction has named it, later phrases say "it".
	said       bool
	statusDone bool
	ended      bool
	written    map[string]bool
}

// obj is how the next phrase names e: "it" when e is what the last
// phrase named, else its description.
func (w *walk) obj(e *entity) string {
	if e.said && w.focus == e {
		return "it"
	}
	e.said = true
	w.focus = e
	return e.desc
}

// walk is one task being built.
type walk struct {
	s     *Sampler
	ctx   context.Context
	db    *sql.DB
	gen   *domains.ArgGen
	t     *Task
	shape []string
	ents  map[string]*entity
	// lastAction is the index tryActions last ran.
	lastAction int
	// focus is the entity "it" refers to.
	focus *entity
	// text is the instruction so far (with value marks).
	text []string
}

func entKey(table string, id any) string { return table + "\x00" + fmt.Sprint(id) }

// call runs one ground-truth step.
func (w *walk) call(op *schema.Op, args map[string]any) (json.RawMessage, error) {
	if len(w.t.Actions) >= w.s.opt.MaxLength {
		return nil, errDead
	}
	raw := mustJSON(args)
	res, err := w.s.d.Call(w.ctx, w.db, op.Tool, raw)
	if err != nil {
		if domains.IsToolError(err) {
			return nil, errRefused
		}
		return nil, fmt.Errorf("sample %s: %w", op.Tool, err)
	}
	if isErrorObservation(res) {
		return nil, errRefused
	}
	w.t.Actions = append(w.t.Actions, Action{Tool: op.Tool, Arguments: raw})
	w.t.Observations = append(w.t.Observations, res)
	w.shape = append(w.shape, string(op.Kind))
	return res, nil
}

func (w *walk) rng(n int) int { return w.s.rng.IntN(n) }

func pick[T any](w *walk, xs []T) T { return xs[w.rng(len(xs))] }

// notIdent are fields whose values are prose or state, not names.
var notIdent = map[string]bool{"reason": true, "description": true, "notes": true, "note": true, "comment": true, "comments": true,
	"summary": true, "status": true, "state": true, "message": true, "bio": true, "text": true, "body": true, "content": true,
	"instructions": true, "address": true, "expression": true, "thought": true}

var identPrefs = []string{"email", "name", "full_name", "username", "title", "iban", "phone", "code", "number", "license_plate",
	"isbn", "record_locator", "flight_number", "last_four", "payment_reference", "nickname", "last_name"}

// identCols lists the columns that can name a row, preferred first.
func (s *Sampler) identCols(tb *schema.Table) []*schema.Column {
	var out []*schema.Column
	ok := func(c *schema.Column) bool {
		return c.JSONType == "string" && !c.PK && c.Ref == "" && len(c.Enum) == 0 && !notIdent[c.Key] &&
			(c.Format == "" || c.Format == "email") && !strings.HasSuffix(c.Key, "_id") && !strings.HasSuffix(c.Key, "Id")
	}
	for _, p := range identPrefs {
		if c := tb.Column(p); c != nil && ok(c) {
			out = append(out, c)
		}
	}
	for _, c := range tb.Columns {
		if ok(c) && !contains(identPrefs, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

// nameLike reports whether a value reads as a name a person could say:
// short, a few words, no generated id.
func (s *Sampler) nameLike(v string) bool {
	return len(v) >= 3 && len(v) <= 40 && len(strings.Fields(v)) <= 4 && !strings.ContainsAny(v, "\n{}[]") &&
		!isSyntheticID(v, s.tables) && len(idsIn(v, s.tables)) == 0
}

// identify returns a column whose value names row uniquely in its table.
func (w *walk) identify(tb *schema.Table, row map[string]any) (*schema.Column, error) {
	cols := w.s.identCols(tb)
	// Variety: sometimes start from the second choice.
	if len(cols) > 1 && w.rng(2) == 0 {
		cols = append(cols[1:2:2], append([]*schema.Column{cols[0]}, cols[2:]...)...)
	}
	for _, c := range cols {
		v, ok := row[c.Key].(string)
		if !ok || !w.s.nameLike(v) {
			continue
		}
		var n int
		if err := w.db.QueryRowContext(w.ctx, `SELECT COUNT(*) FROM `+schema.Quote(tb.Name)+` WHERE `+schema.Quote(c.Name)+` = ?`, v).Scan(&n); err != nil {
			return nil, fmt.Errorf("sample %s.%s: %w", tb.Name, c.Name, err)
		}
		if n == 1 {
			return c, nil
		}
	}
	return nil, nil
}

// describeBy names a row of tb by a column's value.
func (w *walk) describeBy(tb *schema.Table, c *schema.Column, v string) string {
	n := noun(tb.Name)
	switch c.Key {
	case "email":
		return pick(w, []string{"the " + n + " with email address " + val(v), "the " + n + " whose email address is " + val(v)})
	case "name", "full_name", "username", "display_name":
		return "the " + n + " named " + val(v)
	case "title":
		return "the " + n + " titled \"" + val(v) + "\""
	}
	return "the " + n + " with " + fieldPhrase(c.Key) + " " + val(v)
}

// natural reports whether a row's id is real data a user knows (a
// record locator, a user name) rather than a generated one.
func (s *Sampler) natural(id any) bool {
	str, ok := id.(string)
	return ok && !isSyntheticID(str, s.tables) && s.nameLike(str)
}

// canLookup reports whether a row of tb can be found at all.
func (s *Sampler) canLookup(tb string) bool {
	return len(s.lists[tb]) > 0 || s.gets[tb] != nil
}

// rowFromList finds the row with the given id in a list observation.
func rowFromList(res json.RawMessage, id any) map[string]any {
	var list []map[string]any
	if json.Unmarshal(res, &list) != nil {
		return nil
	}
	for _, r := range list {
		if fmt.Sprint(r["id"]) == fmt.Sprint(id) {
			return r
		}
	}
	return nil
}

// lookup emits the calls a careful agent makes to find row, and returns
// the entity as the instruction names it; nil when it cannot be found.
func (w *walk) lookup(tb *schema.Table, row map[string]any, parents bool) (*entity, error) {
	if e := w.ents[entKey(tb.Name, row["id"])]; e != nil {
		return e, nil
	}
	var paths []func() (*entity, error)
	c, err := w.identify(tb, row)
	if err != nil {
		return nil, err
	}
	if c != nil {
		v := row[c.Key].(string)
		for _, op := range w.s.lists[tb.Name] {
			for _, a := range op.Args {
				if (a.Role == schema.RoleFilter && a.Column == c.Name) || a.Role == schema.RoleSearch {
					op, a := op, a
					paths = append(paths, func() (*entity, error) {
						res, err := w.call(op, map[string]any{a.Name: v})
						if err != nil {
							return nil, err
						}
						r := rowFromList(res, row["id"])
						if r == nil {
							return nil, errDead
						}
						return &entity{table: tb.Name, id: row["id"], row: r, desc: w.describeBy(tb, c, v), step: len(w.t.Actions) - 1,
							match: &Match{Field: c.Key, Value: v}}, nil
					})
				}
			}
		}
	}
	if get := w.s.gets[tb.Name]; get != nil && w.s.natural(row["id"]) {
		paths = append(paths, func() (*entity, error) {
			res, err := w.call(get, map[string]any{keyArg(get): row["id"]})
			if err != nil {
				return nil, err
			}
			r := decode(res)
			if len(r) == 0 {
				return nil, errDead
			}
			return &entity{table: tb.Name, id: row["id"], row: r, desc: pick(w, []string{noun(tb.Name) + " " + val(fmt.Sprint(row["id"])), "the " + noun(tb.Name) + " with id " + val(fmt.Sprint(row["id"]))}), step: len(w.t.Actions) - 1}, nil
		})
	}
	if parents {
		for _, op := range w.s.lists[tb.Name] {
			for _, a := range op.Args {
				col := tb.Column(a.Column)
				if a.Role != schema.RoleFilter || col == nil || col.Ref == "" || col.Ref == tb.Name || row[col.Key] == nil {
					continue
				}
				op, a, col := op, a, col
				paths = append(paths, func() (*entity, error) { return w.viaParent(tb, row, op, a, col) })
			}
		}
	}
	if len(paths) == 0 {
		return nil, errDead
	}
	e, err := pick(w, paths)()
	if err != nil {
		return nil, err
	}
	// A careful agent often opens the row it found.
	if get := w.s.gets[tb.Name]; get != nil && e.match != nil && w.rng(4) == 0 {
		res, err := w.call(get, map[string]any{keyArg(get): e.id})
		if err != nil {
			return nil, err
		}
		if r := decode(res); len(r) > 0 {
			e.row, e.step, e.match = r, len(w.t.Actions)-1, nil
		}
	}
	w.ents[entKey(tb.Name, e.id)] = e
	return e, nil
}

// viaParent finds row through its parent: the parent first, then the
// list of the parent's rows, where row is named by an attribute unique
// in that list.
func (w *walk) viaParent(tb *schema.Table, row map[string]any, op *schema.Op, a *schema.Arg, col *schema.Column) (*entity, error) {
	ptb := w.s.d.Table(col.Ref)
	prow, err := w.s.rowByID(w.ctx, w.db, ptb, row[col.Key])
	if err != nil || prow == nil {
		return nil, errors.Join(err, errDead)
	}
	pe, err := w.lookup(ptb, prow, false)
	if err != nil {
		return nil, err
	}
	res, err := w.call(op, map[string]any{a.Name: pe.id})
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	_ = json.Unmarshal(res, &list)
	r := rowFromList(res, row["id"])
	if r == nil {
		return nil, errDead
	}
	for _, c := range w.s.identCols(tb) {
		v, ok := r[c.Key].(string)
		if !ok || !w.s.nameLike(v) {
			continue
		}
		n := 0
		for _, x := range list {
			if s, _ := x[c.Key].(string); s == v {
				n++
			}
		}
		if n == 1 {
			pdesc := pe.desc
			desc := "the " + noun(tb.Name) + " with " + fieldPhrase(c.Key) + " " + val(v) + pick(w, []string{" of ", " belonging to "}) + pdesc
			return &entity{table: tb.Name, id: row["id"], row: r, desc: desc, step: len(w.t.Actions) - 1, match: &Match{Field: c.Key, Value: v}}, nil
		}
	}
	return nil, errDead
}

// askable lists the fields of e worth asking about.
func (w *walk) askable(e *entity) []string {
	tb := w.s.d.Table(e.table)
	var out []string
	for _, c := range tb.Columns {
		if c.PK || c.Ref != "" || strings.HasSuffix(c.Key, "_id") || e.written[c.Key] || (e.match != nil && e.match.Field == c.Key) {
			continue
		}
		switch v := e.row[c.Key].(type) {
		case string:
			if len(v) >= 2 && len(v) <= 60 && !isSyntheticID(v, w.s.tables) && !w.stated(v) && len(strings.Fields(v)) <= 8 {
				out = append(out, c.Key)
			}
		case float64:
			if !w.stated(scalarText(v)) {
				out = append(out, c.Key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// stated reports whether the instruction so far states v.
func (w *walk) stated(v string) bool {
	text, _, _ := unmark(strings.Join(w.text, " "))
	return mentions(text, v)
}

// ask adds an output: field of e, read from the observation e was found
// in, or from a get of e (the lookup a careful agent makes).
func (w *walk) ask(e *entity, field string) error {
	step, match := e.step, e.match
	if get := w.s.gets[e.table]; get != nil && match != nil && w.rng(2) == 0 {
		res, err := w.call(get, map[string]any{keyArg(get): e.id})
		if err != nil {
			return err
		}
		e.row = decode(res)
		step, match = len(w.t.Actions)-1, nil
	}
	ref := OutputRef{Step: step, Field: field, Match: match}
	v, ok := refValue(w.t.Observations[step], ref)
	if !ok {
		return errDead
	}
	if e.written == nil {
		e.written = map[string]bool{}
	}
	// Asked once: neither asked again nor worth a later write's readback.
	e.written[field] = true
	w.t.Outputs = append(w.t.Outputs, v)
	w.t.OutputRefs = append(w.t.OutputRefs, ref)
	return nil
}

// stateOf is e's current status under op's status column.
func (w *walk) stateOf(e *entity, op *schema.Op) (any, string) {
	sc := w.s.d.Table(e.table).Column(statusColumn(op))
	if sc == nil {
		return nil, ""
	}
	return e.row[sc.Key], sc.Key
}

// restores are actions that undo a terminal state as a real workflow.
var restores = map[string]bool{"reopen": true, "unarchive": true, "restore": true, "reactivate": true, "unblock": true, "unfreeze": true, "resume": true}

// statusOK reports whether op may change e's status now.
func (w *walk) statusOK(e *entity, op *schema.Op) bool {
	if e.statusDone || e.ended || len(op.Sets) == 0 {
		return false
	}
	cur, _ := w.stateOf(e, op)
	if fmt.Sprint(cur) == fmt.Sprint(op.Sets[0].Value) {
		return false
	}
	if isTerminal(cur) && !restores[actionWord(op)] {
		return false
	}
	if !isTerminal(cur) && restores[actionWord(op)] {
		return false
	}
	return true
}

// after records a write's result on e.
func (w *walk) after(e *entity, op *schema.Op, res json.RawMessage, cols []string) {
	if r := decode(res); len(r) > 0 {
		e.row = r
	}
	if e.written == nil {
		e.written = map[string]bool{}
	}
	for _, c := range cols {
		e.written[c] = true
	}
	if len(op.Sets) > 0 {
		e.statusDone = true
		if k := w.s.d.Table(e.table).Column(statusColumn(op)); k != nil {
			e.written[k.Key] = true
			if isTerminal(e.row[k.Key]) {
				e.ended = true
			}
		}
	}
	if op.Kind == schema.Delete {
		e.ended = true
	}
}

// statedValue draws a value for a column argument that a user can state
// (no objects, arrays, prose or generated ids), or false.
func (w *walk) statedValue(tb *schema.Table, a *schema.Arg, valid map[string]any) (any, bool) {
	v, ok := valid[a.Name]
	if !ok || v == nil {
		return nil, false
	}
	switch x := v.(type) {
	case string:
		if x == "" || len(x) > 60 || len(strings.Fields(x)) > 8 || isSyntheticID(x, w.s.tables) || strings.ContainsAny(x, "{}[]\n") {
			return nil, false
		}
	case map[string]any, []any:
		return nil, false
	}
	return v, true
}

// phraseValue renders "field value" for a stated argument.
func (w *walk) phraseValue(tb *schema.Table, a *schema.Arg, v any) string {
	c := tb.Column(a.Column)
	text := valueText(v, c)
	f := fieldPhrase(a.Name)
	if c != nil {
		f = fieldPhrase(c.Key)
	}
	if s, ok := v.(string); ok && c != nil && len(c.Enum) == 0 && len(strings.Fields(s)) > 1 && c.Format == "" {
		return f + " \"" + val(text) + "\""
	}
	return f + " " + val(text)
}

// verb is how a person says what op does.
func verb(op *schema.Op) string {
	w := human(actionWord(op))
	switch w {
	case "post", "put", "patch":
		return "update"
	}
	return w
}
