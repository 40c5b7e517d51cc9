package seed

import (
	"slices"

	"github.com/simgym/simgym/domains/schema"
)

// lifecycleState is the state of a table's n-th row (from 1): rows take
// the lifecycle's states in turn, the states some tool applies to
// first, so every guarded tool has rows it applies to.
func lifecycleState(l *schema.Lifecycle, n int64) string {
	var order []string
	for _, tr := range l.Transitions {
		for _, f := range tr.From {
			if !slices.Contains(order, f) {
				order = append(order, f)
			}
		}
	}
	for _, s := range l.States {
		if !slices.Contains(order, s) {
			order = append(order, s)
		}
	}
	return order[(n-1)%int64(len(order))]
}
