package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// browseFamily: what the console's events list asks of the store: keyset
// pages, filters by run state, free-text search, lookups by short id, and
// the runs of a page of events.
func browseFamily(t *testing.T, newStore Factory) {
	ctx := context.Background()

	t.Run("EventPagesPastThousands", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// 2,100 events, three per received_at instant (ties the cursor's
		// id must break), ingested by concurrent callers.
		const n = 2100
		want := make([]*store.Event, n)
		for i := range want {
			want[i] = event("gh", fmt.Sprint(i), t0.Add(time.Duration(i/3)*time.Millisecond))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 8 {
					if _, err := s.Ingest(ctx, want[i], nil, t0.Add(-time.Hour)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		sort.Slice(want, func(i, j int) bool {
			a, b := want[i], want[j]
			if !a.ReceivedAt.Equal(b.ReceivedAt) {
				return a.ReceivedAt.After(b.ReceivedAt)
			}
			return a.ID > b.ID
		})
		var got []*store.Event
		var after *store.Cursor
		for pages := 0; ; pages++ {
			if pages > n/100+1 {
				t.Fatal("paging does not end")
			}
			page, err := s.ListEvents(ctx, store.EventFilter{Limit: 100, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			last := page[len(page)-1]
			after = &store.Cursor{ReceivedAt: last.ReceivedAt, ID: last.ID}
		}
		if len(got) != n {
			t.Fatalf("paged through %d events, want %d", len(got), n)
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("event %d of the pages is %s (delivery %s), want %s (delivery %s)", i, got[i].ID, got[i].DeliveryID, want[i].ID, want[i].DeliveryID)
			}
		}
	})

	t.Run("EventSearchStateAndShortID", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a := event("gh", "delivery-aaa-111", t0)
		a.Body = []byte(`{"order":"A-1001","note":"50% off_sale"}`)
		b := event("gh", "delivery-bbb-222", t0.Add(time.Second))
		b.Body = []byte(`{"order":"B-2002"}`)
		c := event("stripe", "evt_ccc", t0.Add(2*time.Second))
		ra := run(a, "deploy", t0)
		ingest(t, s, a, ra)
		ingest(t, s, b, run(b, "deploy", t0))
		ingest(t, s, c) // matched nothing
		claimed := claim(t, s, "w", 1, t0, nil)
		if len(claimed) != 1 || claimed[0].ID != ra.ID {
			t.Fatalf("claim = %+v", claimed)
		}
		if err := s.Finish(ctx, "w", ra.ID, store.Outcome{State: store.Dead, Attempt: store.Attempt{N: 1}}); err != nil {
			t.Fatal(err)
		}
		ids := func(f store.EventFilter) []string {
			t.Helper()
			evs, err := s.ListEvents(ctx, f)
			if err != nil {
				t.Fatalf("list %+v: %v", f, err)
			}
			var out []string
			for _, e := range evs {
				out = append(out, e.DeliveryID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    store.EventFilter
			want []string
		}{
			{"payload text", store.EventFilter{Search: "B-2002"}, []string{b.DeliveryID}},
			{"delivery id part", store.EventFilter{Search: "aaa-1"}, []string{a.DeliveryID}},
			{"LIKE wildcards are text", store.EventFilter{Search: "50% off_"}, []string{a.DeliveryID}},
			{"% alone matches only a %", store.EventFilter{Search: "%"}, []string{a.DeliveryID}},
			{"case-sensitive", store.EventFilter{Search: "b-2002"}, nil},
			{"short id", store.EventFilter{Search: store.ShortID(c.ID)}, []string{c.DeliveryID}},
			{"short id, upper case", store.EventFilter{Search: strings.ToUpper(store.ShortID(b.ID))}, []string{b.DeliveryID}},
			{"full id", store.EventFilter{Search: a.ID}, []string{a.DeliveryID}},
			{"id suffix", store.EventFilter{IDSuffix: strings.ToUpper(store.ShortID(a.ID))}, []string{a.DeliveryID}},
			{"id suffix, not hex", store.EventFilter{IDSuffix: "%"}, nil},
			{"with a dead run", store.EventFilter{State: store.Dead}, []string{a.DeliveryID}},
			{"with a pending run", store.EventFilter{State: store.Pending}, []string{b.DeliveryID}},
			{"matched nothing", store.EventFilter{State: store.NoRuns}, []string{c.DeliveryID}},
			{"source and search", store.EventFilter{Source: "stripe", Search: "delivery"}, nil},
			{"time range", store.EventFilter{Since: t0.Add(time.Second), Before: t0.Add(2 * time.Second)}, []string{b.DeliveryID}},
		} {
			if got := ids(tc.f); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		if id, err := store.ResolveEventID(ctx, s, store.ShortID(b.ID)); err != nil || id != b.ID {
			t.Fatalf("resolve short id of b = %s, %v", id, err)
		}
		if _, err := store.ResolveEventID(ctx, s, "00000000"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resolve an unknown short id: %v", err)
		}
		runs, err := s.ListRuns(ctx, store.RunFilter{EventIDs: []string{a.ID, c.ID}})
		if err != nil || len(runs) != 1 || runs[0].ID != ra.ID || runs[0].State != store.Dead {
			t.Fatalf("runs of events a and c = %+v, %v", runs, err)
		}
		// Runs take short ids too; an ending two runs share is ambiguous.
		if id, err := store.ResolveRunID(ctx, s, strings.ToUpper(store.ShortID(ra.ID))); err != nil || id != ra.ID {
			t.Fatalf("resolve short run id of ra = %s, %v", id, err)
		}
		if _, err := store.ResolveRunID(ctx, s, "00000000"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resolve an unknown short run id: %v", err)
		}
		if runs, err := s.ListRuns(ctx, store.RunFilter{IDSuffix: "%"}); err != nil || len(runs) != 0 {
			t.Fatalf("runs whose id ends with %%: %d, %v", len(runs), err)
		}
		d, e := event("gh", "delivery-ddd", t0.Add(3*time.Second)), event("gh", "delivery-eee", t0.Add(4*time.Second))
		rd, re := run(d, "deploy", t0), run(e, "deploy", t0)
		rd.ID, re.ID = "01900000-0000-7000-8000-0000abcd1234", "01900000-0000-7000-8000-0001abcd1234"
		ingest(t, s, d, rd)
		ingest(t, s, e, re)
		if _, err := store.ResolveRunID(ctx, s, "abcd1234"); !errors.Is(err, store.ErrAmbiguous) || !strings.Contains(err.Error(), rd.ID) || !strings.Contains(err.Error(), re.ID) {
			t.Fatalf("resolve a short id two runs share: %v", err)
		}
		if id, err := store.ResolveRunID(ctx, s, "1abcd1234"); err != nil || id != re.ID {
			t.Fatalf("resolve a longer tail = %s, %v", id, err)
		}
	})
}
