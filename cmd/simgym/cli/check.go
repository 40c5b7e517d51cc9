package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/taubench/suite"
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
	rep, err := domains.Check(ctx, ds, domains.CheckOptions{Valid: *valid, Seed: *seed})
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(stderr, p)
	}
	summary := map[string]any{
		"domains": rep.Domains, "tools": rep.Tools, "calls": rep.Calls, "ok": rep.OK,
		"tool_errors": rep.ToolErrors, "internal_errors": rep.InternalErrors, "panics": rep.Panics,
		"invalid_rejected": rep.InvalidRejected, "invalid_accepted": rep.InvalidAccepted,
		"lifecycle_rules": rep.LifecycleRules, "refused_by_rule": rep.RefusedByRule,
		"values_by_type": rep.ValuesByType,
	}
	if err := writeSummary(stdout, *asJSON, []string{"domains", "tools", "calls", "ok", "tool_errors", "internal_errors", "panics", "invalid_rejected", "invalid_accepted", "lifecycle_rules", "refused_by_rule", "values_by_type"}, summary); err != nil {
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
		return slices.DeleteFunc(all, suite.Hidden), nil
	}
	if d := domains.Lookup(name); d != nil {
		return []*domains.Domain{d}, nil
	}
	return nil, fmt.Errorf("%w: unknown domain %q", errUsage, name)
}
