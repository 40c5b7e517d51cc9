package graph

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
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

	opt := commandOptions
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
	// The whole pipeline again, from reading the archive: repairs,
	// skips and clusters must all come out the same.
	second := domainsJSON(t, []string{path})
	assert.True(t, string(first) == string(second), "same input and seed give byte-identical domains.json")
}

// BenchmarkDomainsApisguru measures the whole `simgym domains` pipeline
// (read 974 specs, link, cluster) on the 30k-operation sample.
// commandOptions are `simgym domains`' defaults, with seed 1.
var commandOptions = Options{Resolution: 1, Seed: 1, Neighbours: 10, SpecBoundary: 60}

// domainsJSON runs what `simgym domains` runs (read the specs, link,
// cluster, marshal) with the command's default options.
func domainsJSON(t *testing.T, paths []string) []byte {
	t.Helper()
	cat, err := spec.Read(context.Background(), paths, spec.Options{})
	require.NoError(t, err)
	f, err := Build(context.Background(), cat, commandOptions)
	require.NoError(t, err)
	data, err := f.Marshal()
	require.NoError(t, err)
	return data
}

// repairedSpecs are the members of the apisguru sample that read only
// after repair (see spec's TestApisguruAllSpecsAccounted), with a few
// that read cleanly beside them.
var repairedSpecs = []string{
	"api.video.json", "codat.io/accounting.json", "codat.io/sync-for-commerce.json",
	"digitalocean.com.json", "dnd5eapi.co.json", "enode.io.json",
}

// subsetArchive copies the named members of the apisguru sample into a
// new tar.gz in a temporary folder.
func subsetArchive(t *testing.T, names []string) string {
	t.Helper()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	in, err := os.Open(testenv.Data(t, "apisguru-30k.tar.gz"))
	require.NoError(t, err)
	defer in.Close()
	zr, err := gzip.NewReader(in)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	path := filepath.Join(t.TempDir(), "subset.tar.gz")
	out, err := os.Create(path)
	require.NoError(t, err)
	zw := gzip.NewWriter(out)
	tw := tar.NewWriter(zw)
	copied := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if !want[strings.TrimPrefix(h.Name, "./")] {
			continue
		}
		require.NoError(t, tw.WriteHeader(h))
		_, err = io.Copy(tw, tr)
		require.NoError(t, err)
		copied++
	}
	require.Equal(t, len(want), copied, "members found in the sample")
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	require.NoError(t, out.Close())
	return path
}

// bigRepairedSpecs are the two repaired specs of about 1 MB, left out
// under the race detector, where they take most of a minute; the
// heavy TestApisguruDomains covers them in CI's pass without it.
var bigRepairedSpecs = map[string]bool{"codat.io/accounting.json": true, "digitalocean.com.json": true}

// TestDomainsDeterministicWithRepairs runs the `domains` pipeline twice
// on the sample's specs that need repair: byte-identical domains.json,
// repair counts included.
func TestDomainsDeterministicWithRepairs(t *testing.T) {
	members := []string{"1password.com/events.json", "abstractapi.com/geolocation.json", "adobe.com/aem.json"}
	repaired := 0
	for _, m := range repairedSpecs {
		if testenv.RaceEnabled && bigRepairedSpecs[m] {
			continue
		}
		members = append(members, m)
		repaired++
	}
	path := subsetArchive(t, members)
	first := domainsJSON(t, []string{path})
	var f tools.DomainFile
	require.NoError(t, json.Unmarshal(first, &f))
	require.Len(t, f.Repaired, repaired, "the subset exercises repair")
	second := domainsJSON(t, []string{path})
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
