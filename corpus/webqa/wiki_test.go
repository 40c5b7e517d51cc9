package webqa_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/dump"
	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/simwiki"
	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/corpus/wikitext"
	"github.com/simgym/simgym/internal/testenv"
)

// wikiTasks indexes docs, samples Wikipedia-style tasks from them, and
// has the oracle answer each through the web tools.
func wikiTasks(t *testing.T, docs []corpus.Document, opts webqa.WikiOptions) []webqa.Task {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "index")
	seq := func(yield func(corpus.Document, error) bool) {
		for _, d := range docs {
			if !yield(d, nil) {
				return
			}
		}
	}
	if _, err := index.Build(ctx, dir, seq, index.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	s := webqa.NewWikiSampler(opts)
	for _, d := range docs {
		s.Add(d)
	}
	tasks := s.Tasks()
	solved := 0
	for i := range tasks {
		task := &tasks[i]
		run, err := webqa.Oracle(ctx, web.NewSession(ix, web.Options{}), task)
		if err != nil {
			t.Errorf("oracle: %v (question %q)", err, task.Question)
			continue
		}
		if task.Reward(run.Answer) == 1 {
			solved++
		} else {
			t.Errorf("task %s: oracle answered %q, want %q", task.ID, run.Answer, task.Answer)
		}
	}
	t.Logf("%d tasks from %d documents, oracle solved %d", len(tasks), len(docs), solved)
	return tasks
}

// TestWikiTasksSimWiki samples Wikipedia-style tasks from SimWiki's
// articles, read only as documents (infobox facts and links).
func TestWikiTasksSimWiki(t *testing.T) {
	w, err := simwiki.New(simwiki.Options{Articles: 600, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	var docs []corpus.Document
	for d := range w.Documents() {
		docs = append(docs, d)
	}
	tasks := wikiTasks(t, docs, webqa.WikiOptions{Tasks: 80, Seed: 1})
	kinds := map[string]int{}
	for _, task := range tasks {
		kinds[task.Kinds[0]]++
		if !strings.HasSuffix(task.Question, "?") || task.Answer == "" || len(task.Support) != task.Hops {
			t.Errorf("bad task %+v", task)
		}
	}
	if len(tasks) != 80 || kinds[webqa.KindBridge] < 20 || kinds[webqa.KindLookup] < 20 {
		t.Fatalf("%d tasks, kinds %v", len(tasks), kinds)
	}
	// The sample does not depend on the order documents come in, only
	// on which documents are kept; with room for all, the tasks are the
	// same.
	s := webqa.NewWikiSampler(webqa.WikiOptions{Tasks: 80, Seed: 1})
	for i := len(docs) - 1; i >= 0; i-- {
		s.Add(docs[i])
	}
	for i, task := range s.Tasks() {
		if task.Question != tasks[i].Question || task.Answer != tasks[i].Answer {
			t.Fatalf("task %d differs when documents come in reverse order", i)
		}
	}
	small := webqa.NewWikiSampler(webqa.WikiOptions{Tasks: 1000, Seed: 1, MaxDocuments: 50})
	for _, d := range docs {
		small.Add(d)
	}
	if n := len(small.Tasks()); n == 0 || n > 50 {
		t.Fatalf("%d tasks from 50 kept documents", n)
	}
}

// TestWikiTasksReal samples tasks from the real Wikipedia exports of
// the shared data: the XML dumps and the wikitext pages.
func TestWikiTasksReal(t *testing.T) {
	dir := testenv.Data(t, "wiki")
	ctx := context.Background()
	var docs []corpus.Document
	for _, name := range []string{"enwiki-table-markup.xml.bz2", "bgwiki-pages-articles-shortened.xml.bz2"} {
		_, err := dump.ReadFile(ctx, filepath.Join(dir, name), dump.Options{}, func(d corpus.Document) error {
			docs = append(docs, d)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pages, err := filepath.Glob(filepath.Join(dir, "wikitext", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		title := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(p), ".txt"), "-", " ")
		page := wikitext.Parse(title, string(src))
		if page.Redirect != "" || strings.TrimSpace(page.Text) == "" {
			continue
		}
		docs = append(docs, page.Document("w"+strconv.Itoa(i), ""))
	}
	tasks := wikiTasks(t, docs, webqa.WikiOptions{Tasks: 100, Seed: 1})
	if len(tasks) < 10 {
		t.Fatalf("only %d tasks from %d real documents", len(tasks), len(docs))
	}
	for _, task := range tasks[:min(5, len(tasks))] {
		t.Logf("%s | %s", task.Question, task.Answer)
	}
}
