package gateway

import (
	"context"
	"math"
	"time"
)

// limiter is a token bucket of burst tokens refilled at rate per second.
// A request takes a token once it holds the bucket; the holder waits
// for the token while the others queue behind it, and the refill is
// measured on the clock after the wait, so requests a late timer or a
// busy scheduler held back do not leave together: in any span w at most
// burst + rate*w requests pass.
type limiter struct {
	rate  float64 // tokens per second; +Inf: no limit
	burst float64
	hold  chan struct{} // a one-slot lock that waits can give up on

	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), hold: make(chan struct{}, 1)}
}

// wait takes a token, or returns ctx's error if ctx ends first.
func (l *limiter) wait(ctx context.Context) error {
	if math.IsInf(l.rate, 1) {
		return ctx.Err()
	}
	select {
	case l.hold <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.hold }()
	for {
		now := time.Now()
		if !l.last.IsZero() {
			l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		}
		l.last = now
		if l.tokens >= 1 {
			l.tokens--
			return nil
		}
		d := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
		if err := sleepCtx(ctx, max(d, time.Microsecond)); err != nil {
			return err
		}
	}
}
