package cli

import (
	"os"
	"testing"
)

// asSimgym, set to 1 in the environment, makes this test binary run as
// the simgym command, so tests can start `simgym serve` as a child
// process (startServer runs os.Executable) and kill it.
const asSimgym = "SIMGYM_TEST_AS_SIMGYM"

func TestMain(m *testing.M) {
	if os.Getenv(asSimgym) == "1" {
		os.Exit(Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}
