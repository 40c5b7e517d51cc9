package task_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/task"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenInstructions pins a few instructions per builtin domain for
// a fixed seed: sampling is deterministic, and a change in wording shows
// up as a diff to read.
func TestGoldenInstructions(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	for _, d := range domains.All() {
		if d.Name == "tricky_bank" || d.Name == "airline" {
			continue
		}
		ts, err := task.NewSampler(d, task.Options{Seed: 7}).Sample(ctx, 5)
		require.NoError(t, err)
		b.WriteString("## " + d.Name + "\n")
		for _, tk := range ts {
			b.WriteString(tk.Instruction + "\n")
		}
		b.WriteString("\n")
	}
	path := filepath.Join("testdata", "instructions.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run Golden -update")
	require.Equal(t, string(want), b.String())
}
