package domains_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
)

// TestArgGenValuesMatchTheirMeaning: every scalar argument ArgGen draws
// for the default world's tools is valid for its semantic type (phones
// E.164, IBANs with check digits, names of people for a beneficiary's
// name), with a database (check, task sampler) and without one (the
// random policy), and no value comes from a placeholder word list.
func TestArgGenValuesMatchTheirMeaning(t *testing.T) {
	placeholders := map[string]bool{"alpha": true, "harbor": true, "maple": true, "quartz": true, "river": true,
		"summit": true, "velvet": true, "willow": true, "cedar": true, "orbit": true}
	for _, withDB := range []bool{true, false} {
		checked, bad := 0, 0
		for _, d := range domains.All() {
			var db domains.DBTX
			dom := d
			if withDB {
				sdb := newDB(t, d)
				db = sdb
			} else {
				dom = &domains.Domain{Name: d.Name, Model: &schema.Model{Domain: d.Name}, Tools: d.Tools}
			}
			gen := &domains.ArgGen{Domain: dom, Rand: rand.New(rand.NewPCG(3, 4))}
			for _, tl := range d.Tools {
				for range 5 {
					args := gen.Valid(context.Background(), db, tl)
					n, errs := domains.CheckArgs(dom, tl, args)
					checked += n
					bad += len(errs)
					for _, err := range errs {
						t.Errorf("%s: %v", d.Name, err)
					}
					var m map[string]any
					assert.NoError(t, json.Unmarshal(args, &m))
					for k, v := range m {
						if s, ok := v.(string); ok {
							assert.False(t, placeholders[s], "%s.%s: %s is a placeholder word", tl.Name, k, s)
						}
					}
				}
			}
			if len(gen.Drawn) > 0 {
				assert.NotContains(t, gen.Drawn, "", "every drawn value has a type")
			}
		}
		assert.Greater(t, checked, 500, "arguments checked (with db: %v)", withDB)
		t.Logf("with db %v: %d argument values checked, %d invalid", withDB, checked, bad)
	}
}
