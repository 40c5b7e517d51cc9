package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/simgym/simgym/corpus/gateway/gatewaytest"
)

// benchWeb runs the Real web gateway's fault-injected scenario against an
// in-process fake Serper and Jina (20% 503, 5% 429, 5% hangs past the
// timeout, 2% malformed JSON) and prints its summary as JSON: calls
// answered, the share answered by the provider, the provider's highest
// observed rate, the second pass's provider calls (the cache) and
// whether a replay of the record gave the same answers.
func benchWeb(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	def := gatewaytest.DefaultScenario("")
	fs := flag.NewFlagSet("bench web", flag.ContinueOnError)
	queries := fs.Int("queries", def.Queries, "distinct calls per pass (a third each search, scholar, read)")
	callers := fs.Int("callers", def.Callers, "concurrent callers")
	rate := fs.Float64("rate", def.Rate, "requests per second allowed to each fake provider")
	timeout := fs.Duration("timeout", def.Gateway.Timeout, "request timeout (hung requests wait this long)")
	retries := fs.Int("retries", def.Gateway.Retries, "retries of a failed request")
	unavailable := fs.Float64("fault-503", def.Faults.Unavailable, "share of requests answered 503")
	tooMany := fs.Float64("fault-429", def.Faults.TooMany, "share of requests answered 429")
	retryAfter := fs.String("retry-after", def.Faults.RetryAfter, "Retry-After header of the 429s")
	hang := fs.Float64("fault-hang", def.Faults.Hang, "share of requests never answered")
	malformed := fs.Float64("fault-malformed", def.Faults.Malformed, "share of requests answered with broken JSON")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *queries <= 0 || *callers <= 0 || !(*rate > 0) {
		return fmt.Errorf("%w: --queries, --callers and --rate must be positive", errUsage)
	}
	dir, err := os.MkdirTemp("", "simgym-bench-web-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sc := def
	sc.Dir = dir
	sc.Queries, sc.Callers, sc.Rate = *queries, *callers, *rate
	sc.Gateway.Timeout, sc.Gateway.Retries = *timeout, *retries
	sc.Faults.Unavailable, sc.Faults.TooMany, sc.Faults.RetryAfter = *unavailable, *tooMany, *retryAfter
	sc.Faults.Hang, sc.Faults.Malformed = *hang, *malformed
	fmt.Fprintf(stderr, "bench web: %d calls by %d callers, %.0f requests/s per provider, timeout %v\n", sc.Queries, sc.Callers, sc.Rate, sc.Gateway.Timeout)
	start := time.Now()
	sum, err := gatewaytest.Run(ctx, sc)
	if err != nil {
		return fmt.Errorf("bench web after %v: %w", time.Since(start).Round(time.Millisecond), err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}
