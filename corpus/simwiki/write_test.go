package simwiki

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/internal/testenv"
)

// TestOracle1k checks that every task of a 1,000-article SimWiki is
// answerable from its corpus, and that a random agent is not.
func TestOracle1k(t *testing.T) {
	testOracle(t, 1000, 7)
}

// TestOracle10k does the same on 10,000 articles.
func TestOracle10k(t *testing.T) {
	testenv.SkipIfRace(t, "builds and searches a 10,000-article index")
	if testing.Short() {
		t.Skip("short mode")
	}
	testOracle(t, 10_000, 1)
}

func testOracle(t *testing.T, articles int, seed int64) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "simwiki")
	start := time.Now()
	sum, err := Write(ctx, dir, Options{Articles: articles, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d articles, %d entities, %d tasks in %.2fs (index %.2fs, tasks %.2fs); kinds %v",
		sum.Articles, sum.Entities, sum.Tasks, time.Since(start).Seconds(), sum.IndexSeconds, sum.TaskSeconds, sum.TaskStats.Kinds)
	if sum.Articles != articles || sum.Tasks != DefaultTasks(articles) {
		t.Fatalf("summary %+v: want %d articles and %d tasks", sum, articles, DefaultTasks(articles))
	}
	ix, err := index.Open(filepath.Join(dir, IndexDir))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if got := ix.Info().Documents; got != articles {
		t.Fatalf("index has %d documents, want %d", got, articles)
	}
	f, err := os.Open(filepath.Join(dir, TasksFile))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := webqa.ReadJSONL(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != sum.Tasks {
		t.Fatalf("%d tasks in %s, summary says %d", len(tasks), TasksFile, sum.Tasks)
	}

	// The oracle follows each task's evidence and reaches its answer.
	start = time.Now()
	var searches, unfound, solved int
	for i := range tasks {
		task := &tasks[i]
		run, err := webqa.Oracle(ctx, web.NewSession(ix, web.Options{}), task)
		if err != nil {
			t.Errorf("oracle: %v\nquestion: %s", err, task.Question)
			continue
		}
		for k, ev := range task.Evidence {
			if run.Reads[k] != ev.Value {
				t.Errorf("task %s: read %q on %s (%s), evidence says %q", task.ID, run.Reads[k], ev.Title, ev.Key, ev.Value)
			}
		}
		if task.Reward(run.Answer) == 1 {
			solved++
		} else {
			t.Errorf("task %s: oracle answered %q, want %q\nquestion: %s", task.ID, run.Answer, task.Answer, task.Question)
		}
		searches += run.Searches
		unfound += run.Unfound
	}
	t.Logf("oracle: %d/%d solved, %d searches (%d did not return the article in the top %d), %.2fs",
		solved, len(tasks), searches, unfound, webqa.OracleSearchResults, time.Since(start).Seconds())
	if unfound*20 > searches {
		t.Errorf("search missed %d of %d evidence articles", unfound, searches)
	}

	// A random agent searches random words of the question and answers
	// with a random title from the results.
	r := rand.New(rand.NewPCG(1, 2))
	em := 0
	for i := range tasks {
		task := &tasks[i]
		s := web.NewSession(ix, web.Options{})
		words := strings.Fields(task.Question)
		var titles []string
		for range 3 {
			q := words[r.IntN(len(words))] + " " + words[r.IntN(len(words))]
			res, err := s.Search(ctx, q, 5)
			if err != nil && !errors.Is(err, index.ErrEmptyQuery) {
				continue
			}
			for _, h := range res.Results {
				titles = append(titles, h.Title)
			}
		}
		answer := ""
		if len(titles) > 0 {
			answer = titles[r.IntN(len(titles))]
		}
		em += int(task.Reward(answer))
	}
	rate := float64(em) / float64(len(tasks))
	t.Logf("random agent: exact match %d/%d (%.3f)", em, len(tasks), rate)
	if rate > 0.05 {
		t.Errorf("random agent scored %.3f", rate)
	}
}

// TestWriteDeterministic writes the same world twice and compares the
// files byte for byte (the index by content: bleve's files record their
// own build) and the articles by hash; another seed gives other tasks.
func TestWriteDeterministic(t *testing.T) {
	ctx := context.Background()
	type output struct {
		files map[string]string // file (outside the index) -> sha256
		index string            // sha256 of every indexed document
	}
	read := func(dir string) output {
		out := output{files: map[string]string{}}
		for _, name := range []string{TasksFile, TriplesFile, ManifestFile} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256(data)
			out.files[name] = hex.EncodeToString(h[:])
		}
		ix, err := index.Open(filepath.Join(dir, IndexDir))
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		h := sha256.New()
		for i := range ix.Info().Documents + 5 { // and a few IDs that are not there
			for _, id := range []string{entityID(i), decadeID(firstYear + 10*i)} {
				d, err := ix.Document(id)
				if errors.Is(err, index.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", d.ID, d.Title, d.URL, d.Text)
			}
		}
		fmt.Fprintf(h, "%+v", ix.Info().Passages)
		out.index = hex.EncodeToString(h.Sum(nil))
		return out
	}
	var got []output
	for i, seed := range []int64{3, 3, 4} {
		dir := filepath.Join(t.TempDir(), "out")
		if _, err := Write(ctx, dir, Options{Articles: 400, Seed: seed, Triples: true}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got = append(got, read(dir))
	}
	for name, h := range got[0].files {
		if got[1].files[name] != h {
			t.Errorf("%s differs between two writes of the same seed", name)
		}
		if name != ManifestFile && got[2].files[name] == h {
			t.Errorf("%s is the same for seeds 3 and 4", name)
		}
	}
	if got[0].index != got[1].index {
		t.Error("the indexes of two writes of the same seed hold different documents")
	}
	if got[0].index == got[2].index {
		t.Error("the indexes of seeds 3 and 4 hold the same documents")
	}
}

func TestWriteRefusesNonEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Write(context.Background(), dir, Options{Articles: 200})
	if !errors.Is(err, ErrOutputExists) {
		t.Fatalf("got %v, want ErrOutputExists", err)
	}
	if _, err := Write(context.Background(), filepath.Join(dir, "new"), Options{Articles: 50}); !errors.Is(err, ErrSize) {
		t.Fatalf("got %v, want ErrSize", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new", TasksFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("failed write left %s", TasksFile)
	}
}

func TestWriteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := Write(ctx, dir, Options{Articles: 300}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("cancelled write left %d entries", len(entries))
	}
}
