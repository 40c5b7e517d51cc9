package graph

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/simgym/simgym/tools"
)

// Build links and clusters a finalized catalog into domains. With
// Options.SpecBoundary set, each spec smaller than the boundary stays
// whole in one domain.
func Build(ctx context.Context, cat *tools.Catalog, opt Options) (*tools.DomainFile, error) {
	opt = opt.withDefaults(len(cat.Tools))
	edges, err := Link(ctx, cat.Tools, opt)
	if err != nil {
		return nil, fmt.Errorf("link tools: %w", err)
	}
	comms, q := clusterSpecs(cat.Tools, edges, opt)
	f := &tools.DomainFile{
		Version:    tools.DomainsVersion,
		Seed:       opt.Seed,
		Resolution: opt.Resolution,
		Specs:      cat.Specs,
		Edges:      len(edges),
		Modularity: round(q, 6),
		Domains:    NameDomains(cat.Tools, comms),
		Tools:      cat.Tools,
		Skipped:    cat.Skipped,
		Repaired:   cat.Repaired,
	}
	if f.Skipped == nil {
		f.Skipped = []tools.Skipped{}
	}
	if nmi, ok := NMI(cat.Tools, comms); ok {
		v := round(nmi, 6)
		f.NMI = &v
	}
	return f, nil
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// nameStopwords are words too generic to name a domain.
var nameStopwords = map[string]bool{
	"get": true, "list": true, "create": true, "update": true, "delete": true, "remove": true, "add": true,
	"post": true, "put": true, "patch": true, "set": true, "find": true, "search": true, "retrieve": true,
	"fetch": true, "api": true, "apis": true, "id": true, "ids": true, "by": true, "all": true, "new": true,
	"v1": true, "v2": true, "v3": true, "v": true, "name": true, "type": true, "data": true, "info": true,
	"detail": true, "details": true, "item": true, "items": true, "value": true, "query": true, "request": true,
	"response": true, "result": true, "results": true, "status": true, "page": true, "limit": true, "offset": true,
	"count": true, "key": true, "format": true, "json": true, "rest": true, "service": true, "me": true,
	"replace": true, "read": true, "check": true, "upsert": true, "patch_": true, "bulk": true, "batch": true,
	"default": true, "public": true, "private": true, "admin": true, "user_": true, "object": true, "by_id": true,
}

// NameDomains names each community from the words that most distinguish
// its tools' paths and names from the rest of the catalog (count in the
// community times inverse document frequency), made unique by adding the
// next best word, then a number.
func NameDomains(ts []*tools.Tool, comms [][]int) []tools.Domain {
	docWords := make([][]string, len(ts))
	df := map[string]int{}
	for i, t := range ts {
		seen := map[string]bool{}
		var ws []string
		for _, w := range nameWords(t) {
			if !seen[w] {
				seen[w] = true
				ws = append(ws, w)
				df[w]++
			}
		}
		docWords[i] = ws
	}
	n := float64(len(ts))
	domains := make([]tools.Domain, len(comms))
	used := map[string]bool{}
	for c, ids := range comms {
		count := map[string]int{}
		for _, id := range ids {
			for _, w := range docWords[id] {
				count[w]++
			}
		}
		type scored struct {
			w string
			s float64
		}
		var words []scored
		for w, k := range count {
			words = append(words, scored{w, float64(k) * math.Log(1+n/float64(df[w]))})
		}
		sort.Slice(words, func(a, b int) bool {
			if words[a].s != words[b].s {
				return words[a].s > words[b].s
			}
			return words[a].w < words[b].w
		})
		var kw []string
		for _, s := range words {
			if len(kw) == 5 {
				break
			}
			kw = append(kw, s.w)
		}
		name := ""
		switch {
		case len(kw) == 0:
			name = "misc"
		case len(kw) == 1:
			name = kw[0]
		default:
			name = kw[0] + "_" + kw[1]
		}
		for k := 2; used[name] && k < len(kw); k++ {
			name += "_" + kw[k]
		}
		if used[name] {
			base := name
			for k := 2; used[name]; k++ {
				name = fmt.Sprintf("%s_%d", base, k)
			}
		}
		used[name] = true
		names := make([]string, len(ids))
		for k, id := range ids {
			names[k] = ts[id].Name
		}
		sort.Strings(names)
		if kw == nil {
			kw = []string{}
		}
		domains[c] = tools.Domain{Name: name, Keywords: kw, Tools: names}
	}
	return domains
}

// nameWords are the candidate naming words of a tool: its literal path
// segments and name, singular, without generic verbs.
func nameWords(t *tools.Tool) []string {
	var out []string
	add := func(s string) {
		for _, w := range tools.Words(s) {
			w = stem(w)
			if len(w) < 3 || nameStopwords[w] || stopwords[w] || isNumber(w) {
				continue
			}
			out = append(out, w)
		}
	}
	for _, seg := range strings.Split(t.Path, "/") {
		if seg != "" && !strings.HasPrefix(seg, "{") {
			add(seg)
		}
	}
	add(t.OriginalName)
	return out
}

// NMI is the normalized mutual information (arithmetic normalisation)
// between the communities and the tools' first category labels, over the
// tools that have a label. ok is false when no tool has one.
func NMI(ts []*tools.Tool, comms [][]int) (float64, bool) {
	labelOf := map[string]int{}
	type pair struct{ c, l int }
	joint := map[pair]float64{}
	cCount := map[int]float64{}
	lCount := map[int]float64{}
	var n float64
	for c, ids := range comms {
		for _, id := range ids {
			if len(ts[id].Categories) == 0 {
				continue
			}
			lab := ts[id].Categories[0]
			l, ok := labelOf[lab]
			if !ok {
				l = len(labelOf)
				labelOf[lab] = l
			}
			joint[pair{c, l}]++
			cCount[c]++
			lCount[l]++
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	entropy := func(m map[int]float64) float64 {
		keys := make([]int, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		var h float64
		for _, k := range keys {
			p := m[k] / n
			h -= p * math.Log(p)
		}
		return h
	}
	pairs := make([]pair, 0, len(joint))
	for p := range joint {
		pairs = append(pairs, p)
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].c != pairs[j].c {
			return pairs[i].c < pairs[j].c
		}
		return pairs[i].l < pairs[j].l
	})
	var mi float64
	for _, p := range pairs {
		pj := joint[p] / n
		mi += pj * math.Log(pj/((cCount[p.c]/n)*(lCount[p.l]/n)))
	}
	hc, hl := entropy(cCount), entropy(lCount)
	if hc+hl == 0 {
		return 1, true
	}
	return 2 * mi / (hc + hl), true
}
