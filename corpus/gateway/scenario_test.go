package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/simgym/simgym/corpus/gateway"
	"github.com/simgym/simgym/corpus/gateway/gatewaytest"
	"github.com/simgym/simgym/corpus/web"
)

// timeoutScale multiplies the scenario's request timeout (see race_test.go).
var timeoutScale time.Duration = 1

// TestFaultInjection runs the fault-injected scenario: 2,000 distinct
// queries at 32 concurrent callers against a provider answering 20% 503,
// 5% 429, 5% hangs past the timeout and 2% malformed JSON.
func TestFaultInjection(t *testing.T) {
	sc := gatewaytest.DefaultScenario(t.TempDir())
	sc.Gateway.Timeout *= timeoutScale
	sum, err := gatewaytest.Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sum)
	t.Logf("%s", b)
	if sum.Answered != sum.Calls {
		t.Errorf("answered %d of %d calls, want all", sum.Answered, sum.Calls)
	}
	if sum.FromProviderShare < 0.993 {
		t.Errorf("from provider %.4f of calls, want at least 0.993", sum.FromProviderShare)
	}
	limit := rateBound(sc.Rate, sc.Window, sum.Burst)
	for p, n := range sum.ProviderMaxInWindow {
		if n > limit {
			t.Errorf("%s received %d requests in a window of %v, over the rate's %d", p, n, sc.Window, limit)
		}
	}
	for _, kind := range []string{gatewaytest.FaultUnavailable, gatewaytest.FaultTooMany, gatewaytest.FaultHang, gatewaytest.FaultMalformed} {
		if sum.FaultsInjected[kind] == 0 {
			t.Errorf("no %s fault injected: the scenario does not test it", kind)
		}
	}
	if sum.SecondPassProviderCalls != 0 {
		t.Errorf("second pass sent %d requests to the provider, want 0 (cache)", sum.SecondPassProviderCalls)
	}
	if !sum.SecondPassIdentical {
		t.Error("second pass answers differ from the first's")
	}
	if !sum.ReplayIdentical {
		t.Error("replay answers differ from the recorded run's")
	}
	if sum.ReplayNetworkCalls != 0 {
		t.Errorf("replay sent %d requests, want none", sum.ReplayNetworkCalls)
	}
}

// rateBound is the most requests a provider may receive in a span w:
// the token bucket lets rate*w + burst through, and the server stamps
// arrivals after the client's scheduler and the loopback network, which
// on a busy machine delay some requests more than others; up to
// arrivalJitter of that is allowed.
func rateBound(rate float64, w time.Duration, burst int) int {
	const arrivalJitter = 50 * time.Millisecond
	return int(rate*(w+arrivalJitter).Seconds()) + burst
}

// TestRateLimit: 32 callers asking as fast as they can, the provider
// never receives more than the configured rate in any one-second window,
// plus the bucket's burst.
func TestRateLimit(t *testing.T) {
	const rate, burst, calls = 400.0, 10, 600
	srv := gatewaytest.NewServer("k", gatewaytest.Faults{})
	defer srv.Close()
	g, err := gateway.New(gatewaytest.Offline{}, gateway.Options{SerperURL: srv.URL, SerperKey: "k", Rates: map[string]float64{gateway.Serper: rate}, Burst: burst, Concurrency: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := next.Add(1); i <= calls; i = next.Add(1) {
				r, err := g.Search(context.Background(), web.SearchQuery{Q: fmt.Sprint("q", i)})
				if err != nil || r.Fallback != "" {
					t.Errorf("call %d: %v, fallback %q", i, err, r.Fallback)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.Requests(gateway.Serper); n != calls {
		t.Errorf("provider saw %d requests, want %d", n, calls)
	}
	got := srv.MaxInWindow(gateway.Serper, time.Second)
	t.Logf("most requests in a second: %d (rate %v)", got, rate)
	if limit := rateBound(rate, time.Second, burst); got > limit {
		t.Errorf("provider received %d requests in a second, over %d", got, limit)
	}
}
