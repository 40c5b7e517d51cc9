// Package cli implements simgym's commands. The simgym binary runs it
// with the default world compiled in; a generated world's module runs it
// with its own domains registered instead.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// errUsage marks a bad command line: exit code 2.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the gym: websocket episodes, /healthz, /metrics", runServe},
		{"domains", "read API specs, link tools by parameter similarity, cluster them into domains", runDomains},
		{"generate", "write a world's Go module: schema, tool code and seed per domain", runGenerate},
		{"check", "call every tool with valid and invalid arguments on seeded state", runCheck},
		{"corpus", "index Wikipedia dumps and JSONL passages for search", runCorpus},
		{"bench", "run the project's benchmarks: gym, search, pipeline", runBench},
		{"tasks", "sample verifiable tasks as walks over the tool graph, with ground truth", runTasks},
		{"eval", "run a policy's episodes through the gym: pass^k, reports, plots, trajectories", runEval},
		{"version", "print simgym's version, the commit it was built from and the Go version", runVersion},
	}
}

// subcommands lists the subcommands of the commands that have them, for
// their help ("simgym corpus -h") and the one-line description each
// subcommand's own help starts with.
var subcommands = map[string][]command{
	"corpus": {
		{name: "build", summary: "index MediaWiki XML dumps and JSONL passages for search (Bleve, BM25)"},
		{name: "simwiki", summary: "generate a synthetic encyclopedia, its index and its multi-hop questions"},
	},
	"bench": {
		{name: "gym", summary: "steps/s, latency and memory per episode of the gym, served by a child process"},
		{name: "search", summary: "index build rate and /retrieve queries/s over a generated encyclopedia"},
		{name: "pipeline", summary: "time and memory of each pipeline stage: specs, domains, generate, tasks"},
	},
}

// summaryOf returns the one-line description of a command ("eval") or
// subcommand ("corpus build"), or "".
func summaryOf(name string) string {
	parent, sub, _ := strings.Cut(name, " ")
	if sub != "" {
		for _, c := range subcommands[parent] {
			if c.name == sub {
				return c.summary
			}
		}
		return ""
	}
	for _, c := range commands() {
		if c.name == parent {
			return c.summary
		}
	}
	return ""
}

// isHelp reports whether an argument asks for help.
func isHelp(a string) bool {
	return a == "-h" || a == "-help" || a == "--help" || a == "help"
}

// subcommandHelp prints the subcommands of a command, one line each.
func subcommandHelp(w io.Writer, name string) {
	fmt.Fprintf(w, "usage: simgym %s SUBCOMMAND [flags]\n\n%s\n\nsubcommands:\n", name, summaryOf(name))
	for _, c := range subcommands[name] {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'simgym %s SUBCOMMAND -h' for its flags.\n", name)
}

// runVersion implements `simgym version`: the module version, the VCS
// revision when the binary was built from a checkout, and Go's version.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintf(stderr, "usage: simgym version\n\n%s\n", summaryOf("version"))
		return errHelp
	}
	fmt.Fprintln(stdout, versionText())
	return nil
}

// versionText is "simgym VERSION (REVISION) GOVERSION" from the build
// information Go records in the binary.
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "simgym (unknown version)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	out := "simgym " + v
	if rev != "" {
		out += " (" + rev[:min(12, len(rev))] + modified + ")"
	}
	return out + " " + bi.GoVersion
}

// Main runs the command line args (without the program name) with
// signal handling, and returns the exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, os.Stdout, os.Stderr)
}

// run executes one command line and returns the process exit code: 0 on
// success, 1 on failure (one line on stderr), 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[0] == "help" {
		return run(ctx, append(args[1:], "-h"), stdout, stderr) // simgym help eval
	}
	if len(args) == 0 || isHelp(args[0]) {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = []string{"version"}
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		if _, ok := subcommands[c.name]; ok && (len(args) == 1 || isHelp(args[1])) {
			subcommandHelp(stderr, c.name)
			if len(args) == 1 {
				return 2
			}
			return 0
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil, errors.Is(err, errHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "simgym %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "simgym %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "simgym: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: simgym COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'simgym COMMAND -h' for a command's flags, 'simgym corpus -h' and\n'simgym bench -h' for their subcommands.")
}
