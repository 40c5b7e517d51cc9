package domains

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

// CheckOptions tune Check.
type CheckOptions struct {
	// Valid is how many schema-valid calls each tool gets (default 5).
	Valid int
	// Seed drives argument generation and the seeded state.
	Seed int64
}

// CheckReport counts what Check saw.
type CheckReport struct {
	Domains        int `json:"domains"`
	Tools          int `json:"tools"`
	Calls          int `json:"calls"`
	OK             int `json:"ok"`
	ToolErrors     int `json:"tool_errors"`
	InternalErrors int `json:"internal_errors"`
	Panics         int `json:"panics"`
	// InvalidAccepted counts invalid arguments a tool did not reject.
	InvalidAccepted int `json:"invalid_accepted"`
	// InvalidRejected counts invalid arguments rejected with a message.
	InvalidRejected int `json:"invalid_rejected"`
	// LifecycleRules counts the lifecycle preconditions of the checked
	// tools (their domains' StateRules).
	LifecycleRules int `json:"lifecycle_rules"`
	// RefusedByRule counts valid calls a lifecycle or reference rule
	// refused (they are also tool errors).
	RefusedByRule int `json:"refused_by_rule"`
	// ValuesByType counts the argument values drawn, by semantic type
	// (package value).
	ValuesByType map[string]int `json:"values_by_type"`
	// Problems describe the first internal errors, panics and accepted
	// invalid calls.
	Problems []string `json:"problems,omitempty"`
}

const maxProblems = 20

func (r *CheckReport) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Check calls every tool of every domain on its seeded state with valid
// random arguments and with invalid ones, and counts the outcomes. A
// healthy world has no internal errors, no panics and no invalid call
// accepted.
func Check(ctx context.Context, ds []*Domain, opt CheckOptions) (*CheckReport, error) {
	if opt.Valid <= 0 {
		opt.Valid = 5
	}
	rep := &CheckReport{}
	for _, d := range ds {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rep.Domains++
		for _, t := range d.Tools {
			if d.StateRules[t.Name] != nil && !t.overridden {
				rep.LifecycleRules++
			}
		}
		db, err := d.NewDB(ctx, opt.Seed)
		if err != nil {
			return rep, fmt.Errorf("check %s: %w", d.Name, err)
		}
		gen := &ArgGen{Domain: d, Rand: rand.New(rand.NewPCG(uint64(opt.Seed), hashString(d.Name)))}
		for _, t := range d.Tools {
			rep.Tools++
			for range opt.Valid {
				args := gen.Valid(ctx, db, t)
				_, err := d.Call(ctx, db, t.Name, args)
				rep.Calls++
				rep.count(err, d.Name+"."+t.Name, string(args))
			}
			for _, bad := range gen.Invalid(t) {
				_, err := d.Call(ctx, db, t.Name, bad.Args)
				rep.Calls++
				switch {
				case err == nil:
					rep.InvalidAccepted++
					rep.problem("%s.%s accepted %s: %s", d.Name, t.Name, bad.What, bad.Args)
				case IsToolError(err):
					rep.InvalidRejected++
					rep.ToolErrors++
				default:
					rep.count(err, d.Name+"."+t.Name, string(bad.Args))
				}
			}
		}
		db.Close()
		for t, n := range gen.Drawn {
			if rep.ValuesByType == nil {
				rep.ValuesByType = map[string]int{}
			}
			rep.ValuesByType[t] += n
		}
	}
	return rep, nil
}

// Add adds another report's counts to r (its problems up to the
// report's bound).
func (r *CheckReport) Add(o *CheckReport) {
	r.Domains += o.Domains
	r.Tools += o.Tools
	r.Calls += o.Calls
	r.OK += o.OK
	r.ToolErrors += o.ToolErrors
	r.InternalErrors += o.InternalErrors
	r.Panics += o.Panics
	r.InvalidAccepted += o.InvalidAccepted
	r.InvalidRejected += o.InvalidRejected
	r.LifecycleRules += o.LifecycleRules
	r.RefusedByRule += o.RefusedByRule
	for t, n := range o.ValuesByType {
		if r.ValuesByType == nil {
			r.ValuesByType = map[string]int{}
		}
		r.ValuesByType[t] += n
	}
	for _, p := range o.Problems {
		if len(r.Problems) < maxProblems {
			r.Problems = append(r.Problems, p)
		}
	}
}

func (r *CheckReport) count(err error, tool, args string) {
	var pe *PanicError
	switch {
	case err == nil:
		r.OK++
	case IsToolError(err):
		r.ToolErrors++
		if IsRefused(err) {
			r.RefusedByRule++
		}
	case errors.As(err, &pe):
		r.Panics++
		r.problem("%s panicked on %s: %v", tool, args, pe.Value)
	default:
		r.InternalErrors++
		r.problem("%s internal error on %s: %v", tool, args, err)
	}
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
