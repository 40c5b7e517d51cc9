package cli

import (
	"io"
	"os"
	"reflect"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress is shown on stderr when it is a terminal, and nowhere else
// (CI logs stay clean) unless the command was given --progress, which
// every command takes.

// progressForced holds the stderr writers of commands run with
// --progress: progress goes to them even when they are not terminals.
var progressForced sync.Map // io.Writer -> bool

// progressFlagUsage is the help of the --progress flag parseFlags adds.
const progressFlagUsage = "show progress on stderr even when it is not a terminal (it is shown on a terminal anyway)"

// forceProgress makes progress go to w, terminal or not.
func forceProgress(w io.Writer) {
	if w != nil && reflect.TypeOf(w).Comparable() {
		progressForced.Store(w, true)
	}
}

// showProgress reports whether progress should be drawn on w.
func showProgress(w io.Writer) bool {
	if w != nil && reflect.TypeOf(w).Comparable() {
		if forced, ok := progressForced.Load(w); ok && forced.(bool) {
			return true
		}
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newSpinner returns a spinner described by what, turning on its own
// while work with no count to show goes on, or nil (callers check)
// when progress is not shown. Describe changes what it says; Finish
// clears it.
func newSpinner(stderr io.Writer, what string) *progressbar.ProgressBar {
	if !showProgress(stderr) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)
}

// finishProgress clears a bar or spinner, when there is one.
func finishProgress(bar *progressbar.ProgressBar) {
	if bar != nil {
		_ = bar.Finish()
	}
}

// phaseWriter turns a child process's output into a spinner's
// description, line by line (go build -v prints each package as it is
// compiled), and keeps the last lines for an error message.
type phaseWriter struct {
	prefix string
	bar    *progressbar.ProgressBar

	mu   sync.Mutex
	part []byte
	last []string
}

// Write takes output of the child; it never fails.
func (p *phaseWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.part = append(p.part, b...)
	for {
		i := strings.IndexByte(string(p.part), '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(p.part[:i]))
		p.part = p.part[i+1:]
		if line == "" {
			continue
		}
		p.last = append(p.last, line)
		if len(p.last) > 40 {
			p.last = p.last[len(p.last)-40:]
		}
		if p.bar != nil {
			p.bar.Describe(p.prefix + line)
		}
	}
	return len(b), nil
}

// tail returns the last lines written that do not look like package
// paths (go build -v's progress), which are the compiler's messages.
func (p *phaseWriter) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range append(p.last, strings.TrimSpace(string(p.part))) {
		if l != "" && strings.ContainsAny(l, " :") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
