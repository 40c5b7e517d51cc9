package graph

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gonumgraph "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"

	"github.com/simgym/simgym/tools"
)

// tool makes a tool with the given parameters and category.
func tool(name, category string, params ...string) *tools.Tool {
	s := tools.ObjectSchema()
	for _, p := range params {
		s.Properties[p] = &tools.Schema{Type: "string"}
	}
	return &tools.Tool{OriginalName: name, Parameters: s, Categories: []string{category},
		Source: tools.Source{File: category + ".json", Operation: name}}
}

// twoWorlds is a catalog with an obvious split: a shop and a clinic.
func twoWorlds() *tools.Catalog {
	cat := &tools.Catalog{Specs: 2}
	for i := range 12 {
		cat.Tools = append(cat.Tools,
			tool(fmt.Sprintf("order_op_%d", i), "shop", "order_id", "cart_id", "customer_email", fmt.Sprintf("sku_%d", i%3)),
			tool(fmt.Sprintf("patient_op_%d", i), "clinic", "patient_id", "appointment_date", "doctor_name", fmt.Sprintf("ward_%d", i%3)),
		)
	}
	cat.Finalize()
	return cat
}

func TestClustersSeparateUnrelatedTools(t *testing.T) {
	cat := twoWorlds()
	f, err := Build(context.Background(), cat, Options{Seed: 7})
	require.NoError(t, err)
	require.Len(t, f.Domains, 2)
	for _, d := range f.Domains {
		require.Len(t, d.Tools, 12)
		prefix := d.Tools[0][:5]
		for _, n := range d.Tools {
			assert.Equal(t, prefix, n[:5], "domain %s mixes worlds", d.Name)
		}
	}
	assert.Greater(t, f.Modularity, 0.4)
	require.NotNil(t, f.NMI)
	assert.InDelta(t, 1.0, *f.NMI, 1e-9, "clusters match the hidden labels exactly")
	assert.NotEqual(t, f.Domains[0].Name, f.Domains[1].Name)
}

func TestBuildIsDeterministic(t *testing.T) {
	var outs []string
	for range 3 {
		f, err := Build(context.Background(), twoWorlds(), Options{Seed: 3, Workers: 2})
		require.NoError(t, err)
		data, err := f.Marshal()
		require.NoError(t, err)
		outs = append(outs, string(data))
	}
	assert.Equal(t, outs[0], outs[1])
	assert.Equal(t, outs[0], outs[2])
}

func TestLinkFindsOnlySimilarTools(t *testing.T) {
	cat := twoWorlds()
	edges, err := Link(context.Background(), cat.Tools, Options{})
	require.NoError(t, err)
	require.NotEmpty(t, edges)
	for i, e := range edges {
		a, b := cat.Tools[e.A], cat.Tools[e.B]
		assert.Less(t, e.A, e.B)
		assert.Equal(t, a.Categories[0], b.Categories[0], "edge %d joins %s and %s", i, a.Name, b.Name)
		assert.True(t, e.Weight > 0 && e.Weight <= 1+1e-6, "cosine weight %v", e.Weight)
		if i > 0 {
			prev := edges[i-1]
			assert.True(t, prev.A < e.A || (prev.A == e.A && prev.B < e.B), "sorted and unique")
		}
	}
}

// TestModularityMatchesGonum checks the linear-time Q against gonum's own.
func TestModularityMatchesGonum(t *testing.T) {
	edges := []Edge{{0, 1, 1}, {0, 2, 0.5}, {1, 2, 1}, {2, 3, 0.2}, {3, 4, 1}, {3, 5, 0.7}, {4, 5, 1}}
	comms := [][]int{{0, 1, 2}, {3, 4, 5}}
	g := newUndirected(6, edges)
	var gc [][]gonumgraph.Node
	for _, c := range comms {
		var ns []gonumgraph.Node
		for _, id := range c {
			ns = append(ns, node(id))
		}
		gc = append(gc, ns)
	}
	want := community.Q(g, gc, 1)
	assert.InDelta(t, want, Modularity(6, edges, comms), 1e-12)
}

func TestNMIHandWorked(t *testing.T) {
	// Four tools, two labels, clusters {a,b} {c,d}.
	ts := []*tools.Tool{tool("a", "x"), tool("b", "x"), tool("c", "y"), tool("d", "y")}
	nmi, ok := NMI(ts, [][]int{{0, 1}, {2, 3}})
	require.True(t, ok)
	assert.InDelta(t, 1, nmi, 1e-12)
	// Clusters that cut across labels: independent, NMI 0.
	nmi, _ = NMI(ts, [][]int{{0, 2}, {1, 3}})
	assert.InDelta(t, 0, nmi, 1e-12)
	// {a} {b,c,d}: I = H(C)+H(L)-H(C,L) = 0.5623 + 0.6931 - 1.0397 = 0.2158
	// (nats); NMI = 2I/(H(C)+H(L)).
	nmi, _ = NMI(ts, [][]int{{0}, {1, 2, 3}})
	hc := -(0.25*math.Log(0.25) + 0.75*math.Log(0.75))
	hl := math.Log(2)
	hcl := -(0.25 * math.Log(0.25) * 3)
	assert.InDelta(t, 2*(hc+hl-hcl)/(hc+hl), nmi, 1e-12)
	// No labels: not defined.
	_, ok = NMI([]*tools.Tool{{Name: "z", Parameters: tools.ObjectSchema()}}, [][]int{{0}})
	assert.False(t, ok)
}

func TestDomainNamesUniqueAndMeaningful(t *testing.T) {
	ts := []*tools.Tool{
		{OriginalName: "listOrders", Path: "/orders", Parameters: tools.ObjectSchema()},
		{OriginalName: "getOrder", Path: "/orders/{id}", Parameters: tools.ObjectSchema()},
		{OriginalName: "listInvoices", Path: "/orders/invoices", Parameters: tools.ObjectSchema()},
		{OriginalName: "cancelOrder", Path: "/orders/{id}/cancel", Parameters: tools.ObjectSchema()},
		{OriginalName: "getPatient", Path: "/patients/{id}", Parameters: tools.ObjectSchema()},
	}
	for _, t := range ts {
		t.Name = tools.Identifier(t.OriginalName)
	}
	ds := NameDomains(ts, [][]int{{0, 1}, {2, 3}, {4}})
	require.Len(t, ds, 3)
	assert.Equal(t, "order", ds[0].Keywords[0])
	assert.Equal(t, "patient", ds[2].Keywords[0])
	seen := map[string]bool{}
	for _, d := range ds {
		assert.Regexp(t, `^[a-z][a-z0-9_]*$`, d.Name)
		assert.False(t, seen[d.Name], d.Name)
		seen[d.Name] = true
	}
}

func TestLinkHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Link(ctx, twoWorlds().Tools, Options{})
	require.ErrorIs(t, err, context.Canceled)
}
