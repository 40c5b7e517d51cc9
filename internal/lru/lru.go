// Package lru is a least-recently-used cache bounded both by its number
// of entries and by an estimate of the bytes its values hold.
package lru

import (
	"container/list"
	"sync"
)

// Cache maps string keys to values of type V, evicting the least
// recently used entries past its bounds. It is safe for concurrent use.
type Cache[V any] struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	bytes      int64
	order      *list.List // front: most recently used
	entries    map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
	size  int64
}

// New returns a cache of at most maxEntries values and about maxBytes
// bytes; a bound <= 0 disables the cache: it keeps nothing.
func New[V any](maxEntries int, maxBytes int64) *Cache[V] {
	return &Cache[V]{maxEntries: maxEntries, maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}}
}

// Enabled reports whether the cache keeps anything.
func (c *Cache[V]) Enabled() bool { return c.maxEntries > 0 && c.maxBytes > 0 }

// Get returns key's value and marks it the most recently used.
func (c *Cache[V]) Get(key string) (V, bool) {
	var zero V
	if !c.Enabled() {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry[V]).value, true
}

// Add stores value, of about size bytes, under key, replacing any value
// there, and evicts the least recently used entries until the cache is
// within its bounds again. It returns how many it evicted. The key and
// the entry's bookkeeping count towards size; a value of more than a
// quarter of the byte bound is not kept.
func (c *Cache[V]) Add(key string, value V, size int64) (evicted int) {
	if !c.Enabled() {
		return 0
	}
	size += int64(len(key)) + 128 // the key, the entry and the map slot
	if size > c.maxBytes/4 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry[V])
		c.bytes += size - e.size
		e.value, e.size = value, size
		c.order.MoveToFront(el)
	} else {
		c.entries[key] = c.order.PushFront(&entry[V]{key: key, value: value, size: size})
		c.bytes += size
	}
	for c.order.Len() > c.maxEntries || c.bytes > c.maxBytes {
		el := c.order.Back()
		e := el.Value.(*entry[V])
		c.order.Remove(el)
		delete(c.entries, e.key)
		c.bytes -= e.size
		evicted++
	}
	return evicted
}

// Stats returns the number of entries and their estimated bytes.
func (c *Cache[V]) Stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}
