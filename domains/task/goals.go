package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// A goal adds calls to a walk and returns the sentence that asks for
// them; errDead when it does not apply.
type goal func(w *walk) (string, error)

// goals are the chain shapes, with weights.
var goals = []struct {
	name   string
	weight int
	g      goal
}{
	{"entity", 10, (*walk).entityGoal},
	{"create", 5, (*walk).createGoal},
	{"count", 3, (*walk).countGoal},
	{"latest", 2, (*walk).latestGoal},
	{"both", 2, (*walk).bothGoal},
	{"conditional", 3, (*walk).condGoal},
}

func (w *walk) pickGoalIndex() int {
	total := 0
	for _, g := range goals {
		total += g.weight
	}
	r := w.rng(total)
	for i, g := range goals {
		if r < g.weight {
			return i
		}
		r -= g.weight
	}
	return 0
}

// randomRows returns up to n random rows of tb, in random order.
func (w *walk) randomRows(tb *schema.Table, n int) ([]map[string]any, error) {
	rows, err := domains.Rows(w.ctx, w.db, tb, `ORDER BY "id"`)
	if err != nil {
		return nil, err
	}
	w.s.rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	if len(rows) > n {
		rows = rows[:n]
	}
	return rows, nil
}

// action is one thing to do to an entity: a verb phrase naming it.
type action func(w *walk, e *entity) (string, error)

// entityActions lists what can be done to e now.
func (w *walk) entityActions(e *entity, last bool) []action {
	var out []action
	if len(w.askable(e)) > 0 {
		out = append(out, (*walk).askAction, (*walk).askAction)
	}
	for _, op := range w.s.statusOps[e.table] {
		if w.statusOK(e, op) {
			op := op
			out = append(out, func(w *walk, e *entity) (string, error) { return w.statusAction(e, op) })
		}
	}
	if !e.ended {
		for _, op := range w.s.updates[e.table] {
			op := op
			out = append(out, func(w *walk, e *entity) (string, error) { return w.updateAction(e, op) })
		}
		for _, op := range w.s.childCreates[e.table] {
			op := op
			out = append(out, func(w *walk, e *entity) (string, error) { return w.createFor(e, op) })
		}
		if last {
			for _, op := range w.s.deletes[e.table] {
				op := op
				out = append(out, func(w *walk, e *entity) (string, error) { return w.deleteAction(e, op) })
			}
		}
	}
	return out
}

// findEntity picks a table and a row that can be found and acted on.
func (w *walk) findEntity(pred func(e *entity) bool) (*entity, error) {
	var tables []*schema.Table
	for _, tb := range w.s.d.Model.Tables {
		if w.s.canLookup(tb.Name) && tb.Rows > 0 {
			tables = append(tables, tb)
		}
	}
	if len(tables) == 0 {
		return nil, errDead
	}
	tb := pick(w, tables)
	rows, err := w.randomRows(tb, 6)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		probe := &entity{table: tb.Name, id: r["id"], row: r}
		if pred != nil && !pred(probe) {
			continue
		}
		e, err := w.lookup(tb, r, true)
		if errors.Is(err, errDead) && len(w.t.Actions) == 0 {
			continue
		}
		return e, err
	}
	return nil, errDead
}

// entityGoal finds an entity and does one to three things to it.
func (w *walk) entityGoal() (string, error) {
	e, err := w.findEntity(func(e *entity) bool { return len(w.entityActions(e, true)) > 0 })
	if err != nil {
		return "", err
	}
	n := []int{1, 1, 2, 2, 2, 3, 3}[w.rng(7)]
	var vps []string
	asks := 0
	for i := 0; i < n; i++ {
		vp, err := w.tryActions(e, w.entityActions(e, i == n-1), -1)
		if errors.Is(err, errDead) && i > 0 {
			break
		}
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(vp, "tell me") {
			asks++
		}
		vps = append(vps, vp)
		if e.ended {
			break
		}
	}
	if len(vps) == 0 {
		return "", errDead
	}
	if len(vps) == 1 && asks == 1 {
		return w.question(strings.TrimPrefix(vps[0], "tell me ")), nil
	}
	return w.request(vps), nil
}

// tryActions runs the first of acts (in random order, skipping index
// skip) that applies; errDead when none does. An action that made calls
// and then failed ends the walk.
func (w *walk) tryActions(e *entity, acts []action, skip int) (string, error) {
	order := w.s.rng.Perm(len(acts))
	for _, i := range order {
		if i == skip {
			continue
		}
		mark := len(w.t.Actions)
		vp, err := acts[i](w, e)
		if errors.Is(err, errDead) && len(w.t.Actions) == mark {
			continue
		}
		if err == nil {
			w.lastAction = i
		}
		return vp, err
	}
	return "", errDead
}

// question phrases a single ask.
func (w *walk) question(what string) string {
	return pick(w, []string{
		sentence("what is "+what, "?"),
		sentence("could you tell me "+what, "?"),
		sentence("can you look up "+what, "?"),
		sentence("I'd like to know "+what, "."),
		sentence("please find out "+what+" for me", "."),
	})
}

// request phrases verb phrases as one request.
func (w *walk) request(vps []string) string {
	body := joinList(vps)
	return pick(w, []string{
		sentence("please "+body, "."),
		sentence("could you "+body, "?"),
		sentence("I need you to "+body, "."),
		sentence("can you "+body, "?"),
		sentence(body+", please", "."),
		sentence("I'd like you to "+body, "."),
	})
}

func (w *walk) askAction(e *entity) (string, error) {
	fields := w.askable(e)
	if len(fields) == 0 {
		return "", errDead
	}
	f := pick(w, fields)
	obj := w.obj(e)
	if err := w.ask(e, f); err != nil {
		return "", err
	}
	if obj == "it" {
		return "tell me its " + fieldPhrase(f), nil
	}
	return "tell me the " + fieldPhrase(f) + " of " + obj, nil
}

func (w *walk) statusAction(e *entity, op *schema.Op) (string, error) {
	tb := w.s.d.Table(op.Table)
	args := map[string]any{keyArg(op): e.id}
	valid := decode(w.gen.Valid(w.ctx, w.db, w.s.d.Tool(op.Tool)))
	req := requiredArgs(w.s.d.Tool(op.Tool))
	var extra []string
	for _, a := range op.Args {
		if a.Role == schema.RoleKey {
			continue
		}
		if !contains(req, a.Name) && (a.Role != schema.RoleColumn || w.rng(2) == 0) {
			continue
		}
		v, ok := w.statedValue(tb, a, valid)
		if !ok {
			if contains(req, a.Name) {
				return "", errDead
			}
			continue
		}
		args[a.Name] = v
		if a.Column == "reason" || a.Name == "reason" {
			extra = append(extra, "because of \""+val(valueText(v, nil))+"\"")
		} else {
			extra = append(extra, "with "+w.phraseValue(tb, a, v))
		}
	}
	vp := verb(op) + " " + w.obj(e)
	if vw := strings.Fields(verb(op)); len(vw) == 2 && strings.HasSuffix(vp, " it") {
		vp = vw[0] + " it " + vw[1]
	}
	if len(extra) > 0 {
		vp += " " + strings.Join(extra, " ")
	}
	res, err := w.call(op, args)
	if err != nil {
		return "", err
	}
	w.after(e, op, res, sortedKeys(args))
	return vp, nil
}

func (w *walk) updateAction(e *entity, op *schema.Op) (string, error) {
	tb := w.s.d.Table(op.Table)
	tool := w.s.d.Tool(op.Tool)
	req := requiredArgs(tool)
	valid := decode(w.gen.Valid(w.ctx, w.db, tool))
	args := map[string]any{keyArg(op): e.id}
	var changes []string
	var cols []string
	var cands []*schema.Arg
	for _, a := range op.Args {
		if a.Role == schema.RoleColumn {
			cands = append(cands, a)
		} else if a.Role != schema.RoleKey && contains(req, a.Name) {
			return "", errDead
		}
	}
	w.s.rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	for _, a := range cands {
		c := tb.Column(a.Column)
		if c == nil || c.Ref != "" {
			if contains(req, a.Name) {
				return "", errDead
			}
			continue
		}
		if !contains(req, a.Name) && len(changes) >= 1+w.rng(2) {
			continue
		}
		v, ok := w.statedValue(tb, a, valid)
		if ok && fmt.Sprint(v) == fmt.Sprint(e.row[c.Key]) {
			ok = false
		}
		if !ok {
			if contains(req, a.Name) {
				return "", errDead
			}
			continue
		}
		args[a.Name] = v
		cols = append(cols, c.Key)
		changes = append(changes, w.phraseValue(tb, a, v))
	}
	if len(changes) == 0 {
		return "", errDead
	}
	obj := w.obj(e)
	var vp string
	if len(changes) == 1 {
		parts := strings.SplitN(changes[0], " "+mark, 2)
		if len(parts) == 2 {
			if obj == "it" {
				vp = "change its " + parts[0] + " to " + mark + parts[1]
			} else {
				vp = "change the " + parts[0] + " of " + obj + " to " + mark + parts[1]
			}
		}
	}
	if vp == "" {
		vp = "update " + obj + " with " + joinList(changes)
	}
	res, err := w.call(op, args)
	if err != nil {
		return "", err
	}
	w.after(e, op, res, cols)
	return vp, nil
}

func (w *walk) deleteAction(e *entity, op *schema.Op) (string, error) {
	vp := pick(w, []string{"delete ", "remove "}) + w.obj(e)
	res, err := w.call(op, map[string]any{keyArg(op): e.id})
	if err != nil {
		return "", err
	}
	w.after(e, op, res, nil)
	return vp, nil
}

// createFor creates a row of op's table that references parent.
func (w *walk) createFor(parent *entity, op *schema.Op) (string, error) {
	return w.create(op, parent)
}

// create makes a row with op, its references filled from parent, from
// what earlier rows reference, or from new lookups; its other values
// stated. A follow-up may act on the new row.
func (w *walk) create(op *schema.Op, parent *entity) (string, error) {
	tb := w.s.d.Table(op.Table)
	tool := w.s.d.Tool(op.Tool)
	req := requiredArgs(tool)
	valid := decode(w.gen.Valid(w.ctx, w.db, tool))
	args := map[string]any{}
	var details, fors []string
	var cols []string
	used := false
	for _, a := range op.Args {
		if a.Role == schema.RoleKey {
			if contains(req, a.Name) {
				return "", errDead
			}
			continue
		}
		c := tb.Column(a.Column)
		if c != nil && c.Ref != "" {
			switch {
			case parent != nil && c.Ref == parent.table && !used:
				args[a.Name] = parent.id
				used = true
				fors = append(fors, w.obj(parent))
				continue
			case parent != nil && parent.row[refKey(w.s.d, parent.table, c.Ref)] != nil:
				// The parent's own reference: the same customer.
				args[a.Name] = parent.row[refKey(w.s.d, parent.table, c.Ref)]
				continue
			case contains(req, a.Name) || w.rng(2) == 0:
				ptb := w.s.d.Table(c.Ref)
				if ptb == nil || !w.s.canLookup(ptb.Name) {
					if contains(req, a.Name) {
						return "", errDead
					}
					continue
				}
				rows, err := w.randomRows(ptb, 4)
				if err != nil {
					return "", err
				}
				var pe *entity
				for _, r := range rows {
					if e := w.ents[entKey(ptb.Name, r["id"])]; e != nil && e.ended {
						continue
					}
					if isTerminal(r["status"]) {
						continue
					}
					pe, err = w.lookup(ptb, r, false)
					if err == nil || !errors.Is(err, errDead) {
						break
					}
				}
				if err != nil {
					return "", err
				}
				if pe == nil {
					return "", errDead
				}
				args[a.Name] = pe.id
				fors = append(fors, w.obj(pe))
				continue
			}
			continue
		}
		if a.Role != schema.RoleColumn && !contains(req, a.Name) {
			continue
		}
		if !contains(req, a.Name) && w.rng(2) == 0 {
			continue
		}
		v, ok := w.statedValue(tb, a, valid)
		if !ok {
			if contains(req, a.Name) {
				return "", errDead
			}
			continue
		}
		args[a.Name] = v
		details = append(details, w.phraseValue(tb, a, v))
		if c != nil {
			cols = append(cols, c.Key)
		}
	}
	for _, n := range req {
		if _, ok := args[n]; !ok {
			return "", errDead
		}
	}
	n := noun(tb.Name)
	vb := verb(op)
	if vb == "create" || vb == "add" || vb == "new" || vb == "insert" {
		vb = pick(w, []string{"create", "add", "set up"})
	}
	vp := vb + " a new " + n
	if len(fors) > 0 {
		vp += " for " + joinList(fors)
	}
	if len(details) > 0 {
		vp += " with " + joinList(details)
	}
	res, err := w.call(op, args)
	if err != nil {
		return "", err
	}
	r := decode(res)
	if r["id"] == nil {
		return vp, nil
	}
	e := &entity{table: tb.Name, id: r["id"], row: r, desc: "the new " + n, step: len(w.t.Actions) - 1, said: true}
	w.focus = e
	w.after(e, op, res, cols)
	e.statusDone = false
	w.ents[entKey(tb.Name, e.id)] = e
	// A workflow: act on what was just made.
	if w.rng(2) == 0 && len(w.t.Actions) < w.s.opt.MaxLength {
		var follow []action
		for _, op := range w.s.statusOps[e.table] {
			if w.statusOK(e, op) {
				op := op
				follow = append(follow, func(w *walk, e *entity) (string, error) { return w.statusAction(e, op) })
			}
		}
		for _, op := range w.s.childCreates[e.table] {
			op := op
			follow = append(follow, func(w *walk, e *entity) (string, error) { return w.create(op, e) })
		}
		if len(follow) > 0 {
			more, err := pick(w, follow)(w, e)
			if err == nil {
				return vp + pick(w, []string{", then ", " and then ", ", and after that "}) + more, nil
			}
			if !errors.Is(err, errDead) {
				return "", err
			}
		}
	}
	return vp, nil
}

// refKey is the JSON key of table's column referencing ref, or "".
func refKey(d *domains.Domain, table, ref string) string {
	tb := d.Table(table)
	if tb == nil {
		return ""
	}
	for _, c := range tb.Columns {
		if c.Ref == ref {
			return c.Key
		}
	}
	return ""
}

// createGoal creates a row (with the lookups its references need).
func (w *walk) createGoal() (string, error) {
	var ops []*schema.Op
	for _, op := range w.s.creates {
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return "", errDead
	}
	vp, err := w.create(pick(w, ops), nil)
	if err != nil {
		return "", err
	}
	return w.request([]string{vp}), nil
}

// listFilters lists the ways to narrow op's list: a reference to a
// findable parent, or an enum value.
func (w *walk) countList() (*schema.Op, *schema.Arg, *schema.Column, error) {
	var cands [][2]any
	for _, tb := range w.s.d.Model.Tables {
		for _, op := range w.s.lists[tb.Name] {
			tb := w.s.d.Table(op.Table)
			for _, a := range op.Args {
				c := tb.Column(a.Column)
				if a.Role != schema.RoleFilter || c == nil {
					continue
				}
				if (c.Ref != "" && c.Ref != tb.Name && w.s.canLookup(c.Ref)) || (len(c.Enum) > 0 && c.JSONType == "string") {
					cands = append(cands, [2]any{op, a})
				}
			}
		}
	}
	if len(cands) == 0 {
		return nil, nil, nil, errDead
	}
	c := pick(w, cands)
	op, a := c[0].(*schema.Op), c[1].(*schema.Arg)
	return op, a, w.s.d.Table(op.Table).Column(a.Column), nil
}

// filtered runs a list narrowed by a parent or an enum value and
// returns the observation and how the instruction names the set.
func (w *walk) filtered(op *schema.Op, a *schema.Arg, c *schema.Column) ([]map[string]any, string, error) {
	tb := w.s.d.Table(op.Table)
	var arg any
	var phrase string
	if c.Ref != "" {
		ptb := w.s.d.Table(c.Ref)
		rows, err := domains.Rows(w.ctx, w.db, tb, `WHERE `+schema.Quote(c.Name)+` IS NOT NULL ORDER BY "id"`)
		if err != nil || len(rows) == 0 {
			return nil, "", errors.Join(err, errDead)
		}
		prow, err := w.s.rowByID(w.ctx, w.db, ptb, pick(w, rows)[c.Key])
		if err != nil || prow == nil {
			return nil, "", errors.Join(err, errDead)
		}
		pe, err := w.lookup(ptb, prow, false)
		if err != nil {
			return nil, "", err
		}
		arg = pe.id
		phrase = w.obj(pe)
	} else {
		arg = pick(w, c.Enum)
		phrase = val(valueText(arg, c))
	}
	res, err := w.call(op, map[string]any{a.Name: arg})
	if err != nil {
		return nil, "", err
	}
	var list []map[string]any
	_ = json.Unmarshal(res, &list)
	if len(list) == 0 || len(list) >= domains.DefaultLimit {
		return nil, "", errDead
	}
	return list, phrase, nil
}

func (w *walk) countGoal() (string, error) {
	op, a, c, err := w.countList()
	if err != nil {
		return "", err
	}
	list, phrase, err := w.filtered(op, a, c)
	if err != nil {
		return "", err
	}
	_ = list
	tb := w.s.d.Table(op.Table)
	ps := plural(noun(tb.Name))
	var q string
	switch {
	case c.Ref != "":
		q = pick(w, []string{"how many " + ps + " does " + phrase + " have", "how many " + ps + " are there for " + phrase})
	case c.Key == "status" || c.Key == "state":
		q = "how many " + ps + " are " + phrase
	default:
		q = "how many " + ps + " have " + fieldPhrase(c.Key) + " " + phrase
	}
	ref := OutputRef{Step: len(w.t.Actions) - 1, Fact: FactCount}
	v, _ := refValue(w.t.Observations[ref.Step], ref)
	w.t.Outputs = append(w.t.Outputs, v)
	w.t.OutputRefs = append(w.t.OutputRefs, ref)
	return sentence(q, "?"), nil
}

func (w *walk) latestGoal() (string, error) {
	op, a, c, err := w.countList()
	if err != nil {
		return "", err
	}
	tb := w.s.d.Table(op.Table)
	var dates []*schema.Column
	for _, dc := range tb.Columns {
		if dc.JSONType == "string" && (dc.Format == "date" || dc.Format == "date-time") {
			dates = append(dates, dc)
		}
	}
	if len(dates) == 0 {
		return "", errDead
	}
	list, phrase, err := w.filtered(op, a, c)
	if err != nil {
		return "", err
	}
	dc := pick(w, dates)
	anyList := make([]any, len(list))
	for i, r := range list {
		anyList[i] = r
	}
	best := latestRow(anyList, dc.Key)
	if best == nil || len(list) < 2 {
		return "", errDead
	}
	var fields []string
	for _, ic := range w.s.identCols(tb) {
		if v, ok := best[ic.Key].(string); ok && w.s.nameLike(v) {
			fields = append(fields, ic.Key)
		}
	}
	if len(fields) == 0 {
		return "", errDead
	}
	f := pick(w, fields)
	ref := OutputRef{Step: len(w.t.Actions) - 1, Fact: FactLatest, By: dc.Key, Field: f}
	v, ok := refValue(w.t.Observations[ref.Step], ref)
	if !ok {
		return "", errDead
	}
	w.t.Outputs = append(w.t.Outputs, v)
	w.t.OutputRefs = append(w.t.OutputRefs, ref)
	ps := plural(noun(tb.Name))
	set := ps + " of " + phrase
	if c.Ref == "" {
		set = phrase + " " + ps
	}
	return pick(w, []string{
		sentence("among the "+set+", which one has the latest "+fieldPhrase(dc.Key)+"? Tell me its "+fieldPhrase(f), "."),
		sentence("which of the "+set+" is the most recent by "+fieldPhrase(dc.Key)+"? I need its "+fieldPhrase(f), "."),
	}), nil
}

// bothGoal asks the same field of two rows: two lookups, two reads.
func (w *walk) bothGoal() (string, error) {
	e1, err := w.findEntity(func(e *entity) bool { return len(w.askable(e)) > 0 })
	if err != nil {
		return "", err
	}
	fields := w.askable(e1)
	if len(fields) == 0 {
		return "", errDead
	}
	f := pick(w, fields)
	tb := w.s.d.Table(e1.table)
	rows, err := w.randomRows(tb, 6)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		if fmt.Sprint(r["id"]) == fmt.Sprint(e1.id) || r[f] == nil || fmt.Sprint(r[f]) == fmt.Sprint(e1.row[f]) {
			continue
		}
		e2, err := w.lookup(tb, r, true)
		if errors.Is(err, errDead) {
			return "", err
		}
		if err != nil {
			return "", err
		}
		if !contains(w.askable(e2), f) {
			return "", errDead
		}
		d1, d2 := w.obj(e1), w.obj(e2)
		if err := w.ask(e1, f); err != nil {
			return "", err
		}
		if err := w.ask(e2, f); err != nil {
			return "", err
		}
		fp := fieldPhrase(f)
		return pick(w, []string{
			sentence("what are the "+plural(fp)+" of "+d1+" and "+d2, "?"),
			sentence("please tell me the "+fp+" of "+d1+" and the "+fp+" of "+d2, "."),
			sentence("I'd like to compare "+d1+" and "+d2+": what is the "+fp+" of each", "?"),
		}), nil
	}
	return "", errDead
}

// condGoal: "if its balance is more than 300, freeze it; otherwise tell
// me its currency". The ground truth takes the branch the data decides.
func (w *walk) condGoal() (string, error) {
	numeric := func(e *entity) []string {
		var out []string
		for _, c := range w.s.d.Table(e.table).Columns {
			if x, ok := e.row[c.Key].(float64); ok && c.Ref == "" && !c.PK && x > 2 && !strings.HasSuffix(c.Key, "_id") {
				out = append(out, c.Key)
			}
		}
		return out
	}
	e, err := w.findEntity(func(e *entity) bool {
		return len(numeric(e)) > 0 && len(w.entityActions(e, true)) > 0
	})
	if err != nil {
		return "", err
	}
	fs := numeric(e)
	if len(fs) == 0 {
		return "", errDead
	}
	f := pick(w, fs)
	x := e.row[f].(float64)
	// A threshold clear of the value, on either side.
	t := math.Round(x * []float64{0.5, 0.8, 1.25, 1.5}[w.rng(4)])
	if t == x {
		t = x + 1
	}
	cond := x > t
	acts := w.entityActions(e, true)
	if len(acts) < 2 {
		return "", errDead
	}
	desc := w.obj(e)
	fp := fieldPhrase(f)
	thr := val(scalarText(t))
	// The untaken branch is phrased without running it: on a copy.
	other, oi, err := w.dryRun(e, acts)
	if err != nil {
		return "", err
	}
	w.focus = e
	taken, err := w.tryActions(e, acts, oi)
	if err != nil {
		return "", err
	}
	yes, no := taken, other
	if !cond {
		yes, no = other, taken
	}
	return sentence(pick(w, []string{"please check " + desc + ". If its " + fp + " is more than " + thr + ", " + yes + "; otherwise, " + no,
		"look up " + desc + ": if its " + fp + " is above " + thr + ", " + yes + ", and if not, " + no}), "."), nil
}

// dryRun phrases a branch without running it into the ground truth: on
// a throwaway copy of the walk. It returns the phrase and which action.
func (w *walk) dryRun(e *entity, acts []action) (string, int, error) {
	db, err := domains.Clone(w.ctx, w.db)
	if err != nil {
		return "", -1, err
	}
	defer db.Close()
	cp := *e
	cp.row = copyMap(e.row)
	cp.written = map[string]bool{}
	for k, v := range e.written {
		cp.written[k] = v
	}
	t := &Task{Actions: append([]Action(nil), w.t.Actions...), Observations: append([]json.RawMessage(nil), w.t.Observations...)}
	dw := &walk{s: w.s, ctx: w.ctx, db: db, gen: w.gen, t: t, ents: map[string]*entity{}, text: w.text, focus: &cp}
	vp, err := dw.tryActions(&cp, acts, -1)
	if err != nil {
		if errors.Is(err, errRefused) {
			err = errDead
		}
		return "", -1, err
	}
	return vp, dw.lastAction, nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
