package gateway

import "github.com/prometheus/client_golang/prometheus"

// metrics are the gateway's Prometheus collectors, labelled by provider
// (serper, jina).
type metrics struct {
	requests  *prometheus.CounterVec   // attempts sent
	successes *prometheus.CounterVec   // attempts answered
	failures  *prometheus.CounterVec   // attempts failed, by kind
	retries   *prometheus.CounterVec   // attempts after the first
	fallbacks *prometheus.CounterVec   // calls answered offline
	cacheHits *prometheus.CounterVec   // calls answered from the cache
	circuit   *prometheus.GaugeVec     // 0 closed, 1 half-open, 2 open
	latency   *prometheus.HistogramVec // seconds per attempt
}

func newMetrics() *metrics {
	p := []string{"provider"}
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_requests_total",
			Help: "Requests (attempts, retries included) the web gateway sent to a provider."}, p),
		successes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_successes_total",
			Help: "Requests a provider answered well."}, p),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_failures_total",
			Help: "Requests that failed, by kind: timeout, 429, 5xx, malformed, 4xx, network."}, []string{"provider", "kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_retries_total",
			Help: "Requests sent again after a failure."}, p),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_fallbacks_total",
			Help: "Calls answered by the offline corpus because the provider failed after its retries or its circuit was open."}, p),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "simgym_gateway_cache_hits_total",
			Help: "Calls answered from the web cache."}, p),
		circuit: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "simgym_gateway_circuit_state",
			Help: "State of a provider's circuit breaker: 0 closed, 1 half-open, 2 open."}, p),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "simgym_gateway_request_seconds",
			Help:    "Time of one request to a provider, from sending to the end of its body.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}, p),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.successes, m.failures, m.retries, m.fallbacks, m.cacheHits, m.circuit, m.latency}
}
