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
