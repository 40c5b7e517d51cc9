package webqa

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/simgym/simgym/corpus"
)

// Defaults for WikiOptions.
const (
	DefaultWikiTasks     = 100
	DefaultWikiDocuments = 200_000
	// maxWikiValue bounds the length of a fact's value used in a question.
	maxWikiValue = 80
)

// WikiOptions tune a WikiSampler. The zero value is ready to use.
type WikiOptions struct {
	// Tasks is the number of tasks wanted; 0 means DefaultWikiTasks.
	Tasks int
	// Seed selects the documents and facts.
	Seed int64
	// MaxDocuments bounds the documents with usable facts that are kept
	// in memory: a sample of them, the same for the same seed whatever
	// the order they come in; 0 means DefaultWikiDocuments.
	MaxDocuments int
}

// WikiSampler makes simple tasks from real Wikipedia documents (as
// corpus/dump reads them): lookups of one infobox fact of a named
// article, and bridges that follow a fact whose value is a linked
// article to a fact of that article. Only facts whose value stands in
// the article's text are used, so that a reader of the article can find
// them. Documents are added one at a time; memory is bounded by
// MaxDocuments.
type WikiSampler struct {
	opts WikiOptions
	kept docHeap
	// byTitle finds kept documents by folded title, for bridges.
	byTitle map[string]*wikiDoc
}

// wikiDoc is what is kept of a document.
type wikiDoc struct {
	id, title string
	facts     []corpus.Fact // usable facts
	links     map[string]bool
	hash      uint64
}

// docHeap keeps the documents of smallest hash: a max-heap by hash.
type docHeap []*wikiDoc

func (h docHeap) Len() int           { return len(h) }
func (h docHeap) Less(i, j int) bool { return h[i].hash > h[j].hash }
func (h docHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *docHeap) Push(x any)        { *h = append(*h, x.(*wikiDoc)) }
func (h *docHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// NewWikiSampler returns an empty sampler.
func NewWikiSampler(opts WikiOptions) *WikiSampler {
	if opts.Tasks <= 0 {
		opts.Tasks = DefaultWikiTasks
	}
	if opts.MaxDocuments <= 0 {
		opts.MaxDocuments = DefaultWikiDocuments
	}
	return &WikiSampler{opts: opts, byTitle: map[string]*wikiDoc{}}
}

// skippedKeys are infobox keys whose values are not facts to ask about.
var skippedKeys = []string{"image", "caption", "alt", "logo", "website", "url", "signature", "map",
	"coordinates", "coord", "size", "width", "footnote", "module", "embed", "label", "pushpin", "blank",
	"name", "title", "native", "other_names", "nickname", "seal", "flag", "motto", "anthem", "type", "color", "colour", "style"}

// usable reports whether a fact can make a question: a short value that
// stands on one line of the text, with a key that names a real property.
func usable(f corpus.Fact, title string, lines []string) bool {
	key := strings.ToLower(f.Key)
	for _, k := range skippedKeys {
		if strings.Contains(key, k) {
			return false
		}
	}
	if p := keyPhrase(key); p == "" || strings.HasSuffix(p, " of") || strings.HasSuffix(p, " as") {
		return false
	}
	v := strings.TrimSpace(f.Value)
	// A single lower-case word ("million", "yes") is a fragment, not a fact.
	if !strings.ContainsAny(v, " 0123456789") && strings.ToLower(v) == v {
		return false
	}
	if len(v) < 2 || len(v) > maxWikiValue || strings.Contains(v, "://") || !strings.ContainsFunc(v, unicode.IsLetter) && !strings.ContainsFunc(v, unicode.IsDigit) {
		return false
	}
	// A value the title holds gives itself away.
	if nv := Normalize(v); nv == "" || strings.Contains(" "+Normalize(title)+" ", " "+nv+" ") {
		return false
	}
	lv := strings.ToLower(v)
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), lv) {
			return true
		}
	}
	return false
}

func foldTitle(t string) string { return strings.ToLower(strings.TrimSpace(t)) }

// Add considers a document.
func (s *WikiSampler) Add(d corpus.Document) {
	if d.Disambiguation || len(d.Facts) == 0 {
		return
	}
	lines := strings.Split(d.Text, "\n")
	var facts []corpus.Fact
	keys := map[string]bool{}
	for _, f := range d.Facts {
		if !keys[f.Key] && usable(f, d.Title, lines) {
			keys[f.Key] = true
			f.Value = strings.TrimSpace(f.Value)
			facts = append(facts, f)
		}
	}
	if len(facts) == 0 {
		return
	}
	// The hash decides which documents are kept; it depends on the seed
	// and the title only, so the sample does not depend on input order.
	doc := &wikiDoc{id: d.ID, title: d.Title, facts: facts, links: map[string]bool{}, hash: stableHash(s.opts.Seed, d.Title)}
	for _, l := range d.Links {
		doc.links[foldTitle(l)] = true
	}
	if _, dup := s.byTitle[foldTitle(d.Title)]; dup {
		return
	}
	if len(s.kept) < s.opts.MaxDocuments {
		heap.Push(&s.kept, doc)
		s.byTitle[foldTitle(d.Title)] = doc
		return
	}
	if doc.hash >= s.kept[0].hash {
		return
	}
	out := heap.Pop(&s.kept).(*wikiDoc)
	delete(s.byTitle, foldTitle(out.title))
	heap.Push(&s.kept, doc)
	s.byTitle[foldTitle(d.Title)] = doc
}

// stableHash hashes a title with the seed, the same in every run (FNV-1a).
func stableHash(seed int64, title string) uint64 {
	h := uint64(14695981039346656037) ^ uint64(seed)
	for i := 0; i < len(title); i++ {
		h ^= uint64(title[i])
		h *= 1099511628211
	}
	return h
}

// keyPhrase turns an infobox key into words: "birth_place" -> "birth
// place", "leader_name1" -> "leader name".
func keyPhrase(k string) string {
	k = strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(k))
	k = strings.TrimRightFunc(k, unicode.IsDigit)
	return strings.Join(strings.Fields(k), " ")
}

// wikiMetric scores long values by token F1: their exact wording is
// rarely what an agent writes.
func wikiMetric(v string) string {
	if len(strings.Fields(Normalize(v))) > 3 {
		return MetricF1
	}
	return ""
}

// Tasks returns the tasks: bridges where the documents allow, up to half
// of them, and lookups for the rest; one task per document.
func (s *WikiSampler) Tasks() []Task {
	docs := slices.Clone([]*wikiDoc(s.kept))
	slices.SortFunc(docs, func(a, b *wikiDoc) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return strings.Compare(a.title, b.title)
	})
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x77696b69))
	var tasks []Task
	used := map[*wikiDoc]bool{}
	// Bridges first: a fact of A whose value is a linked, kept article B.
	for _, a := range docs {
		if len(tasks) >= s.opts.Tasks/2 {
			break
		}
		for _, f := range a.facts {
			b, ok := s.byTitle[foldTitle(f.Value)]
			if !ok || b == a || !a.links[foldTitle(b.title)] || used[b] {
				continue
			}
			var gs []corpus.Fact
			for _, g := range b.facts {
				if Normalize(g.Value) != Normalize(a.title) {
					gs = append(gs, g)
				}
			}
			if len(gs) == 0 {
				continue
			}
			g := gs[r.IntN(len(gs))]
			tasks = append(tasks, Task{
				Source:   SourceWikipedia,
				Question: "What is the " + keyPhrase(g.Key) + " of the " + keyPhrase(f.Key) + " of " + a.title + "?",
				Answer:   g.Value, AnswerType: TypeText.String(), Metric: wikiMetric(g.Value),
				Kinds: []string{KindBridge}, Hops: 2,
				Support: []Article{{ID: a.id, Title: a.title}, {ID: b.id, Title: b.title}},
				Evidence: []Evidence{
					{ID: a.id, Title: a.title, Key: f.Key, Value: f.Value, InText: true},
					{ID: b.id, Title: b.title, Key: g.Key, Value: g.Value, InText: true},
				},
			})
			used[a], used[b] = true, true
			break
		}
	}
	for _, a := range docs {
		if len(tasks) >= s.opts.Tasks {
			break
		}
		if used[a] {
			continue
		}
		f := a.facts[r.IntN(len(a.facts))]
		q := "What is the " + keyPhrase(f.Key) + " of " + a.title + "?"
		if r.IntN(2) == 0 {
			q = "According to its encyclopedia article, what is the " + keyPhrase(f.Key) + " of " + a.title + "?"
		}
		tasks = append(tasks, Task{
			Source: SourceWikipedia, Question: q,
			Answer: f.Value, AnswerType: TypeText.String(), Metric: wikiMetric(f.Value),
			Kinds: []string{KindLookup}, Hops: 1,
			Support:  []Article{{ID: a.id, Title: a.title}},
			Evidence: []Evidence{{ID: a.id, Title: a.title, Key: f.Key, Value: f.Value, InText: true}},
		})
		used[a] = true
	}
	for i := range tasks {
		tasks[i].ID = fmt.Sprintf("%s-%d-%05d", SourceWikipedia, s.opts.Seed, i+1)
	}
	return tasks
}
