package index

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/simgym/simgym/internal/lru"
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

// resultCache is the index's query-result cache: an LRU cache bounded by
// entry count and by an estimate of the bytes the results hold, with hit,
// miss and eviction metrics. It is safe for concurrent use.
type resultCache struct {
	*lru.Cache[any]
	hits, misses *prometheus.CounterVec
	evictions    prometheus.Counter
}

// newResultCache returns a cache of at most maxEntries results and about
// maxBytes bytes; a limit <= 0 disables the cache.
func newResultCache(maxEntries int, maxBytes int64) *resultCache {
	return &resultCache{
		Cache: lru.New[any](maxEntries, maxBytes),
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
	v, ok := c.Get(key)
	if ok {
		c.hits.WithLabelValues(kind).Inc()
	} else {
		c.misses.WithLabelValues(kind).Inc()
	}
	return v, ok
}

// add stores value, of about size bytes, under key, counting evictions.
func (c *resultCache) add(key string, value any, size int64) {
	c.evictions.Add(float64(c.Add(key, value, size)))
}

// collectors are the cache's metrics.
func (c *resultCache) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		c.hits, c.misses, c.evictions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_index_cache_entries",
			Help: "Results held in the query-result cache.",
		}, func() float64 { n, _ := c.Stats(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "simgym_index_cache_bytes",
			Help: "Estimated bytes held by the query-result cache.",
		}, func() float64 { _, b := c.Stats(); return float64(b) }),
	}
}
