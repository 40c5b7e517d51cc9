package simwiki

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus/webqa"
)

// Limits of a world's size.
const (
	// MinArticles is the smallest world New makes.
	MinArticles = 100
	// MaxArticles is the largest: entity numbers must fit the compact
	// adjacency lists.
	MaxArticles = 50_000_000
	// DefaultArticles is the size when Options.Articles is 0.
	DefaultArticles = 10_000
	// ListLimit is how many entities an article lists for one relation
	// ("People born in Karvel include ..."); the rest are left to search.
	ListLimit = 12
)

// Timeline of the world.
const (
	firstYear = 1700 // earliest birth, and the first decade article
	lastYear  = 2024 // the present: nothing happens after it
)

// ErrSize means Options.Articles is out of range.
var ErrSize = errors.New("simwiki: number of articles out of range")

// entity is one entity, compactly: what its slots hold depends on its
// kind (see preds). Unused references are -1, unused dates and numbers 0.
type entity struct {
	ref     [6]int32
	date    [3]int32
	num     [2]uint32
	nameOff uint32
	nameLen uint8
	kind    Kind
	sub     uint8 // occupation, industry, product type or book genre
	flags   uint8 // flagFemale, and the title's qualifier level
}

const (
	flagFemale = 1 << 0
	levelShift = 1
	levelMask  = 3 << levelShift
)

// World is a generated fictional world: its entities and their facts,
// held in memory, compactly; articles are rendered from it on demand. A
// World is a webqa.Graph. It is safe for concurrent reads.
type World struct {
	seed     int64
	articles int
	ents     []entity
	names    []byte
	first    [numKinds + 1]int // entities of kind k are first[k]..first[k+1]-1

	// Referrers, per object: inSubj[inOff[o]:inOff[o+1]] are the
	// subjects of facts about o, by predicate then subject.
	inOff  []uint32
	inSubj []int32
	inPred []uint8

	// Entities sharing a name: homOf maps an entity to its group,
	// whose members are homIDs[homOff[g]:homOff[g+1]].
	homOf  map[int32]int32
	homOff []int32
	homIDs []int32
	// titleNum is the last qualifier of titles that need three.
	titleNum map[int32]int32

	decades []int // first years of the decade articles
}

// Options size and seed a world.
type Options struct {
	// Articles is the number of articles: one per entity, plus one per
	// decade (from the 1700s to the 2020s) in worlds of 1,000 articles
	// or more. 0 means DefaultArticles.
	Articles int `json:"articles"`
	// Seed selects the world: the same seed gives the same world, byte
	// for byte.
	Seed int64 `json:"seed"`
	// Tasks is the number of tasks Write samples; 0 means DefaultTasks.
	Tasks int `json:"tasks,omitempty"`
	// Triples makes Write also write the world's facts as triples.
	Triples bool `json:"triples,omitempty"`
	// Progress, if set, is told how Write is getting on.
	Progress func(Progress) `json:"-"`
}

// Progress reports a stage of Write: Done of Total items.
type Progress struct {
	Stage string
	Done  int
	Total int
}

func (o Options) articles() int {
	if o.Articles == 0 {
		return DefaultArticles
	}
	return o.Articles
}

// New generates the world of opts.Articles articles and opts.Seed.
func New(opts Options) (*World, error) {
	n := opts.articles()
	if n < MinArticles || n > MaxArticles {
		return nil, fmt.Errorf("world of %d articles: %w (%d to %d)", n, ErrSize, MinArticles, MaxArticles)
	}
	w := &World{seed: opts.Seed, articles: n}
	if n >= 1000 {
		for y := firstYear; y <= lastYear; y += 10 {
			w.decades = append(w.decades, y)
		}
	}
	generate(w, n-len(w.decades))
	w.index()
	return w, nil
}

// Seed returns the world's seed.
func (w *World) Seed() int64 { return w.seed }

// Articles is the number of articles: entities and decades.
func (w *World) Articles() int { return w.articles }

// Len is the number of entities.
func (w *World) Len() int { return len(w.ents) }

// KindOf returns entity e's kind.
func (w *World) KindOf(e int) Kind { return w.ents[e].kind }

// Count returns the number of entities of kind k.
func (w *World) Count(k Kind) int { return w.first[k+1] - w.first[k] }

// name returns entity e's name.
func (w *World) name(e int) string {
	x := &w.ents[e]
	return string(w.names[x.nameOff : x.nameOff+uint32(x.nameLen)])
}

// level is the number of qualifiers e's title needs.
func (w *World) level(e int) int { return int(w.ents[e].flags&levelMask) >> levelShift }

// qualifiers are what tell apart entities of the same name, in order.
func (w *World) qualifiers(e int) (string, string) {
	x := &w.ents[e]
	switch x.kind {
	case Person:
		return w.noun(e), "born " + strconv.Itoa(int(x.date[0]/10000))
	case City:
		return w.name(int(x.ref[0])), "founded " + strconv.Itoa(int(x.date[0]))
	case University:
		return w.name(int(x.ref[0])), "founded " + strconv.Itoa(int(x.date[0]))
	case Company:
		return w.noun(e), "founded " + strconv.Itoa(int(x.date[0]))
	case River, Mountain:
		return w.noun(e), w.name(int(x.ref[0]))
	case Festival:
		return w.noun(e), strconv.Itoa(int(x.date[0]))
	case Treaty:
		return w.noun(e), strconv.Itoa(int(x.date[0] / 10000))
	case Country:
		return w.noun(e), "established " + strconv.Itoa(int(x.date[0]))
	}
	return w.noun(e), strconv.Itoa(int(x.date[0]))
}

// title returns entity e's article title: its name, with qualifiers in
// brackets when other entities share the name.
func (w *World) title(e int) string {
	name := w.name(e)
	switch w.level(e) {
	case 0:
		return name
	case 1:
		q1, _ := w.qualifiers(e)
		return name + " (" + q1 + ")"
	case 2:
		q1, q2 := w.qualifiers(e)
		return name + " (" + q1 + ", " + q2 + ")"
	}
	q1, q2 := w.qualifiers(e)
	return name + " (" + q1 + ", " + q2 + ", " + strconv.Itoa(int(w.titleNum[int32(e)])) + ")"
}

// Title returns entity e's article title.
func (w *World) Title(e int) string { return w.title(e) }

// entityID is the document ID of entity e's article.
func entityID(e int) string { return "e" + strconv.Itoa(e) }

// decadeID is the document ID of a decade's article.
func decadeID(y int) string { return "d" + strconv.Itoa(y) }

func decadeTitle(y int) string { return strconv.Itoa(y) + "s" }

// noun is how text names entity e.
func (w *World) noun(e int) string {
	x := &w.ents[e]
	switch x.kind {
	case Person:
		return occupations[x.sub].noun
	case Company:
		return industries[x.sub].noun
	case Book:
		return bookNouns[x.sub]
	case Product:
		return productTypes[x.sub].noun
	}
	return x.kind.String()
}

// Noun is how a description names entity e: "novelist", "city".
func (w *World) Noun(e int) string { return w.noun(e) }

// Entity describes entity e.
func (w *World) Entity(e int) webqa.Entity {
	return webqa.Entity{ID: entityID(e), Title: w.title(e), Name: w.name(e), Kind: w.ents[e].kind.String(), Noun: w.noun(e)}
}

// Predicates describes the world's predicates.
func (w *World) Predicates() []webqa.Predicate { return webqaPreds }

// fact returns entity e's fact of predicate p, and whether it has one.
func (w *World) fact(e, p int) (webqa.Fact, bool) {
	x := &w.ents[e]
	pr := &preds[p]
	f := webqa.Fact{Subject: e, Predicate: p, Object: -1}
	switch pr.slot {
	case slotRef:
		f.Object = int(x.ref[pr.idx])
		return f, f.Object >= 0
	case slotDate:
		f.Value = webqa.Value{Type: pr.Type, Num: int64(x.date[pr.idx])}
	case slotNum:
		f.Value = webqa.Value{Type: pr.Type, Num: int64(x.num[pr.idx])}
	case slotSub:
		f.Value = webqa.Value{Type: webqa.TypeText, Text: w.noun(e)}
		if x.kind == Company {
			f.Value.Text = industries[x.sub].name
		}
	case slotLang:
		f.Value = webqa.Value{Type: webqa.TypeText, Text: demonym(w.name(e))}
	case slotCurrent:
		f.Value = webqa.Value{Type: webqa.TypeText, Text: w.currency(e)}
	}
	return f, f.Value.Num != 0 || f.Value.Text != ""
}

// Facts yields entity e's facts, in the order of its infobox.
func (w *World) Facts(e int, yield func(webqa.Fact) bool) {
	for _, p := range kindPreds[w.ents[e].kind] {
		if f, ok := w.fact(e, p); ok && !yield(f) {
			return
		}
	}
}

// Referrers yields the facts whose object is e: by predicate, and by
// subject within a predicate, which is the order e's article lists them.
func (w *World) Referrers(e int, yield func(webqa.Fact) bool) {
	for i := w.inOff[e]; i < w.inOff[e+1]; i++ {
		if !yield(webqa.Fact{Subject: int(w.inSubj[i]), Predicate: int(w.inPred[i]), Object: e}) {
			return
		}
	}
}

// referrers returns the subjects of predicate p's facts about e, at most
// limit of them (all if limit < 0), and how many there are.
func (w *World) referrers(e, p, limit int) ([]int, int) {
	var out []int
	n := 0
	for i := w.inOff[e]; i < w.inOff[e+1]; i++ {
		if int(w.inPred[i]) != p {
			continue
		}
		if limit < 0 || len(out) < limit {
			out = append(out, int(w.inSubj[i]))
		}
		n++
	}
	return out, n
}

// Homonyms returns the entities with e's name, e among them.
func (w *World) Homonyms(e int) []int {
	g, ok := w.homOf[int32(e)]
	if !ok {
		return []int{e}
	}
	ids := w.homIDs[w.homOff[g]:w.homOff[g+1]]
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// currency is the name of country e's currency, made from its seed.
func (w *World) currency(e int) string {
	r := rand.New(rand.NewPCG(uint64(w.seed), uint64(e)<<8|0x5c))
	return strings.ToLower(syllables(r, 1+r.IntN(2)))
}

// year returns the year of entity e's first date (birth, founding,
// release).
func (w *World) year(e int) int {
	d := int(w.ents[e].date[0])
	if d > 99999 {
		return d / 10000
	}
	return d
}

// died returns the year person e died, or 0.
func (w *World) died(e int) int { return int(w.ents[e].date[1] / 10000) }

// index builds the referrer lists and the homonym groups.
func (w *World) index() {
	n := len(w.ents)
	counts := make([]uint32, n+1)
	for s := range w.ents {
		for _, p := range kindPreds[w.ents[s].kind] {
			if preds[p].slot == slotRef {
				if o := w.ents[s].ref[preds[p].idx]; o >= 0 {
					counts[o+1]++
				}
			}
		}
	}
	for i := 1; i <= n; i++ {
		counts[i] += counts[i-1]
	}
	w.inOff = counts
	total := counts[n]
	w.inSubj = make([]int32, total)
	w.inPred = make([]uint8, total)
	next := make([]uint32, n)
	copy(next, counts[:n])
	// Predicates in order, subjects in order: each object's range comes
	// out sorted by predicate and then subject. Subjects of a predicate
	// are all of one kind, so one pass per predicate visits only them.
	for p := range preds {
		if preds[p].slot != slotRef {
			continue
		}
		k := preds[p].kind
		for s := w.first[k]; s < w.first[k+1]; s++ {
			if o := w.ents[s].ref[preds[p].idx]; o >= 0 {
				w.inSubj[next[o]] = int32(s)
				w.inPred[next[o]] = uint8(p)
				next[o]++
			}
		}
	}
}

var _ webqa.Graph = (*World)(nil)
