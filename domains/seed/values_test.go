package seed_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/domains/seed"
	"github.com/simgym/simgym/domains/value"
)

// tally counts seeded values by semantic type and the ones failing it.
type tally struct {
	total, bad map[value.Type]int
	examples   []string
	shown      map[value.Type]int
}

func newTally() *tally {
	return &tally{total: map[value.Type]int{}, bad: map[value.Type]int{}, shown: map[value.Type]int{}}
}

// add checks every value of every seeded row of m against its column's
// semantic type, and each row's ties (email from the name, dates in
// order).
func (tl *tally) add(m *schema.Model, s int64) {
	for _, rs := range seed.Generate(m, s) {
		fields := seed.Fields(rs.Table)
		for _, row := range rs.Values {
			for i, c := range rs.Table.Columns {
				if c.PK || c.Ref != "" {
					continue
				}
				ft := fields[i].Type
				tl.total[ft]++
				if err := value.Check(ft, row[i], fields[i].Hints); err != nil {
					tl.bad[ft]++
					tl.note(ft, "%s.%s.%s (%s): %v", m.Domain, rs.Table.Name, c.Name, ft, err)
				}
			}
			for _, err := range value.CheckRow(fields, row) {
				tl.bad["row"]++
				tl.note("row", "%s.%s: %v", m.Domain, rs.Table.Name, err)
			}
		}
	}
}

// note keeps the first failures of each type.
func (tl *tally) note(ty value.Type, format string, args ...any) {
	tl.shown[ty]++
	if tl.shown[ty] <= 3 {
		tl.examples = append(tl.examples, fmt.Sprintf(format, args...))
	}
}

func (tl *tally) report(t *testing.T) int {
	types := make([]string, 0, len(tl.total))
	for ty := range tl.total {
		types = append(types, string(ty))
	}
	sort.Strings(types)
	bad := 0
	for _, ty := range types {
		t.Logf("%-16s %7d values, %5d invalid", ty, tl.total[value.Type(ty)], tl.bad[value.Type(ty)])
	}
	for _, n := range tl.bad {
		bad += n
	}
	t.Logf("row ties broken: %d", tl.bad["row"])
	for _, e := range tl.examples {
		t.Log(e)
	}
	return bad
}

// TestDefaultWorldValuesValid: every seeded value of every default-world
// table satisfies its inferred semantic type (IBAN check digits, E.164
// phones, ISO codes, birth dates giving ages 18-90, ...) and every row's
// ties hold (emails from the row's name, created before updated,
// check-in before check-out, departure before arrival).
func TestDefaultWorldValuesValid(t *testing.T) {
	tl := newTally()
	n := 0
	for _, d := range domains.All() {
		if d.Model == nil {
			continue
		}
		n++
		for _, s := range []int64{1, 2, 3} {
			tl.add(d.Model, s)
		}
	}
	assert.Greater(t, n, 5, "the default world has domains with models")
	assert.Zero(t, tl.report(t), "seeded values failing their semantic type")
	for _, want := range []value.Type{value.IBAN, value.Email, value.PersonName, value.FirstName, value.BirthDate, value.Seat, value.Locator, value.ISBN, value.Phone, value.Money} {
		assert.Positive(t, tl.total[want], "the default world seeds %s values", want)
	}
}
