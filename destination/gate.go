// Package destination decides whether an action's request may go to its
// destination now: the circuit breaker of each host (in this process) and
// the limits of `limits:` (rate and concurrency, shared through the store
// by every replica). It implements actions.Gate; a request that must not
// go now gets an *actions.Wait and its run waits in the queue without
// spending an attempt.
package destination

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/store"
)

// Horizon is how far ahead a request reserves its place in a rate limit
// and waits for it in process; a place further away makes the run wait
// in the queue instead.
const Horizon = time.Second

// SlotLease is the lease of a concurrency slot, renewed while the request
// runs: a replica that dies frees its slots when their leases end.
const SlotLease = 30 * time.Second

// Options configure a Gate.
type Options struct {
	Store store.Destinations
	// Owner names this process in slot leases.
	Owner  string
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Gate is the breakers and limits of every destination.
type Gate struct {
	st    store.Destinations
	owner string
	log   *slog.Logger
	now   func() time.Time
	cfg   atomic.Pointer[settings]
	seq   atomic.Uint64

	mu       sync.Mutex
	breakers map[string]*breaker
}

type settings struct {
	breaker config.Breaker
	limits  map[string]config.Limit
}

var _ actions.Gate = (*Gate)(nil)

// New returns a Gate with no breaker and no limits until Configure.
func New(o Options) *Gate {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	g := &Gate{st: o.Store, owner: o.Owner, log: o.Logger, now: o.Now, breakers: map[string]*breaker{}}
	g.cfg.Store(&settings{})
	return g
}

// Configure installs the breaker and limits of a config (at start and at
// each reload); breakers keep their state.
func (g *Gate) Configure(b config.Breaker, limits map[string]config.Limit) {
	if b.Failures > 0 && b.Cooldown <= 0 {
		b.Cooldown = config.Duration(config.DefaultBreakerCooldown)
	}
	g.cfg.Store(&settings{breaker: b, limits: limits})
}

// Admit implements actions.Gate.
func (g *Gate) Admit(ctx context.Context, dest string) (actions.Ticket, error) {
	cfg := g.cfg.Load()
	t := &ticket{g: g, dest: dest, cfg: cfg}
	if cfg.breaker.Failures > 0 {
		g.mu.Lock()
		b := g.breakerFor(dest)
		var probe bool
		var err error
		if b != nil {
			probe, err = b.admit(g.now(), cfg.breaker.Cooldown.D())
		}
		g.mu.Unlock()
		if err != nil {
			return nil, err
		}
		t.breaker, t.probe = b, probe
	}
	lim, limited := cfg.limits[dest]
	if !limited {
		return t, nil
	}
	if lim.Concurrency > 0 {
		if err := t.takeSlot(ctx, lim.Concurrency); err != nil {
			t.Abandon()
			return nil, err
		}
	}
	if lim.Rate > 0 {
		if err := g.waitRate(ctx, dest, lim); err != nil {
			t.Abandon()
			return nil, err
		}
	}
	return t, nil
}

// MaxBreakers bounds the breakers kept: a URL whose host comes from a
// payload (trusted_url) must not grow the map without bound. Healthy
// breakers are forgotten first; past the bound a new host has none.
const MaxBreakers = 4096

// breakerFor returns dest's breaker, creating it (nil when MaxBreakers
// are all in use). g.mu is held.
func (g *Gate) breakerFor(dest string) *breaker {
	if b := g.breakers[dest]; b != nil {
		return b
	}
	if len(g.breakers) >= MaxBreakers {
		for d, b := range g.breakers {
			if b.State == Closed && b.Failures == 0 && !b.probing {
				delete(g.breakers, d)
			}
		}
		if len(g.breakers) >= MaxBreakers {
			return nil
		}
	}
	b := &breaker{Breaker: Breaker{Destination: dest, State: Closed}}
	g.breakers[dest] = b
	return b
}

// waitRate reserves the request's place in dest's rate and sleeps until
// it, or returns a Wait when the place is beyond the Horizon.
//
// A request sends no later than half an interval after its place (or
// takes a new place): one that went late (a slow reservation, a worker
// descheduled) would otherwise leave its place's company and arrive among
// the next ones, and a window of one second would see more than rate +
// burst. Sent within half an interval of places spaced an interval
// apart, arrivals keep the limit (TestLateRatePlace). A request that went
// late asks for its next place as far ahead as it came late: a store slow
// to answer (PostgreSQL under load, at a high rate) then hands a place
// still to come instead of one already passed, and the limit keeps its
// rate.
func (g *Gate) waitRate(ctx context.Context, dest string, lim config.Limit) error {
	interval := lim.Rate.Interval()
	slack := min(interval/2, time.Second)
	var ahead time.Duration
	for try := 1; ; try++ {
		now := g.now()
		at, ok, err := g.st.ReserveRate(ctx, dest, store.RateRequest{Now: now.Add(ahead), Interval: interval, Burst: max(lim.Burst, 1), Horizon: Horizon})
		if err != nil {
			// The store cannot say: do not send blind past the limit.
			return &actions.Wait{Until: now.Add(time.Second), Reason: fmt.Sprintf("rate limit of %s: %v", dest, err)}
		}
		if !ok {
			return &actions.Wait{Until: at, Reason: fmt.Sprintf("rate limit of %s (%s/s) reached", dest, fmtRate(lim.Rate))}
		}
		if d := at.Sub(g.now()); d > 0 {
			tm := time.NewTimer(d)
			select {
			case <-ctx.Done():
				tm.Stop()
				return context.Cause(ctx)
			case <-tm.C:
			}
		}
		late := g.now().Sub(at)
		if late <= slack {
			return nil
		}
		if try == lateTries {
			return &actions.Wait{Until: g.now(), Reason: fmt.Sprintf("rate limit of %s: %d places in a row passed before the request could go (%s late)", dest, try, late.Round(time.Millisecond))}
		}
		ahead = min(late, Horizon)
	}
}

// lateTries bounds the places a request takes when each passes before it
// can go; then its run waits in the queue (no attempt spent).
const lateTries = 3

func fmtRate(r config.Rate) string {
	b, _ := r.MarshalText()
	return string(b[:len(b)-2])
}

// Breakers returns the state of every breaker that has seen a request,
// by destination.
func (g *Gate) Breakers() []Breaker {
	g.mu.Lock()
	out := make([]Breaker, 0, len(g.breakers))
	now := g.now()
	for _, b := range g.breakers {
		s := b.Breaker
		if s.State == Open && !now.Before(s.OpenUntil) {
			s.State = HalfOpen // the next request is the probe
		}
		out = append(out, s)
	}
	g.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}

// Limit is a configured limit as the console and API show it.
type Limit struct {
	Destination string  `json:"destination"`
	Rate        float64 `json:"rate_per_second,omitempty"`
	Burst       int     `json:"burst,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
}

// Status is the breakers that have seen requests (of this process) and
// the limits in force.
type Status struct {
	BreakerFailures int       `json:"breaker_failures"`
	Breakers        []Breaker `json:"breakers"`
	Limits          []Limit   `json:"limits"`
}

// Status returns the breakers and the limits in force.
func (g *Gate) Status() Status {
	cfg := g.cfg.Load()
	out := Status{BreakerFailures: cfg.breaker.Failures, Breakers: g.Breakers(), Limits: []Limit{}}
	for d, l := range cfg.limits {
		out.Limits = append(out.Limits, Limit{Destination: d, Rate: l.Rate.PerSecond(), Burst: max(l.Burst, 1), Concurrency: l.Concurrency})
	}
	sort.Slice(out.Limits, func(i, j int) bool { return out.Limits[i].Destination < out.Limits[j].Destination })
	return out
}

// ticket is an admitted request: its breaker verdict and its slot.
type ticket struct {
	g       *Gate
	dest    string
	cfg     *settings
	breaker *breaker
	probe   bool
	holder  string
	stop    chan struct{}
	once    sync.Once
}

func (t *ticket) takeSlot(ctx context.Context, limit int) error {
	g := t.g
	holder := fmt.Sprintf("%s/%d", g.owner, g.seq.Add(1))
	now := g.now()
	ok, err := g.st.AcquireSlot(ctx, t.dest, limit, holder, now, now.Add(SlotLease))
	if err != nil {
		return &actions.Wait{Until: now.Add(time.Second), Reason: fmt.Sprintf("concurrency limit of %s: %v", t.dest, err)}
	}
	if !ok {
		// No way to know when a slot frees: look again soon, spread.
		d := 250*time.Millisecond + rand.N(500*time.Millisecond)
		return &actions.Wait{Until: now.Add(d), Reason: fmt.Sprintf("concurrency limit of %s (%d) reached", t.dest, limit)}
	}
	t.holder, t.stop = holder, make(chan struct{})
	go t.renew()
	return nil
}

// renew extends the slot's lease while the request runs.
func (t *ticket) renew() {
	tk := time.NewTicker(SlotLease / 3)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tk.C:
			ctx, cancel := context.WithTimeout(context.Background(), SlotLease/3)
			if err := t.g.st.ExtendSlot(ctx, t.dest, t.holder, t.g.now().Add(SlotLease)); err != nil {
				t.g.log.Warn("extend a concurrency slot", "destination", t.dest, "error", err)
			}
			cancel()
		}
	}
}

func (t *ticket) release() {
	if t.holder == "" {
		return
	}
	close(t.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := t.g.st.ReleaseSlot(ctx, t.dest, t.holder); err != nil {
		// Its lease ends within SlotLease.
		t.g.log.Warn("release a concurrency slot", "destination", t.dest, "error", err)
	}
}

// Done implements actions.Ticket.
func (t *ticket) Done(failed bool) error {
	var err error
	t.once.Do(func() {
		t.release()
		if t.breaker == nil {
			return
		}
		t.g.mu.Lock()
		was := t.breaker.State
		err = t.breaker.done(t.probe, failed, t.g.now(), t.cfg.breaker.Failures, t.cfg.breaker.Cooldown.D())
		if was == Closed && t.breaker.State == Open {
			t.g.log.Warn("circuit breaker open", "destination", t.dest, "failures", t.breaker.Failures, "until", t.breaker.OpenUntil)
		}
		t.g.mu.Unlock()
	})
	return err
}

// Abandon implements actions.Ticket.
func (t *ticket) Abandon() {
	t.once.Do(func() {
		t.release()
		if t.breaker != nil {
			t.g.mu.Lock()
			t.breaker.abandon(t.probe)
			t.g.mu.Unlock()
		}
	})
}
