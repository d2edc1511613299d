package destination

import (
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/actions"
)

// BreakerState is where a destination's circuit breaker stands.
type BreakerState string

// Breaker states: closed lets requests through; open makes runs wait
// until the cooldown is over; half-open lets one probe request through.
const (
	Closed   BreakerState = "closed"
	Open     BreakerState = "open"
	HalfOpen BreakerState = "half-open"
)

// Breaker is what the console, the API and /metrics show of a breaker.
type Breaker struct {
	Destination string       `json:"destination"`
	State       BreakerState `json:"state"`
	// Failures counts the consecutive failed requests.
	Failures  int       `json:"failures"`
	OpenUntil time.Time `json:"open_until,omitzero"`
}

// breaker is one destination's breaker; the Gate's mutex guards it.
type breaker struct {
	Breaker
	probing bool
}

// admit decides a request at now; probe is set when it is the half-open
// probe (its outcome decides the breaker). g.mu is held.
func (b *breaker) admit(now time.Time, cooldown time.Duration) (probe bool, err error) {
	switch b.State {
	case Open:
		if now.Before(b.OpenUntil) {
			return false, &actions.Wait{Until: b.OpenUntil, Reason: fmt.Sprintf("circuit breaker of %s is open after %d consecutive failures", b.Destination, b.Failures)}
		}
		b.State = HalfOpen
		fallthrough
	case HalfOpen:
		if b.probing {
			// One probe at a time; the others look again soon.
			return false, &actions.Wait{Until: now.Add(min(cooldown, time.Second)), Reason: fmt.Sprintf("circuit breaker of %s is half-open: a probe request is in flight", b.Destination)}
		}
		b.probing = true
		return true, nil
	}
	return false, nil
}

// done records the outcome of a request admitted at admit. A failed probe
// opens the breaker again and returns the Wait its run takes instead of
// spending an attempt.
func (b *breaker) done(probe, failed bool, now time.Time, threshold int, cooldown time.Duration) error {
	if probe {
		b.probing = false
		if !failed {
			b.State, b.Failures, b.OpenUntil = Closed, 0, time.Time{}
			return nil
		}
		b.Failures++
		b.State, b.OpenUntil = Open, now.Add(cooldown)
		return &actions.Wait{Until: b.OpenUntil, Reason: fmt.Sprintf("circuit breaker of %s: the probe request failed; open again", b.Destination)}
	}
	if !failed {
		if b.State == Closed {
			b.Failures = 0
		}
		return nil
	}
	b.Failures++
	if b.State == Closed && b.Failures >= threshold {
		b.State, b.OpenUntil = Open, now.Add(cooldown)
	}
	return nil
}

// abandon forgets a request that ended without a verdict (cancelled).
func (b *breaker) abandon(probe bool) {
	if probe {
		b.probing = false
	}
}
