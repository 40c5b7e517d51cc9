package webqa

import (
	"slices"
	"strconv"
)

// query is a question in graph form: entities (nodes), each named or
// described, the relations between them (edges), and what is asked.
type query struct {
	nodes []qnode
	edges []qedge
	// answer is the node asked about; ask is the predicate whose value is
	// asked, or -1 when the answer is the entity itself.
	answer int
	ask    int
	// calc, when calc[0].node >= 0, asks for the years between two
	// dated facts instead.
	calc [2]qvalue
}

// qnode is one entity of a query.
type qnode struct {
	// ent is the entity the question is about (the ground truth).
	ent  int
	noun string
	// named nodes are given by name: any entity with the same name and
	// noun fits.
	named bool
	cons  []constraint
}

// qedge is a relation: nodes[s] has predicate pred with object nodes[o].
type qedge struct{ s, o, pred int }

// qvalue is a dated fact of a node.
type qvalue struct{ node, pred int }

func (q *query) clone() *query {
	c := &query{nodes: slices.Clone(q.nodes), edges: slices.Clone(q.edges), answer: q.answer, ask: q.ask, calc: q.calc}
	for i := range c.nodes {
		c.nodes[i].cons = slices.Clone(c.nodes[i].cons)
	}
	return c
}

// hasCalc reports whether the query asks for the years between two facts.
func (q *query) hasCalc() bool { return q.calc[0].node >= 0 }

// solver finds the answers a query admits in a graph.
type solver struct {
	g     Graph
	limit int // the most candidates a node may have
	steps int // the most assignments the search may try
}

// object returns the object of e's fact of predicate p, or -1.
func object(g Graph, e, p int) int {
	o := -1
	g.Facts(e, func(f Fact) bool {
		if f.Predicate == p {
			o = f.Object
			return false
		}
		return true
	})
	return o
}

// value returns e's value of predicate p.
func value(g Graph, e, p int) (Value, bool) {
	var (
		v  Value
		ok bool
	)
	g.Facts(e, func(f Fact) bool {
		if f.Predicate == p {
			v, ok = f.Value, f.Object < 0
			return false
		}
		return true
	})
	return v, ok
}

// fits reports whether entity e fits node n on its own: its noun, its
// name if the node is named, and its constraints.
func (s *solver) fits(n *qnode, e int, names map[int]bool) bool {
	if s.g.Noun(e) != n.noun {
		return false
	}
	if n.named && !names[e] {
		return false
	}
	if len(n.cons) == 0 {
		return true
	}
	ok := 0
	s.g.Facts(e, func(f Fact) bool {
		for i := range n.cons {
			if n.cons[i].pred == f.Predicate && f.Object < 0 && n.cons[i].holds(f.Value) {
				ok++
			}
		}
		return true
	})
	return ok == len(n.cons)
}

// answers returns the distinct answers the query admits (at most two:
// enough to tell a unique answer), and false if the search gave up
// because some node had too many candidates or the search too many
// branches. An answer is an entity's title, a value, or a number of years.
func (s *solver) answers(q *query, byNoun func(string) []int) ([]string, bool) {
	n := len(q.nodes)
	names := make([]map[int]bool, n)
	for i := range q.nodes {
		if q.nodes[i].named {
			names[i] = map[int]bool{}
			for _, h := range s.g.Homonyms(q.nodes[i].ent) {
				names[i][h] = true
			}
		}
	}
	// Start from the node with the fewest candidates of its own: a
	// named one, or else a described one found by scanning its noun.
	dom := make([][]int, n)
	start := -1
	for i := range q.nodes {
		if q.nodes[i].named {
			var d []int
			for e := range names[i] {
				if s.fits(&q.nodes[i], e, names[i]) {
					d = append(d, e)
				}
			}
			slices.Sort(d)
			if start < 0 || len(d) < len(dom[start]) {
				start = i
			}
			dom[i] = d
		}
	}
	if start < 0 {
		best := -1
		for i := range q.nodes {
			if len(q.nodes[i].cons) > 0 && (best < 0 || len(byNoun(q.nodes[i].noun)) < len(byNoun(q.nodes[best].noun))) {
				best = i
			}
		}
		if best < 0 {
			return nil, false
		}
		var d []int
		for _, e := range byNoun(q.nodes[best].noun) {
			if s.fits(&q.nodes[best], e, nil) {
				d = append(d, e)
				if len(d) > s.limit {
					return nil, false
				}
			}
		}
		start = best
		dom[start] = d
	}
	// Spread out from the start: each node's candidates are the
	// neighbours of a known node's candidates that fit it.
	order := []int{start}
	known := make([]bool, n)
	known[start] = true
	for len(order) < n {
		grew := false
		for _, ed := range q.edges {
			from, to, forward := ed.s, ed.o, true
			if known[to] && !known[from] {
				from, to, forward = to, from, false
			}
			if !known[from] || known[to] {
				continue
			}
			seen := map[int]bool{}
			var d []int
			add := func(e int) bool {
				if !seen[e] && s.fits(&q.nodes[to], e, names[to]) {
					seen[e] = true
					d = append(d, e)
				}
				return len(d) <= s.limit
			}
			for _, c := range dom[from] {
				if forward {
					if o := object(s.g, c, ed.pred); o >= 0 && !add(o) {
						return nil, false
					}
					continue
				}
				stop := false
				s.g.Referrers(c, func(f Fact) bool {
					if f.Predicate == ed.pred && !add(f.Subject) {
						stop = true
						return false
					}
					return true
				})
				if stop {
					return nil, false
				}
			}
			slices.Sort(d)
			dom[to] = d
			known[to] = true
			order = append(order, to)
			grew = true
		}
		if !grew {
			return nil, false // not connected: cannot happen for sampled queries
		}
	}
	// Prune candidates without a partner along some edge, until stable.
	for range 4 {
		changed := false
		for _, ed := range q.edges {
			objs := make(map[int]bool, len(dom[ed.o]))
			for _, o := range dom[ed.o] {
				objs[o] = true
			}
			image := map[int]bool{}
			kept := dom[ed.s][:0:0]
			for _, sub := range dom[ed.s] {
				if o := object(s.g, sub, ed.pred); objs[o] {
					kept = append(kept, sub)
					image[o] = true
				}
			}
			if len(kept) < len(dom[ed.s]) {
				dom[ed.s], changed = kept, true
			}
			keptO := dom[ed.o][:0:0]
			for _, o := range dom[ed.o] {
				if image[o] {
					keptO = append(keptO, o)
				}
			}
			if len(keptO) < len(dom[ed.o]) {
				dom[ed.o], changed = keptO, true
			}
		}
		if !changed {
			break
		}
	}
	// Search all assignments, distinct entities for distinct nodes.
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	var found []string
	steps := 0
	gaveUp := false
	var search func(k int)
	search = func(k int) {
		if len(found) > 1 || gaveUp {
			return
		}
		if k == n {
			a := s.answerOf(q, assign)
			if !slices.Contains(found, a) {
				found = append(found, a)
			}
			return
		}
		i := order[k]
	next:
		for _, c := range dom[i] {
			if steps++; steps > s.steps {
				gaveUp = true
				return
			}
			for j := range assign {
				if assign[j] == c {
					continue next
				}
			}
			for _, ed := range q.edges {
				switch {
				case ed.s == i && assign[ed.o] >= 0:
					if object(s.g, c, ed.pred) != assign[ed.o] {
						continue next
					}
				case ed.o == i && assign[ed.s] >= 0:
					if object(s.g, assign[ed.s], ed.pred) != c {
						continue next
					}
				}
			}
			assign[i] = c
			search(k + 1)
			assign[i] = -1
		}
	}
	search(0)
	if gaveUp {
		return nil, false
	}
	return found, true
}

// answerOf is the answer that an assignment of entities to nodes gives.
func (s *solver) answerOf(q *query, assign []int) string {
	if q.hasCalc() {
		a, _ := value(s.g, assign[q.calc[0].node], q.calc[0].pred)
		b, _ := value(s.g, assign[q.calc[1].node], q.calc[1].pred)
		return strconv.Itoa(abs(a.Year() - b.Year()))
	}
	e := assign[q.answer]
	if q.ask < 0 {
		return s.g.Entity(e).Title
	}
	v, _ := value(s.g, e, q.ask)
	return v.String()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
