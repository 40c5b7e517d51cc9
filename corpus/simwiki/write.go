package simwiki

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/webqa"
)

// Files and folders of a SimWiki output folder.
const (
	// IndexDir is the search index of the articles (corpus/index).
	IndexDir = "index"
	// TasksFile holds the tasks, one webqa.Task a line.
	TasksFile = "tasks.jsonl"
	// ManifestFile describes the folder: options, counts, task stats.
	ManifestFile = "simwiki.json"
	// TriplesFile holds the world's facts, one webqa.Triple a line (only
	// with Options.Triples).
	TriplesFile = "triples.jsonl"
)

// Source is the webqa source name of SimWiki tasks.
const Source = webqa.SourceSimWiki

// ErrOutputExists means Write was given a folder that is not empty.
var ErrOutputExists = errors.New("simwiki: output folder is not empty")

// DefaultTasks returns the number of tasks Write samples for a world of n
// articles when Options.Tasks is 0: one per ten articles, from 50 to 10,000.
func DefaultTasks(n int) int { return max(50, min(10_000, n/10)) }

// Summary is what Write made. Its JSON names follow SPEC.md's summary of
// `simgym corpus simwiki`.
type Summary struct {
	Articles int     `json:"articles"`
	Entities int     `json:"entities"`
	Tasks    int     `json:"tasks"`
	Seconds  float64 `json:"seconds"`
	Seed     int64   `json:"seed"`
	// Passages are the index's passages (for POST /retrieve).
	Passages int `json:"passages"`
	// Triples is the number of facts written with Options.Triples.
	Triples int `json:"triples,omitempty"`
	// Stage times, in seconds.
	WorldSeconds float64 `json:"world_seconds"`
	IndexSeconds float64 `json:"index_seconds"`
	TaskSeconds  float64 `json:"task_seconds"`
	// TaskStats says how sampling went, and counts tasks by kind.
	TaskStats webqa.Stats `json:"task_stats"`
}

// manifest is the content of ManifestFile: no times, so that the whole
// folder is the same for the same options.
type manifest struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Seed     int64  `json:"seed"`
	Articles int    `json:"articles"`
	Entities int    `json:"entities"`
	Tasks    int    `json:"tasks"`
	Passages int    `json:"passages"`
	Triples  int    `json:"triples,omitempty"`
	// Kinds counts entities by kind; TaskKinds tasks by kind.
	Kinds     map[string]int `json:"kinds"`
	TaskKinds map[string]int `json:"task_kinds"`
}

// Write generates the SimWiki world of opts and writes into dir (which
// must be missing or empty, else ErrOutputExists): the search index of
// its articles in dir/index, its tasks in dir/tasks.jsonl, the manifest
// dir/simwiki.json, and with opts.Triples its facts in dir/triples.jsonl.
// The same options give the same articles, tasks and triples, byte for
// byte. On failure, what Write made is removed.
func Write(ctx context.Context, dir string, opts Options) (sum Summary, err error) {
	start := time.Now()
	if err := checkEmpty(dir); err != nil {
		return Summary{}, fmt.Errorf("write simwiki %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("write simwiki %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			for _, name := range []string{IndexDir, TasksFile, ManifestFile, TriplesFile} {
				_ = os.RemoveAll(filepath.Join(dir, name))
			}
			err = fmt.Errorf("write simwiki %s: %w", dir, err)
		}
	}()
	progress := func(stage string, done, total int) {
		if opts.Progress != nil {
			opts.Progress(Progress{Stage: stage, Done: done, Total: total})
		}
	}

	progress("world", 0, 1)
	w, err := New(opts)
	if err != nil {
		return Summary{}, err
	}
	progress("world", 1, 1)
	sum = Summary{Articles: w.Articles(), Entities: w.Len(), Seed: opts.Seed, WorldSeconds: time.Since(start).Seconds()}

	t := time.Now()
	st, err := index.Build(ctx, filepath.Join(dir, IndexDir), w.documentsWithError(ctx), index.BuildOptions{
		Progress: func(p index.Progress) { progress("index", int(p.Documents), w.Articles()) },
	})
	if err != nil {
		return Summary{}, err
	}
	sum.Passages, sum.IndexSeconds = st.Passages, time.Since(t).Seconds()

	t = time.Now()
	progress("tasks", 0, 1)
	tasks, ts, err := w.Tasks(ctx, opts.Tasks)
	if err != nil {
		return Summary{}, err
	}
	if err := writeFile(filepath.Join(dir, TasksFile), func(bw *bufio.Writer) error { return webqa.WriteJSONL(bw, tasks) }); err != nil {
		return Summary{}, err
	}
	sum.Tasks, sum.TaskStats, sum.TaskSeconds = len(tasks), ts, time.Since(t).Seconds()
	progress("tasks", 1, 1)

	if opts.Triples {
		progress("triples", 0, 1)
		if err := writeFile(filepath.Join(dir, TriplesFile), func(bw *bufio.Writer) error {
			n, err := w.WriteTriples(bw)
			sum.Triples = n
			return err
		}); err != nil {
			return Summary{}, err
		}
		progress("triples", 1, 1)
	}

	sum.Seconds = time.Since(start).Seconds()
	m := manifest{Format: "simgym-simwiki", Version: 1, Seed: sum.Seed, Articles: sum.Articles, Entities: sum.Entities,
		Tasks: sum.Tasks, Passages: sum.Passages, Triples: sum.Triples, Kinds: map[string]int{}, TaskKinds: ts.Kinds}
	for k := range numKinds {
		m.Kinds[k.String()] = w.Count(k)
	}
	if err := writeFile(filepath.Join(dir, ManifestFile), func(bw *bufio.Writer) error {
		enc := json.NewEncoder(bw)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}); err != nil {
		return Summary{}, err
	}
	return sum, nil
}

// Tasks samples n web-research tasks from the world (DefaultTasks if n
// is 0), with the world's seed.
func (w *World) Tasks(ctx context.Context, n int) ([]webqa.Task, webqa.Stats, error) {
	if n <= 0 {
		n = DefaultTasks(w.Articles())
	}
	return webqa.Sample(ctx, w, webqa.Options{Tasks: n, Seed: w.seed, Source: Source, Listed: ListLimit})
}

// WriteTriples writes the world's facts as JSON lines of webqa.Triple,
// and returns how many it wrote.
func (w *World) WriteTriples(bw *bufio.Writer) (int, error) {
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	var err error
	webqa.Triples(w, func(t webqa.Triple) bool {
		err = enc.Encode(t)
		n++
		return err == nil
	})
	return n, err
}

// documentsWithError adapts Documents to index.Build, stopping when ctx
// ends.
func (w *World) documentsWithError(ctx context.Context) iter.Seq2[corpus.Document, error] {
	return func(yield func(corpus.Document, error) bool) {
		for d := range w.Documents() {
			if err := ctx.Err(); err != nil {
				yield(corpus.Document{}, err)
				return
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}

func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return ErrOutputExists
		}
		return err
	case len(entries) > 0:
		return ErrOutputExists
	}
	return nil
}

// writeFile writes a file through a buffered writer.
func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
