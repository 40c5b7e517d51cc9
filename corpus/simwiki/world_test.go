package simwiki

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/webqa"
	"github.com/simgym/simgym/internal/testenv"
)

func newWorld(t testing.TB, articles int, seed int64) *World {
	t.Helper()
	w, err := New(Options{Articles: articles, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSizes(t *testing.T) {
	for _, n := range []int{MinArticles, 101, 999, 1000, 1001, 12_345} {
		w := newWorld(t, n, 1)
		if w.Articles() != n {
			t.Errorf("%d articles asked, %d made", n, w.Articles())
		}
		total := 0
		for k := range numKinds {
			if w.Count(k) < 1 {
				t.Errorf("%d articles: no %s", n, k)
			}
			total += w.Count(k)
		}
		if total != w.Len() || w.Len()+len(w.decades) != n {
			t.Errorf("%d articles: %d entities by kind, %d entities, %d decades", n, total, w.Len(), len(w.decades))
		}
	}
	for _, n := range []int{-1, 1, MinArticles - 1, MaxArticles + 1} {
		if _, err := New(Options{Articles: n}); !errors.Is(err, ErrSize) {
			t.Errorf("%d articles: got %v, want ErrSize", n, err)
		}
	}
}

// TestConsistent checks the world's facts for several sizes and seeds:
// dates in order, places nested, relations of the right kinds, unique
// titles.
func TestConsistent(t *testing.T) {
	sizes := []int{MinArticles, 1000, 30_000}
	for _, n := range sizes {
		for seed := int64(1); seed <= 3; seed++ {
			if err := newWorld(t, n, seed).Check(); err != nil {
				t.Errorf("%d articles, seed %d: %v", n, seed, err)
			}
		}
	}
}

// TestCheckFinds breaks a world in a few ways and expects Check to say so.
func TestCheckFinds(t *testing.T) {
	breakers := map[string]func(w *World){
		"founder born after founding": func(w *World) {
			for e := w.first[Company]; e < w.first[Company+1]; e++ {
				if f := w.ents[e].ref[0]; f >= 0 {
					w.ents[f].date[0] = (w.ents[e].date[0] + 1) * 10000
					return
				}
			}
		},
		"capital abroad": func(w *World) {
			c := w.ents[0].ref[0]
			w.ents[c].ref[0] = 1
		},
		"book before author": func(w *World) {
			b := w.first[Book]
			w.ents[b].date[0] = w.ents[w.ents[b].ref[0]].date[0]/10000 - 5
		},
		"relation of the wrong kind": func(w *World) {
			w.ents[w.first[Person]].ref[0] = int32(w.first[Book])
		},
		"one-sided marriage": func(w *World) {
			for e := w.first[Person]; e < w.first[Person+1]; e++ {
				if s := w.ents[e].ref[3]; s >= 0 {
					w.ents[s].ref[3] = -1
					return
				}
			}
		},
	}
	for name, broke := range breakers {
		w := newWorld(t, 2000, 5)
		broke(w)
		if err := w.Check(); !errors.Is(err, ErrInconsistent) {
			t.Errorf("%s: Check found nothing", name)
		}
	}
}

// TestDocuments checks every article of a world: unique IDs and titles,
// no dangling links, every fact on its own line in the text, headings on
// lines of their own, no unfilled template, and that entities are
// mentioned (linked) by other articles.
func TestDocuments(t *testing.T) {
	n := 5000
	if testenv.RaceEnabled {
		n = 1500
	}
	w := newWorld(t, n, 11)
	var docs []corpus.Document
	for d := range w.Documents() {
		docs = append(docs, d)
	}
	if len(docs) != n {
		t.Fatalf("%d documents, want %d", len(docs), n)
	}
	ids, titles := map[string]bool{}, map[string]bool{}
	for i, d := range docs {
		if ids[d.ID] || titles[d.Title] {
			t.Fatalf("document %d (%s, %q) repeats an ID or title", i, d.ID, d.Title)
		}
		ids[d.ID], titles[d.Title] = true, true
		if a := w.Article(i); a.ID != d.ID || a.Text != d.Text {
			t.Fatalf("Article(%d) differs from the %dth document", i, i)
		}
	}
	linked := map[string]int{}
	problems := 0
	fail := func(format string, args ...any) {
		if problems++; problems <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, d := range docs {
		if strings.TrimSpace(d.Text) == "" {
			fail("%s: no text", d.Title)
		}
		if strings.ContainsAny(d.Text, "{}") || strings.Contains(d.Text, "  ") {
			fail("%s: unfilled template or double space in %q", d.Title, d.Text)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(d.Text, "\n") {
			lines[l] = true
		}
		for _, f := range d.Facts {
			if !lines[f.Key+": "+f.Value] {
				fail("%s: fact %s: %s is not a line of the text", d.Title, f.Key, f.Value)
			}
		}
		for _, s := range d.Sections {
			if !strings.Contains(d.Text, "\n\n"+s.Title+"\n\n") {
				fail("%s: heading %q is not on a line of its own", d.Title, s.Title)
			}
		}
		seen := map[string]bool{}
		for _, l := range d.Links {
			if !titles[l] {
				fail("%s: link to %q, which is no article", d.Title, l)
			}
			if seen[l] {
				fail("%s: link %q twice", d.Title, l)
			}
			seen[l] = true
			if l != d.Title {
				linked[l]++
			}
		}
		if len(d.Categories) == 0 {
			fail("%s: no categories", d.Title)
		}
	}
	// Pages mention entities without being about them.
	unlinked := 0
	for e := range w.Len() {
		if linked[w.title(e)] == 0 {
			unlinked++
		}
	}
	if unlinked*20 > w.Len() {
		t.Errorf("%d of %d entities are linked from no other article", unlinked, w.Len())
	}
	t.Logf("%d documents, %d entities linked from nowhere", len(docs), unlinked)
}

// TestFactsInArticles checks that the facts webqa sees are the article's
// infobox, in order.
func TestFactsInArticles(t *testing.T) {
	w := newWorld(t, 1000, 2)
	preds := w.Predicates()
	for e := range w.Len() {
		d := w.Document(e)
		i := 0
		w.Facts(e, func(f webqa.Fact) bool {
			want := f.Value.String()
			if f.Object >= 0 {
				want = w.Title(f.Object)
			}
			if i >= len(d.Facts) || d.Facts[i].Key != preds[f.Predicate].Key || d.Facts[i].Value != want {
				t.Fatalf("%s: fact %d is %s: %s, infobox has %v", d.Title, i, preds[f.Predicate].Key, want, d.Facts)
			}
			i++
			return true
		})
		if i != len(d.Facts) {
			t.Fatalf("%s: %d facts, infobox has %d", d.Title, i, len(d.Facts))
		}
	}
}

// TestReferrers checks the referrer lists against the facts.
func TestReferrers(t *testing.T) {
	w := newWorld(t, 3000, 4)
	want := map[[3]int]bool{}
	for e := range w.Len() {
		w.Facts(e, func(f webqa.Fact) bool {
			if f.Object >= 0 {
				want[[3]int{f.Subject, f.Predicate, f.Object}] = true
			}
			return true
		})
	}
	got := 0
	for e := range w.Len() {
		last := [2]int{-1, -1}
		w.Referrers(e, func(f webqa.Fact) bool {
			if !want[[3]int{f.Subject, f.Predicate, e}] {
				t.Fatalf("referrer %d %d of %d is no fact", f.Subject, f.Predicate, e)
			}
			if cur := [2]int{f.Predicate, f.Subject}; cur[0] < last[0] || cur[0] == last[0] && cur[1] <= last[1] {
				t.Fatalf("referrers of %d out of order", e)
			} else {
				last = cur
			}
			got++
			return true
		})
	}
	if got != len(want) {
		t.Fatalf("%d referrers, %d facts with objects", got, len(want))
	}
	for e := range w.Len() {
		hs := w.Homonyms(e)
		if !slices.Contains(hs, e) {
			t.Fatalf("Homonyms(%d) = %v lacks %d", e, hs, e)
		}
		for _, h := range hs {
			if w.name(h) != w.name(e) {
				t.Fatalf("Homonyms(%d) holds %d, named %q not %q", e, h, w.name(h), w.name(e))
			}
		}
	}
}

func worldHash(t testing.TB, w *World) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for d := range w.Documents() {
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestSameSeedSameWorld hashes every article, triple and task of worlds
// made twice from one seed, and once from another.
func TestSameSeedSameWorld(t *testing.T) {
	hash := func(seed int64) string {
		w := newWorld(t, 2000, seed)
		h := sha256.New()
		fmt.Fprint(h, worldHash(t, w))
		enc := json.NewEncoder(h)
		webqa.Triples(w, func(tr webqa.Triple) bool { return enc.Encode(tr) == nil })
		tasks, _, err := w.Tasks(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := webqa.WriteJSONL(h, tasks); err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h.Sum(nil))
	}
	a, b, c := hash(9), hash(9), hash(10)
	if a != b {
		t.Errorf("seed 9 gave two worlds: %s and %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 9 and 10 gave the same world")
	}
}

// TestTriplesMakeTheSameTasks rebuilds the world as a webqa.MemGraph from
// its exported entities and triples: sampling it must give exactly the
// tasks of the world itself.
func TestTriplesMakeTheSameTasks(t *testing.T) {
	w := newWorld(t, 1500, 6)
	var ents []webqa.Entity
	webqa.Entities(w, func(e webqa.Entity) bool { ents = append(ents, e); return true })
	var triples []webqa.Triple
	webqa.Triples(w, func(tr webqa.Triple) bool { triples = append(triples, tr); return true })
	g, err := webqa.NewMemGraph(w.Predicates(), ents, triples)
	if err != nil {
		t.Fatal(err)
	}
	opts := webqa.Options{Tasks: 150, Seed: 6, Source: Source, Listed: ListLimit}
	a, _, err := webqa.Sample(context.Background(), w, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := webqa.Sample(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("tasks from the triples differ from the world's (%d and %d tasks)", len(a), len(b))
	}
	if len(a) < 100 {
		t.Fatalf("only %d tasks", len(a))
	}
}

// TestTasks checks the tasks of a world: unique answers (Sample checks),
// each kind present, evidence about real facts, supports that exist.
func TestTasks(t *testing.T) {
	w := newWorld(t, 4000, 8)
	tasks, st, err := w.Tasks(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != DefaultTasks(4000) {
		t.Fatalf("%d tasks, want %d (stats %+v)", len(tasks), DefaultTasks(4000), st)
	}
	titles := map[string]int{}
	for e := range w.Len() {
		titles[w.title(e)] = e
	}
	kinds := map[string]int{}
	hops := map[int]int{}
	shapes := map[string]bool{}
	for _, task := range tasks {
		for _, k := range task.Kinds {
			kinds[k]++
		}
		hops[task.Hops]++
		if shapes[task.Shape] {
			t.Errorf("shape %s repeats", task.Shape)
		}
		shapes[task.Shape] = true
		if task.Question == "" || task.Answer == "" || len(task.Evidence) == 0 || len(task.Support) == 0 {
			t.Fatalf("incomplete task %+v", task)
		}
		for _, a := range task.Answers() {
			if strings.Contains(" "+webqa.Normalize(task.Question)+" ", " "+webqa.Normalize(a)+" ") {
				t.Errorf("task %s gives its answer away: %s", task.ID, task.Question)
			}
		}
		for _, a := range task.Support {
			if _, ok := titles[a.Title]; !ok || entityID(titles[a.Title]) != a.ID {
				t.Errorf("task %s: support %v is no article", task.ID, a)
			}
		}
	}
	for _, k := range []string{webqa.KindObscured, webqa.KindFullyObscured, webqa.KindFuzzyDate, webqa.KindFuzzyNumber,
		webqa.KindAmbiguous, webqa.KindCycle, webqa.KindCalculation} {
		if kinds[k] == 0 {
			t.Errorf("no task of kind %s (kinds %v)", k, kinds)
		}
	}
	for h := 1; h <= 4; h++ {
		if hops[h] == 0 {
			t.Errorf("no task of %d hops (hops %v)", h, hops)
		}
	}
	t.Logf("%d tasks, kinds %v, hops %v, stats %+v", len(tasks), kinds, hops, st)
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{Articles: 100_000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDocument(b *testing.B) {
	w := newWorld(b, 100_000, 1)
	i := 0
	bytes := 0
	for b.Loop() {
		bytes += len(w.Article(i % w.Articles()).Text)
		i++
	}
	b.ReportMetric(float64(bytes)/float64(i), "bytes/article")
}
