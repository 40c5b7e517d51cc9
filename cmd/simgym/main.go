// Command simgym builds and serves simulated environments for tool-using
// LLM agents: it reads API specs into tools, clusters them into domains,
// generates their code and seeded state, samples verifiable tasks and
// serves episodes. This binary has the embedded default world compiled
// in. See README.md and SPEC.md for the commands.
package main

import (
	"os"

	"github.com/simgym/simgym/cmd/simgym/cli"
	_ "github.com/simgym/simgym/domains/builtin" // the default world
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
