package graph

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/tools"
)

// inSpec moves a tool into the given spec file.
func inSpec(file string, t *tools.Tool) *tools.Tool {
	t.Source.File = file
	return t
}

// mixedCatalog has one big spec (80 tools, half shop and half clinic)
// and two small specs that each hold shop-like and clinic-like tools, so
// that parameter similarity alone would tear the small specs apart.
func mixedCatalog() *tools.Catalog {
	cat := &tools.Catalog{Specs: 3}
	for i := range 40 {
		cat.Tools = append(cat.Tools,
			inSpec("big.json", tool(fmt.Sprintf("order_op_%d", i), "shop", "order_id", "cart_id", "customer_email", fmt.Sprintf("sku_%d", i%3))),
			inSpec("big.json", tool(fmt.Sprintf("patient_op_%d", i), "clinic", "patient_id", "appointment_date", "doctor_name", fmt.Sprintf("ward_%d", i%3))),
		)
	}
	for _, small := range []string{"small_a.json", "small_b.json"} {
		for i := range 4 {
			cat.Tools = append(cat.Tools,
				inSpec(small, tool(fmt.Sprintf("%s_order_%d", small[:7], i), "shop", "order_id", "cart_id", "customer_email")),
				inSpec(small, tool(fmt.Sprintf("%s_patient_%d", small[:7], i), "clinic", "patient_id", "appointment_date", "doctor_name")),
			)
		}
	}
	cat.Finalize()
	return cat
}

// domainsOf maps each spec (specKey) to the set of domains its tools
// are in.
func domainsOf(f *tools.DomainFile) map[string]map[string]bool {
	byName := f.ToolByName()
	out := map[string]map[string]bool{}
	for _, d := range f.Domains {
		for _, n := range d.Tools {
			file := specKey(byName[n])
			if out[file] == nil {
				out[file] = map[string]bool{}
			}
			out[file][d.Name] = true
		}
	}
	return out
}

func TestSpecBoundaryKeepsSmallSpecsWhole(t *testing.T) {
	cases := []struct {
		name      string
		boundary  int
		wantWhole bool
	}{
		{"boundary 60 keeps the small specs whole", 60, true},
		{"boundary 0 clusters tool by tool", 0, false},
		{"boundary 8 is not above the small specs' size", 8, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Build(context.Background(), mixedCatalog(), Options{Seed: 5, SpecBoundary: tc.boundary})
			require.NoError(t, err)
			got := domainsOf(f)
			for _, small := range []string{"small_a.json", "small_b.json"} {
				if tc.wantWhole {
					assert.Len(t, got[small], 1, "%s in one domain", small)
				} else {
					assert.Greater(t, len(got[small]), 1, "%s split by similarity", small)
				}
			}
			assert.GreaterOrEqual(t, len(got["big.json"]), 2, "the big spec is still clustered tool by tool")
			n := 0
			for _, d := range f.Domains {
				n += len(d.Tools)
			}
			assert.Equal(t, len(f.Tools), n, "every tool in exactly one domain")
			assert.InDelta(t, Modularity(len(f.Tools), mustLink(t, f.Tools), communitiesOf(f)), f.Modularity, 1e-6,
				"modularity is measured on the tool graph")
		})
	}
}

func mustLink(t *testing.T, ts []*tools.Tool) []Edge {
	t.Helper()
	edges, err := Link(context.Background(), ts, Options{})
	require.NoError(t, err)
	return edges
}

// communitiesOf turns f's domains back into tool-index communities.
func communitiesOf(f *tools.DomainFile) [][]int {
	idx := map[string]int{}
	for i, t := range f.Tools {
		idx[t.Name] = i
	}
	var comms [][]int
	for _, d := range f.Domains {
		var c []int
		for _, n := range d.Tools {
			c = append(c, idx[n])
		}
		comms = append(comms, c)
	}
	return comms
}

func TestSingleSmallSpecIsOneDomain(t *testing.T) {
	cat := &tools.Catalog{Specs: 1}
	for i := range 6 {
		cat.Tools = append(cat.Tools,
			inSpec("api.json", tool(fmt.Sprintf("order_op_%d", i), "shop", "order_id", "cart_id")),
			inSpec("api.json", tool(fmt.Sprintf("patient_op_%d", i), "shop", "patient_id", "doctor_name")),
			inSpec(fmt.Sprintf("api.json#/%d", i), tool(fmt.Sprintf("lonely_%d", i), "shop")),
		)
	}
	cat.Finalize()
	f, err := Build(context.Background(), cat, Options{Seed: 1, SpecBoundary: 60})
	require.NoError(t, err)
	require.Len(t, f.Domains, 1)
	assert.Len(t, f.Domains[0].Tools, 18)
	assert.Equal(t, 1, SpecsKeptWhole(cat.Tools, 60))
	assert.Equal(t, 0, SpecsKeptWhole(cat.Tools, 18), "18 tools are not fewer than 18")
	assert.Equal(t, 0, SpecsKeptWhole(cat.Tools, 0))

	split, err := Build(context.Background(), cat, Options{Seed: 1})
	require.NoError(t, err)
	assert.Greater(t, len(split.Domains), 1, "without the boundary the tools fall apart")
}

func TestSpecBoundaryIsDeterministic(t *testing.T) {
	var outs []string
	for range 3 {
		f, err := Build(context.Background(), mixedCatalog(), Options{Seed: 9, Workers: 2, SpecBoundary: 60})
		require.NoError(t, err)
		data, err := f.Marshal()
		require.NoError(t, err)
		outs = append(outs, string(data))
	}
	assert.Equal(t, outs[0], outs[1])
	assert.Equal(t, outs[0], outs[2])
}
