package graph

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sort"

	"golang.org/x/sync/errgroup"
	gonumgraph "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/iterator"

	"github.com/simgym/simgym/tools"
)

// Options tune linking and clustering. Zero values take the defaults.
type Options struct {
	// Neighbours is how many most-similar tools each tool links to
	// (default 10).
	Neighbours int
	// MinSimilarity drops weaker links (cosine, default 0.1).
	MinSimilarity float64
	// MaxPosting: terms found in more tools than this are too common to
	// find candidates with (they still carry no weight of their own in
	// the index). Default: max(200, 2% of the tools), at most 5000.
	MaxPosting int
	// Resolution is Louvain's γ (default 1): higher gives more, smaller
	// domains.
	Resolution float64
	// Seed drives Louvain's node order; equal seeds give equal output.
	Seed uint64
	// Weights of the vector's feature groups (default DefaultWeights).
	Weights *Weights
	// Workers used to find neighbours (default runtime.NumCPU()).
	Workers int
	// SpecBoundary keeps small APIs whole: the tools of a spec (one
	// input file or archive member) with fewer than SpecBoundary
	// operations are clustered as one node, so they land in one domain
	// together, while larger specs are clustered tool by tool. 0 (the
	// zero value) clusters every tool on its own; `simgym domains`
	// defaults to 60.
	SpecBoundary int
}

func (o Options) withDefaults(n int) Options {
	if o.Neighbours <= 0 {
		o.Neighbours = 10
	}
	if o.MinSimilarity <= 0 {
		o.MinSimilarity = 0.1
	}
	if o.MaxPosting <= 0 {
		o.MaxPosting = min(max(200, n/50), 5000)
	}
	if o.Resolution <= 0 {
		o.Resolution = 1
	}
	if o.Weights == nil {
		w := DefaultWeights
		o.Weights = &w
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	return o
}

// Edge joins tools A < B (indices into the tool list) with a similarity.
type Edge struct {
	A, B   int32
	Weight float64
}

// Link finds, for every tool, its most similar tools by parameter
// vectors, and returns the undirected edges (sorted, deduplicated).
func Link(ctx context.Context, ts []*tools.Tool, opt Options) ([]Edge, error) {
	opt = opt.withDefaults(len(ts))
	vecs, df, _ := vectorize(ts, *opt.Weights)
	type posting struct {
		tool int32
		val  float32
	}
	postings := make([][]posting, len(df))
	for i, v := range vecs {
		for k, term := range v.terms {
			if int(df[term]) <= opt.MaxPosting && df[term] > 1 {
				postings[term] = append(postings[term], posting{int32(i), v.vals[k]})
			}
		}
	}
	out := make([][]Edge, len(ts))
	g, gctx := errgroup.WithContext(ctx)
	chunk := (len(ts) + opt.Workers - 1) / max(opt.Workers, 1)
	for w := 0; w < opt.Workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(ts))
		if lo >= hi {
			break
		}
		g.Go(func() error {
			acc := make([]float32, len(ts))
			var touched []int32
			type cand struct {
				j   int32
				sim float32
			}
			var cands []cand
			for i := lo; i < hi; i++ {
				if i%1024 == 0 {
					if err := gctx.Err(); err != nil {
						return err
					}
				}
				touched = touched[:0]
				v := vecs[i]
				for k, term := range v.terms {
					vi := v.vals[k]
					for _, p := range postings[term] {
						if int(p.tool) == i {
							continue
						}
						if acc[p.tool] == 0 {
							touched = append(touched, p.tool)
						}
						acc[p.tool] += vi * p.val
					}
				}
				cands = cands[:0]
				for _, j := range touched {
					if float64(acc[j]) >= opt.MinSimilarity {
						cands = append(cands, cand{j, acc[j]})
					}
					acc[j] = 0
				}
				sort.Slice(cands, func(a, b int) bool {
					if cands[a].sim != cands[b].sim {
						return cands[a].sim > cands[b].sim
					}
					return cands[a].j < cands[b].j
				})
				if len(cands) > opt.Neighbours {
					cands = cands[:opt.Neighbours]
				}
				for _, c := range cands {
					a, b := int32(i), c.j
					if a > b {
						a, b = b, a
					}
					out[i] = append(out[i], Edge{A: a, B: b, Weight: float64(c.sim)})
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var edges []Edge
	for _, es := range out {
		edges = append(edges, es...)
	}
	sortEdges(edges)
	// The same pair found from both ends: keep one (the weights agree up
	// to float rounding; keep the larger for determinism).
	dedup := edges[:0]
	for _, e := range edges {
		if n := len(dedup); n > 0 && dedup[n-1].A == e.A && dedup[n-1].B == e.B {
			dedup[n-1].Weight = max(dedup[n-1].Weight, e.Weight)
			continue
		}
		dedup = append(dedup, e)
	}
	return dedup, nil
}

// Clusters assigns each of n nodes a community with gonum's Louvain
// method on the weighted edges, and returns the communities (each sorted,
// ordered by their smallest node) and their modularity at resolution 1.
func Clusters(n int, edges []Edge, resolution float64, seed uint64) ([][]int, float64) {
	g := newUndirected(n, edges)
	red := community.Modularize(g, resolution, rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var comms [][]int
	for _, c := range red.Communities() {
		ids := make([]int, 0, len(c))
		for _, nd := range c {
			ids = append(ids, int(nd.ID()))
		}
		if len(ids) == 0 {
			continue
		}
		comms = append(comms, ids)
	}
	sortCommunities(comms)
	return comms, Modularity(n, edges, comms)
}

// sortEdges orders edges by (A, B).
func sortEdges(edges []Edge) {
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].A != edges[j].A {
			return edges[i].A < edges[j].A
		}
		return edges[i].B < edges[j].B
	})
}

// sortCommunities sorts each community and orders them by their
// smallest node.
func sortCommunities(comms [][]int) {
	for _, c := range comms {
		sort.Ints(c)
	}
	sort.Slice(comms, func(i, j int) bool { return comms[i][0] < comms[j][0] })
}

// Modularity is Newman's Q of a partition of the weighted graph, at
// resolution 1, computed in time linear in the edges.
func Modularity(n int, edges []Edge, comms [][]int) float64 {
	of := make([]int, n)
	for c, ids := range comms {
		for _, id := range ids {
			of[id] = c
		}
	}
	var m2 float64
	in := make([]float64, len(comms))
	tot := make([]float64, len(comms))
	for _, e := range edges {
		m2 += 2 * e.Weight
		tot[of[e.A]] += e.Weight
		tot[of[e.B]] += e.Weight
		if of[e.A] == of[e.B] {
			in[of[e.A]] += 2 * e.Weight
		}
	}
	if m2 == 0 {
		return 0
	}
	var q float64
	for c := range comms {
		q += in[c]/m2 - (tot[c]/m2)*(tot[c]/m2)
	}
	return q
}

// undirected is a weighted undirected graph with sorted adjacency, so
// that every iteration gonum makes is in a fixed order.
type undirected struct {
	adj [][]int32
	w   [][]float64
}

func newUndirected(n int, edges []Edge) *undirected {
	g := &undirected{adj: make([][]int32, n), w: make([][]float64, n)}
	for _, e := range edges {
		g.adj[e.A] = append(g.adj[e.A], e.B)
		g.w[e.A] = append(g.w[e.A], e.Weight)
		g.adj[e.B] = append(g.adj[e.B], e.A)
		g.w[e.B] = append(g.w[e.B], e.Weight)
	}
	for i := range g.adj {
		a, w := g.adj[i], g.w[i]
		idx := make([]int, len(a))
		for k := range idx {
			idx[k] = k
		}
		sort.Slice(idx, func(x, y int) bool { return a[idx[x]] < a[idx[y]] })
		na, nw := make([]int32, len(a)), make([]float64, len(a))
		for k, j := range idx {
			na[k], nw[k] = a[j], w[j]
		}
		g.adj[i], g.w[i] = na, nw
	}
	return g
}

type node int64

func (n node) ID() int64 { return int64(n) }

type edge struct {
	f, t node
	w    float64
}

func (e edge) From() gonumgraph.Node         { return e.f }
func (e edge) To() gonumgraph.Node           { return e.t }
func (e edge) ReversedEdge() gonumgraph.Edge { return edge{e.t, e.f, e.w} }
func (e edge) Weight() float64               { return e.w }

func (g *undirected) Node(id int64) gonumgraph.Node {
	if id < 0 || id >= int64(len(g.adj)) {
		return nil
	}
	return node(id)
}

func (g *undirected) Nodes() gonumgraph.Nodes {
	ns := make([]gonumgraph.Node, len(g.adj))
	for i := range ns {
		ns[i] = node(i)
	}
	return iterator.NewOrderedNodes(ns)
}

func (g *undirected) From(id int64) gonumgraph.Nodes {
	if id < 0 || id >= int64(len(g.adj)) {
		return gonumgraph.Empty
	}
	a := g.adj[id]
	ns := make([]gonumgraph.Node, len(a))
	for i, j := range a {
		ns[i] = node(j)
	}
	return iterator.NewOrderedNodes(ns)
}

func (g *undirected) find(x, y int64) (float64, bool) {
	if x < 0 || x >= int64(len(g.adj)) {
		return 0, false
	}
	a := g.adj[x]
	k := sort.Search(len(a), func(i int) bool { return int64(a[i]) >= y })
	if k < len(a) && int64(a[k]) == y {
		return g.w[x][k], true
	}
	return 0, false
}

func (g *undirected) HasEdgeBetween(x, y int64) bool {
	_, ok := g.find(x, y)
	return ok
}

func (g *undirected) Edge(u, v int64) gonumgraph.Edge { return g.WeightedEdge(u, v) }

func (g *undirected) EdgeBetween(x, y int64) gonumgraph.Edge { return g.WeightedEdge(x, y) }

func (g *undirected) WeightedEdge(u, v int64) gonumgraph.WeightedEdge {
	w, ok := g.find(u, v)
	if !ok {
		return nil
	}
	return edge{node(u), node(v), w}
}

func (g *undirected) WeightedEdgeBetween(x, y int64) gonumgraph.WeightedEdge {
	return g.WeightedEdge(x, y)
}

// Weight returns the weight of the edge x-y; a node's self weight is 0.
func (g *undirected) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	return g.find(x, y)
}
