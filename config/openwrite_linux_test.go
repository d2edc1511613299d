package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadStableWaitsForAWriterWithoutLease: when hookrunner may not take a
// lease on its config (the documented systemd setup: hooks.yaml owned by
// root, the service its own user), a save written in two pieces is still
// not read half-written: inotify saw the first piece and no close after
// it. Without the tracker the half file, stable through several checks,
// was loaded.
func TestReadStableWaitsForAWriterWithoutLease(t *testing.T) {
	checks := make(chan struct{}, 100)
	old := leaseCheck
	leaseCheck = func(*os.File) (int, error) { checks <- struct{}{}; return 0, unix.EACCES }
	t.Cleanup(func() { leaseCheck = old })

	path := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(path, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The load at start: the tracker begins to watch.
	if b, err := ReadStable(path); err != nil || string(b) != "rules: []\n" {
		t.Fatalf("first read: %q, %v", b, err)
	}
	for len(checks) > 0 {
		<-checks
	}
	whole := "sources:\n  gh: { provider: github, secret: s }\nrules:\n  - name: first\n  - name: second\n"
	cut := strings.Index(whole, "  - name: second")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(whole[:cut]); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, err := ReadStable(path)
		if err != nil {
			t.Error(err)
		}
		got <- string(b)
	}()
	// The half file has been stable through two writer checks: the
	// content check alone would have taken it at the first.
	for seen := 0; seen < 2; {
		select {
		case <-checks:
			seen++
		case s := <-got:
			t.Fatalf("read %q while the writer still held the file", s)
		}
	}
	if _, err := f.WriteString(whole[cut:]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != whole {
		t.Fatalf("read %q, want the whole file", s)
	}
}

// TestWriteTrackerClosedWriterIsDone: a file written and closed is not
// being written; a file modified again is, until it is closed.
func TestWriteTrackerClosedWriterIsDone(t *testing.T) {
	var tr writeTracker
	path := filepath.Join(t.TempDir(), "a.yaml")
	if tr.writing(path) {
		t.Fatal("not watched yet, yet reported as written")
	}
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tr.writing(path) {
		t.Fatal("written and closed, yet reported as being written")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("y")
	if !tr.writing(path) {
		t.Fatal("modified and open: not reported")
	}
	if tr.writing(filepath.Join(filepath.Dir(path), "other.yaml")) {
		t.Fatal("another file of the directory reported")
	}
	f.Close()
	if tr.writing(path) {
		t.Fatal("closed: still reported")
	}
}

// TestWriteTrackerNeverStuck: a mark goes when the name gets another file
// (renamed over, renamed away while its writer still holds it), and after
// staleWrite when no close comes (truncate(2) by path); a symlinked config
// is followed to the file that changes.
func TestWriteTrackerNeverStuck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tr writeTracker
	tr.writing(path) // starts watching
	t.Run("renamed away while open, then a save renamed over", func(t *testing.T) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString("b")
		if !tr.writing(path) {
			t.Fatal("modified and open: not reported")
		}
		if err := os.Rename(path, path+".bak"); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+".tmp", []byte("c"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			t.Fatal(err)
		}
		if tr.writing(path) {
			t.Fatal("another file under the name, yet still reported as written")
		}
	})
	t.Run("truncate by path", func(t *testing.T) {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
		if !tr.writing(path) {
			t.Fatal("truncated: not reported")
		}
		old := staleWrite
		staleWrite = 0
		defer func() { staleWrite = old }()
		if tr.writing(path) {
			t.Fatal("no close will come, yet the mark stayed past staleWrite")
		}
	})
	t.Run("symlinked config", func(t *testing.T) {
		target := filepath.Join(t.TempDir(), "real.yaml")
		if err := os.WriteFile(target, []byte("a"), 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "linked.yaml")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		tr.writing(link) // starts watching the target's directory
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("b")
		if !tr.writing(link) {
			t.Fatal("the link's target is modified and open: not reported")
		}
		f.Close()
		if tr.writing(link) {
			t.Fatal("closed: still reported")
		}
	})
}
