package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/dump"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/webqa"
)

// runCorpus implements `simgym corpus build|simwiki`.
func runCorpus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: corpus needs a subcommand: build or simwiki", errUsage)
	}
	if isHelp(args[0]) {
		subcommandHelp(stderr, "corpus")
		return errHelp
	}
	switch args[0] {
	case "build":
		return corpusBuild(ctx, args[1:], stdout, stderr)
	case "simwiki":
		return corpusSimWiki(ctx, args[1:], stdout, stderr)
	case "fas":
		return corpusFAS(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown corpus subcommand %q (want build or simwiki)", errUsage, args[0])
}

// corpusBuild indexes MediaWiki dumps and JSONL passage files. An input
// with a damaged tail (a truncated or corrupt bzip2 stream, XML cut off, a
// JSONL line cut short) gives the documents before the damage; the index
// is written with them and every other input's, the summary lists the
// damage under "damaged", and the command fails (exit 1) unless
// --keep-partial is given.
func corpusBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus build", flag.ContinueOnError)
	var inputs multiFlag
	fs.Var(&inputs, "input", "MediaWiki XML (.xml, .xml.bz2) or JSONL passages, file or folder `PATH`; several may follow the flag (--input a.xml.bz2 b.jsonl), or repeat it")
	out := fs.String("out", "", "folder to write the index into (must not exist)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	queries := fs.String("queries", "", "BrowseComp-Plus queries (JSONL: query_id, query, answer, gold_docs, evidence_docs) to write into the index folder as its web tasks (tasks.jsonl), which serve --index then asks")
	keepPartial := fs.Bool("keep-partial", false, "accept damaged inputs (a truncated or corrupt tail): exit 0 with the damage in the summary; without it the index is written as well, but the command exits 1")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	inputs = append(inputs, fs.Args()...)
	switch {
	case len(inputs) == 0 && *out == "":
		return fmt.Errorf("%w: --input and --out are required", errUsage)
	case len(inputs) == 0:
		return fmt.Errorf("%w: --input is required (dumps or JSONL files to index)", errUsage)
	case *out == "":
		return fmt.Errorf("%w: --out is required (the folder the index is written into)", errUsage)
	}
	// Index builds make much short-lived garbage; collecting less often
	// makes them about half again as fast, memory staying bounded by the
	// batch size.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	files, err := inputFiles(inputs)
	if err != nil {
		return err
	}
	var qtasks []webqa.Task
	if *queries != "" {
		f, err := os.Open(*queries)
		if err != nil {
			return fmt.Errorf("corpus build: %w", err)
		}
		qtasks, err = dump.ReadBrowseCompQueries(f, *queries)
		f.Close()
		if err != nil {
			return fmt.Errorf("corpus build: queries: %w", err)
		}
	}
	start := time.Now()
	bar := newProgress(stderr, -1, "indexing")
	b, err := index.NewBuilder(*out, index.BuildOptions{Progress: func(p index.Progress) {
		if bar != nil {
			_ = bar.Set64(p.Documents)
		}
	}})
	if err != nil {
		return err
	}
	redirects := dump.NewRedirects()
	var (
		total   dump.Stats
		damaged = []dump.Damage{}
		first   error // the first damage, for the error line
	)
	for _, f := range files {
		st, err := dump.ReadFile(ctx, f, dump.Options{Redirects: redirects}, func(d corpus.Document) error {
			return b.Add(ctx, d)
		})
		total.Add(st)
		// A damaged input keeps the documents before the damage, and the
		// build goes on with the other inputs.
		var de *dump.DamageError
		switch {
		case err == nil:
		case errors.As(err, &de):
			damaged = append(damaged, de.Damage)
			if first == nil {
				first = de
			}
		case errors.Is(err, dump.ErrFormat):
			b.Abort()
			return fmt.Errorf("corpus build: %w (accepted: MediaWiki XML dumps, plain, .bz2 or multistream .bz2, and JSONL passages, one {\"id\",\"contents\"} or {\"title\",\"text\"} object a line)", err)
		default:
			b.Abort()
			return fmt.Errorf("corpus build: %w", err)
		}
	}
	resolved, cycles := redirects.Resolved()
	for _, r := range resolved {
		if err := b.AddRedirect(r); err != nil {
			b.Abort()
			return err
		}
	}
	st, err := b.Finish(ctx)
	if err != nil {
		if first != nil {
			return fmt.Errorf("corpus build: %w (damaged input: %v)", err, first)
		}
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if *queries != "" {
		if err := writeWebTasks(filepath.Join(*out, IndexTasksFile), qtasks); err != nil {
			return fmt.Errorf("corpus build: %w", err)
		}
	}
	for i, s := range total.Skips {
		if i == 10 {
			fmt.Fprintf(stderr, "... and %d more skipped\n", len(total.Skips)-10)
			break
		}
		fmt.Fprintln(stderr, "skipped:", s.String())
	}
	if *keepPartial {
		for _, d := range damaged {
			fmt.Fprintln(stderr, "damaged:", (&dump.DamageError{Damage: d}).Error())
		}
	}
	summary := map[string]any{
		"documents": st.Documents, "passages": st.Passages, "redirects": len(resolved), "redirect_cycles": cycles,
		"skipped": total.Skipped + st.Skipped, "non_articles": total.OtherNamespaces, "disambiguation": total.Disambiguations,
		"seconds": round3(time.Since(start).Seconds()), "out": *out, "tasks": len(qtasks),
	}
	keys := []string{"documents", "passages", "redirects", "redirect_cycles", "skipped", "non_articles", "disambiguation", "seconds", "out", "tasks"}
	if *asJSON {
		summary["damaged"] = damaged
	} else {
		summary["damaged"] = len(damaged)
		keys = append(keys, "damaged")
	}
	if err := writeSummary(stdout, *asJSON, keys, summary); err != nil {
		return err
	}
	if len(damaged) == 0 || *keepPartial {
		return nil
	}
	more := ""
	if n := len(damaged) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more damaged, listed in the summary)", n)
	}
	return fmt.Errorf("corpus build: damaged input: %v%s; the index at %s is written with the %d documents read, those before the damage included (--keep-partial accepts damaged inputs)",
		first, more, *out, st.Documents)
}

// inputFiles expands folders into their files, sorted.
func inputFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("corpus input %s: %w", p, err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, f)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("corpus input %s: %w", p, err)
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// IndexTasksFile is the file of web tasks in an index folder (written by
// corpus build --queries), which serve --index asks by default.
const IndexTasksFile = "tasks.jsonl"

// writeWebTasks writes web tasks as JSONL.
func writeWebTasks(path string, ts []webqa.Task) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := webqa.WriteJSONL(f, ts); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
