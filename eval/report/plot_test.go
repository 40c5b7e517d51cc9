package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestPassLinesJoinCoincidingCurves: domains on the same pass^k values
// are drawn as one line named by them, not as lines hidden behind one.
func TestPassLinesJoinCoincidingCurves(t *testing.T) {
	curve := func(vs ...float64) []Interval {
		out := make([]Interval, len(vs))
		for i, v := range vs {
			out[i] = Interval{Value: v}
		}
		return out
	}
	cases := []struct {
		name   string
		groups []Group
		want   []string
	}{
		{"all distinct", []Group{{Name: "a", PassHatK: curve(1, 0.5)}, {Name: "b", PassHatK: curve(0.5, 0.2)}}, []string{"a", "b"}},
		{"two coincide", []Group{{Name: "a", PassHatK: curve(1, 1)}, {Name: "b", PassHatK: curve(0.5, 0.2)}, {Name: "c", PassHatK: curve(1, 1)}},
			[]string{"2 domains: a, c", "b"}},
		{"eleven coincide", func() []Group {
			var gs []Group
			for _, n := range []string{"d01", "d02", "d03", "d04", "d05", "d06", "d07", "d08", "d09", "d10", "d11"} {
				gs = append(gs, Group{Name: n, PassHatK: curve(1, 1, 1)})
			}
			return gs
		}(), []string{"11 domains: d01, d02, d03, and 8 more"}},
	}
	for _, c := range cases {
		var got []string
		for _, g := range passLines(c.groups) {
			got = append(got, g.Name)
		}
		assert.Equal(t, c.want, got, c.name)
	}
}
