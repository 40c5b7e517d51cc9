// Package graph links tools by the similarity of their parameters and
// clusters the resulting weighted graph into domains with gonum's Louvain
// method, as AgentScaler does.
//
// Each tool becomes a sparse TF-IDF vector of the words of its parameter
// names, their descriptions and types (plus, with lower weights, its own
// name and path). Edges join each tool to its most similar neighbours,
// found through an inverted index so that no all-pairs comparison is
// made: the cost grows with the number of shared rare terms, not with the
// square of the catalog.
package graph

import (
	"math"
	"sort"
	"strings"

	"github.com/simgym/simgym/tools"
)

// Weights of the feature groups in a tool's vector.
type Weights struct {
	// ParamName weighs the words of parameter names (the core signal).
	ParamName float64
	// ParamDesc weighs the words of parameter descriptions.
	ParamDesc float64
	// ParamType weighs "type:format" tokens of parameters.
	ParamType float64
	// Result weighs the property names of the result schema.
	Result float64
	// Path weighs the literal segments of the HTTP path.
	Path float64
	// Name weighs the words of the tool's own name.
	Name float64
	// Spec weighs the words of the title of the API the tool belongs to.
	Spec float64
}

// DefaultWeights favour parameters, as AgentScaler's parameter-similarity
// graph does, with the tool's path, result and API title as supporting
// context (the title moves NMI against the specs' categories from 0.38 to
// 0.58 on apisguru-30k).
var DefaultWeights = Weights{ParamName: 1, ParamDesc: 0.3, ParamType: 0.1, Result: 0.5, Path: 0.7, Name: 0.5, Spec: 1}

// vector is a sparse, L2-normalised term vector sorted by term id.
type vector struct {
	terms []int32
	vals  []float32
}

// vocab interns terms.
type vocab struct {
	ids   map[string]int32
	names []string
}

func (v *vocab) id(term string) int32 {
	if id, ok := v.ids[term]; ok {
		return id
	}
	id := int32(len(v.names))
	v.ids[term] = id
	v.names = append(v.names, term)
	return id
}

// stopwords are words that carry no meaning about a tool's domain.
var stopwords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "in": true, "for": true, "and": true, "or": true,
	"is": true, "be": true, "by": true, "on": true, "at": true, "with": true, "this": true, "that": true, "it": true,
	"as": true, "are": true, "from": true, "if": true, "not": true, "will": true, "can": true, "which": true, "you": true,
	"your": true, "its": true, "was": true, "when": true, "has": true, "have": true, "all": true, "any": true, "no": true,
	"should": true, "may": true, "must": true, "e": true, "g": true, "i": true, "eg": true, "ie": true, "used": true,
	"use": true, "value": true, "values": true, "parameter": true, "default": true, "optional": true, "required": true,
	"specified": true, "set": true, "given": true, "one": true, "more": true, "only": true, "also": true, "than": true,
	"s": true, "t": true, "how": true, "what": true, "per": true, "each": true, "into": true, "these": true, "those": true,
	"there": true, "their": true, "then": true, "we": true, "our": true, "http": true, "https": true, "www": true, "com": true,
}

// features lists a tool's weighted raw term counts before IDF.
func features(t *tools.Tool, w Weights) map[string]float64 {
	f := map[string]float64{}
	addWords := func(s string, weight float64, prefix string) {
		if weight == 0 {
			return
		}
		for _, word := range tools.Words(s) {
			if len(word) < 2 || stopwords[word] || isNumber(word) {
				continue
			}
			f[prefix+stem(word)] += weight
		}
	}
	if t.Parameters != nil {
		for _, name := range t.Parameters.PropertyNames() {
			p := t.Parameters.Properties[name]
			addWords(name, w.ParamName, "")
			addWords(firstSentence(p.Description), w.ParamDesc, "")
			if w.ParamType > 0 && p.Type != "" {
				f["type:"+p.Type+":"+p.Format] += w.ParamType
			}
			for _, sub := range p.PropertyNames() {
				addWords(sub, w.ParamName/2, "")
			}
			if p.Items != nil {
				for _, sub := range p.Items.PropertyNames() {
					addWords(sub, w.ParamName/2, "")
				}
			}
		}
	}
	if t.Result != nil {
		res := t.Result
		if res.Items != nil {
			res = res.Items
		}
		for _, name := range res.PropertyNames() {
			addWords(name, w.Result, "")
		}
	}
	for _, seg := range strings.Split(t.Path, "/") {
		if seg == "" || strings.HasPrefix(seg, "{") {
			continue
		}
		addWords(seg, w.Path, "")
	}
	addWords(t.OriginalName, w.Name, "")
	addWords(t.Source.Spec, w.Spec, "")
	return f
}

// stem folds simple English plurals so "orders" and "order" meet.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case len(w) > 4 && strings.HasSuffix(w, "uses"):
		return w[:len(w)-2]
	case len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

func isNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func firstSentence(s string) string {
	if i := strings.IndexAny(s, ".\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// vectorize builds L2-normalised TF-IDF vectors (sublinear term
// frequency, smoothed IDF) for the tools, and returns each term's
// document frequency.
func vectorize(ts []*tools.Tool, w Weights) ([]vector, []int32, *vocab) {
	voc := &vocab{ids: map[string]int32{}}
	raw := make([]map[int32]float64, len(ts))
	var df []int32
	for i, t := range ts {
		f := features(t, w)
		m := make(map[int32]float64, len(f))
		// Intern in sorted order so ids never depend on map order.
		keys := make([]string, 0, len(f))
		for k := range f {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			id := voc.id(k)
			if int(id) >= len(df) {
				df = append(df, 0)
			}
			df[id]++
			m[id] = f[k]
		}
		raw[i] = m
	}
	n := float64(len(ts))
	vecs := make([]vector, len(ts))
	for i, m := range raw {
		v := vector{terms: make([]int32, 0, len(m)), vals: make([]float32, 0, len(m))}
		for id := range m {
			v.terms = append(v.terms, id)
		}
		sort.Slice(v.terms, func(a, b int) bool { return v.terms[a] < v.terms[b] })
		var norm float64
		vals := make([]float64, len(v.terms))
		for j, id := range v.terms {
			tf := 1 + math.Log(1+m[id])
			idf := math.Log((1+n)/(1+float64(df[id]))) + 1
			vals[j] = tf * idf
			norm += vals[j] * vals[j]
		}
		norm = math.Sqrt(norm)
		for _, x := range vals {
			if norm > 0 {
				x /= norm
			}
			v.vals = append(v.vals, float32(x))
		}
		vecs[i] = v
	}
	return vecs, df, voc
}
