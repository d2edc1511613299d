package search_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/pgtest"
	"github.com/hookrunner/hookrunner/search"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// stores are the real backends a search runs on.
var stores = map[string]func(t *testing.T) store.Store{
	"sqlite": func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) store.Store {
		s, err := postgres.Open(context.Background(), pgtest.DSN(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

// seed stores n events of source gh, one a second from t0: even ones on
// main, odd ones on dev; every third a "release" event.
func seed(t *testing.T, s store.Store, n int) []*store.Event {
	t.Helper()
	var items []store.Restored
	var evs []*store.Event
	for i := range n {
		ref := "refs/heads/main"
		if i%2 == 1 {
			ref = "refs/heads/dev"
		}
		typ := "push"
		if i%3 == 0 {
			typ = "release"
		}
		ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: typ, DeliveryID: fmt.Sprint("d-", i),
			Headers: map[string]string{"content-type": "application/json", "x-github-event": typ},
			Body:    []byte(fmt.Sprintf(`{"ref":%q,"n":%d,"items":[1,2,3]}`, ref, i)), RemoteIP: "127.0.0.1",
			ReceivedAt: t0.Add(time.Duration(i) * time.Second), Verification: "ok", ConfigHash: "h"}
		items = append(items, store.Restored{Event: ev})
		evs = append(evs, ev)
	}
	if _, err := s.Restore(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSearch(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx := context.Background()
			seed(t, s, 60)
			for _, tc := range []struct {
				name  string
				q     search.Query
				want  []int // the events' n, in order
				next  bool
				part  bool
				count int // scanned
			}{
				{name: "where alone", q: search.Query{Where: `payload.ref == "refs/heads/main" && payload.n >= 50`},
					want: []int{58, 56, 54, 52, 50}, count: 60},
				{name: "narrowed by event type first", q: search.Query{Filter: store.EventFilter{Event: "release"}, Where: `payload.ref == "refs/heads/main" && payload.n > 40`},
					want: []int{54, 48, 42}, count: 20},
				{name: "headers and source", q: search.Query{Filter: store.EventFilter{Since: t0.Add(55 * time.Second)}, Where: `source == "gh" && headers["x-github-event"] == "push"`},
					want: []int{59, 58, 56, 55}, count: 5},
				{name: "delivery id", q: search.Query{Filter: store.EventFilter{DeliveryID: "d-7"}}, want: []int{7}},
				{name: "page full", q: search.Query{Filter: store.EventFilter{Limit: 2}, Where: `payload.ref == "refs/heads/dev"`},
					want: []int{59, 57}, next: true, count: 3},
				{name: "scan cap answers a partial page", q: search.Query{Scan: 10, Where: `payload.n < 5`},
					want: []int{}, next: true, part: true, count: 10},
				{name: "time cap answers a partial page", q: search.Query{Time: time.Nanosecond, Where: `payload.n < 5`},
					want: []int{}, next: true, part: true, count: 1},
				{name: "budget spent is no match", q: search.Query{Budget: 1, Where: `all(payload.items, {# > 0}) && payload.n >= 0`},
					want: []int{}, count: 60},
				{name: "a missing field is no match", q: search.Query{Where: `payload.nope.deeper == 1`}, want: []int{}, count: 60},
			} {
				p, err := search.Run(ctx, s, tc.q)
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				got := []int{}
				for _, ev := range p.Events {
					var n int
					fmt.Sscanf(ev.DeliveryID, "d-%d", &n)
					got = append(got, n)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) || (p.Next != nil) != tc.next || p.Partial != tc.part || p.Scanned != tc.count {
					t.Errorf("%s: got %v next=%v partial=%v scanned=%d; want %v next=%v partial=%v scanned=%d",
						tc.name, got, p.Next != nil, p.Partial, p.Scanned, tc.want, tc.next, tc.part, tc.count)
				}
			}
		})
	}
}

// TestContinueFromCursor: pages cut by the scan cap, followed by their
// cursors, find every match exactly once.
func TestContinueFromCursor(t *testing.T) {
	s := stores["sqlite"](t)
	seed(t, s, 100)
	q := search.Query{Scan: 7, Where: `payload.n % 10 == 3`, Filter: store.EventFilter{Limit: 3}}
	var got []string
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatal("the search does not end")
		}
		p, err := search.Run(context.Background(), s, q)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scanned > 7 {
			t.Fatalf("scanned %d events in one call, cap 7", p.Scanned)
		}
		for _, ev := range p.Events {
			got = append(got, ev.DeliveryID)
		}
		if p.Next == nil {
			break
		}
		q.Filter.After = p.Next
	}
	if want := "d-93 d-83 d-73 d-63 d-53 d-43 d-33 d-23 d-13 d-3"; strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestCompileRefusesBadFilters(t *testing.T) {
	for _, where := range []string{`payload.ref ==`, `1 +`, `"a" +`, strings.Repeat("a", search.MaxWhere+1)} {
		_, err := search.Run(context.Background(), nil, search.Query{Where: where})
		var fe *search.FilterError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "where: ") {
			t.Errorf("where %.30q: error %v, want a where: error", where, err)
		}
	}
}
