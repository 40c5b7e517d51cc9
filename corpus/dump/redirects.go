package dump

import (
	"sort"
	"sync"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/wikitext"
)

// Redirects is a table of redirects, from title to target, that resolves
// chains of redirects to their final target. It is safe for concurrent
// use.
type Redirects struct {
	mu sync.RWMutex
	to map[string]string
}

// NewRedirects returns an empty table.
func NewRedirects() *Redirects {
	return &Redirects{to: map[string]string{}}
}

// Add records a redirect. Titles are normalised (underscores, case of the
// first letter); a later redirect from the same title replaces an earlier
// one.
func (r *Redirects) Add(rd corpus.Redirect) {
	from, to := wikitext.NormalizeTitle(rd.From), wikitext.NormalizeTitle(rd.To)
	if from == "" || to == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.to == nil {
		r.to = map[string]string{}
	}
	r.to[from] = to
}

// Len returns the number of redirects recorded.
func (r *Redirects) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.to)
}

// Resolve follows redirects from title to the first title that is not a
// redirect, and returns it; a title that is not a redirect resolves to
// itself. When the chain runs into a cycle, Resolve stops at the last
// title before the chain comes back to one it has visited, and reports
// cyclic.
func (r *Redirects) Resolve(title string) (target string, cyclic bool) {
	title = wikitext.NormalizeTitle(title)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.resolve(title)
}

func (r *Redirects) resolve(title string) (string, bool) {
	// Most chains are one or two hops: remember the first titles in an
	// array and only make a set for longer chains.
	var first [3]string
	var seen map[string]bool
	cur := title
	for hops := 0; ; hops++ {
		next, ok := r.to[cur]
		if !ok {
			return cur, false
		}
		if hops < len(first) {
			first[hops] = cur
		} else {
			if seen == nil {
				seen = map[string]bool{first[0]: true, first[1]: true, first[2]: true}
			}
			seen[cur] = true
		}
		if next == cur || next == first[0] || next == first[1] || next == first[2] || seen[next] {
			return cur, true
		}
		cur = next
	}
}

// Resolved returns every redirect with its final target, sorted by title.
// Redirects caught in a cycle are left out and counted.
func (r *Redirects) Resolved() (redirects []corpus.Redirect, cycles int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]corpus.Redirect, 0, len(r.to))
	for from := range r.to {
		to, cyclic := r.resolve(from)
		if cyclic {
			cycles++
			continue
		}
		out = append(out, corpus.Redirect{From: from, To: to})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out, cycles
}
