package gateway_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/simgym/simgym/corpus/gateway/gatewaytest"
)

// TestFaultInjection runs the fault-injected scenario: 2,000 distinct
// queries at 32 concurrent callers against a provider answering 20% 503,
// 5% 429, 5% hangs past the timeout and 2% malformed JSON.
func TestFaultInjection(t *testing.T) {
	sc := gatewaytest.DefaultScenario(t.TempDir())
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
	// The bucket holds one request, so no window of w sees more than
	// rate*w + 1 sent requests; arrival jitter at the server is allowed
	// another 1% of the window's budget.
	limit := int(sc.Rate*sc.Window.Seconds()*1.01) + 1
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
