// Package testenv gives tests the shared data folder named by SIMGYM_DATA
// and tells them whether the race detector is on.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// DataEnv names the environment variable that points at ../shared/data.
const DataEnv = "SIMGYM_DATA"

// Data returns the path of rel inside the SIMGYM_DATA folder. Without
// SIMGYM_DATA the test is skipped with a message; with it, a missing file
// fails the test.
func Data(tb testing.TB, rel string) string {
	tb.Helper()
	dir := os.Getenv(DataEnv)
	if dir == "" {
		tb.Skipf("%s is not set: skipping a test that needs the shared data (%s)", DataEnv, rel)
	}
	if !filepath.IsAbs(dir) {
		// Relative to the module root, not to the package under test.
		dir = filepath.Join(moduleRoot(tb), dir)
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("%s=%s but %s is missing: %v", DataEnv, dir, rel, err)
	}
	return p
}

// SkipIfRace skips a test too heavy to run under the race detector; CI
// runs such tests in a second pass without -race.
func SkipIfRace(tb testing.TB, why string) {
	tb.Helper()
	if RaceEnabled {
		tb.Skipf("skipped under -race (%s); run without -race", why)
	}
}

// moduleRoot finds the folder holding go.mod above the working directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("working directory: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			tb.Fatalf("no go.mod above %s", wd)
		}
	}
}
