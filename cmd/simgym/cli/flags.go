package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// multiFlag collects a flag given several times (--specs a --specs b).
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fmt.Errorf("%w: help requested", errUsage)
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// writeSummary prints a command's summary: one JSON object with --json,
// otherwise "key: value" lines in the given order.
func writeSummary(w io.Writer, asJSON bool, keys []string, summary map[string]any) error {
	if asJSON {
		data, err := json.Marshal(summary)
		if err != nil {
			return fmt.Errorf("encode summary: %w", err)
		}
		_, err = fmt.Fprintln(w, string(data))
		return err
	}
	for _, k := range keys {
		v := summary[k]
		if f, ok := v.(*float64); ok {
			if f == nil {
				v = "n/a"
			} else {
				v = *f
			}
		}
		if _, err := fmt.Fprintf(w, "%s: %v\n", k, v); err != nil {
			return err
		}
	}
	return nil
}

// newProgress returns a progress bar on stderr when stderr is a terminal,
// or nil (callers check) when output is redirected, as in CI.
func newProgress(stderr io.Writer, max int, what string) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(max,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	)
}

// cpuProfile starts a CPU profile into path, when it is set, and returns
// the function that stops it.
func cpuProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
