package webqa

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// task turns a settled query into a task: the question's text, its
// evidence in reading order, the answer and its aliases, kinds and shape.
func (s *sampler) task(r *rand.Rand, q *query) *Task {
	g := s.g
	t := &Task{Source: s.opts.Source, Hops: len(q.edges), Kinds: q.kinds(g), Shape: q.shape(g, s.preds)}
	w := newWriter(s, q)
	sentences, evidence := w.sentences()
	var ask string
	switch {
	case q.hasCalc():
		a, b := q.calc[0], q.calc[1]
		ask = "How many years passed between " + w.fill(s.preds[a.pred].Event, a.node, -1) +
			" and " + w.fill(s.preds[b.pred].Event, b.node, -1) + "?"
		va, _ := value(g, q.nodes[a.node].ent, a.pred)
		vb, _ := value(g, q.nodes[b.node].ent, b.pred)
		years := strconv.Itoa(abs(va.Year() - vb.Year()))
		t.Answer, t.Aliases, t.AnswerType = years, []string{years + " years"}, TypeNumber.String()
		evidence = append(evidence, w.valueEvidence(a.node, a.pred, va), w.valueEvidence(b.node, b.pred, vb))
		t.Derive = DeriveYearsBetween
	case q.ask >= 0:
		ask = w.fill(s.preds[q.ask].Ask, q.answer, -1)
		v, _ := value(g, q.nodes[q.answer].ent, q.ask)
		t.Answer, t.Aliases, t.AnswerType = v.String(), v.aliases(), v.Type.String()
		evidence = append(evidence, w.valueEvidence(q.answer, q.ask, v))
	default:
		ref := w.ref(q.answer)
		if r.IntN(10) < 7 {
			ask = "What is the name of " + ref + "?"
		} else {
			ask = "Give the name of " + ref + "."
		}
		e := g.Entity(q.nodes[q.answer].ent)
		t.Answer, t.AnswerType = e.Title, TypeEntity.String()
		if e.Name != e.Title {
			t.Aliases = []string{e.Name}
		}
		evidence = append(evidence, Evidence{ID: e.ID, Title: e.Title, Value: e.Title})
	}
	t.Question = strings.Join(append(sentences, ask), " ")
	t.Evidence = evidence
	seen := map[string]bool{}
	for _, ev := range evidence {
		if !seen[ev.Title] {
			seen[ev.Title] = true
			t.Support = append(t.Support, Article{ID: ev.ID, Title: ev.Title})
		}
	}
	return t
}

// writer puts a query into words.
type writer struct {
	s     *sampler
	q     *query
	ents  []Entity
	intro []bool
	// rank is a node's place among the unnamed nodes of its noun, from
	// 1, and count how many there are; ranks follow first mentions.
	rank  []int
	count map[string]int
	// named counts named nodes by noun: an unnamed node of the same noun
	// is "another" one.
	named map[string]int
}

func newWriter(s *sampler, q *query) *writer {
	w := &writer{s: s, q: q, intro: make([]bool, len(q.nodes)), rank: make([]int, len(q.nodes)),
		count: map[string]int{}, named: map[string]int{}}
	for _, n := range q.nodes {
		w.ents = append(w.ents, s.g.Entity(n.ent))
		if n.named {
			w.named[n.noun]++
		} else {
			w.count[n.noun]++
		}
	}
	return w
}

// order returns the edges in the order the question states them, each
// with whether it is stated from its object (Reverse), starting from a
// named node (or the most described one).
func (w *writer) order() ([]qedge, []bool) {
	q := w.q
	start := -1
	for i, n := range q.nodes {
		if n.named {
			start = i
			break
		}
	}
	if start < 0 {
		for i, n := range q.nodes {
			if i != q.answer && (start < 0 || len(n.cons) > len(q.nodes[start].cons)) {
				start = i
			}
		}
	}
	known := make([]bool, len(q.nodes))
	known[start] = true
	used := make([]bool, len(q.edges))
	var out []qedge
	var rev []bool
	for len(out) < len(q.edges) {
		found := false
		for i, e := range q.edges {
			if used[i] || !known[e.s] && !known[e.o] {
				continue
			}
			used[i], found = true, true
			out = append(out, e)
			rev = append(rev, !known[e.s] && known[e.o] && w.s.preds[e.pred].Reverse != "")
			known[e.s], known[e.o] = true, true
			break
		}
		if !found {
			break
		}
	}
	return out, rev
}

// sentences states the query's relations, and returns the evidence for
// them in the same order.
func (w *writer) sentences() ([]string, []Evidence) {
	edges, rev := w.order()
	// Ranks follow the order of first mentions.
	next := map[string]int{}
	mention := func(i int) {
		if n := w.q.nodes[i]; !n.named && w.rank[i] == 0 {
			next[n.noun]++
			w.rank[i] = next[n.noun]
		}
	}
	for k, e := range edges {
		if rev[k] {
			mention(e.o)
			mention(e.s)
		} else {
			mention(e.s)
			mention(e.o)
		}
	}
	var out []string
	var ev []Evidence
	for k, e := range edges {
		p := w.s.preds[e.pred]
		tmpl := p.Clause
		first, second := e.s, e.o
		if rev[k] {
			tmpl, first, second = p.Reverse, e.o, e.s
		}
		newFirst, newSecond := !w.intro[first], !w.intro[second]
		text := w.fill(tmpl, e.s, e.o)
		out = append(out, capitalise(text)+".")
		for _, n := range []struct {
			i     int
			fresh bool
		}{{first, newFirst}, {second, newSecond}} {
			if n.fresh {
				for _, c := range w.q.nodes[n.i].cons {
					v, _ := value(w.s.g, w.q.nodes[n.i].ent, c.pred)
					ev = append(ev, w.valueEvidence(n.i, c.pred, v))
				}
			}
		}
		sub, obj := w.ents[e.s], w.ents[e.o]
		ev = append(ev, Evidence{ID: sub.ID, Title: sub.Title, Key: p.Key, Value: obj.Title})
	}
	return out, ev
}

func (w *writer) valueEvidence(i, pred int, v Value) Evidence {
	e := w.ents[i]
	return Evidence{ID: e.ID, Title: e.Title, Key: w.s.preds[pred].Key, Value: v.String()}
}

// fill puts nodes s and o (o may be -1) into a template; each is
// introduced on first mention and referred to after.
func (w *writer) fill(tmpl string, s, o int) string {
	is, io := strings.Index(tmpl, "{s}"), strings.Index(tmpl, "{o}")
	parts := []struct {
		at, node int
	}{{is, s}, {io, o}}
	if io >= 0 && io < is {
		parts[0], parts[1] = parts[1], parts[0]
	}
	var b strings.Builder
	last := 0
	for _, p := range parts {
		if p.at < 0 || p.node < 0 {
			continue
		}
		b.WriteString(tmpl[last:p.at])
		b.WriteString(w.mention(p.node))
		last = p.at + 3
	}
	b.WriteString(tmpl[last:])
	return b.String()
}

// mention is node i's first mention (its description or name) the first
// time, and a short reference after.
func (w *writer) mention(i int) string {
	if w.intro[i] {
		return w.ref(i)
	}
	w.intro[i] = true
	n := &w.q.nodes[i]
	if n.named {
		name := w.ents[i].Name
		if w.ambiguous(i) {
			return article(n.noun) + " " + n.noun + " named " + name
		}
		return w.namedForm(n.noun, name)
	}
	var np string
	switch {
	case w.count[n.noun] > 1 && w.rank[i] > 1:
		np = "a " + ordinal(w.rank[i]) + " " + n.noun
	case w.count[n.noun] == 1 && w.namedIntroduced(n.noun):
		np = "another " + n.noun
	default:
		np = article(n.noun) + " " + n.noun
	}
	// Participles first ("born in 1841"), clauses last ("who died in
	// 1902"), so that "and" joins like with like.
	var descs, clauses []string
	for _, c := range n.cons {
		d := strings.ReplaceAll(w.s.preds[c.pred].Describe, "{o}", c.phrase)
		if strings.HasPrefix(d, "who") || strings.HasPrefix(d, "whose") || strings.HasPrefix(d, "that") {
			clauses = append(clauses, d)
		} else {
			descs = append(descs, d)
		}
	}
	descs = append(descs, clauses...)
	if len(descs) > 0 {
		np += " " + joinAnd(descs)
	}
	return np
}

// namedIntroduced reports whether a named node of the noun has been
// mentioned already.
func (w *writer) namedIntroduced(noun string) bool {
	for j, m := range w.q.nodes {
		if m.named && m.noun == noun && w.intro[j] {
			return true
		}
	}
	return false
}

// ref is a short reference to node i, once introduced.
func (w *writer) ref(i int) string {
	n := &w.q.nodes[i]
	if n.named {
		return w.ents[i].Name
	}
	switch {
	case w.count[n.noun] > 1:
		return "the " + ordinal(w.rank[i]) + " " + n.noun
	case w.named[n.noun] > 0:
		return "the other " + n.noun
	}
	return "the " + n.noun
}

// ambiguous reports whether node i's name fits other entities of its noun.
func (w *writer) ambiguous(i int) bool {
	n := &w.q.nodes[i]
	same := 0
	for _, h := range w.s.g.Homonyms(n.ent) {
		if w.s.g.Noun(h) == n.noun {
			same++
		}
	}
	return same > 1
}

// namedForm introduces a named entity with its noun, unless its name
// says what it is already ("Velk River").
func (w *writer) namedForm(noun, name string) string {
	if strings.Contains(strings.ToLower(name), strings.ToLower(lastField(noun))) {
		return name
	}
	switch noun {
	case "city", "country", "town", "village":
		return "the " + noun + " of " + name
	}
	return "the " + noun + " " + name
}

func lastField(s string) string {
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

func joinAnd(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// article is the indefinite article for word: "an" before a vowel
// sound, as far as spelling tells.
func article(word string) string {
	lower := strings.ToLower(word)
	for _, p := range []string{"uni", "use", "usu", "eu", "one"} {
		if strings.HasPrefix(lower, p) {
			return "a"
		}
	}
	if lower != "" && strings.ContainsRune("aeiou", rune(lower[0])) {
		return "an"
	}
	return "a"
}

func ordinal(n int) string {
	names := []string{"", "first", "second", "third", "fourth", "fifth", "sixth", "seventh"}
	if n > 0 && n < len(names) {
		return names[n]
	}
	return strconv.Itoa(n) + "th"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shape is the Weisfeiler-Lehman hash of the query: its graph with
// nodes labelled by kind, role (asked, named, described) and the kinds
// of their constraints, and edges by predicate, refined over three
// rounds of neighbourhood aggregation. Questions of the same shape
// differ only in names and values.
func (q *query) shape(g Graph, preds []Predicate) string {
	labels := make([]string, len(q.nodes))
	for i, n := range q.nodes {
		var b strings.Builder
		b.WriteString(g.Entity(n.ent).Kind)
		switch {
		case i == q.answer && q.ask >= 0:
			b.WriteString("|ask:" + preds[q.ask].Name)
		case i == q.answer:
			b.WriteString("|answer")
		case n.named:
			b.WriteString("|named")
		default:
			b.WriteString("|hidden")
		}
		var cs []string
		for _, c := range n.cons {
			cs = append(cs, preds[c.pred].Name+":"+strconv.Itoa(c.level))
		}
		for k, c := range q.calc {
			if c.node == i {
				cs = append(cs, "calc"+strconv.Itoa(k)+":"+preds[c.pred].Name)
			}
		}
		slices.Sort(cs)
		b.WriteString("|" + strings.Join(cs, ","))
		labels[i] = b.String()
	}
	all := slices.Clone(labels)
	for range 3 {
		next := make([]string, len(labels))
		for i := range labels {
			var nb []string
			for _, e := range q.edges {
				if e.s == i {
					nb = append(nb, ">"+preds[e.pred].Name+">"+labels[e.o])
				}
				if e.o == i {
					nb = append(nb, "<"+preds[e.pred].Name+"<"+labels[e.s])
				}
			}
			slices.Sort(nb)
			h := sha256.Sum256([]byte(labels[i] + "(" + strings.Join(nb, ";") + ")"))
			next[i] = hex.EncodeToString(h[:8])
		}
		labels = next
		all = append(all, labels...)
	}
	slices.Sort(all)
	h := sha256.Sum256([]byte(strings.Join(all, "\n")))
	return hex.EncodeToString(h[:8])
}
