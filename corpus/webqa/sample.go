package webqa

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Defaults for Options.
const (
	DefaultTasks         = 100
	DefaultMaxHops       = 4
	DefaultPerShape      = 1
	DefaultMaxCandidates = 20_000
	// attemptsPerTask bounds the walks tried per task wanted.
	attemptsPerTask = 40
	searchSteps     = 200_000
)

// Options tune Sample. The zero value samples DefaultTasks tasks.
type Options struct {
	// Tasks is the number of tasks wanted; fewer come back if the graph
	// has too few distinct shapes for them. 0 means DefaultTasks.
	Tasks int
	// Seed selects the walks: the same graph and seed give the same tasks.
	Seed int64
	// Source names the tasks' source ("simwiki"); IDs are Source, the
	// seed and a number.
	Source string
	// MaxHops bounds the relations a walk follows; 0 means DefaultMaxHops.
	MaxHops int
	// PerShape is how many tasks may share a Weisfeiler-Lehman shape; 0
	// means DefaultPerShape.
	PerShape int
	// Listed is how many entities an article lists for one relation: a
	// walk goes from an entity to one that has a fact about it only among
	// the first Listed such (so that the step can be taken by reading).
	// 0 means all.
	Listed int
	// Attempts bounds the walks tried; 0 means 40 per task wanted.
	Attempts int
	// MaxCandidates bounds the entities that may fit one node of a
	// question while its answer is checked; 0 means DefaultMaxCandidates.
	MaxCandidates int
	// Workers is the number of goroutines that try walks; 0 means
	// GOMAXPROCS. The result does not depend on it.
	Workers int
}

func (o Options) withDefaults() Options {
	if o.Tasks <= 0 {
		o.Tasks = DefaultTasks
	}
	if o.MaxHops <= 0 {
		o.MaxHops = DefaultMaxHops
	}
	if o.PerShape <= 0 {
		o.PerShape = DefaultPerShape
	}
	if o.Attempts <= 0 {
		o.Attempts = attemptsPerTask * o.Tasks
	}
	if o.MaxCandidates <= 0 {
		o.MaxCandidates = DefaultMaxCandidates
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Source == "" {
		o.Source = "graph"
	}
	return o
}

// Stats count what Sample did.
type Stats struct {
	// Attempts is the number of walks tried.
	Attempts int `json:"attempts"`
	// Tasks is the number kept.
	Tasks int `json:"tasks"`
	// NotUnique counts questions dropped because no strengthening made
	// their answer unique; Duplicates those whose shape was taken.
	NotUnique  int `json:"not_unique"`
	Duplicates int `json:"duplicates"`
	// Leaks counts questions dropped because their text holds the answer.
	Leaks int `json:"leaks"`
	// Shapes is the number of distinct shapes seen.
	Shapes int `json:"shapes"`
	// Kinds counts kept tasks by kind.
	Kinds map[string]int `json:"kinds"`
}

// Sample draws tasks from g: random walks give connected subgraphs, which
// become questions whose answer is checked to be unique in all of g, and
// are kept while their Weisfeiler-Lehman shape has been seen fewer than
// PerShape times. It stops at Tasks tasks or Attempts walks.
func Sample(ctx context.Context, g Graph, opts Options) ([]Task, Stats, error) {
	opts = opts.withDefaults()
	s := newSampler(g, opts)
	st := Stats{Kinds: map[string]int{}}
	shapes := map[string]int{}
	var tasks []Task
	batch := max(opts.Workers*8, 32)
	for first := 0; first < opts.Attempts && len(tasks) < opts.Tasks; first += batch {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		n := min(batch, opts.Attempts-first)
		out := make([]attempt, n)
		var wg sync.WaitGroup
		next := make(chan int)
		for range opts.Workers {
			wg.Go(func() {
				for i := range next {
					out[i] = s.try(first + i)
				}
			})
		}
		for i := range n {
			next <- i
		}
		close(next)
		wg.Wait()
		for i := range out {
			a := &out[i]
			if len(tasks) == opts.Tasks {
				break
			}
			st.Attempts++
			switch {
			case a.notUnique:
				st.NotUnique++
				continue
			case a.leak:
				st.Leaks++
				continue
			case a.task == nil:
				continue
			}
			if shapes[a.task.Shape] >= opts.PerShape {
				st.Duplicates++
				continue
			}
			shapes[a.task.Shape]++
			t := *a.task
			t.ID = fmt.Sprintf("%s-%d-%05d", opts.Source, opts.Seed, len(tasks)+1)
			for _, k := range t.Kinds {
				st.Kinds[k]++
			}
			tasks = append(tasks, t)
		}
	}
	st.Tasks, st.Shapes = len(tasks), len(shapes)
	return tasks, st, nil
}

// sampler holds what all walks share.
type sampler struct {
	g     Graph
	opts  Options
	preds []Predicate
	solve solver

	nounsOnce sync.Once
	nouns     map[string][]int
}

func newSampler(g Graph, opts Options) *sampler {
	return &sampler{
		g:     g,
		opts:  opts,
		preds: g.Predicates(),
		solve: solver{g: g, limit: opts.MaxCandidates, steps: searchSteps},
	}
}

// byNoun returns the entities with a noun, built on first use.
func (s *sampler) byNoun(noun string) []int {
	s.nounsOnce.Do(func() {
		s.nouns = map[string][]int{}
		for e := range s.g.Len() {
			n := s.g.Noun(e)
			s.nouns[n] = append(s.nouns[n], e)
		}
	})
	return s.nouns[noun]
}

// attempt is the outcome of one walk.
type attempt struct {
	task      *Task
	notUnique bool
	leak      bool
}

// try makes a task from walk number i, or nothing.
func (s *sampler) try(i int) attempt {
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), uint64(i)))
	q := s.walk(r)
	if q == nil {
		return attempt{}
	}
	if !s.choose(r, q) {
		return attempt{}
	}
	if !s.settle(r, q) {
		return attempt{notUnique: true}
	}
	q = s.prune(q)
	t := s.task(r, q)
	if gives(t.Question, t.Answers()) {
		return attempt{leak: true}
	}
	return attempt{task: t}
}

// gives reports whether a question holds one of its answers as words
// (as when a festival named after its city asks for the city).
func gives(question string, answers []string) bool {
	q := " " + Normalize(question) + " "
	for _, a := range answers {
		if n := Normalize(a); n != "" && strings.Contains(q, " "+n+" ") {
			return true
		}
	}
	return false
}

// hopWeights weigh the number of relations a walk follows, from 1.
var hopWeights = []int{3, 6, 6, 5, 3, 2}

// walk picks a connected set of entities by a random walk from a random
// entity, which the question will ask about, and takes all relations
// among them.
func (s *sampler) walk(r *rand.Rand) *query {
	g := s.g
	if g.Len() == 0 {
		return nil
	}
	hops := 1 + pickWeighted(r, hopWeights[:min(s.opts.MaxHops, len(hopWeights))])
	start := r.IntN(g.Len())
	ents := []int{start}
	in := map[int]bool{start: true}
	cur := start
	type step struct{ to int }
	var options []step
	for tries := 0; len(ents) <= hops && tries < 4*hops; tries++ {
		options = options[:0]
		g.Facts(cur, func(f Fact) bool {
			if f.Object >= 0 {
				options = append(options, step{f.Object})
			}
			return true
		})
		perPred := map[int]int{}
		g.Referrers(cur, func(f Fact) bool {
			if s.opts.Listed > 0 && perPred[f.Predicate] >= s.opts.Listed {
				return true
			}
			perPred[f.Predicate]++
			options = append(options, step{f.Subject})
			return true
		})
		// Prefer entities not yet taken.
		fresh := options[:0:0]
		for _, o := range options {
			if !in[o.to] {
				fresh = append(fresh, o)
			}
		}
		if len(fresh) == 0 {
			cur = ents[r.IntN(len(ents))]
			continue
		}
		next := fresh[r.IntN(len(fresh))].to
		ents = append(ents, next)
		in[next] = true
		cur = next
		if r.IntN(10) < 3 { // branch from an earlier entity now and then
			cur = ents[r.IntN(len(ents))]
		}
	}
	if len(ents) < 2 {
		return nil
	}
	q := &query{answer: 0, ask: -1, calc: [2]qvalue{{-1, -1}, {-1, -1}}}
	node := map[int]int{}
	for i, e := range ents {
		node[e] = i
		q.nodes = append(q.nodes, qnode{ent: e, noun: g.Noun(e)})
	}
	for i, e := range ents {
		g.Facts(e, func(f Fact) bool {
			j, ok := node[f.Object]
			if f.Object < 0 || !ok || j == i {
				return true
			}
			if s.preds[f.Predicate].Symmetric && j < i {
				return true // stated once, from the lower node
			}
			q.edges = append(q.edges, qedge{s: i, o: j, pred: f.Predicate})
			return true
		})
	}
	return q
}

func pickWeighted(r *rand.Rand, ws []int) int {
	t := 0
	for _, w := range ws {
		t += w
	}
	x := r.IntN(t)
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

// describable returns the values of entity e that a question may use to
// describe it, as (predicate, value) pairs.
func (s *sampler) describable(e int, skip ...int) []Fact {
	var out []Fact
	s.g.Facts(e, func(f Fact) bool {
		if f.Object < 0 && s.preds[f.Predicate].Describe != "" && !slices.Contains(skip, f.Predicate) {
			out = append(out, f)
		}
		return true
	})
	return out
}

// randomLevel picks how precisely a new constraint gives its value.
func randomLevel(r *rand.Rand) int {
	switch x := r.IntN(10); {
	case x < 5:
		return levelVague
	case x < 8:
		return levelClose
	}
	return levelExact
}

// choose decides what is asked, which entities are named, and the first
// descriptions. It returns false if the walk cannot make a question.
func (s *sampler) choose(r *rand.Rand, q *query) bool {
	g := s.g
	ans := &q.nodes[q.answer]
	// What is asked: the entity, one of its values, or years between two
	// dated facts.
	switch x := r.IntN(20); {
	case x < 2:
		var dated []qvalue
		for i, n := range q.nodes {
			g.Facts(n.ent, func(f Fact) bool {
				if f.Object < 0 && s.preds[f.Predicate].Event != "" {
					dated = append(dated, qvalue{i, f.Predicate})
				}
				return true
			})
		}
		for range 6 {
			if len(dated) < 2 {
				break
			}
			a, b := dated[r.IntN(len(dated))], dated[r.IntN(len(dated))]
			va, _ := value(g, q.nodes[a.node].ent, a.pred)
			vb, _ := value(g, q.nodes[b.node].ent, b.pred)
			if a.node != b.node && va.Year() != vb.Year() {
				q.calc = [2]qvalue{a, b}
				break
			}
		}
	case x < 9:
		var asks []int
		g.Facts(ans.ent, func(f Fact) bool {
			if f.Object < 0 && s.preds[f.Predicate].Ask != "" {
				asks = append(asks, f.Predicate)
			}
			return true
		})
		if len(asks) > 0 {
			q.ask = asks[r.IntN(len(asks))]
		}
	}
	// Name the entity farthest from the answer, unless the question is
	// to be fully obscured.
	dist := q.distances(q.answer)
	if r.IntN(100) >= 12 {
		far := -1
		for i := range q.nodes {
			if i != q.answer && s.nameable(q, i) && (far < 0 || dist[i] > dist[far] || dist[i] == dist[far] && r.IntN(2) == 0) {
				far = i
			}
		}
		if far >= 0 {
			q.nodes[far].named = true
		}
	}
	// Describe some unnamed entities.
	for i := range q.nodes {
		n := &q.nodes[i]
		if n.named {
			continue
		}
		p := 45
		if i == q.answer {
			p = 30
		}
		if r.IntN(100) < p {
			s.describe(r, q, i, randomLevel(r))
		}
	}
	return true
}

// nameable reports whether node i may be named: it is not the answer,
// and its name is neither the answer's nor another named node's (which
// would give the answer away or make the names confusing).
func (s *sampler) nameable(q *query, i int) bool {
	if i == q.answer || q.nodes[i].named {
		return false
	}
	name := s.g.Entity(q.nodes[i].ent).Name
	for j, n := range q.nodes {
		if j != i && (j == q.answer || n.named) && s.g.Entity(n.ent).Name == name {
			return false
		}
	}
	return true
}

// describe adds a constraint to node i from one of its values not yet
// used; it returns false if none is left.
func (s *sampler) describe(r *rand.Rand, q *query, i, level int) bool {
	n := &q.nodes[i]
	skip := []int{}
	for _, c := range n.cons {
		skip = append(skip, c.pred)
	}
	if i == q.answer && q.ask >= 0 {
		skip = append(skip, q.ask)
	}
	for _, c := range q.calc {
		if c.node == i {
			skip = append(skip, c.pred)
		}
	}
	fs := s.describable(n.ent, skip...)
	if len(fs) == 0 {
		return false
	}
	f := fs[r.IntN(len(fs))]
	n.cons = append(n.cons, makeConstraint(r, f.Predicate, f.Value, level))
	return true
}

// distances are the numbers of relations from node from to each node.
func (q *query) distances(from int) []int {
	d := make([]int, len(q.nodes))
	for i := range d {
		d[i] = -1
	}
	d[from] = 0
	queue := []int{from}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, e := range q.edges {
			for _, pair := range [2][2]int{{e.s, e.o}, {e.o, e.s}} {
				if pair[0] == x && d[pair[1]] < 0 {
					d[pair[1]] = d[x] + 1
					queue = append(queue, pair[1])
				}
			}
		}
	}
	return d
}

// settle makes the answer unique: while the graph admits other answers,
// it describes an entity more, sharpens a description, or names an
// entity. It returns false if that does not work within a few rounds.
func (s *sampler) settle(r *rand.Rand, q *query) bool {
	for round := 0; round < 6; round++ {
		answers, ok := s.solve.answers(q, s.byNoun)
		if ok && len(answers) == 1 {
			return true
		}
		if ok && len(answers) == 0 {
			return false // the truth must fit: a bug, but never a task
		}
		if !s.strengthen(r, q) {
			return false
		}
	}
	return false
}

// strengthen adds to what a question says, at random.
func (s *sampler) strengthen(r *rand.Rand, q *query) bool {
	for range 8 {
		switch r.IntN(4) {
		case 0, 1: // describe an unnamed entity
			i := r.IntN(len(q.nodes))
			if !q.nodes[i].named && len(q.nodes[i].cons) < 3 && s.describe(r, q, i, randomLevel(r)) {
				return true
			}
		case 2: // sharpen a description
			i := r.IntN(len(q.nodes))
			n := &q.nodes[i]
			for k := range n.cons {
				c := &n.cons[k]
				if c.level < levelExact {
					v, _ := value(s.g, n.ent, c.pred)
					*c = makeConstraint(r, c.pred, v, c.level+1)
					return true
				}
			}
		case 3: // name an entity
			i := r.IntN(len(q.nodes))
			if s.nameable(q, i) {
				q.nodes[i].named = true
				q.nodes[i].cons = nil
				return true
			}
		}
	}
	return false
}

// prune drops entities that add nothing: unnamed, undescribed leaves
// other than the answer and the dated facts of a calculation, as long as
// the answer stays unique without them.
func (s *sampler) prune(q *query) *query {
	for {
		drop := -1
		for i, n := range q.nodes {
			if i == q.answer || n.named || len(n.cons) > 0 || i == q.calc[0].node || i == q.calc[1].node {
				continue
			}
			deg := 0
			for _, e := range q.edges {
				if e.s == i || e.o == i {
					deg++
				}
			}
			if deg == 1 {
				drop = i
				break
			}
		}
		if drop < 0 || len(q.nodes) <= 2 {
			return q
		}
		c := q.without(drop)
		if answers, ok := s.solve.answers(c, s.byNoun); !ok || len(answers) != 1 {
			return q
		}
		q = c
	}
}

// without returns a copy of q without node i and its edges.
func (q *query) without(i int) *query {
	c := q.clone()
	c.nodes = slices.Delete(c.nodes, i, i+1)
	re := func(x int) int {
		if x > i {
			return x - 1
		}
		return x
	}
	c.edges = c.edges[:0]
	for _, e := range q.edges {
		if e.s != i && e.o != i {
			c.edges = append(c.edges, qedge{re(e.s), re(e.o), e.pred})
		}
	}
	c.answer = re(q.answer)
	for k := range c.calc {
		if c.calc[k].node >= 0 {
			c.calc[k].node = re(c.calc[k].node)
		}
	}
	return c
}

// kinds are the task kinds of a settled question.
func (q *query) kinds(g Graph) []string {
	set := map[string]bool{}
	named := false
	for i, n := range q.nodes {
		if n.named {
			named = true
			same := 0
			for _, h := range g.Homonyms(n.ent) {
				if g.Noun(h) == n.noun {
					same++
				}
			}
			if same > 1 {
				set[KindAmbiguous] = true
			}
		} else if i != q.answer {
			set[KindObscured] = true
		}
		for _, c := range n.cons {
			if c.fuzzy {
				if c.vtype == TypeYear || c.vtype == TypeDate {
					set[KindFuzzyDate] = true
				} else {
					set[KindFuzzyNumber] = true
				}
			}
		}
	}
	if !named {
		set[KindFullyObscured] = true
		set[KindObscured] = true
	}
	if len(q.edges) >= len(q.nodes) {
		set[KindCycle] = true
	}
	if q.hasCalc() {
		set[KindCalculation] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
