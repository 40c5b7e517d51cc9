package index

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Cache defaults, used when Options leave them zero.
const (
	DefaultCacheEntries = 50_000
	DefaultCacheBytes   = 64 << 20
)

// Query kinds: the label of the cache and latency metrics.
const (
	kindSearch   = "search"
	kindPassages = "passages"
)

// resultCache is a least-recently-used cache of query results, bounded by
// entry count and by an estimate of the bytes the results hold. It is safe
// for concurrent use.
type resultCache struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	order      *list.List // front: most recently used
	entries    map[string]*list.Element

	hits, misses *prometheus.CounterVec
	evictions    prometheus.Counter
}

type cacheEntry struct {
	key   string
	value any
	size  int64
}

// newResultCache returns a cache of at most maxEntries results and about
// maxBytes bytes; a limit <= 0 disables the cache.
func newResultCache(maxEntries int, maxBytes int64) *resultCache {
	return &resultCache{
		maxEntries: maxEntries,
		maxBytes:   maxBytes,
		order:      list.New(),
		entries:    make(map[string]*list.Element),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgym_index_cache_hits_total",
			Help: "Search results served from the query-result cache.",
		}, []string{"kind"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "simgym_index_cache_misses_total",
			Help: "Searches that missed the query-result cache.",
		}, []string{"kind"}),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "simgym_index_cache_evictions_total",
			Help: "Results evicted from the query-result cache to respect its bounds.",
		}),
	}
}

func (c *resultCache) enabled() bool {
	return c.maxEntries > 0 && c.maxBytes > 0
}

// cacheKey identifies a query: its kind, its size and its analysed terms.
// Two queries with the same terms (say "The Beatles" and "beatles") are the
// same query to the index, so they share an entry.
func cacheKey(kind string, topK int, terms []queryTerm) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(topK))
	for _, t := range terms {
		b.WriteByte(0)
		b.WriteString(t.term)
		if t.count > 1 {
			b.WriteByte(1)
			b.WriteString(strconv.Itoa(t.count))
		}
	}
	return b.String()
}

// get returns the cached value for key and counts a hit or a miss.
func (c *resultCache) get(kind, key string) (any, bool) {
	if !c.enabled() {
		c.misses.WithLabelValues(kind).Inc()
		return nil, false
	}
	c.mu.Lock()
	el, ok := c.entries[key]
	var v any
	if ok {
		c.order.MoveToFront(el)
		v = el.Value.(*cacheEntry).value
	}
	c.mu.Unlock()
	if ok {
		c.hits.WithLabelValues(kind).Inc()
	} else {
		c.misses.WithLabelValues(kind).Inc()
	}
	return v, ok
}

// add stores value, of about size bytes, under key, evicting the least
// recently used entries as needed. A value larger than a quarter of the
// byte bound is not cached.
func (c *resultCache) add(key string, value any, size int64) {
	if !c.enabled() {
		return
	}
	size += int64(len(key)) + 128 // the key, the entry and the map slot
	if size > c.maxBytes/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		c.bytes += size - e.size
		e.value, e.size = value, size
		c.order.MoveToFront(el)
	} else {
		c.entries[key] = c.order.PushFront(&cacheEntry{key: key, value: value, size: size})
		c.bytes += size
	}
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		el := c.order.Back()
		e := el.Value.(*cacheEntry)
		c.order.Remove(el)
		delete(c.entries, e.key)
		c.bytes -= e.size
		c.evictions.Inc()
	}
}

// stats returns the number of entries and their estimated size.
func (c *resultCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// collectors are the cache's metrics.
func (c *resultCache) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		c.hits, c.misses, c.evictions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_index_cache_entries",
			Help: "Results held in the query-result cache.",
		}, func() float64 { n, _ := c.stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_index_cache_bytes",
			Help: "Estimated bytes held by the query-result cache.",
		}, func() float64 { _, b := c.stats(); return float64(b) }),
	}
}
