package cli

import (
	"context"
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
)

// runCorpus implements `simgym corpus build|simwiki`.
func runCorpus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: corpus needs a subcommand: build or simwiki", errUsage)
	}
	switch args[0] {
	case "build":
		return corpusBuild(ctx, args[1:], stdout, stderr)
	case "simwiki":
		return corpusSimWiki(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown corpus subcommand %q (want build or simwiki)", errUsage, args[0])
}

// corpusBuild indexes MediaWiki dumps and JSONL passage files.
func corpusBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus build", flag.ContinueOnError)
	var inputs multiFlag
	fs.Var(&inputs, "input", "MediaWiki XML (.xml, .xml.bz2) or JSONL passages, file or folder (repeat, or list after the flags)")
	out := fs.String("out", "", "folder to write the index into (must not exist)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	inputs = append(inputs, fs.Args()...)
	if len(inputs) == 0 || *out == "" {
		return fmt.Errorf("%w: --input and --out are required", errUsage)
	}
	// Index builds make much short-lived garbage; collecting less often
	// makes them about half again as fast, memory staying bounded by the
	// batch size.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	files, err := inputFiles(inputs)
	if err != nil {
		return err
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
	var total dump.Stats
	for _, f := range files {
		st, err := dump.ReadFile(ctx, f, dump.Options{Redirects: redirects}, func(d corpus.Document) error {
			return b.Add(ctx, d)
		})
		if err != nil {
			b.Abort()
			return fmt.Errorf("corpus build: %w", err)
		}
		total.Add(st)
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
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	for i, s := range total.Skips {
		if i == 10 {
			fmt.Fprintf(stderr, "... and %d more skipped\n", len(total.Skips)-10)
			break
		}
		fmt.Fprintln(stderr, "skipped:", s.String())
	}
	summary := map[string]any{
		"documents": st.Documents, "passages": st.Passages, "redirects": len(resolved), "redirect_cycles": cycles,
		"skipped": total.Skipped + st.Skipped, "disambiguation": total.Disambiguations,
		"seconds": round3(time.Since(start).Seconds()), "out": *out,
	}
	return writeSummary(stdout, *asJSON, []string{"documents", "passages", "redirects", "redirect_cycles", "skipped", "disambiguation", "seconds", "out"}, summary)
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
