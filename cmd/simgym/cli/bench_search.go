package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/simgym/simgym/corpus/index"
	"github.com/simgym/simgym/corpus/index/indextest"
	"github.com/simgym/simgym/corpus/web"
)

// benchSearch measures POST /retrieve over HTTP from this process against
// a server in a separate process: uncached (every query new) and cached
// (a small set of queries asked again and again, as RL groups do).
func benchSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench search", flag.ContinueOnError)
	server := fs.String("server", "", "base `URL` of a running simgym serve --index (default: start one in a child process)")
	dir := fs.String("index", "", "index to serve (default: build one of --docs generated articles in a temp folder)")
	docs := fs.Int("docs", 100000, "generated articles, without --index")
	duration := fs.Duration("duration", 5*time.Second, "how long each phase runs")
	concurrency := fs.Int("concurrency", 8, "requests in flight")
	batch := fs.Int("batch", 1, "queries per request (Search-R1 batches its rollouts' queries)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	stopProfile, err := cpuProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// Index builds make much short-lived garbage; collecting less often
	// makes them about half again as fast, memory staying bounded by the
	// batch size.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	buildSecs := 0.0
	n := *docs
	url := strings.TrimSuffix(*server, "/") + "/retrieve"
	if *server != "" {
		fmt.Fprintf(stderr, "load on %s; queries drawn for %d documents (--docs)\n", url, n)
	} else {
		if *dir == "" {
			tmp, err := os.MkdirTemp("", "simgym-bench-search-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			*dir = filepath.Join(tmp, "index")
			fmt.Fprintf(stderr, "building an index of %d generated articles\n", *docs)
			st, err := index.Build(ctx, *dir, indextest.Docs(*docs, 1), index.BuildOptions{})
			if err != nil {
				return err
			}
			buildSecs = st.Seconds
		}
		x, err := index.Open(*dir)
		if err != nil {
			return err
		}
		n = x.Info().Documents
		x.Close()
		child, addr, err := startServer(ctx, stderr, "--index", *dir)
		if err != nil {
			return err
		}
		defer func() {
			_ = child.Process.Signal(os.Interrupt)
			_ = child.Wait()
		}()
		url = "http://" + addr + "/retrieve"
	}
	var client *http.Client // nil: lean raw HTTP/1.1 connections
	uncached, err := web.Load(ctx, client, url, indextest.Queries(uncachedQueries(*duration, *batch), max(n, 1), 7), web.LoadOptions{Concurrency: *concurrency, Duration: *duration, Batch: *batch})
	if err != nil {
		return err
	}
	cached, err := web.Load(ctx, client, url, indextest.Queries(64, max(n, 1), 7), web.LoadOptions{Concurrency: *concurrency, Duration: *duration, Batch: *batch})
	if err != nil {
		return err
	}
	// The same uncached load through Serper's POST /search, one query a
	// request, beside /retrieve.
	serperURL := strings.TrimSuffix(url, "/retrieve") + "/search"
	serper, err := web.Load(ctx, client, serperURL, indextest.Queries(uncachedQueries(*duration, 1), max(n, 1), 11), web.LoadOptions{Concurrency: *concurrency, Duration: *duration, Serper: true, TopK: 10})
	if err != nil {
		return err
	}
	if uncached.FirstError != "" || cached.FirstError != "" || serper.FirstError != "" {
		fmt.Fprintf(stderr, "first errors: %q %q %q\n", uncached.FirstError, cached.FirstError, serper.FirstError)
	}
	ratio := 0.0
	if uncached.QPS > 0 {
		ratio = serper.QPS / uncached.QPS
	}
	summary := map[string]any{
		"qps": round3(uncached.QPS), "p50_ms": round3(uncached.P50ms), "p99_ms": round3(uncached.P99ms),
		"cached_qps": round3(cached.QPS), "cached_p50_ms": round3(cached.P50ms), "cached_p99_ms": round3(cached.P99ms),
		"serper_qps": round3(serper.QPS), "serper_p50_ms": round3(serper.P50ms), "serper_p99_ms": round3(serper.P99ms), "serper_ratio": round3(ratio),
		"documents": n, "errors": uncached.Errors + cached.Errors + serper.Errors, "build_seconds": round3(buildSecs),
		"concurrency": *concurrency, "batch": max(*batch, 1),
	}
	return writeSummary(stdout, *asJSON, []string{"qps", "p50_ms", "p99_ms", "cached_qps", "cached_p50_ms", "cached_p99_ms", "serper_qps", "serper_p50_ms", "serper_p99_ms", "serper_ratio", "documents", "errors", "build_seconds", "concurrency", "batch"}, summary)
}

// uncachedQueries is how many distinct queries the uncached phase needs:
// more than 50,000 a second can ask.
func uncachedQueries(d time.Duration, batch int) int {
	return max(10_000, int(d.Seconds()*50_000)*max(batch, 1))
}
