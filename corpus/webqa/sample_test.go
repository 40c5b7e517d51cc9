package webqa

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// testPreds are the predicates of toyGraph.
var testPreds = []Predicate{
	{Name: "born_in", Key: "Place of birth", Type: TypeEntity, Clause: "{s} was born in {o}", Reverse: "{o} is the birthplace of {s}"},
	{Name: "founder", Key: "Founder", Type: TypeEntity, Clause: "{s} was founded by {o}", Reverse: "{o} founded {s}"},
	{Name: "hq", Key: "Headquarters", Type: TypeEntity, Clause: "{s} is based in {o}", Reverse: "{o} is home to {s}"},
	{Name: "country", Key: "Country", Type: TypeEntity, Clause: "{s} lies in {o}", Reverse: "{o} contains {s}"},
	{Name: "spouse", Key: "Spouse", Type: TypeEntity, Symmetric: true, Clause: "{s} was married to {o}"},
	{Name: "born", Key: "Born", Type: TypeDate, Clause: "{s} was born {o}", Describe: "born {o}", Ask: "When was {s} born?", Event: "the birth of {s}"},
	{Name: "founded", Key: "Founded", Type: TypeYear, Clause: "{s} was founded {o}", Describe: "founded {o}", Ask: "In what year was {s} founded?", Event: "the founding of {s}"},
	{Name: "population", Key: "Population", Type: TypeNumber, Clause: "{s} has {o} people", Describe: "with a population of {o}", Ask: "What is the population of {s}?"},
	{Name: "currency", Key: "Currency", Type: TypeText, Clause: "{s} pays in {o}", Describe: "whose currency is the {o}", Ask: "What is the currency of {s}?"},
}

// toyGraph is a small random graph with shared names, for checking the
// solver against brute force.
func toyGraph(t testing.TB, seed uint64) *MemGraph {
	r := rand.New(rand.NewPCG(seed, 1))
	var ents []Entity
	var triples []Triple
	add := func(kind, noun, name string) string {
		id := "x" + strconv.Itoa(len(ents))
		title := name
		for _, e := range ents {
			if e.Name == name {
				title = name + " (" + id + ")"
			}
		}
		ents = append(ents, Entity{ID: id, Title: title, Name: name, Kind: kind, Noun: noun})
		return id
	}
	rel := func(s, p, o string) { triples = append(triples, Triple{Subject: s, Predicate: p, Object: o}) }
	num := func(s, p string, typ ValueType, n int64) {
		triples = append(triples, Triple{Subject: s, Predicate: p, Type: typ, Num: n})
	}
	var countries, cities, persons []string
	for i := range 3 {
		c := add("country", "country", "Land"+strconv.Itoa(i))
		triples = append(triples, Triple{Subject: c, Predicate: "currency", Object: []string{"crown", "mark"}[i%2], Type: TypeText})
		countries = append(countries, c)
	}
	for i := range 8 {
		c := add("city", "city", "Town"+strconv.Itoa(i%6))
		rel(c, "country", countries[r.IntN(len(countries))])
		num(c, "population", TypeNumber, int64(1000+r.IntN(90000)))
		cities = append(cities, c)
	}
	for i := range 14 {
		noun := []string{"poet", "painter"}[r.IntN(2)]
		p := add("person", noun, "Person"+strconv.Itoa(i%10))
		rel(p, "born_in", cities[r.IntN(len(cities))])
		num(p, "born", TypeDate, int64((1800+r.IntN(60))*10000+101+r.IntN(11)*100))
		persons = append(persons, p)
	}
	for i := 0; i+1 < len(persons); i += 3 {
		rel(persons[i], "spouse", persons[i+1])
		rel(persons[i+1], "spouse", persons[i])
	}
	for i := range 8 {
		c := add("company", "firm", "Firm"+strconv.Itoa(i))
		rel(c, "founder", persons[r.IntN(len(persons))])
		rel(c, "hq", cities[r.IntN(len(cities))])
		num(c, "founded", TypeYear, int64(1850+r.IntN(40)))
	}
	// Facts of a subject must be grouped and in predicate order, as
	// graphs promise: sort by subject, then predicate.
	index := map[string]int{}
	for i, p := range testPreds {
		index[p.Name] = i
	}
	ids := map[string]int{}
	for i, e := range ents {
		ids[e.ID] = i
	}
	slices.SortStableFunc(triples, func(a, b Triple) int {
		if c := ids[a.Subject] - ids[b.Subject]; c != 0 {
			return c
		}
		return index[a.Predicate] - index[b.Predicate]
	})
	g, err := NewMemGraph(testPreds, ents, triples)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// bruteAnswers enumerates every injective assignment of entities to the
// query's nodes and returns the distinct answers.
func bruteAnswers(g Graph, s *solver, q *query) []string {
	n := len(q.nodes)
	assign := make([]int, n)
	var out []string
	var rec func(i int)
	rec = func(i int) {
		if i == n {
			for _, e := range q.edges {
				if object(g, assign[e.s], e.pred) != assign[e.o] {
					return
				}
			}
			a := s.answerOf(q, assign)
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
			return
		}
		names := map[int]bool{}
		for _, h := range g.Homonyms(q.nodes[i].ent) {
			names[h] = true
		}
	next:
		for e := range g.Len() {
			for _, x := range assign[:i] {
				if x == e {
					continue next
				}
			}
			if !s.fits(&q.nodes[i], e, names) {
				continue
			}
			assign[i] = e
			rec(i + 1)
		}
	}
	rec(0)
	slices.Sort(out)
	return out
}

// TestSolverAgainstBruteForce checks the solver's answers on random
// questions of random small graphs against brute force.
func TestSolverAgainstBruteForce(t *testing.T) {
	checked, unique := 0, 0
	for gs := uint64(1); gs <= 6; gs++ {
		g := toyGraph(t, gs)
		s := newSampler(g, Options{Seed: int64(gs)}.withDefaults())
		for i := range 150 {
			r := rand.New(rand.NewPCG(gs, uint64(i)))
			q := s.walk(r)
			if q == nil || !s.choose(r, q) {
				continue
			}
			for round := range 3 {
				got, ok := s.solve.answers(q, s.byNoun)
				want := bruteAnswers(g, &s.solve, q)
				truth := make([]int, len(q.nodes))
				for k, n := range q.nodes {
					truth[k] = n.ent
				}
				if !slices.Contains(want, s.solve.answerOf(q, truth)) {
					t.Fatalf("graph %d walk %d: brute force misses the true answer", gs, i)
				}
				if ok {
					checked++
					switch {
					case len(want) == 1 && (len(got) != 1 || got[0] != want[0]):
						t.Fatalf("graph %d walk %d round %d: solver %v, brute force %v", gs, i, round, got, want)
					case len(want) > 1 && len(got) != 2:
						t.Fatalf("graph %d walk %d round %d: solver %v, brute force %v", gs, i, round, got, want)
					}
					for _, a := range got {
						if !slices.Contains(want, a) {
							t.Fatalf("graph %d walk %d: solver answer %q not among %v", gs, i, a, want)
						}
					}
					if len(want) == 1 {
						unique++
					}
				}
				s.strengthen(r, q)
			}
		}
	}
	if checked < 500 || unique < 100 {
		t.Fatalf("only %d questions checked, %d with a unique answer", checked, unique)
	}
	t.Logf("%d questions checked, %d with a unique answer", checked, unique)
}

func TestSampleToyGraph(t *testing.T) {
	g := toyGraph(t, 3)
	tasks, st, err := Sample(context.Background(), g, Options{Tasks: 40, Seed: 3, Source: "toy", Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) < 20 {
		t.Fatalf("only %d tasks (%+v)", len(tasks), st)
	}
	again, _, err := Sample(context.Background(), g, Options{Tasks: 40, Seed: 3, Source: "toy", Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(tasks) {
		t.Fatal("the number of workers changed the tasks")
	}
	shapes := map[string]bool{}
	for _, task := range tasks {
		if shapes[task.Shape] {
			t.Errorf("shape %s twice", task.Shape)
		}
		shapes[task.Shape] = true
		if !strings.HasSuffix(task.Question, "?") && !strings.HasSuffix(task.Question, ".") {
			t.Errorf("question %q", task.Question)
		}
		if strings.Contains(task.Question, "{") || task.Hops < 1 || task.Reward(task.Answer) != 1 {
			t.Errorf("bad task %+v", task)
		}
		last := task.Evidence[len(task.Evidence)-1]
		if task.Derive == "" && last.Value != task.Answer {
			t.Errorf("task %s: last evidence %q is not the answer %q", task.ID, last.Value, task.Answer)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Sample(ctx, g, Options{}); err == nil {
		t.Error("cancelled Sample succeeded")
	}
}

// TestShape checks that the Weisfeiler-Lehman shape ignores names and
// the order of nodes, and sees predicates, roles and constraints.
func TestShape(t *testing.T) {
	g := toyGraph(t, 1)
	// Two persons born in two cities: same shape.
	var persons []int
	for e := range g.Len() {
		if g.Entity(e).Kind == "person" {
			persons = append(persons, e)
		}
	}
	mk := func(p int) *query {
		c := object(g, p, 0)
		return &query{nodes: []qnode{{ent: p, noun: g.Noun(p)}, {ent: c, noun: "city", named: true}},
			edges: []qedge{{0, 1, 0}}, answer: 0, ask: -1, calc: [2]qvalue{{-1, -1}, {-1, -1}}}
	}
	a, b := mk(persons[0]), mk(persons[1])
	if a.shape(g, testPreds) != b.shape(g, testPreds) {
		t.Error("same structure, different shapes")
	}
	// The same query with its nodes listed the other way round.
	c := &query{nodes: []qnode{b.nodes[1], b.nodes[0]}, edges: []qedge{{1, 0, 0}}, answer: 1, ask: -1, calc: b.calc}
	if c.shape(g, testPreds) != a.shape(g, testPreds) {
		t.Error("node order changed the shape")
	}
	d := mk(persons[0])
	d.nodes[1].named = false
	e := mk(persons[0])
	e.ask = 5
	f := mk(persons[0])
	f.nodes[0].cons = []constraint{{pred: 5, level: levelVague}}
	seen := map[string]bool{a.shape(g, testPreds): true}
	for i, q := range []*query{d, e, f} {
		sh := q.shape(g, testPreds)
		if seen[sh] {
			t.Errorf("variant %d has a shape already seen", i)
		}
		seen[sh] = true
	}
}

func TestConstraints(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for range 3000 {
		var v Value
		switch r.IntN(3) {
		case 0:
			v = Value{Type: TypeYear, Num: int64(1500 + r.IntN(600))}
		case 1:
			y, m := 1500+r.IntN(600), 1+r.IntN(12)
			v = Value{Type: TypeDate, Num: int64(y*10000 + m*100 + 1 + r.IntN(28))}
		default:
			v = Value{Type: TypeNumber, Num: int64(r.IntN(10_000_000))}
		}
		for level := levelVague; level <= levelExact; level++ {
			c := makeConstraint(r, 0, v, level)
			if !c.holds(v) {
				t.Fatalf("%v at level %d: %q [%d, %d] excludes the value", v, level, c.phrase, c.lo, c.hi)
			}
			if c.phrase == "" || c.fuzzy != (c.level < levelExact) {
				t.Fatalf("%v at level %d: phrase %q fuzzy %v level %d", v, level, c.phrase, c.fuzzy, c.level)
			}
		}
	}
	c := makeConstraint(r, 0, Value{Type: TypeYear, Num: 1873}, levelExact)
	if c.phrase != "in 1873" {
		t.Errorf("exact year phrase %q", c.phrase)
	}
	if p, lo, hi := decadePart(1872); p != "early " || lo != 1870 || hi != 1873 {
		t.Errorf("decadePart(1872) = %q %d %d", p, lo, hi)
	}
	if s := FormatNumber(1234567); s != "1,234,567" {
		t.Errorf("FormatNumber = %q", s)
	}
	if s := (Value{Type: TypeDate, Num: 18410312}).String(); s != "12 March 1841" {
		t.Errorf("date = %q", s)
	}
}
