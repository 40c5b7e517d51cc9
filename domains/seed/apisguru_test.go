package seed_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/codegen"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/internal/testenv"
	"github.com/simgym/simgym/tools/graph"
	"github.com/simgym/simgym/tools/spec"
)

// TestApisguruSeededValuesValid builds the 30k-operation world the way
// `simgym generate` does (read the specs, cluster them into domains,
// infer each domain's model), seeds every table in memory and checks
// every value against its inferred semantic type, reporting counts per
// type. No value may fail its type and no row its ties.
func TestApisguruSeededValuesValid(t *testing.T) {
	path := testenv.Data(t, "apisguru-30k.tar.gz")
	testenv.SkipIfRace(t, "seeds every table of the 30k world")
	ctx := context.Background()
	cat, err := spec.Read(ctx, []string{path}, spec.Options{})
	require.NoError(t, err)
	df, err := graph.Build(ctx, cat, graph.Options{Seed: 1})
	require.NoError(t, err)
	req := codegen.FromDomainFile(df, "example.com/world", "apisguru", 0)
	tl := newTally()
	tables := 0
	for _, d := range req.Domains {
		m := schema.Infer(d.Name, d.Tools, schema.Options{Rows: req.Rows})
		tables += len(m.Tables)
		tl.add(m, 1)
	}
	t.Logf("%d domains, %d tables", len(req.Domains), tables)
	assert.Greater(t, tables, 1000)
	assert.Zero(t, tl.report(t), "seeded values failing their semantic type")
}
