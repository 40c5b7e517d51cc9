package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
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
	// Incoherent counts tasks the auditor (Audit) found defects in;
	// Defects says, per check, how many of those failed it.
	Incoherent int     `json:"incoherent"`
	Defects    Defects `json:"defects"`
}

// Add adds o's counts to st.
func (st *Stats) Add(o Stats) {
	st.Tried += o.Tried
	st.Failed += o.Failed
	st.Degenerate += o.Degenerate
	st.Duplicate += o.Duplicate
	st.Unverified += o.Unverified
	st.Incoherent += o.Incoherent
	st.Refused += o.Refused
	st.Defects.Add(o.Defects)
}

// Sampler draws tasks in one domain.
type Sampler struct {
	d      *domains.Domain
	g      *Graph
	opt    Options
	rng    *rand.Rand
	seen   map[string]bool
	stats  Stats
	tables map[string]bool
	// Ops by table and what they do.
	lists                       map[string][]*schema.Op
	gets                        map[string]*schema.Op
	statusOps, updates, deletes map[string][]*schema.Op
	// childCreates[t] create rows that reference t.
	childCreates map[string][]*schema.Op
	creates      []*schema.Op
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
	s := &Sampler{
		d: d, g: NewGraph(d), opt: opt,
		rng:    rand.New(rand.NewPCG(uint64(opt.Seed), hash(d.Name))),
		seen:   map[string]bool{},
		tables: tableSet(d),
		lists:  map[string][]*schema.Op{}, gets: map[string]*schema.Op{},
		statusOps: map[string][]*schema.Op{}, updates: map[string][]*schema.Op{}, deletes: map[string][]*schema.Op{},
		childCreates: map[string][]*schema.Op{},
	}
	for _, op := range s.g.Ops {
		if d.Table(op.Table) == nil {
			continue
		}
		switch op.Kind {
		case schema.List:
			s.lists[op.Table] = append(s.lists[op.Table], op)
		case schema.Get:
			if keyArg(op) != "" && s.gets[op.Table] == nil {
				s.gets[op.Table] = op
			}
		case schema.Update:
			if keyArg(op) == "" {
				continue
			}
			if len(op.Sets) > 0 {
				s.statusOps[op.Table] = append(s.statusOps[op.Table], op)
			} else {
				s.updates[op.Table] = append(s.updates[op.Table], op)
			}
		case schema.Delete:
			if keyArg(op) != "" {
				s.deletes[op.Table] = append(s.deletes[op.Table], op)
			}
		case schema.Create:
			s.creates = append(s.creates, op)
			seen := map[string]bool{}
			for _, a := range op.Args {
				if c := d.Table(op.Table).Column(a.Column); c != nil && c.Ref != "" && a.Role != schema.RoleKey && !seen[c.Ref] {
					seen[c.Ref] = true
					s.childCreates[c.Ref] = append(s.childCreates[c.Ref], op)
				}
			}
		}
	}
	return s
}

// Stats returns the counts so far.
func (s *Sampler) Stats() Stats { return s.stats }

// Sample draws up to n verified, coherent tasks. Every task it returns
// has no defect Audit finds, and has been replayed to reward 1 and a
// perturbed replay to reward 0.
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
		tools := make([]string, len(t.Actions))
		for i, a := range t.Actions {
			tools[i] = a.Tool
		}
		seq := "tools:" + strings.Join(tools, ">")
		// Same calls: a duplicate. Same tools: mostly passed over, for
		// variety of chains.
		if s.seen[key] || (s.seen[seq] && s.rng.IntN(3) != 0) {
			s.stats.Duplicate++
			continue
		}
		df, err := Audit(ctx, s.d, t)
		if err != nil {
			return out, err
		}
		if df.Total() > 0 {
			s.stats.Incoherent++
			s.stats.Defects.Add(df.tasks())
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
		s.seen[key], s.seen[seq] = true, true
		t.ID = fmt.Sprintf("%s-%d-%03d", s.d.Name, s.opt.Seed, len(out))
		out = append(out, t)
	}
	return out, nil
}

var openers = []string{"Hi! ", "Hello. ", "Hi there. ", "Good morning! ", "Hey, quick request. ", "I'm hoping you can help. "}
var closers = []string{" Thanks!", " Thank you.", " Thanks in advance.", " Much appreciated."}
var connectors = []string{"Also, ", "After that, ", "Then ", "Once that's done, ", "And "}

// one draws and executes one walk; nil when it fails or is degenerate.
func (s *Sampler) one(ctx context.Context) (*Task, error) {
	db, err := s.d.NewDB(ctx, s.opt.StateSeed)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	w := &walk{s: s, ctx: ctx, db: db, gen: &domains.ArgGen{Domain: s.d, Rand: s.rng},
		t: &Task{Domain: s.d.Name, StateSeed: s.opt.StateSeed}, ents: map[string]*entity{}}
	n := 1
	if r := s.rng.IntN(20); r >= 11 {
		n = 3
	} else if r >= 5 {
		n = 2
	}
	for i := 0; i < n; i++ {
		mark := len(w.t.Actions)
		gi := w.pickGoalIndex()
		sent, err := goals[gi].g(w)
		if errors.Is(err, errDead) || errors.Is(err, errRefused) {
			if errors.Is(err, errRefused) || len(w.t.Actions) > mark {
				// Calls were made for a goal that did not finish.
				s.stats.Failed++
				if domains.IsRefused(err) {
					s.stats.Refused++
				}
				return nil, nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range w.ents {
			e.said = true
		}
		if len(w.text) > 0 {
			sent = pick(w, connectors) + lowerFirst(sent)
		}
		w.text = append(w.text, sent)
	}
	t := w.t
	if len(t.Actions) == 0 || len(w.text) == 0 {
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
	t.Shape = strings.Join(w.shape, ">")
	text := strings.Join(w.text, " ")
	if s.rng.IntN(3) == 0 {
		text = pick(w, openers) + text
	}
	if s.rng.IntN(4) == 0 {
		text += pick(w, closers)
	}
	t.Instruction, t.Skeleton, t.Facts = unmark(text)
	return t, nil
}

// lowerFirst lower-cases a sentence's first letter (unless it is "I" or
// a stated value).
func lowerFirst(s string) string {
	if strings.HasPrefix(s, "I ") || strings.HasPrefix(s, "I'") || strings.HasPrefix(s, mark) || s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// rowByID reads one row of t as a map keyed by JSON keys, or nil.
func (s *Sampler) rowByID(ctx context.Context, db *sql.DB, t *schema.Table, id any) (map[string]any, error) {
	return s.queryRow(ctx, db, t, `WHERE "id" = ?`, id)
}

// queryRow reads the first row of t the clause selects, or nil.
func (s *Sampler) queryRow(ctx context.Context, db *sql.DB, t *schema.Table, clause string, args ...any) (map[string]any, error) {
	list, err := domains.Rows(ctx, db, t, clause, args...)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func keyArg(op *schema.Op) string {
	for _, a := range op.Args {
		if a.Role == schema.RoleKey {
			return a.Name
		}
	}
	return ""
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

func decode(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

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
