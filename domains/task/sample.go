package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// Graph is a domain's directed tool-dependency graph: an edge A -> B
// when what A returns (a row of some entity) can fill an argument of B
// (B's key on that entity, or a reference to it).
type Graph struct {
	Ops  []*schema.Op
	Next map[string][]*schema.Op
}

// NewGraph builds the dependency graph of a domain's tools.
func NewGraph(d *domains.Domain) *Graph {
	g := &Graph{Next: map[string][]*schema.Op{}}
	for _, op := range d.Model.Ops {
		if d.Tool(op.Tool) != nil {
			g.Ops = append(g.Ops, op)
		}
	}
	for _, a := range g.Ops {
		if a.Kind == schema.Delete {
			continue
		}
		for _, b := range g.Ops {
			if a == b && a.Kind != schema.List {
				continue
			}
			if fills(d, a.Table, b) {
				g.Next[a.Tool] = append(g.Next[a.Tool], b)
			}
		}
	}
	return g
}

// fills reports whether a row of table can fill an argument of op.
func fills(d *domains.Domain, table string, op *schema.Op) bool {
	for _, arg := range op.Args {
		if arg.Role == schema.RoleKey && op.Table == table && op.Kind != schema.Create {
			return true
		}
		if arg.Column != "" && arg.Role != schema.RoleKey {
			if c := d.Table(op.Table).Column(arg.Column); c != nil && c.Ref == table {
				return true
			}
		}
	}
	return false
}

// Options tune sampling.
type Options struct {
	// Seed drives the walks.
	Seed int64
	// StateSeed selects the initial state (default 1).
	StateSeed int64
	// MaxLength bounds walks (1 to 8, default 8).
	MaxLength int
	// Attempts bounds how many walks are tried per task wanted (default 20).
	Attempts int
}

// Stats count what sampling kept and dropped.
type Stats struct {
	Tried      int `json:"tried"`
	Failed     int `json:"failed"`
	Degenerate int `json:"degenerate"`
	Duplicate  int `json:"duplicate"`
	Unverified int `json:"unverified"`
	// Refused counts walks a lifecycle or reference rule stopped (also
	// in Failed); candidates are chosen so it stays zero.
	Refused int `json:"refused,omitempty"`
}

// Sampler draws tasks in one domain.
type Sampler struct {
	d     *domains.Domain
	g     *Graph
	opt   Options
	rng   *rand.Rand
	seen  map[string]bool
	stats Stats
}

// NewSampler prepares sampling in a domain.
func NewSampler(d *domains.Domain, opt Options) *Sampler {
	if opt.StateSeed == 0 {
		opt.StateSeed = 1
	}
	if opt.MaxLength <= 0 || opt.MaxLength > 8 {
		opt.MaxLength = 8
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 20
	}
	return &Sampler{
		d: d, g: NewGraph(d), opt: opt,
		rng:  rand.New(rand.NewPCG(uint64(opt.Seed), hash(d.Name))),
		seen: map[string]bool{},
	}
}

// Stats returns the counts so far.
func (s *Sampler) Stats() Stats { return s.stats }

// Sample draws up to n verified tasks. Every task it returns has been
// replayed to reward 1 and a perturbed replay to reward 0.
func (s *Sampler) Sample(ctx context.Context, n int) ([]*Task, error) {
	var out []*Task
	for tries := 0; len(out) < n && tries < n*s.opt.Attempts; tries++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		s.stats.Tried++
		t, err := s.one(ctx)
		if err != nil {
			return out, err
		}
		if t == nil {
			continue
		}
		key := string(mustJSON(t.Actions))
		if s.seen[key] {
			s.stats.Duplicate++
			continue
		}
		v, err := Verify(ctx, s.d, t)
		if err != nil {
			return out, err
		}
		if !v.OK() {
			s.stats.Unverified++
			continue
		}
		s.seen[key] = true
		t.ID = fmt.Sprintf("%s-%d-%03d", s.d.Name, s.opt.Seed, len(out))
		out = append(out, t)
	}
	return out, nil
}

// walkLength draws a chain length, shorter chains more often.
func (s *Sampler) walkLength() int {
	weights := []int{4, 6, 5, 4, 3, 2, 1, 1}[:s.opt.MaxLength]
	total := 0
	for _, w := range weights {
		total += w
	}
	r := s.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i + 1
		}
		r -= w
	}
	return 1
}

// pick chooses among ops, weighting reads at the start and writes after
// a read (chains that read before they write).
func (s *Sampler) pick(ops []*schema.Op, first bool, prevRead bool) *schema.Op {
	if len(ops) == 0 {
		return nil
	}
	weights := make([]int, len(ops))
	total := 0
	for i, op := range ops {
		w := 1
		switch {
		case first && !op.Kind.IsWrite():
			w = 3
		case !first && prevRead && op.Kind.IsWrite():
			w = 3
		case !first && op.Kind == schema.List:
			w = 0 // a list after a row adds nothing an instruction can say
		}
		weights[i] = w
		total += w
	}
	if total == 0 {
		return nil
	}
	r := s.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return ops[i]
		}
		r -= w
	}
	return nil
}

// focus is the entity a chain is working on.
type focus struct {
	table string
	id    any
	row   map[string]any
	// described says how the instruction names it.
	described string
	created   bool
}

// one draws and executes one walk; nil when it fails or is degenerate.
func (s *Sampler) one(ctx context.Context) (*Task, error) {
	db, err := s.d.NewDB(ctx, s.opt.StateSeed)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	length := s.walkLength()
	t := &Task{Domain: s.d.Name, StateSeed: s.opt.StateSeed}
	var cur *focus
	var op *schema.Op
	var clauses []string
	var shape []string
	gen := &domains.ArgGen{Domain: s.d, Rand: s.rng}
	for step := 0; step < length; step++ {
		if step == 0 {
			op = s.pick(s.g.Ops, true, false)
		} else {
			op = s.pick(s.g.Next[op.Tool], false, !op.Kind.IsWrite())
		}
		if op == nil {
			break
		}
		args, target, clause, ok, err := s.arguments(ctx, db, gen, op, cur)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		raw := mustJSON(args)
		res, err := s.d.Call(ctx, db, op.Tool, raw)
		if err != nil {
			if domains.IsToolError(err) {
				s.stats.Failed++
				if domains.IsRefused(err) {
					s.stats.Refused++
				}
				return nil, nil
			}
			return nil, fmt.Errorf("sample %s: %w", op.Tool, err)
		}
		t.Actions = append(t.Actions, Action{Tool: op.Tool, Arguments: raw})
		t.Observations = append(t.Observations, res)
		shape = append(shape, string(op.Kind))
		next, err := s.advance(ctx, db, op, res, target)
		if err != nil {
			return nil, err
		}
		// Reads that end a chain, or lead nowhere else, ask for a value.
		if !op.Kind.IsWrite() && next != nil && (step == length-1 || s.rng.IntN(3) == 0) && len(t.OutputRefs) < 2 {
			if f, v, ok := s.outputField(op, res); ok {
				t.Outputs = append(t.Outputs, v)
				t.OutputRefs = append(t.OutputRefs, OutputRef{Step: len(t.Actions) - 1, Field: f})
				clause = fmt.Sprintf("tell me the %s of %s", words(f), next.described)
			}
		}
		if clause != "" {
			clauses = append(clauses, clause)
		}
		cur = next
		if cur == nil {
			break
		}
	}
	if len(t.Actions) == 0 {
		s.stats.Failed++
		return nil, nil
	}
	changes, err := s.d.Changes(ctx, db, s.opt.StateSeed)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 && len(t.Outputs) == 0 {
		s.stats.Degenerate++
		return nil, nil
	}
	t.Changes = changes
	t.Fingerprint = domains.Fingerprint(changes)
	t.Shape = strings.Join(shape, ">")
	t.Instruction = s.render(clauses)
	return t, nil
}

// arguments chooses a step's arguments from the focus entity and the
// data; target is the entity the step acts on (before it runs).
func (s *Sampler) arguments(ctx context.Context, db *sql.DB, gen *domains.ArgGen, op *schema.Op, cur *focus) (map[string]any, *focus, string, bool, error) {
	tool := s.d.Tool(op.Tool)
	table := s.d.Table(op.Table)
	args := map[string]any{}
	var target *focus
	// Arguments that the focus fills.
	refDesc := map[string]string{}
	for _, a := range op.Args {
		switch {
		case a.Role == schema.RoleKey && op.Kind != schema.Create:
			if cur != nil && cur.table == op.Table {
				// A step whose entity is in a state the tool does not
				// apply to ends the walk: the call would be refused.
				if ok, err := s.applies(ctx, db, op, cur.id); !ok || err != nil {
					return nil, nil, "", false, err
				}
				args[a.Name] = cur.id
				target = cur
			}
		case a.Column != "" && a.Role != schema.RoleKey:
			if c := table.Column(a.Column); c != nil && c.Ref != "" && cur != nil && cur.table == c.Ref {
				args[a.Name] = cur.id
				refDesc[a.Name] = cur.described
			}
		}
	}
	// A chain's first step on an existing entity: pick a row.
	if target == nil && op.Kind != schema.Create && op.Kind != schema.List {
		key := keyArg(op)
		if key == "" {
			return nil, nil, "", false, nil
		}
		row, err := s.randomRowFor(ctx, db, op, table)
		if err != nil || row == nil {
			return nil, nil, "", false, err
		}
		target = &focus{table: op.Table, id: row["id"], row: row}
		target.described = s.describe(ctx, db, table, row)
		args[key] = row["id"]
	}
	clause := ""
	// Name referenced entities as a user would, not by internal id.
	describeRefs := func() error {
		for _, a := range op.Args {
			if a.Column == "" || a.Role == schema.RoleKey || refDesc[a.Name] != "" || args[a.Name] == nil {
				continue
			}
			c := table.Column(a.Column)
			if c == nil || c.Ref == "" {
				continue
			}
			parent := s.d.Table(c.Ref)
			row, err := s.rowByID(ctx, db, parent, args[a.Name])
			if err != nil {
				return err
			}
			if row != nil {
				refDesc[a.Name] = s.describe(ctx, db, parent, row)
			}
		}
		return nil
	}
	switch op.Kind {
	case schema.List:
		// Filter on an attribute of a real row, so the list finds it.
		if cur == nil || len(args) == 0 {
			row, err := s.randomRow(ctx, db, table)
			if err != nil || row == nil {
				return nil, nil, "", false, err
			}
			f := s.filterArg(op, table, row)
			if f == nil {
				return nil, nil, "", false, nil
			}
			args[f.Name] = row[table.Column(f.Column).Key]
			target = &focus{table: op.Table, id: row["id"], row: row}
			target.described = s.describe(ctx, db, table, row)
		}
	case schema.Get:
	case schema.Create:
		valid := decode(gen.Valid(ctx, db, tool))
		for k, v := range valid {
			if _, set := args[k]; !set && !isKeyArg(op, k) {
				args[k] = v
			}
		}
		if err := describeRefs(); err != nil {
			return nil, nil, "", false, err
		}
		clause = fmt.Sprintf("create a new %s with %s", words(op.Table), s.listArgs(op, args, refDesc))
	case schema.Update:
		valid := decode(gen.Valid(ctx, db, tool))
		var changed []string
		for _, a := range op.Args {
			if a.Role != schema.RoleColumn || args[a.Name] != nil {
				continue
			}
			if v, ok := valid[a.Name]; ok && len(changed) < 2 && s.rng.IntN(2) == 0 {
				args[a.Name] = v
				changed = append(changed, a.Name)
			}
		}
		if err := describeRefs(); err != nil {
			return nil, nil, "", false, err
		}
		verb := "update"
		if len(op.Sets) > 0 {
			verb = actionWord(op)
		}
		clause = fmt.Sprintf("%s %s", verb, target.described)
		if len(changed) > 0 {
			clause += " and set its " + s.listArgs(op, pickArgs(args, changed), refDesc)
		}
		if len(op.Sets) == 0 && len(changed) == 0 {
			return nil, nil, "", false, nil
		}
	case schema.Delete:
		clause = "delete " + target.described
	}
	// Required arguments nobody set: draw them.
	for _, n := range requiredArgs(tool) {
		if _, ok := args[n]; !ok {
			valid := decode(gen.Valid(ctx, db, tool))
			if v, ok := valid[n]; ok {
				args[n] = v
			}
		}
	}
	return args, target, clause, true, nil
}

// advance returns the entity a chain works on after a step.
func (s *Sampler) advance(ctx context.Context, db *sql.DB, op *schema.Op, res json.RawMessage, target *focus) (*focus, error) {
	table := s.d.Table(op.Table)
	var row map[string]any
	switch op.Kind {
	case schema.Delete:
		return nil, nil
	case schema.List:
		var list []map[string]any
		if err := json.Unmarshal(res, &list); err != nil || len(list) == 0 {
			return nil, nil
		}
		row = list[0]
		if target != nil {
			for _, r := range list {
				if fmt.Sprint(r["id"]) == fmt.Sprint(target.id) {
					row = r
				}
			}
		}
	default:
		if err := json.Unmarshal(res, &row); err != nil || row == nil {
			return nil, nil
		}
	}
	f := &focus{table: op.Table, id: row["id"], row: row}
	switch {
	case op.Kind == schema.Create:
		f.created = true
		f.described = "the new " + words(op.Table)
	case target != nil && fmt.Sprint(target.id) == fmt.Sprint(row["id"]):
		f.described = target.described
	default:
		f.described = s.describe(ctx, db, table, row)
	}
	return f, nil
}

// outputField picks an informative field of a read's result to ask for.
func (s *Sampler) outputField(op *schema.Op, res json.RawMessage) (string, string, bool) {
	var v any
	if err := json.Unmarshal(res, &v); err != nil {
		return "", "", false
	}
	if list, ok := v.([]any); ok {
		if len(list) == 0 {
			return "", "", false
		}
		v = list[0]
	}
	m, ok := v.(map[string]any)
	if !ok {
		return "", "", false
	}
	var cands []string
	for k, x := range m {
		if k == "id" || strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "Id") {
			continue
		}
		switch val := x.(type) {
		case string:
			if len(val) >= 3 && len(val) <= 80 {
				cands = append(cands, k)
			}
		case float64:
			if len(scalarText(val)) >= 3 {
				cands = append(cands, k)
			}
		}
	}
	if len(cands) == 0 {
		return "", "", false
	}
	sort.Strings(cands)
	k := cands[s.rng.IntN(len(cands))]
	return k, scalarText(m[k]), true
}

// describe names a row the way a user would: by an attribute that is
// unique in its table (email, name, title, ...), else by its id.
func (s *Sampler) describe(ctx context.Context, db *sql.DB, t *schema.Table, row map[string]any) string {
	prefs := []string{"email", "name", "full_name", "title", "username", "phone", "code", "number", "license_plate", "isbn", "record_locator", "flight_number"}
	var cols []*schema.Column
	for _, p := range prefs {
		if c := t.Column(p); c != nil && c.JSONType == "string" {
			cols = append(cols, c)
		}
	}
	for _, c := range t.Columns {
		if c.JSONType == "string" && !c.PK && c.Ref == "" && len(c.Enum) == 0 && c.Format == "" && !contains(prefs, c.Name) {
			cols = append(cols, c)
		}
	}
	for _, c := range cols {
		v, ok := row[c.Key].(string)
		if !ok || len(v) < 3 || len(v) > 60 {
			continue
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema.Quote(t.Name)+` WHERE `+schema.Quote(c.Name)+` = ?`, v).Scan(&n); err == nil && n == 1 {
			return fmt.Sprintf("the %s whose %s is %s", words(t.Name), words(c.Key), v)
		}
	}
	return fmt.Sprintf("the %s with id %v", words(t.Name), row["id"])
}

// rowByID reads one row of t as a map keyed by JSON keys, or nil.
func (s *Sampler) rowByID(ctx context.Context, db *sql.DB, t *schema.Table, id any) (map[string]any, error) {
	return s.queryRow(ctx, db, t, `WHERE "id" = ?`, id)
}

func (s *Sampler) randomRow(ctx context.Context, db *sql.DB, t *schema.Table) (map[string]any, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema.Quote(t.Name)).Scan(&n); err != nil {
		return nil, fmt.Errorf("sample %s: %w", t.Name, err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.queryRow(ctx, db, t, `ORDER BY "id" LIMIT 1 OFFSET ?`, s.rng.IntN(n))
}

// allowed is the SQL condition on op's table that rows op can act on
// meet, or "": for a tool with a lifecycle rule, a state the rule
// allows; for a delete, no row referencing it through a restrict rule.
func (s *Sampler) allowed(op *schema.Op, t *schema.Table) (string, []any) {
	var conds []string
	var args []any
	if r := s.d.StateRules[op.Tool]; r != nil && r.Table == t.Name && len(r.From) > 0 {
		conds = append(conds, schema.Quote(r.Column)+" IN (?"+strings.Repeat(", ?", len(r.From)-1)+")")
		for _, f := range r.From {
			args = append(args, f)
		}
	}
	if op.Kind == schema.Delete {
		for _, ref := range t.Referrers {
			if ref.OnDelete == schema.Restrict {
				conds = append(conds, fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM %s AS r WHERE r.%s = %s."id")`,
					schema.Quote(ref.Table), schema.Quote(ref.Column), schema.Quote(t.Name)))
			}
		}
	}
	return strings.Join(conds, " AND "), args
}

// randomRowFor picks a random row op can act on without a rule refusing
// the call.
func (s *Sampler) randomRowFor(ctx context.Context, db *sql.DB, op *schema.Op, t *schema.Table) (map[string]any, error) {
	cond, args := s.allowed(op, t)
	if cond == "" {
		return s.randomRow(ctx, db, t)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema.Quote(t.Name)+` WHERE `+cond, args...).Scan(&n); err != nil {
		return nil, fmt.Errorf("sample %s: %w", t.Name, err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.queryRow(ctx, db, t, `WHERE `+cond+` ORDER BY "id" LIMIT 1 OFFSET ?`, append(args, s.rng.IntN(n))...)
}

// applies reports whether op can act on row id of its table without a
// rule refusing the call.
func (s *Sampler) applies(ctx context.Context, db *sql.DB, op *schema.Op, id any) (bool, error) {
	t := s.d.Table(op.Table)
	cond, args := s.allowed(op, t)
	if cond == "" {
		return true, nil
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema.Quote(t.Name)+` WHERE "id" = ? AND `+cond, append([]any{id}, args...)...).Scan(&n); err != nil {
		return false, fmt.Errorf("sample %s: %w", t.Name, err)
	}
	return n > 0, nil
}

// queryRow reads the first row of t the clause selects, or nil.
func (s *Sampler) queryRow(ctx context.Context, db *sql.DB, t *schema.Table, clause string, args ...any) (map[string]any, error) {
	list, err := domains.Rows(ctx, db, t, clause, args...)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// filterArg chooses a filter of a list whose column has a value in row.
func (s *Sampler) filterArg(op *schema.Op, t *schema.Table, row map[string]any) *schema.Arg {
	var cands []*schema.Arg
	for _, a := range op.Args {
		if a.Role != schema.RoleFilter {
			continue
		}
		c := t.Column(a.Column)
		if c == nil || row[c.Key] == nil || c.JSONType == "object" || c.JSONType == "array" {
			continue
		}
		cands = append(cands, a)
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[s.rng.IntN(len(cands))]
}

func (s *Sampler) listArgs(op *schema.Op, args map[string]any, refDesc map[string]string) string {
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		if d, ok := refDesc[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", words(strings.TrimSuffix(k, "_id")), d))
			continue
		}
		v, _ := json.Marshal(args[k])
		text := string(v)
		if str, ok := args[k].(string); ok {
			text = str
		}
		parts = append(parts, fmt.Sprintf("%s %s", words(k), text))
	}
	if len(parts) == 0 {
		return "no details"
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

var openers = []string{"Please ", "I need you to ", "Could you ", "Hi! Can you ", "I'd like you to ", ""}
var joiners = []string{", then ", ". After that, ", "; next, ", ", and then "}

// render joins the clauses into an instruction, phrased by the seed.
func (s *Sampler) render(clauses []string) string {
	if len(clauses) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(openers[s.rng.IntN(len(openers))])
	for i, c := range clauses {
		if i > 0 {
			b.WriteString(joiners[s.rng.IntN(len(joiners))])
		}
		b.WriteString(c)
	}
	out := b.String()
	out = strings.ToUpper(out[:1]) + out[1:]
	return strings.TrimRight(out, " ") + "."
}

func keyArg(op *schema.Op) string {
	for _, a := range op.Args {
		if a.Role == schema.RoleKey {
			return a.Name
		}
	}
	return ""
}

func isKeyArg(op *schema.Op, name string) bool {
	for _, a := range op.Args {
		if a.Name == name && a.Role == schema.RoleKey {
			return true
		}
	}
	return false
}

func actionWord(op *schema.Op) string {
	w := strings.Split(op.Tool, "_")
	if len(w) > 1 && (w[1] == "in" || w[1] == "out") {
		return w[0] + " " + w[1]
	}
	return w[0]
}

func requiredArgs(t *domains.Tool) []string {
	var s struct {
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(t.Parameters, &s)
	return s.Required
}

func pickArgs(args map[string]any, names []string) map[string]any {
	out := map[string]any{}
	for _, n := range names {
		out[n] = args[n]
	}
	return out
}

func decode(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

func words(s string) string { return strings.ReplaceAll(s, "_", " ") }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
