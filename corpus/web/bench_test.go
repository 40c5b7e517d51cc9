package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/index/indextest"
	"github.com/simgym/simgym/corpus/web"
)

const benchSeed = 11

var bench struct {
	once sync.Once
	path string
	docs int
	err  error
}

// benchIndex returns an index of SIMGYM_BENCH_DOCS synthetic articles
// (20,000 unless set), built once per test binary, or kept in and reused
// from SIMGYM_BENCH_INDEX if that is set.
func benchIndex(b *testing.B) (string, int) {
	bench.once.Do(func() {
		bench.docs = 20_000
		if s := os.Getenv("SIMGYM_BENCH_DOCS"); s != "" {
			if bench.docs, bench.err = strconv.Atoi(s); bench.err != nil {
				return
			}
		}
		bench.path = os.Getenv("SIMGYM_BENCH_INDEX")
		if bench.path == "" {
			bench.path = filepath.Join(sharedDir, "bench")
		} else if _, err := os.Stat(filepath.Join(bench.path, "simgym-index.json")); err == nil {
			return
		}
		_, bench.err = index.Build(context.Background(), bench.path, indextest.Docs(bench.docs, benchSeed), index.BuildOptions{})
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.docs
}

// BenchmarkRetrieveHTTPUncached measures POST /retrieve over loopback,
// one query a request, eight in flight, with the query caches off.
func BenchmarkRetrieveHTTPUncached(b *testing.B) {
	benchRetrieve(b, index.Options{CacheEntries: -1}, web.RetrieveOptions{CacheEntries: -1})
}

// BenchmarkRetrieveHTTPCached is BenchmarkRetrieveHTTPUncached with every
// query already in the cache.
func BenchmarkRetrieveHTTPCached(b *testing.B) {
	benchRetrieve(b, index.Options{}, web.RetrieveOptions{})
}

func benchRetrieve(b *testing.B, opts index.Options, ropts web.RetrieveOptions) {
	path, docs := benchIndex(b)
	x, err := index.OpenWithOptions(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	queries := indextest.Queries(2000, docs, benchSeed)
	for _, q := range queries { // warm the cache, if any, and the page cache
		if _, err := x.Passages(context.Background(), q, 3); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(web.RetrieveHandler(x, ropts))
	defer srv.Close()
	b.ResetTimer()
	res, err := web.Load(context.Background(), nil, srv.URL+"/retrieve", queries,
		web.LoadOptions{Concurrency: 8, Requests: b.N, TopK: 3, ReturnScores: true})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 {
		b.Fatalf("%d errors, first: %s", res.Errors, res.FirstError)
	}
	b.ReportMetric(res.QPS, "qps")
	b.ReportMetric(res.P50ms, "p50_ms")
	b.ReportMetric(res.P99ms, "p99_ms")
}

// BenchmarkSearchTool measures the agent's search tool (document search
// with snippets), cache off, from GOMAXPROCS goroutines.
func BenchmarkSearchTool(b *testing.B) {
	path, docs := benchIndex(b)
	x, err := index.OpenWithOptions(path, index.Options{CacheEntries: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	queries := indextest.Queries(2000, docs, benchSeed)
	var n sync.Mutex
	i := 0
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := web.NewSession(x, web.Options{})
		for pb.Next() {
			n.Lock()
			q := queries[i%len(queries)]
			i++
			n.Unlock()
			if _, err := s.Search(context.Background(), q, 5); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "qps")
}
