package webqa

import (
	"errors"
	"fmt"
	"slices"
)

// ErrGraph means a graph's description is inconsistent: a triple names an
// unknown entity or predicate, or an entity ID repeats.
var ErrGraph = errors.New("inconsistent graph")

// MemGraph is a Graph held in memory, built from entities and triples (as
// Entities and Triples export them). It suits small graphs and tests; a
// large world implements Graph over its own compact form.
type MemGraph struct {
	preds    []Predicate
	ents     []Entity
	facts    [][]Fact
	refs     [][]Fact
	homonyms map[string][]int
}

// NewMemGraph builds a graph of ents with the facts of triples, whose
// predicates are preds (by Name). Facts keep the order of triples;
// referrers are listed, per predicate, in the order of their subjects.
func NewMemGraph(preds []Predicate, ents []Entity, triples []Triple) (*MemGraph, error) {
	g := &MemGraph{
		preds:    slices.Clone(preds),
		ents:     slices.Clone(ents),
		facts:    make([][]Fact, len(ents)),
		refs:     make([][]Fact, len(ents)),
		homonyms: make(map[string][]int),
	}
	byID := make(map[string]int, len(ents))
	for i, e := range ents {
		if _, dup := byID[e.ID]; dup {
			return nil, fmt.Errorf("entity %q: %w: ID repeats", e.ID, ErrGraph)
		}
		byID[e.ID] = i
		g.homonyms[e.Name] = append(g.homonyms[e.Name], i)
	}
	predIndex := make(map[string]int, len(preds))
	for i, p := range preds {
		predIndex[p.Name] = i
	}
	for _, t := range triples {
		s, ok := byID[t.Subject]
		if !ok {
			return nil, fmt.Errorf("triple %s %s: %w: unknown subject", t.Subject, t.Predicate, ErrGraph)
		}
		p, ok := predIndex[t.Predicate]
		if !ok {
			return nil, fmt.Errorf("triple %s %s: %w: unknown predicate", t.Subject, t.Predicate, ErrGraph)
		}
		f := Fact{Subject: s, Predicate: p, Object: -1}
		if preds[p].Type == TypeEntity {
			o, ok := byID[t.Object]
			if !ok {
				return nil, fmt.Errorf("triple %s %s %s: %w: unknown object", t.Subject, t.Predicate, t.Object, ErrGraph)
			}
			f.Object = o
		} else {
			f.Value = Value{Type: preds[p].Type, Num: t.Num}
			if preds[p].Type == TypeText {
				f.Value.Text = t.Object
			}
		}
		g.facts[s] = append(g.facts[s], f)
	}
	// Referrers in the order of subjects, grouped by predicate.
	for s := range g.facts {
		for _, f := range g.facts[s] {
			if f.Object >= 0 {
				g.refs[f.Object] = append(g.refs[f.Object], f)
			}
		}
	}
	for o := range g.refs {
		slices.SortStableFunc(g.refs[o], func(a, b Fact) int { return a.Predicate - b.Predicate })
	}
	return g, nil
}

// Len is the number of entities.
func (g *MemGraph) Len() int { return len(g.ents) }

// Entity describes entity e.
func (g *MemGraph) Entity(e int) Entity { return g.ents[e] }

// Noun is entity e's noun.
func (g *MemGraph) Noun(e int) string { return g.ents[e].Noun }

// Predicates describes the predicates.
func (g *MemGraph) Predicates() []Predicate { return g.preds }

// Facts yields the facts whose subject is e.
func (g *MemGraph) Facts(e int, yield func(Fact) bool) {
	for _, f := range g.facts[e] {
		if !yield(f) {
			return
		}
	}
}

// Referrers yields the facts whose object is e.
func (g *MemGraph) Referrers(e int, yield func(Fact) bool) {
	for _, f := range g.refs[e] {
		if !yield(f) {
			return
		}
	}
}

// Homonyms returns the entities named as e is.
func (g *MemGraph) Homonyms(e int) []int { return g.homonyms[g.ents[e].Name] }
