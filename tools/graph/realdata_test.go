package graph

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/internal/testenv"
	"github.com/simgym/simgym/tools/spec"
)

// TestApisguruDomains clusters the 30k-operation sample: modularity of at
// least 0.5, NMI against the specs' categories reported, and identical
// output for identical input and seed.
func TestApisguruDomains(t *testing.T) {
	path := testenv.Data(t, "apisguru-30k.tar.gz")
	testenv.SkipIfRace(t, "clusters 30k tools")
	cat, err := spec.Read(context.Background(), []string{path}, spec.Options{})
	require.NoError(t, err)
	f, err := Build(context.Background(), cat, Options{Seed: 1})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(f.Tools), 30000)
	assert.GreaterOrEqual(t, f.Modularity, 0.5)
	require.NotNil(t, f.NMI)
	assert.Greater(t, *f.NMI, 0.4)
	seen := map[string]bool{}
	n := 0
	for _, d := range f.Domains {
		assert.False(t, seen[d.Name], "duplicate domain name %s", d.Name)
		seen[d.Name] = true
		n += len(d.Tools)
	}
	assert.Equal(t, len(f.Tools), n, "every tool is in exactly one domain")
	t.Logf("apisguru: %d tools, %d edges, %d domains, modularity %.4f, NMI %.4f", len(f.Tools), f.Edges, len(f.Domains), f.Modularity, *f.NMI)

	first, err := f.Marshal()
	require.NoError(t, err)
	again, err := Build(context.Background(), cat, Options{Seed: 1})
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
