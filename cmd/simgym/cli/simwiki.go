package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/env"
)

// corpusSimWiki implements `simgym corpus simwiki --articles N --seed S --out DIR`.
func corpusSimWiki(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("corpus simwiki", flag.ContinueOnError)
	articles := fs.Int("articles", 10000, "articles in the encyclopedia (100 to 1,000,000)")
	seed := fs.Int64("seed", 1, "seed of the world")
	tasks := fs.Int("tasks", 0, "questions to sample (default: scaled with the world)")
	triples := fs.Bool("triples", false, "also write the world's facts as triples")
	out := fs.String("out", "", "folder to write the corpus, its index and tasks into")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	// Index builds make much short-lived garbage; collecting less often
	// makes them about half again as fast, memory staying bounded by the
	// batch size.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	bar := newProgress(stderr, -1, "simwiki")
	sum, err := simwiki.Write(ctx, *out, simwiki.Options{Articles: *articles, Seed: *seed, Tasks: *tasks, Triples: *triples,
		Progress: func(p simwiki.Progress) {
			if bar != nil && p.Total > 0 {
				bar.Describe(p.Stage)
				bar.ChangeMax(p.Total)
				_ = bar.Set(p.Done)
			}
		}})
	if err != nil {
		return err
	}
	if bar != nil {
		_ = bar.Finish()
	}
	summary := map[string]any{
		"articles": sum.Articles, "entities": sum.Entities, "tasks": sum.Tasks, "seconds": round3(sum.Seconds),
		"passages": sum.Passages, "seed": sum.Seed, "out": *out,
	}
	return writeSummary(stdout, *asJSON, []string{"articles", "entities", "tasks", "seconds", "passages", "seed", "out"}, summary)
}

// webWorldNamed opens the search world to serve: a SimWiki folder or an
// index (with its questions from tasksFile), or, with neither, the
// default SimWiki, generated once into the user cache. envName names the
// environment (default: simwiki for a SimWiki, else the index folder's
// name); it also returns the index folder in use.
func webWorldNamed(ctx context.Context, dir, tasksFile string, articles int, envName string, stderr io.Writer) (*env.WebWorld, *index.Index, string, error) {
	name := webEnvName(dir)
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		dir = filepath.Join(cache, "simgym", fmt.Sprintf("simwiki-%d-2", articles))
		if _, err := os.Stat(filepath.Join(dir, simwiki.ManifestFile)); err != nil {
			fmt.Fprintf(stderr, "simgym: generating the default SimWiki (%d articles) into %s\n", articles, dir)
			os.RemoveAll(dir)
			bar := newProgress(stderr, -1, "generating the default SimWiki")
			_, err := simwiki.Write(ctx, dir, simwiki.Options{Articles: articles, Seed: 1, Progress: func(p simwiki.Progress) {
				if bar != nil && p.Total > 0 {
					bar.Describe("default SimWiki: " + p.Stage)
					bar.ChangeMax(p.Total)
					_ = bar.Set(p.Done)
				}
			}})
			finishProgress(bar)
			if err != nil {
				return nil, nil, "", err
			}
		}
		name = "simwiki"
	}
	idxDir := dir
	if _, err := os.Stat(filepath.Join(dir, simwiki.ManifestFile)); err == nil {
		idxDir = filepath.Join(dir, simwiki.IndexDir)
		if tasksFile == "" {
			tasksFile = filepath.Join(dir, simwiki.TasksFile)
		}
		name = "simwiki"
	}
	if tasksFile == "" {
		if _, err := os.Stat(filepath.Join(idxDir, IndexTasksFile)); err == nil {
			tasksFile = filepath.Join(idxDir, IndexTasksFile)
		}
	}
	x, err := index.Open(idxDir)
	if err != nil {
		return nil, nil, "", err
	}
	var ts []webqa.Task
	if tasksFile != "" {
		f, err := os.Open(tasksFile)
		if err != nil {
			x.Close()
			return nil, nil, "", fmt.Errorf("web tasks: %w", err)
		}
		ts, err = webqa.ReadJSONL(f)
		f.Close()
		if err != nil {
			x.Close()
			return nil, nil, "", fmt.Errorf("web tasks %s: %w", tasksFile, err)
		}
	}
	if envName != "" {
		name = envName
	}
	w, err := env.NewWebWorld(name, "research questions answered by searching and reading an offline encyclopedia", x, env.QATasks(ts), web.Options{})
	if err != nil {
		x.Close()
		return nil, nil, "", err
	}
	return w, x, idxDir, nil
}

// webEnvName names a web environment by what it serves: the index
// folder's name ("enwiki-index" for --index /data/enwiki-index), or
// "web" when that gives no usable name.
func webEnvName(dir string) string {
	base := strings.ToLower(filepath.Base(filepath.Clean(dir)))
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		case r == '.' || r == ' ':
			b.WriteRune('_')
		}
	}
	if n := strings.Trim(b.String(), "_-"); n != "" && dir != "" {
		return n
	}
	return "web"
}
