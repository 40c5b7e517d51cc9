package domains_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/internal/testenv"
	"github.com/simgym/simgym/tools"
	"github.com/simgym/simgym/tools/graph"
	"github.com/simgym/simgym/tools/spec"
)

// fingerprint hashes every row of every table of m in db.
func fingerprint(t *testing.T, db domains.DBTX, m *schema.Model) uint64 {
	t.Helper()
	h := fnv.New64a()
	for _, tb := range m.Tables {
		rows, err := db.QueryContext(context.Background(), `SELECT * FROM `+schema.Quote(tb.Name)+` ORDER BY "id"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			require.NoError(t, rows.Scan(ptrs...))
			fmt.Fprintf(h, "%s %#v\n", tb.Name, vals)
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return h.Sum64()
}

// guardedDomain is a domain of m's guarded tools whose handlers do what
// generated ones do: check the state rule, then write the target state.
func guardedDomain(m *schema.Model) *domains.Domain {
	d := &domains.Domain{Name: "apisguru_" + m.Domain, Model: m, SchemaSQL: m.DDL(), StateRules: domains.StateRulesOf(m)}
	for tool, r := range d.StateRules {
		key := keyArgOf(m.Op(tool))
		if key == "" {
			continue
		}
		update := `UPDATE ` + schema.Quote(r.Table) + ` SET ` + schema.Quote(r.Column) + ` = ?1 WHERE "id" = ?2`
		d.Tools = append(d.Tools, &domains.Tool{Name: tool, Parameters: json.RawMessage(`{"type": "object"}`),
			Handler: func(ctx context.Context, db domains.DBTX, raw json.RawMessage) (any, error) {
				var args map[string]any
				if err := json.Unmarshal(raw, &args); err != nil {
					return nil, err
				}
				if err := d.Guard(ctx, db, tool, args[key]); err != nil {
					return nil, err
				}
				if _, err := db.ExecContext(ctx, update, r.To, args[key]); err != nil {
					return nil, err
				}
				return map[string]any{"id": args[key]}, nil
			}})
	}
	sort.Slice(d.Tools, func(i, j int) bool { return d.Tools[i].Name < d.Tools[j].Name })
	return d
}

// TestApisguruLifecycles infers the models of the 30k-operation world
// (spec reading, clustering, schema inference as `simgym generate` does)
// and runs every guarded tool through the runtime on an entity in each
// state of its lifecycle: allowed states succeed, others are refused
// with the agent-readable message and change nothing. Seeding gives
// every guarded tool rows it applies to.
func TestApisguruLifecycles(t *testing.T) {
	path := testenv.Data(t, "apisguru-30k.tar.gz")
	testenv.SkipIfRace(t, "infers and seeds the 30k-operation world")
	ctx := context.Background()
	cat, err := spec.Read(ctx, []string{path}, spec.Options{})
	require.NoError(t, err)
	f, err := graph.Build(ctx, cat, graph.Options{Seed: 1})
	require.NoError(t, err)
	byName := f.ToolByName()
	var lifecycles, transitions, calls, allowed, refused, unseeded, restrict, cascade, setNull int
	evidence := map[string]int{}
	for _, dom := range f.Domains {
		ts := make([]*tools.Tool, 0, len(dom.Tools))
		for _, n := range dom.Tools {
			ts = append(ts, byName[n])
		}
		m := schema.Infer(dom.Name, ts, schema.Options{})
		guarded := false
		for _, tb := range m.Tables {
			for _, r := range tb.Referrers {
				switch r.OnDelete {
				case schema.Restrict:
					restrict++
				case schema.Cascade:
					cascade++
				case schema.SetNull:
					setNull++
				}
			}
			if tb.Lifecycle == nil {
				continue
			}
			lifecycles++
			guarded = true
			for _, tr := range tb.Lifecycle.Transitions {
				transitions++
				evidence[tr.Evidence]++
				require.NotEmpty(t, tr.From, "%s.%s", dom.Name, tr.Tool)
				require.Contains(t, tb.Lifecycle.States, tr.To, "%s.%s", dom.Name, tr.Tool)
			}
		}
		if !guarded {
			continue
		}
		d := guardedDomain(m)
		db, err := d.NewDB(ctx, 1)
		require.NoError(t, err, "seed %s", dom.Name)
		for _, tl := range d.Tools {
			r := d.StateRules[tl.Name]
			tb := m.Table(r.Table)
			col := schema.Quote(r.Column)
			for _, from := range r.From {
				var n int
				require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+schema.Quote(r.Table)+` WHERE `+col+` = ?`, from).Scan(&n))
				if n == 0 {
					unseeded++
					t.Errorf("%s.%s: no seeded %s is %s", dom.Name, tl.Name, r.Table, from)
				}
			}
			var id any
			require.NoError(t, db.QueryRowContext(ctx, `SELECT "id" FROM `+schema.Quote(r.Table)+` ORDER BY "id" LIMIT 1`).Scan(&id))
			if b, ok := id.([]byte); ok {
				id = string(b)
			}
			key := keyArgOf(m.Op(tl.Name))
			args, err := json.Marshal(map[string]any{key: id})
			require.NoError(t, err)
			for _, state := range tb.Lifecycle.States {
				_, err := db.ExecContext(ctx, `UPDATE `+schema.Quote(r.Table)+` SET `+col+` = ? WHERE "id" = ?`, state, id)
				require.NoError(t, err)
				before := fingerprint(t, db, m)
				_, err = d.Call(ctx, db, tl.Name, args)
				calls++
				if slices.Contains(r.From, state) {
					require.NoError(t, err, "%s.%s on %s", dom.Name, tl.Name, state)
					allowed++
					continue
				}
				require.True(t, domains.IsRefused(err), "%s.%s on %s: %v", dom.Name, tl.Name, state, err)
				msg := err.Error()
				assert.True(t, strings.HasPrefix(msg, fmt.Sprintf("%s %v is %s; only ", spaced(r.Table), id, spaced(state))), msg)
				assert.True(t, strings.HasSuffix(msg, " can be "+r.Done), msg)
				assert.Equal(t, before, fingerprint(t, db, m), "%s.%s refused on %s changes nothing", dom.Name, tl.Name, state)
				refused++
			}
		}
		db.Close()
	}
	t.Logf("apisguru: %d domains, %d lifecycles inferred, %d guarded transitions (evidence %v); %d guarded calls: %d allowed, %d refused; %d from-states unseeded; references: %d restrict, %d cascade, %d set null",
		len(f.Domains), lifecycles, transitions, evidence, calls, allowed, refused, unseeded, restrict, cascade, setNull)
	assert.Positive(t, lifecycles)
	assert.Positive(t, allowed)
	assert.Positive(t, refused)
}
