package graph

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
	"github.com/simgym/simgym/tools"
	"github.com/simgym/simgym/tools/spec"
)

// TestApisguruDomains clusters the 30k-operation sample tool by tool and
// with small specs kept whole (SpecBoundary 60, the default of `simgym
// domains`): modularity of at least 0.5 both ways, NMI against the
// specs' categories not lower with specs kept whole, every spec under
// the boundary in one domain, and identical output for identical input
// and seed.
func TestApisguruDomains(t *testing.T) {
	path := testenv.Data(t, "apisguru-30k.tar.gz")
	testenv.SkipIfRace(t, "clusters 30k tools")
	cat, err := spec.Read(context.Background(), []string{path}, spec.Options{})
	require.NoError(t, err)
	check := func(name string, f *tools.DomainFile) {
		t.Helper()
		assert.GreaterOrEqual(t, len(f.Tools), 30000)
		assert.GreaterOrEqual(t, f.Modularity, 0.5, name)
		require.NotNil(t, f.NMI)
		assert.Greater(t, *f.NMI, 0.4, name)
		seen := map[string]bool{}
		n := 0
		for _, d := range f.Domains {
			assert.False(t, seen[d.Name], "duplicate domain name %s", d.Name)
			seen[d.Name] = true
			n += len(d.Tools)
		}
		assert.Equal(t, len(f.Tools), n, "every tool is in exactly one domain")
		t.Logf("apisguru %s: %d tools, %d edges, %d domains, modularity %.4f, NMI %.4f", name, len(f.Tools), f.Edges, len(f.Domains), f.Modularity, *f.NMI)
	}
	byTool, err := Build(context.Background(), cat, Options{Seed: 1})
	require.NoError(t, err)
	check("tool by tool", byTool)

	opt := Options{Seed: 1, SpecBoundary: 60}
	f, err := Build(context.Background(), cat, opt)
	require.NoError(t, err)
	check("specs under 60 kept whole", f)
	assert.GreaterOrEqual(t, *f.NMI, *byTool.NMI, "keeping small specs whole does not lower NMI")
	kept := SpecsKeptWhole(f.Tools, 60)
	assert.Greater(t, kept, 500, "most of the sample's specs are small")
	size := map[string]int{}
	for _, tl := range f.Tools {
		size[specKey(tl)]++
	}
	whole := 0
	for file, ds := range domainsOf(f) {
		if n := size[file]; n >= 2 && n < 60 {
			assert.Len(t, ds, 1, "%s (%d tools) in one domain", file, n)
			whole++
		}
	}
	assert.Equal(t, kept, whole)
	t.Logf("apisguru: %d specs kept whole", kept)

	first, err := f.Marshal()
	require.NoError(t, err)
	again, err := Build(context.Background(), cat, opt)
	require.NoError(t, err)
	second, err := again.Marshal()
	require.NoError(t, err)
	assert.True(t, string(first) == string(second), "same input and seed give byte-identical domains.json")
}

// BenchmarkDomainsApisguru measures the whole `simgym domains` pipeline
// (read 974 specs, link, cluster) on the 30k-operation sample.
func BenchmarkDomainsApisguru(b *testing.B) {
	path := testenv.Data(b, "apisguru-30k.tar.gz")
	for b.Loop() {
		cat, err := spec.Read(context.Background(), []string{path}, spec.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f, err := Build(context.Background(), cat, Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(f.Tools)), "tools")
		b.ReportMetric(f.Modularity, "modularity")
	}
}

// BenchmarkLinkScale links a synthetic catalog four times the sample's
// size (about 125k tools) to show the graph is built without comparing
// all pairs.
func BenchmarkLinkScale(b *testing.B) {
	path := testenv.Data(b, "apisguru-30k.tar.gz")
	cat, err := spec.Read(context.Background(), []string{path}, spec.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ts := cat.Tools
	for range 3 {
		ts = append(ts, cat.Tools...)
	}
	b.ResetTimer()
	for b.Loop() {
		edges, err := Link(context.Background(), ts, Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(ts)), "tools")
		b.ReportMetric(float64(len(edges)), "edges")
	}
}
