package crm

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/expression"
)

func sqliteAction(t *testing.T) (*Action, *sqlDriver) {
	t.Helper()
	cfg := Config{Driver: "sql", DSN: filepath.Join(t.TempDir(), "crm.db"), Table: "contacts", Key: []string{"email"},
		Fields: map[string]string{"email": "payload.email"}, CreateTable: true}
	a, err := actions.Build("crm", actions.BuildContext{Decode: func(v any) error { *v.(*Config) = cfg; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a.(*Action), a.(*Action).d.(*sqlDriver)
}

func upsert(t *testing.T, a *Action, email string) string {
	t.Helper()
	res, err := a.Run(context.Background(), &actions.Invocation{Env: &expression.Env{ID: "e", Payload: map[string]any{"email": email}}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res.Detail
}

// The action owns its pool: Close closes it (no pool outlives the config
// it belongs to), at once or, while an upsert uses it, when that upsert is
// done; a run that starts after Close still completes, on a pool of its own
// that it closes.
func TestCloseClosesThePool(t *testing.T) {
	ctx := context.Background()
	t.Run("idle pool closes at once", func(t *testing.T) {
		a, d := sqliteAction(t)
		upsert(t, a, "a@example.com")
		db := d.db
		if db == nil {
			t.Fatal("no pool after a run")
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.PingContext(ctx); err == nil || d.db != nil {
			t.Fatalf("pool still open after Close (ping: %v)", err)
		}
	})
	t.Run("pool in use closes when released", func(t *testing.T) {
		a, d := sqliteAction(t)
		db, release, err := d.open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.PingContext(ctx); err != nil {
			t.Fatalf("Close broke an upsert in flight: %v", err)
		}
		release()
		if err := db.PingContext(ctx); err == nil || d.db != nil {
			t.Fatal("pool still open after its last user released it")
		}
	})
	t.Run("run after close completes and keeps no pool", func(t *testing.T) {
		a, d := sqliteAction(t)
		upsert(t, a, "a@example.com")
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		if got := upsert(t, a, "b@example.com"); got != "inserted email=b@example.com" {
			t.Fatalf("detail = %q", got)
		}
		if got := upsert(t, a, "a@example.com"); got != "unchanged email=a@example.com" {
			t.Fatalf("detail = %q", got)
		}
		if d.db != nil {
			t.Fatal("a run after Close left a pool behind")
		}
	})
}
