package engine_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// evalCounter counts the "condition error" records prepare logs, one per
// evaluation of a condition that failed: here, every evaluation.
type evalCounter struct{ n atomic.Int64 }

func (c *evalCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *evalCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "condition error") {
		c.n.Add(1)
	}
	return nil
}
func (c *evalCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *evalCounter) WithGroup(string) slog.Handler      { return c }

func hostileBody(n int) []byte {
	a, b := make([]int, n), make([]int, n)
	for i := range a {
		a[i], b[i] = i, n+i
	}
	body, _ := json.Marshal(map[string]any{"a": a, "b": b})
	return body
}

// TestAcceptBudgetAndDedupeBeforeMatching accepts an event whose condition
// would run for seconds: it is stored, the rule stopped by the budget does
// not match (explain says why), a cheap rule after it is reported too, and
// the same delivery again is a duplicate without any rule evaluated.
func TestAcceptBudgetAndDedupeBeforeMatching(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hr.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap := build(t, []byte(`sources:
  gh: { provider: github, secret: "s3cret-for-tests" }
rules:
  - name: hostile
    source: gh
    if: 'any(payload.a, # in payload.b)'
    actions: [ { shell: { command: ["/bin/true"] } } ]
  - name: after
    source: gh
    if: payload.a[0] == 0
    actions: [ { shell: { command: ["/bin/true"] } } ]
`))
	counter := &evalCounter{}
	eng := engine.New(snap, engine.Options{Store: st, Logger: slog.New(counter)})
	body := hostileBody(20000)
	doc, _, err := payload.Decode("application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	received := func() *engine.Received {
		return &engine.Received{Snapshot: snap, Source: snap.Sources["gh"], Identity: providers.Identity{Event: "push", DeliveryID: "d-1"},
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, Payload: doc, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
	}

	first, err := eng.Accept(ctx, received())
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || len(first.Matched) != 0 {
		t.Fatalf("first delivery: %+v", first)
	}
	// Both rules were evaluated and failed: the hostile one on the budget,
	// the next one because the event's budget was spent.
	if got := counter.n.Load(); got != 2 {
		t.Fatalf("%d condition evaluations failed, want 2", got)
	}
	ev, err := st.GetEvent(ctx, first.EventID)
	if err != nil || len(ev.Matched) != 0 {
		t.Fatalf("stored event: %+v, %v", ev, err)
	}
	env := ruleset.NewEnv("gh", "github", providers.Identity{Event: "push", DeliveryID: "d-1"}, ev.ID, ev.Headers, ev.Query, doc, ev.RemoteIP, ev.ReceivedAt)
	for _, d := range snap.Sources["gh"].Explain(env) {
		if d.Matched || !strings.Contains(d.Reason, "evaluation budget exceeded") {
			t.Errorf("explain %s: %+v", d.Rule, d)
		}
	}

	again, err := eng.Accept(ctx, received())
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.EventID != first.EventID {
		t.Fatalf("second delivery: %+v", again)
	}
	if got := counter.n.Load(); got != 2 {
		t.Fatalf("the duplicate evaluated %d conditions", got-2)
	}
}

func build(tb testing.TB, raw []byte) *ruleset.Snapshot {
	tb.Helper()
	cfg, err := config.Parse("hooks.yaml", raw, func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	s, err := ruleset.Build(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
