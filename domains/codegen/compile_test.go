package codegen_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains"
	"github.com/simgym/simgym/domains/codegen"
)

// checkMain runs simgym's Check on the generated world's domains and
// prints the report, so the test sees the generated code work, not only
// compile.
const checkMain = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/simgym/simgym/domains"
	_ "example.com/world"
)

func main() {
	var ds []*domains.Domain
	for _, name := range os.Args[1:] {
		d := domains.Lookup(name)
		if d == nil {
			fmt.Fprintln(os.Stderr, "domain not registered:", name)
			os.Exit(1)
		}
		ds = append(ds, d)
	}
	rep, err := domains.Check(context.Background(), ds, domains.CheckOptions{Valid: 20, Seed: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
}
`

// moduleRequires returns the require blocks of the repository's go.mod,
// so a module replacing simgym by this checkout resolves the same
// versions without the network.
func moduleRequires(t *testing.T, gomod string) string {
	t.Helper()
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(gomod))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "require ("):
			in = true
		case in && strings.TrimSpace(line) == ")":
			in = false
			b.WriteString(")\n")
			continue
		case strings.HasPrefix(line, "require "):
			b.WriteString(line + "\n")
			continue
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	require.NoError(t, sc.Err())
	return b.String()
}

// TestGeneratedCodeCompiles writes two small generated domains into a
// temporary module that uses this checkout of simgym, builds and vets it,
// and runs Check on it: no internal error, no panic, no invalid
// arguments accepted.
func TestGeneratedCodeCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(gomod), "module github.com/simgym/simgym\n")
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)

	req := codegen.Request{ImportPath: "example.com/world", Source: "codegen test"}
	for _, c := range []string{"testdata/garage", "testdata/functions"} {
		req.Domains = append(req.Domains, loadCase(t, c).Domains...)
	}
	var names []string
	for _, d := range req.Domains {
		names = append(names, d.Name)
	}
	resp, err := codegen.Generate(context.Background(), req)
	require.NoError(t, err)

	dir := t.TempDir()
	write := func(path string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(path))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	for _, f := range resp.Files {
		write(f.Path, f.Content)
	}
	write("go.mod", []byte("module example.com/world\n\ngo 1.26.0\n\nrequire github.com/simgym/simgym v0.0.0\n\nreplace github.com/simgym/simgym => "+root+"\n\n"+moduleRequires(t, string(gomod))))
	write("go.sum", gosum)
	write("cmd/check/main.go", []byte(checkMain))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) []byte {
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		// Offline, outside any workspace, with the module as written.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=readonly")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		t.Logf("go %s: %v", args[0], time.Since(start))
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), stderr.String())
		return out
	}
	run("build", "./...")
	run("vet", "./...")
	out := run(append([]string{"run", "./cmd/check"}, names...)...)
	var rep domains.CheckReport
	require.NoError(t, json.Unmarshal(out, &rep), "check output: %s", out)
	t.Logf("check: %s", bytes.TrimSpace(out))
	assert.Equal(t, len(names), rep.Domains)
	assert.Equal(t, resp.Tools, rep.Tools)
	assert.Zero(t, rep.InternalErrors, "internal errors: %v", rep.Problems)
	assert.Zero(t, rep.Panics, "panics: %v", rep.Problems)
	assert.Zero(t, rep.InvalidAccepted, "invalid arguments accepted: %v", rep.Problems)
	assert.Positive(t, rep.OK, "some valid calls succeed")
	assert.Positive(t, rep.InvalidRejected)
}
