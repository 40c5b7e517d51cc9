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
)

// multiFlag collects a flag given several times (--specs a --specs b).
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// parseFlags parses args, turning flag errors into usage errors. A
// repeatable flag (a multiFlag) takes every value after it up to the next
// flag (--input a b --out x) as well as repeats (--input a --input b).
// -h, -help and --help print the command's help on stderr and end the
// command with errHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	if fs.Lookup("progress") == nil {
		fs.Bool("progress", false, progressFlagUsage)
	}
	err := fs.Parse(expandMulti(fs, args))
	if fs.Lookup("progress").Value.String() == "true" {
		forceProgress(stderr)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stderr, fs)
			return errHelp
		}
		return fmt.Errorf("%w: %v (run 'simgym %s -h' for its flags)", errUsage, err, fs.Name())
	}
	return nil
}

// errHelp ends a command whose help was asked for: exit 0.
var errHelp = errors.New("help requested")

// expandMulti rewrites "--flag a b c" of a repeatable flag into "--flag a
// --flag b --flag c", so that Go's flag package, which stops at the first
// argument that is not a flag, reads the flags after them too. Other
// arguments are left as they are.
func expandMulti(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		out = append(out, a)
		if a == "--" {
			return append(out, args[i+1:]...)
		}
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			name, _, _ = strings.Cut(name, "=")
			if _, ok := lookupMulti(fs, name); !ok {
				continue
			}
		} else {
			f := fs.Lookup(name)
			if f == nil || isBool(f) {
				continue
			}
			if i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			if _, ok := lookupMulti(fs, name); !ok {
				continue
			}
		}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			out = append(out, "--"+name, args[i])
		}
	}
	return out
}

func lookupMulti(fs *flag.FlagSet, name string) (*multiFlag, bool) {
	f := fs.Lookup(name)
	if f == nil {
		return nil, false
	}
	m, ok := f.Value.(*multiFlag)
	return m, ok
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// printHelp writes a command's help: its usage line, what it does, and
// every flag with its value name and default.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: simgym %s [flags]\n", fs.Name())
	if s := summaryOf(fs.Name()); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
	fmt.Fprintln(w, "\nflags:")
	fs.VisitAll(func(f *flag.Flag) {
		value, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if value != "" {
			line += " " + value
		}
		if _, ok := f.Value.(*multiFlag); ok {
			line += "..."
		}
		fmt.Fprintln(w, line)
		if strings.Contains(usage, "(default") || strings.Contains(usage, "default:") {
			// The usage says what the default is in words.
			fmt.Fprintf(w, "        %s\n", usage)
			return
		}
		fmt.Fprintf(w, "        %s (default: %s)\n", usage, defaultText(f))
	})
}

// defaultText shows a flag's default as a user would type it.
func defaultText(f *flag.Flag) string {
	switch {
	case f.DefValue == "" && isBool(f):
		return "false"
	case f.DefValue == "":
		return "none"
	case f.DefValue == "[]":
		return "none"
	}
	if _, ok := f.Value.(*multiFlag); ok && f.DefValue == "" {
		return "none"
	}
	if strings.ContainsAny(f.DefValue, " \t") {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
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

// newProgress returns a progress bar on stderr when stderr is a terminal
// or --progress was given, or nil (callers check) when output is
// redirected, as in CI.
func newProgress(stderr io.Writer, max int, what string) *progressbar.ProgressBar {
	if !showProgress(stderr) {
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
