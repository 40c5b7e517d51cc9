package index

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simgym/simgym/corpus/index/indextest"
)

// Benchmarks search an index of synthetic articles built once per run:
// SIMGYM_BENCH_DOCS of them (20,000 unless set) in a temporary folder
// that TestMain removes, or, if SIMGYM_BENCH_INDEX names a folder, kept
// there and reused by later runs.
const benchSeed = 11

var bench struct {
	once sync.Once
	dir  string // temporary folder to remove
	path string // the index
	docs int
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchIndex returns the folder of the shared benchmark index and its
// number of documents, building it on first use.
func benchIndex(b *testing.B) (string, int) {
	bench.once.Do(func() {
		bench.docs = 20_000
		if s := os.Getenv("SIMGYM_BENCH_DOCS"); s != "" {
			if bench.docs, bench.err = strconv.Atoi(s); bench.err != nil {
				return
			}
		}
		path := os.Getenv("SIMGYM_BENCH_INDEX")
		if path != "" {
			bench.path = path
			if _, err := os.Stat(filepath.Join(path, manifestName)); err == nil {
				return // built by an earlier run with the same SIMGYM_BENCH_DOCS
			}
		} else {
			if bench.dir, bench.err = os.MkdirTemp("", "simgym-bench-index-"); bench.err != nil {
				return
			}
			bench.path = filepath.Join(bench.dir, "idx")
		}
		start := time.Now()
		var st Stats
		st, bench.err = Build(context.Background(), bench.path, indextest.Docs(bench.docs, benchSeed), BuildOptions{})
		if bench.err == nil {
			b.Logf("built benchmark index: %d documents, %d passages in %s (%.0f docs/s)",
				st.Documents, st.Passages, time.Since(start).Round(time.Millisecond), float64(st.Documents)/time.Since(start).Seconds())
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.docs
}

// BenchmarkBuild measures building an index of synthetic articles (a few
// hundred words each): b.N articles per run, reported as documents per
// second. Use -benchtime=Nx to choose the corpus size.
func BenchmarkBuild(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "idx")
	b.ReportAllocs()
	b.ResetTimer()
	st, err := Build(context.Background(), dir, indextest.Docs(b.N, 1), BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Documents)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(st.Bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// BenchmarkSearchUncached measures document search with the cache off,
// from GOMAXPROCS goroutines: queries per second and latency percentiles.
func BenchmarkSearchUncached(b *testing.B) {
	benchSearch(b, Options{CacheEntries: -1}, false, func(x *Index, q string) error {
		_, err := x.Search(context.Background(), q, 10)
		return err
	})
}

// BenchmarkPassagesUncached is BenchmarkSearchUncached for passages.
func BenchmarkPassagesUncached(b *testing.B) {
	benchSearch(b, Options{CacheEntries: -1}, false, func(x *Index, q string) error {
		_, err := x.Passages(context.Background(), q, 3)
		return err
	})
}

// BenchmarkSearchCached measures document search answered from the cache.
func BenchmarkSearchCached(b *testing.B) {
	benchSearch(b, Options{}, true, func(x *Index, q string) error {
		_, err := x.Search(context.Background(), q, 10)
		return err
	})
}

func benchSearch(b *testing.B, opts Options, warm bool, search func(*Index, string) error) {
	dir, docs := benchIndex(b)
	x, err := OpenWithOptions(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	queries := indextest.Queries(2000, docs, benchSeed)
	if warm {
		for _, q := range queries {
			if err := search(x, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	var (
		next atomic.Int64
		mu   sync.Mutex
		lat  []time.Duration
	)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			q := queries[int(next.Add(1))%len(queries)]
			start := time.Now()
			if err := search(x, q); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, lat)
}

// reportLatency reports queries per second and the median and 99th
// percentile latency in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
}
