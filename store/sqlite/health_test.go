package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
	"github.com/hookrunner/hookrunner/store/sqlstore"
)

func ingestOne(ctx context.Context, s store.Store, body []byte) error {
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: body, ReceivedAt: now}
	run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	_, err := s.Ingest(ctx, ev, []*store.Run{run}, now.Add(-time.Hour))
	return err
}

// TestPathGoneFailsClosed: once the database file is deleted or replaced
// while open, no write is acknowledged (it would land in a file nobody
// will read again), and Writable says why, for good.
func TestPathGoneFailsClosed(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"deleted": func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		},
		"replaced": func(t *testing.T, path string) {
			tmp := path + ".new"
			if err := os.WriteFile(tmp, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, path); err != nil {
				t.Fatal(err)
			}
		},
		"directory removed": func(t *testing.T, path string) {
			if err := os.RemoveAll(filepath.Dir(path)); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "db", "hookrunner.db")
			s, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := ingestOne(ctx, s, []byte("{}")); err != nil {
				t.Fatal(err)
			}
			if err := s.Writable(ctx); err != nil {
				t.Fatalf("healthy store not writable: %v", err)
			}
			breakIt(t, path)
			for i := 0; i < 3; i++ {
				if err := ingestOne(ctx, s, []byte("{}")); !errors.Is(err, sqlstore.ErrUnwritable) {
					t.Fatalf("write %d after the file went away: err = %v, want ErrUnwritable", i, err)
				}
			}
			if err := s.Writable(ctx); !errors.Is(err, sqlstore.ErrUnwritable) {
				t.Fatalf("Writable = %v after the file went away", err)
			}
		})
	}
}

// TestDiskFullNotWritable fills a small tmpfs under the store: writes fail,
// Writable reports it, and once room is made it reports writable again.
// It needs root (mount); it skips elsewhere.
func TestDiskFullNotWritable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	ctx := context.Background()
	clock := &fakeClock{now: time.Now()}
	s, err := sqlite.Open(ctx, filepath.Join(dir, "hookrunner.db"), sqlite.Options{Options: sqlstore.Options{Now: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'x'}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // the disk is full
		}
	}
	f.Close()
	body := bytes.Repeat([]byte{'y'}, 256<<10)
	failed := false
	for i := 0; i < 8 && !failed; i++ {
		failed = ingestOne(ctx, s, body) != nil
	}
	if !failed {
		t.Fatal("writes still succeed on a full disk")
	}
	if err := s.Writable(ctx); !errors.Is(err, sqlstore.ErrUnwritable) {
		t.Fatalf("Writable = %v on a full disk", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	// A failed write keeps the store unwritable for a while even if a small
	// probe would pass; move the store's clock past that instead of waiting.
	if err := s.Writable(ctx); !errors.Is(err, sqlstore.ErrUnwritable) {
		t.Fatalf("Writable = %v at once after room was made: the fault hold did not hold", err)
	}
	clock.Advance(time.Minute)
	if err := s.Writable(ctx); err != nil {
		t.Fatalf("still not writable after room was made: %v", err)
	}
	if err := ingestOne(ctx, s, body); err != nil {
		t.Fatalf("write after room was made: %v", err)
	}
}

// fakeClock is a store clock that moves only when the test says.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
