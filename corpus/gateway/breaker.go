package gateway

import (
	"sync"
	"time"
)

// Circuit states, as the simgym_gateway_circuit_state gauge shows them.
const (
	circuitClosed   = 0 // calls go to the provider
	circuitHalfOpen = 1 // one probe goes to the provider
	circuitOpen     = 2 // calls fall back without trying the provider
)

// breaker stops sending to a provider that keeps failing: after
// threshold consecutive failed attempts it opens, and every call falls
// back at once; after openFor one probe is let through (half-open),
// whose success closes the circuit and whose failure opens it again.
type breaker struct {
	threshold int
	openFor   time.Duration
	now       func() time.Time
	onState   func(int)

	mu       sync.Mutex
	state    int
	fails    int
	openedAt time.Time
	probing  bool
}

func newBreaker(threshold int, openFor time.Duration, now func() time.Time, onState func(int)) *breaker {
	b := &breaker{threshold: threshold, openFor: openFor, now: now, onState: onState}
	onState(circuitClosed)
	return b
}

// allow reports whether an attempt may go to the provider. An allowed
// attempt must end in exactly one of success, failure or release.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case circuitOpen:
		if b.now().Sub(b.openedAt) < b.openFor {
			return false
		}
		b.set(circuitHalfOpen)
		b.probing = true
		return true
	case circuitHalfOpen:
		if b.probing {
			return false
		}
		b.probing = true
		return true
	}
	return true
}

// success records an attempt the provider answered.
func (b *breaker) success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails = 0
	b.probing = false
	if b.state != circuitClosed {
		b.set(circuitClosed)
	}
}

// failure records a failed attempt (timeout, 429, 5xx, malformed,
// network).
func (b *breaker) failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fails++
	switch {
	case b.state == circuitHalfOpen && b.probing:
		b.probing = false
		b.openedAt = b.now()
		b.set(circuitOpen)
	case b.state == circuitClosed && b.threshold > 0 && b.fails >= b.threshold:
		b.openedAt = b.now()
		b.set(circuitOpen)
	}
}

// release ends an allowed attempt that never reached the provider.
func (b *breaker) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == circuitHalfOpen {
		b.probing = false
	}
}

func (b *breaker) set(s int) {
	b.state = s
	b.onState(s)
}
