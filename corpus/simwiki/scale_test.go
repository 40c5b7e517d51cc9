package simwiki

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestScaleManual measures a large world, by hand:
//
//	SIMGYM_SIMWIKI_SCALE=1000000 go test -run ScaleManual -v -timeout 1h ./corpus/simwiki/
//
// It reports the memory of the world, the time to render every article
// and the heap while doing so (which must not grow with the text), the
// time to sample tasks, and then a whole Write with its index.
func TestScaleManual(t *testing.T) {
	s := os.Getenv("SIMGYM_SIMWIKI_SCALE")
	if s == "" {
		t.Skip("set SIMGYM_SIMWIKI_SCALE to a number of articles to measure a large world")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	w := newWorld(t, n, 1)
	gen := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	t.Logf("new: %d entities in %s, heap %d MB (%.0f bytes an entity)", w.Len(), gen,
		(m1.HeapAlloc-m0.HeapAlloc)>>20, float64(m1.HeapAlloc-m0.HeapAlloc)/float64(w.Len()))
	start = time.Now()
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("check: %s", time.Since(start))
	start = time.Now()
	bytes, docs := 0, 0
	var peak uint64
	for d := range w.Documents() {
		bytes += len(d.Text)
		if docs++; docs%50_000 == 0 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
	}
	t.Logf("render: %d articles, %d MB of text in %s (%.0f bytes an article), heap at most %d MB",
		docs, bytes>>20, time.Since(start), float64(bytes)/float64(docs), peak>>20)
	start = time.Now()
	tasks, st, err := w.Tasks(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tasks: %d in %s, %+v", len(tasks), time.Since(start), st)
	w = nil
	sum, err := Write(context.Background(), filepath.Join(t.TempDir(), "out"), Options{Articles: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sum)
	t.Logf("write: %s", b)
}
