package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestImportRefusesBadLines: a line that is not an export of this
// version, or whose ids do not hold together, stops the import with its
// number and stores nothing of its batch.
func TestImportRefusesBadLines(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: "push", Headers: map[string]string{}, Body: []byte(`{}`), ReceivedAt: at}
	good := ExportLine{Version: ExportVersion, Event: ev, Body: ev.Body, Runs: []*store.Run{}, Attempts: []*store.Attempt{}}
	line := func(edit func(l *ExportLine)) string {
		l := good
		e := *ev
		l.Event = &e
		edit(&l)
		b, _ := json.Marshal(l)
		return string(b)
	}
	foreign := &store.Run{ID: store.NewID(), EventID: store.NewID(), Rule: "r", State: store.Dead, CreatedAt: at}
	for _, tc := range []struct {
		name, line, want string
	}{
		{"not json", `{"hookrunner_export":1,`, "event 1"},
		{"another version", line(func(l *ExportLine) { l.Version = 2 }), "not a hookrunner export line"},
		{"unknown field", `{"hookrunner_export":1,"surprise":true}`, "unknown field"},
		{"no event id", line(func(l *ExportLine) { l.Event.ID = "" }), "needs an id"},
		{"an id with SQL in it", line(func(l *ExportLine) { l.Event.ID = "x' OR 1=1 --" }), "needs an id"},
		{"a run of another event", line(func(l *ExportLine) { l.Runs = []*store.Run{foreign} }), "a run needs"},
		{"a run in no state", line(func(l *ExportLine) {
			r := *foreign
			r.EventID, r.State = l.Event.ID, "exploded"
			l.Runs = []*store.Run{&r}
		}), "a run needs"},
		{"an attempt of a run not in the line", line(func(l *ExportLine) { l.Attempts = []*store.Attempt{{RunID: foreign.ID, N: 1}} }), "an attempt of a run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLite(t)
			_, err := Import(context.Background(), s, strings.NewReader(tc.line+"\n"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if evs, _ := s.ListEvents(context.Background(), store.EventFilter{}); len(evs) != 0 {
				t.Fatalf("%d events stored from a refused import", len(evs))
			}
		})
	}
}

// TestExportRoundTrip: Export then Import into another store gives the
// same events, bodies byte-exact, and a run output's secret redacted.
func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, dst := openSQLite(t), openSQLite(t)
	red := redact.New("hunter2-secret")
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var items []store.Restored
	for i := range exportPage*2 + 3 { // more than one page
		ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: "push", Headers: map[string]string{"x-n": "1"},
			Body: []byte{'{', '}', byte(i)}, ReceivedAt: at.Add(time.Duration(i) * time.Second)}
		r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "r", State: store.Succeeded, Output: "used hunter2-secret", CreatedAt: ev.ReceivedAt}
		items = append(items, store.Restored{Event: ev, Runs: []*store.Run{r}, Attempts: []*store.Attempt{{RunID: r.ID, N: 1, Output: "hunter2-secret"}}})
	}
	if _, err := src.Restore(ctx, items); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := Export(ctx, src, red, time.Time{}, &buf)
	if err != nil || n != len(items) {
		t.Fatalf("exported %d, %v", n, err)
	}
	if bytes.Contains(buf.Bytes(), []byte("hunter2-secret")) {
		t.Fatal("a secret in the export")
	}
	st, err := Import(ctx, dst, &buf)
	if err != nil || st.Added != len(items) {
		t.Fatalf("import = %+v, %v", st, err)
	}
	for _, it := range items {
		got, err := dst.GetEvent(ctx, it.Event.ID)
		if err != nil || !bytes.Equal(got.Body, it.Event.Body) {
			t.Fatalf("event %s: %v, body %q want %q", it.Event.ID, err, got.Body, it.Event.Body)
		}
		r, atts, err := dst.GetRun(ctx, it.Runs[0].ID)
		if err != nil || len(atts) != 1 || strings.Contains(r.Output, "hunter2") {
			t.Fatalf("run %s: %+v %v, %v", it.Runs[0].ID, r, atts, err)
		}
	}
}
