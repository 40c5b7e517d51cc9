package lru

import (
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string](3, 1<<20)
	for _, k := range []string{"a", "b", "c"} {
		assert.Zero(t, c.Add(k, k, 10))
	}
	_, ok := c.Get("a") // a is now the most recent
	require.True(t, ok)
	assert.Equal(t, 1, c.Add("d", "d", 10)) // evicts b
	_, ok = c.Get("b")
	assert.False(t, ok)
	for _, k := range []string{"a", "c", "d"} {
		v, ok := c.Get(k)
		assert.True(t, ok, k)
		assert.Equal(t, k, v)
	}
}

func TestByteBound(t *testing.T) {
	c := New[int](100, 4000)
	for i := range 10 {
		c.Add(strconv.Itoa(i), i, 500)
	}
	n, size := c.Stats()
	assert.LessOrEqual(t, size, int64(4000))
	assert.Equal(t, 6, n) // 629 bytes each with the bookkeeping
	_, ok := c.Get("3")
	assert.False(t, ok, "the oldest went first")
	_, ok = c.Get("9")
	assert.True(t, ok)

	// A value over a quarter of the bound is not kept.
	c.Add("huge", 0, 2000)
	_, ok = c.Get("huge")
	assert.False(t, ok)
}

func TestReplaceKeepsCountAndBytes(t *testing.T) {
	c := New[int](2, 1<<20)
	c.Add("a", 1, 10)
	c.Add("a", 2, 20)
	n, size := c.Stats()
	assert.Equal(t, 1, n)
	assert.Equal(t, int64(20+1+128), size)
	v, _ := c.Get("a")
	assert.Equal(t, 2, v)
}

func TestDisabled(t *testing.T) {
	for _, c := range []*Cache[int]{New[int](-1, 1<<20), New[int](10, 0)} {
		assert.False(t, c.Enabled())
		c.Add("a", 1, 10)
		_, ok := c.Get("a")
		assert.False(t, ok)
		n, _ := c.Stats()
		assert.Zero(t, n)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New[int](50, 1<<20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := strconv.Itoa((g*7 + i) % 80)
				if v, ok := c.Get(k); ok {
					assert.Equal(t, k, strconv.Itoa(v))
				}
				c.Add(k, (g*7+i)%80, 8)
			}
		})
	}
	wg.Wait()
	n, _ := c.Stats()
	assert.LessOrEqual(t, n, 50)
}
