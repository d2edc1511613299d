package sqlstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
)

func openFiltered(t *testing.T, path string, bits int) *sqlstore.Store {
	t.Helper()
	o := sqlite.Options{}
	o.SeenFilterBits = bits
	s, err := sqlite.Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func waitLoads(t *testing.T, s *sqlstore.Store, n int64) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := sqlstore.WaitFilterLoads(ctx, s, n)
	if err != nil {
		t.Fatalf("delivery filter loaded %d times, want %d: %v", got, n, err)
	}
	return got
}

func ingestDelivery(t *testing.T, s store.Store, source, delivery string, at time.Time) store.IngestResult {
	t.Helper()
	ev := &store.Event{ID: store.NewID(), Source: source, Provider: "generic", Event: "push", DeliveryID: delivery,
		Headers: map[string]string{}, Body: []byte(`{}`), ReceivedAt: at, Verification: "none"}
	res, err := s.Ingest(context.Background(), ev, nil, at.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The delivery filter only saves reads: whatever it holds, a delivery
// stored within the window is a duplicate, to Seen and to Ingest, and one
// never stored is not.
func TestDeliveryFilter(t *testing.T) {
	ctx := context.Background()
	t0 := time.Now()

	t.Run("loaded at open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hr.db")
		first := openFiltered(t, path, 0)
		waitLoads(t, first, 1)
		ids := map[string]string{}
		for i := 0; i < 50; i++ {
			d := fmt.Sprintf("d-%d", i)
			ids[d] = ingestDelivery(t, first, "gh", d, t0).EventID
		}
		first.Close()

		s := openFiltered(t, path, 0)
		waitLoads(t, s, 1)
		for d, id := range ids {
			if sqlstore.FilterNever(s, "gh", d) {
				t.Fatalf("the filter loaded at open says %s was never stored", d)
			}
			got, seen, err := s.Seen(ctx, "gh", d, t0.Add(-time.Hour))
			if err != nil || !seen || got != id {
				t.Fatalf("Seen(%s) = %q, %v, %v; want %s", d, got, seen, err, id)
			}
			if res := ingestDelivery(t, s, "gh", d, t0.Add(time.Second)); !res.Duplicate || res.EventID != id {
				t.Fatalf("resend of %s: %+v", d, res)
			}
		}
		if !sqlstore.FilterNever(s, "gh", "never-sent") && !sqlstore.FilterNever(s, "gh", "never-sent-2") {
			t.Fatal("the filter holds ids never stored")
		}
		// Stored after the load: the writer adds it.
		fresh := ingestDelivery(t, s, "gh", "fresh", t0)
		if got, seen, err := s.Seen(ctx, "gh", "fresh", t0.Add(-time.Hour)); err != nil || !seen || got != fresh.EventID {
			t.Fatalf("Seen(fresh) = %q, %v, %v", got, seen, err)
		}
		if res := ingestDelivery(t, s, "gh", "fresh", t0.Add(time.Second)); !res.Duplicate || res.EventID != fresh.EventID {
			t.Fatalf("resend of fresh: %+v", res)
		}
	})

	t.Run("writes of another process", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hr.db")
		s := openFiltered(t, path, 0)
		loads := waitLoads(t, s, 1)
		ingestDelivery(t, s, "gh", "ours", t0) // the writer's baseline
		other := openFiltered(t, path, 0)
		theirs := ingestDelivery(t, other, "gh", "theirs", t0)
		if res := ingestDelivery(t, s, "gh", "theirs", t0.Add(time.Second)); !res.Duplicate || res.EventID != theirs.EventID {
			t.Fatalf("a delivery another process stored was not a duplicate: %+v", res)
		}
		// The other commit put the filter aside and loaded it anew.
		waitLoads(t, s, loads+1)
		if sqlstore.FilterNever(s, "gh", "theirs") {
			t.Fatal("the reloaded filter misses the other process's delivery")
		}
		if got, seen, err := s.Seen(ctx, "gh", "theirs", t0.Add(-time.Hour)); err != nil || !seen || got != theirs.EventID {
			t.Fatalf("Seen = %q, %v, %v", got, seen, err)
		}
	})

	t.Run("a full filter is loaded anew", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "hr.db")
		s := openFiltered(t, path, 1<<10) // 1,024 bits: reloaded after 51 new ids
		waitLoads(t, s, 1)
		ids := map[string]string{}
		for i := 0; i < 300; i++ {
			d := fmt.Sprintf("d-%d", i)
			res := ingestDelivery(t, s, "gh", d, t0)
			if res.Duplicate {
				t.Fatalf("%s is new, stored as a duplicate of %s", d, res.EventID)
			}
			ids[d] = res.EventID
		}
		waitLoads(t, s, 2)
		for d, id := range ids {
			if res := ingestDelivery(t, s, "gh", d, t0.Add(time.Second)); !res.Duplicate || res.EventID != id {
				t.Fatalf("resend of %s: %+v", d, res)
			}
		}
	})
}

// TestFilterLoadAtClose: a filter load that meets a closed store (a short
// CLI command closes it while the load starts) fails without a warning on
// stderr, where a command's JSON output could be read with it.
func TestFilterLoadAtClose(t *testing.T) {
	s := openFiltered(t, filepath.Join(t.TempDir(), "hr.db"), 0)
	waitLoads(t, s, 1)
	var logs bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(prev)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := sqlstore.LoadFilter(context.Background(), s)
	if !errors.Is(err, sqlstore.ErrClosed) {
		t.Fatalf("load after close = %v, want ErrClosed", err)
	}
	if logs.Len() > 0 {
		t.Fatalf("a load at close logged:\n%s", logs.String())
	}
}

// TestCloseWaitsForFilterLoad: a store closed while its delivery filter
// loads returns from Close only when the load has ended and its read
// connection is closed (one that outlived Close checkpointed the file
// while a test's temporary directory was being removed).
func TestCloseWaitsForFilterLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hr.db")
	s := openFiltered(t, path, 0)
	ingestDelivery(t, s, "gh", "d-1", time.Now())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	reading := make(chan struct{})
	var once sync.Once
	var ended atomic.Bool
	sqlstore.SetLoadRowHook(func(ctx context.Context) {
		once.Do(func() { close(reading) })
		<-ctx.Done() // the load goes on until the store closes
		ended.Store(true)
	})
	defer sqlstore.SetLoadRowHook(nil)
	s = openFiltered(t, path, 0)
	<-reading
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !ended.Load() {
		t.Fatal("Close returned while the filter load was still reading")
	}
	if n := sqlstore.OpenConns(s); n != 0 {
		t.Fatalf("%d connections open after Close", n)
	}
}
