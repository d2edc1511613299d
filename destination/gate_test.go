package destination_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/destination"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*destination.Gate, *clock) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hookrunner.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	return destination.New(destination.Options{Store: st, Owner: "test", Now: clk.Now}), clk
}

// target is a local server answering status, counting requests.
func target(t *testing.T) (srv *httptest.Server, status *atomic.Int32, hits *atomic.Int32) {
	status, hits = &atomic.Int32{}, &atomic.Int32{}
	status.Store(http.StatusServiceUnavailable)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)
	return srv, status, hits
}

func send(t *testing.T, ctx context.Context, url string) error {
	t.Helper()
	c := actions.NewHTTPClient(0, 5*time.Second, time.Second)
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, url, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = actions.DoHTTP(c, req, 1024, func(c int) bool { return c < 300 }, time.Second)
	return err
}

// TestBreaker: consecutive failures open it; open, requests wait without
// reaching the host; after the cooldown one probe goes: failed, it is a
// Wait (no attempt spent) and the breaker opens again; succeeded, it
// closes.
func TestBreaker(t *testing.T) {
	g, clk := setup(t)
	g.Configure(config.Breaker{Failures: 2, Cooldown: config.Duration(time.Minute)}, nil)
	srv, status, hits := target(t)
	ctx := actions.WithGate(context.Background(), g)
	dest := actions.DestinationOf(srv.Listener.Addr().String())
	state := func() destination.Breaker {
		for _, b := range g.Breakers() {
			if b.Destination == dest {
				return b
			}
		}
		return destination.Breaker{}
	}

	steps := []struct {
		name    string
		advance time.Duration
		status  int
		wait    bool // the request is a Wait
		hits    int32
		state   destination.BreakerState
	}{
		{"first failure", 0, 503, false, 1, destination.Closed},
		{"second failure opens", 0, 503, false, 2, destination.Open},
		{"open: waits, not sent", 0, 503, true, 2, destination.Open},
		{"open: still waits", 59 * time.Second, 503, true, 2, destination.Open},
		{"failed probe waits and reopens", time.Second, 503, true, 3, destination.Open},
		{"reopened: waits", 30 * time.Second, 200, true, 3, destination.Open},
		{"probe succeeds, closes", 30 * time.Second, 200, false, 4, destination.Closed},
		{"closed: sends", 0, 200, false, 5, destination.Closed},
		{"one failure does not open", 0, 429, false, 6, destination.Closed},
		{"a success resets the count", 0, 200, false, 7, destination.Closed},
		{"one failure again", 0, 500, false, 8, destination.Closed},
	}
	for _, s := range steps {
		clk.Add(s.advance)
		status.Store(int32(s.status))
		err := send(t, ctx, srv.URL)
		w := actions.AsWait(err)
		if (w != nil) != s.wait {
			t.Fatalf("%s: err = %v, want a wait: %v", s.name, err, s.wait)
		}
		if w != nil && !w.Until.After(clk.Now()) {
			t.Fatalf("%s: waits until %v, not after now %v", s.name, w.Until, clk.Now())
		}
		if got := hits.Load(); got != s.hits {
			t.Fatalf("%s: the host got %d requests, want %d", s.name, got, s.hits)
		}
		if got := state().State; got != s.state {
			t.Fatalf("%s: breaker %s, want %s", s.name, got, s.state)
		}
	}
	// A client that retries does not retry a Wait: it is the run's.
	status.Store(503)
	for range 2 {
		_ = send(t, ctx, srv.URL)
	}
	before := hits.Load()
	c := actions.NewHTTPClient(5, 5*time.Second, time.Second)
	req, _ := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, srv.URL, nil)
	if _, err := actions.DoHTTP(c, req, 1024, func(c int) bool { return c < 300 }, time.Second); actions.AsWait(err) == nil {
		t.Fatalf("open breaker with retries: %v", err)
	}
	if hits.Load() != before {
		t.Fatal("an open breaker let a retried request through")
	}
}

// TestNoBreakerByDefault: without `breaker:` failures never stop requests.
func TestNoBreakerByDefault(t *testing.T) {
	g, _ := setup(t)
	srv, _, hits := target(t)
	ctx := actions.WithGate(context.Background(), g)
	for range 10 {
		if err := send(t, ctx, srv.URL); err == nil || actions.AsWait(err) != nil {
			t.Fatalf("err = %v", err)
		}
	}
	if hits.Load() != 10 {
		t.Fatalf("hits = %d", hits.Load())
	}
}

// TestLimits: a rate place beyond the horizon and a full concurrency
// limit are Waits; a freed slot admits again; other hosts are not limited.
func TestLimits(t *testing.T) {
	g, clk := setup(t)
	g.Configure(config.Breaker{}, map[string]config.Limit{
		"slow.example.com": {Rate: config.Rate(1.0 / 3600)},
		"busy.example.com": {Concurrency: 1},
	})
	ctx := context.Background()
	if _, err := g.Admit(ctx, "slow.example.com"); err != nil {
		t.Fatal(err)
	}
	_, err := g.Admit(ctx, "slow.example.com")
	if w := actions.AsWait(err); w == nil || !w.Until.Equal(clk.Now().Add(time.Hour)) {
		t.Fatalf("second request at 1/h: %v", err)
	}
	first, err := g.Admit(ctx, "busy.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Admit(ctx, "busy.example.com"); actions.AsWait(err) == nil {
		t.Fatalf("second request with concurrency 1: %v", err)
	}
	if err := first.Done(false); err != nil {
		t.Fatal(err)
	}
	second, err := g.Admit(ctx, "busy.example.com")
	if err != nil {
		t.Fatalf("after the first is done: %v", err)
	}
	second.Abandon()
	for range 5 {
		if tk, err := g.Admit(ctx, "free.example.com"); err != nil {
			t.Fatal(err)
		} else {
			_ = tk.Done(false)
		}
	}
}

// slowRates is a store whose rate reservations take lag on the test's
// clock (a slow database, a descheduled worker) for the first slow ones;
// with growing, each takes twice the one before.
type slowRates struct {
	store.Destinations
	clk     *clock
	lag     time.Duration
	slow    int
	growing bool
	places  []time.Time
}

func (s *slowRates) ReserveRate(ctx context.Context, dest string, r store.RateRequest) (time.Time, bool, error) {
	at, ok, err := s.Destinations.ReserveRate(ctx, dest, r)
	s.places = append(s.places, at)
	if len(s.places) <= s.slow {
		s.clk.Add(s.lag)
		if s.growing {
			s.lag *= 2
		}
	}
	return at, ok, err
}

// TestLateRatePlace: a request whose place passed by more than half an
// interval before it could go takes a new place, asked for as far ahead as
// it came late, instead of going late into the next one's second; one that
// keeps missing its place waits in the queue (no attempt spent).
func TestLateRatePlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lag     time.Duration // on each slow reservation
		slow    int           // reservations that are slow
		growing bool          // each slow one twice the one before
		places  int           // places taken
		wait    bool          // the run waits instead of sending
	}{
		{"on time", 50 * time.Millisecond, 1, false, 1, false},
		{"late once", 150 * time.Millisecond, 1, false, 2, false},
		// The second place is asked for as far ahead as the first came
		// late: with a store always that slow, it is still to come.
		{"a slow store", 250 * time.Millisecond, 99, false, 2, false},
		{"later every time", 250 * time.Millisecond, 99, true, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hookrunner.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			slow := &slowRates{Destinations: st, clk: clk, lag: tc.lag, slow: tc.slow, growing: tc.growing}
			g := destination.New(destination.Options{Store: slow, Owner: "test", Now: clk.Now})
			g.Configure(config.Breaker{}, map[string]config.Limit{"api.example.com": {Rate: config.Rate(5)}}) // a place every 200 ms
			tk, err := g.Admit(context.Background(), "api.example.com")
			if w := actions.AsWait(err); (w != nil) != tc.wait || w == nil && err != nil {
				t.Fatalf("Admit: %v, want a wait %v", err, tc.wait)
			}
			if tk != nil {
				tk.Abandon()
			}
			if len(slow.places) != tc.places {
				t.Fatalf("%d places taken (%v), want %d", len(slow.places), slow.places, tc.places)
			}
		})
	}
}
