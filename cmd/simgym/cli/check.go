package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/simgym/simgym/domains"
	tbsuite "github.com/simgym/simgym/eval/taubench"
)

// runCheck implements `simgym check [--world DIR]`.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	world := fs.String("world", "", "generated world module to check (default: the world compiled in)")
	valid := fs.Int("valid", 5, "schema-valid calls per tool")
	seed := fs.Int64("seed", 1, "seed of the state and the arguments")
	domain := fs.String("domain", "", "check only this domain")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *world != "" {
		return runInWorld(ctx, *world, "check", args, stdout, stderr)
	}
	ds, err := selectDomains(*domain)
	if err != nil {
		return err
	}
	rep, err := checkDomains(ctx, ds, domains.CheckOptions{Valid: *valid, Seed: *seed}, stderr)
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stderr, p)
	}
	// Tool errors are readable refusals: the invalid arguments every tool
	// is sent on purpose (expected: each must be refused), and refusals
	// of schema-valid random calls (a record not found, a lifecycle or
	// reference rule), which are normal too. Only internal errors,
	// panics and invalid calls accepted are defects.
	healthy := rep.InternalErrors+rep.Panics+rep.InvalidAccepted == 0
	verdict := "healthy: no internal errors, no panics, every invalid call refused; tool_errors are the tools' readable refusals, as expected"
	if !healthy {
		verdict = "defects: internal errors, panics or invalid calls accepted (listed above)"
	}
	summary := map[string]any{
		"domains": rep.Domains, "tools": rep.Tools, "calls": rep.Calls, "ok": rep.OK,
		"tool_errors": rep.ToolErrors, "tool_errors_expected": rep.InvalidRejected, "tool_errors_on_valid_calls": rep.ToolErrors - rep.InvalidRejected,
		"internal_errors": rep.InternalErrors, "panics": rep.Panics,
		"invalid_rejected": rep.InvalidRejected, "invalid_accepted": rep.InvalidAccepted,
		"lifecycle_rules": rep.LifecycleRules, "refused_by_rule": rep.RefusedByRule,
		"values_by_type": rep.ValuesByType,
		"healthy":        healthy, "verdict": verdict,
	}
	if err := writeSummary(stdout, *asJSON, []string{"domains", "tools", "calls", "ok", "tool_errors", "tool_errors_expected", "tool_errors_on_valid_calls", "internal_errors", "panics", "invalid_rejected", "invalid_accepted", "lifecycle_rules", "refused_by_rule", "values_by_type", "healthy", "verdict"}, summary); err != nil {
		return err
	}
	if rep.InternalErrors+rep.Panics+rep.InvalidAccepted > 0 {
		return fmt.Errorf("%d internal errors, %d panics, %d invalid calls accepted", rep.InternalErrors, rep.Panics, rep.InvalidAccepted)
	}
	return nil
}

// selectDomains returns the registered domains, or the one named.
func selectDomains(name string) ([]*domains.Domain, error) {
	all := domains.All()
	if len(all) == 0 {
		return nil, fmt.Errorf("no domains are compiled in")
	}
	if name == "" {
		// tau-bench's domains need its data: serve --taubench serves them.
		return slices.DeleteFunc(all, tbsuite.Hidden), nil
	}
	if d := domains.Lookup(name); d != nil {
		return []*domains.Domain{d}, nil
	}
	return nil, fmt.Errorf("%w: unknown domain %q", errUsage, name)
}

// checkDomains checks the domains one at a time, with a bar over them
// on a terminal, and adds their reports up.
func checkDomains(ctx context.Context, ds []*domains.Domain, opt domains.CheckOptions, stderr io.Writer) (*domains.CheckReport, error) {
	bar := newProgress(stderr, len(ds), "checking domains")
	defer finishProgress(bar)
	total := &domains.CheckReport{}
	for _, d := range ds {
		if bar != nil {
			bar.Describe("checking " + d.Name)
		}
		rep, err := domains.Check(ctx, []*domains.Domain{d}, opt)
		if rep != nil {
			total.Add(rep)
		}
		if err != nil {
			return total, err
		}
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	return total, nil
}
