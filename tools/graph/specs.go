package graph

import (
	"strings"

	"github.com/simgym/simgym/tools"
)

// specKey names the spec a tool came from: its input file (an archive
// member counts as a file of its own), without the JSON pointer that
// readers of tool lists add ("tools.json#/3").
func specKey(t *tools.Tool) string {
	file, _, _ := strings.Cut(t.Source.File, "#")
	return file
}

// SpecsKeptWhole counts the specs that Build keeps in one domain at the
// given boundary: those with at least two and fewer than boundary tools
// (a one-tool spec is whole anyway). It is 0 when boundary is 0.
func SpecsKeptWhole(ts []*tools.Tool, boundary int) int {
	_, _, kept := specNodes(ts, boundary)
	return kept
}

// specNodes maps each tool to a clustering node: the tools of a small
// spec (fewer than boundary tools) share one node, every other tool has
// its own. Nodes are numbered in the order of their first tool, so equal
// input gives equal numbering. kept counts the shared nodes.
func specNodes(ts []*tools.Tool, boundary int) (nodeOf []int, nodes, kept int) {
	nodeOf = make([]int, len(ts))
	size := map[string]int{}
	if boundary > 0 {
		for _, t := range ts {
			size[specKey(t)]++
		}
	}
	shared := map[string]int{}
	for i, t := range ts {
		k := specKey(t)
		if n := size[k]; n < 2 || n >= boundary {
			nodeOf[i] = nodes
			nodes++
			continue
		}
		id, ok := shared[k]
		if !ok {
			id = nodes
			nodes++
			shared[k] = id
			kept++
		}
		nodeOf[i] = id
	}
	return nodeOf, nodes, kept
}

// clusterSpecs clusters the tools with every small spec contracted into
// one node, then expands the communities back to tools (each sorted,
// ordered by their smallest tool) and returns them with their modularity
// on the tool graph. A contracted node's inner links are kept as the
// weight of an edge to a private stand-in node, so that the node weighs
// in Louvain as its tools did together; stand-ins are dropped on
// expansion.
func clusterSpecs(ts []*tools.Tool, edges []Edge, opt Options) ([][]int, float64) {
	nodeOf, nodes, kept := specNodes(ts, opt.SpecBoundary)
	if kept == 0 {
		return Clusters(len(ts), edges, opt.Resolution, opt.Seed)
	}
	inner := make(map[int]float64)
	cross := make(map[[2]int]float64)
	for _, e := range edges {
		a, b := nodeOf[e.A], nodeOf[e.B]
		switch {
		case a == b:
			inner[a] += e.Weight
		case a < b:
			cross[[2]int{a, b}] += e.Weight
		default:
			cross[[2]int{b, a}] += e.Weight
		}
	}
	// Stand-ins are numbered after the real nodes, in node order.
	standIn := nodes
	var contracted []Edge
	for a := range nodes {
		if w := inner[a]; w > 0 {
			contracted = append(contracted, Edge{A: int32(a), B: int32(standIn), Weight: w})
			standIn++
		}
	}
	for k, w := range cross {
		contracted = append(contracted, Edge{A: int32(k[0]), B: int32(k[1]), Weight: w})
	}
	sortEdges(contracted)
	groups, _ := Clusters(standIn, contracted, opt.Resolution, opt.Seed)
	members := make([][]int, nodes)
	for i, n := range nodeOf {
		members[n] = append(members[n], i)
	}
	var comms [][]int
	for _, g := range groups {
		var ids []int
		for _, n := range g {
			if n < nodes {
				ids = append(ids, members[n]...)
			}
		}
		if len(ids) > 0 {
			comms = append(comms, ids)
		}
	}
	sortCommunities(comms)
	return comms, Modularity(len(ts), edges, comms)
}
