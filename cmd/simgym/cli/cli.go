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
	}
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
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
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
	fmt.Fprintln(w, "\nRun 'simgym COMMAND -h' for a command's flags.")
}
