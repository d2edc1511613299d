package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// A store.dsn may be a file: URI with query parameters: the file named is
// the database (the same one a plain path opens), the parameters reach
// the driver, and those that would undo WAL or durable writes are refused.
func TestFileURIDSN(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "h.db")
	s, err := sqlite.Open(ctx, "file:"+path+"?_pragma=cache_size(-2000)", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := &store.Event{ID: store.NewID(), Source: "s", Provider: "generic", Headers: map[string]string{}, Body: []byte("x")}
	if _, err := s.Ingest(ctx, ev, nil, ev.ReceivedAt); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the path the URI names: %v", err)
	}
	for _, name := range []string{"file:", "?", "_pragma=cache_size(-2000)"} {
		if _, err := os.Stat(filepath.Join(dir, "sub", name)); err == nil {
			t.Errorf("stray file %q created", name)
		}
	}
	s, err = sqlite.Open(ctx, path, sqlite.Options{}) // the same database as a plain path
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetEvent(ctx, ev.ID); err != nil {
		t.Fatalf("event not in the database the URI named: %v", err)
	}

	for dsn, want := range map[string]string{
		"file:" + path + "?_pragma=journal_mode(DELETE)": "set by hookrunner",
		"file:" + path + "?_pragma=synchronous(OFF)":     "store.synchronous",
		"file:" + path + "?_txlock=deferred":             "set by hookrunner",
		"file:" + path + "?mode=memory":                  "mode=memory",
		"file::memory:":                                  "names no database file",
		"file://otherhost/x.db":                          "local file",
	} {
		if _, _, err := sqlite.ParseDSN(dsn); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", dsn, err, want)
		}
	}
	for dsn, want := range map[string]string{
		"/var/lib/h.db":             "/var/lib/h.db",
		"file:/var/lib/h.db":        "/var/lib/h.db",
		"file:///var/lib/h.db?a=b":  "/var/lib/h.db",
		"file://localhost/var/h.db": "/var/h.db",
	} {
		if got, _, err := sqlite.ParseDSN(dsn); err != nil || got != want {
			t.Errorf("%s: path = %q, %v; want %q", dsn, got, err, want)
		}
	}
}
