package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/internal/pgtest"
	"github.com/hookrunner/hookrunner/ops"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

const exportSecret = "s3cr3t-export-value"

func storeConfig(t *testing.T, dir, name, storeYAML string) string {
	t.Helper()
	return writeFile(t, dir, name, storeYAML+`
sources:
  gh: { provider: github, secret: "`+exportSecret+`" }
rules:
  - name: deploy
    source: gh
    actions:
      - shell: { command: ["/bin/true"] }
`)
}

func openStore(t *testing.T, cfg string) store.Store {
	t.Helper()
	snap, err := ruleset.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := app.OpenStore(context.Background(), snap.Config.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestExportImport: `export --since 30d` writes the recent events with
// their runs, redacted, bodies byte-exact (but one holding a secret);
// `import --from export` loads them into another store (SQLite, and
// PostgreSQL when the tests have one) keeping ids, and a second import adds
// nothing; `events --where ... --since 7d` then finds them there.
func TestExportImport(t *testing.T) {
	dir := t.TempDir()
	src := storeConfig(t, dir, "src.yaml", fmt.Sprintf("store: { dsn: %q }", filepath.Join(dir, "src.db")))
	st := openStore(t, src)
	ctx := context.Background()
	now := time.Now()
	mk := func(delivery, body string, at time.Time, state store.State, output string) (*store.Event, *store.Run) {
		ev := &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", Event: "push", DeliveryID: delivery,
			Headers: map[string]string{"content-type": "application/json", "x-github-event": "push", "authorization": "Bearer " + exportSecret},
			Body:    []byte(body), RemoteIP: "127.0.0.1", ReceivedAt: at, Verification: "ok", Matched: []string{"deploy"}, ConfigHash: "h"}
		r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "deploy", ConfigHash: "h", State: state, Attempt: 1,
			NextAttemptAt: at, CreatedAt: at, UpdatedAt: at, Output: output}
		if _, err := st.Restore(ctx, []store.Restored{{Event: ev, Runs: []*store.Run{r}}}); err != nil {
			t.Fatal(err)
		}
		return ev, r
	}
	exact := "{\"ref\": \"refs/heads/main\",\n  \"note\":\"é \\u0000 <&>\"}"
	main, mainRun := mk("d-main", exact, now.Add(-time.Hour), store.Succeeded, "deployed with "+exportSecret)
	leaky, _ := mk("d-leak", `{"ref":"refs/heads/dev","echo":"`+exportSecret+`"}`, now.Add(-2*time.Hour), store.Dead, "")
	mk("d-old", `{"ref":"refs/heads/main"}`, now.Add(-40*24*time.Hour), store.Succeeded, "")
	st.Close()

	out, errOut, code := runSplit("export", "--config", src, "--since", "30d")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	if strings.Contains(out, exportSecret) || strings.Contains(errOut, exportSecret) {
		t.Fatal("the export holds a secret")
	}
	var lines []ops.ExportLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var line ops.ExportLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		lines = append(lines, line)
	}
	if len(lines) != 2 || lines[0].Event.ID != main.ID || lines[1].Event.ID != leaky.ID {
		t.Fatalf("exported %d events, want the 2 of the last 30 days, newest first", len(lines))
	}
	if !bytes.Equal(lines[0].Body, []byte(exact)) || lines[0].BodyRedacted {
		t.Fatalf("body not byte-exact: %q", lines[0].Body)
	}
	if !lines[1].BodyRedacted || bytes.Contains(lines[1].Body, []byte(exportSecret)) {
		t.Fatal("a body holding a secret is exported as it is")
	}
	if len(lines[0].Runs) != 1 || lines[0].Runs[0].ID != mainRun.ID || !strings.Contains(lines[0].Runs[0].Output, "deployed with") {
		t.Fatalf("runs of the export: %+v", lines[0].Runs)
	}
	file := writeFile(t, dir, "events.jsonl", out)

	targets := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string {
			return fmt.Sprintf("store: { dsn: %q }", filepath.Join(t.TempDir(), "dst.db"))
		},
		"postgres": func(t *testing.T) string {
			return fmt.Sprintf("store: { driver: postgres, dsn: %q }", pgtest.DSN(t))
		},
	}
	for name, target := range targets {
		t.Run(name, func(t *testing.T) {
			dst := storeConfig(t, t.TempDir(), "dst.yaml", target(t))
			for i, want := range []string{"imported 2 events (2 read, 0 already stored)", "imported 0 events (2 read, 2 already stored)"} {
				out, code := runCmd(t, "import", "--from", "export", "--config", dst, file)
				if code != 0 || !strings.Contains(out, want) {
					t.Fatalf("import %d: exit %d, want %q\n%s", i+1, code, want, out)
				}
			}
			out, code := runCmd(t, "events", "--config", dst, "--where", `payload.ref == "refs/heads/main"`, "--since", "7d", "--json")
			var evs []*store.Event
			if err := json.Unmarshal([]byte(out), &evs); code != 0 || err != nil || len(evs) != 1 || evs[0].ID != main.ID {
				t.Fatalf("events --where after import: exit %d, %v\n%s", code, err, out)
			}
			s := openStore(t, dst)
			defer s.Close()
			got, err := s.GetEvent(ctx, main.ID)
			if err != nil || !bytes.Equal(got.Body, []byte(exact)) || !got.ReceivedAt.Equal(main.ReceivedAt) {
				t.Fatalf("imported event: %v, body %q", err, got.Body)
			}
			if r, _, err := s.GetRun(ctx, mainRun.ID); err != nil || r.State != store.Succeeded {
				t.Fatalf("imported run: %+v, %v", r, err)
			}
			// Deduplication holds in the new store.
			res, err := s.Ingest(ctx, &store.Event{ID: store.NewID(), Source: "gh", Provider: "github", DeliveryID: "d-main",
				Headers: map[string]string{}, Body: []byte("{}"), ReceivedAt: time.Now()}, nil, time.Now().Add(-24*time.Hour))
			if err != nil || !res.Duplicate || res.EventID != main.ID {
				t.Fatalf("a delivery imported is not deduplicated: %+v, %v", res, err)
			}
		})
	}

	// A line that is not an export is refused with its number.
	bad := writeFile(t, dir, "bad.jsonl", strings.SplitN(out, "\n", 2)[0]+"\n{\"hookrunner_export\":1,\"event\":{\"id\":\"x\"}}\n")
	dst := storeConfig(t, dir, "bad.yaml", fmt.Sprintf("store: { dsn: %q }", filepath.Join(dir, "bad.db")))
	if out, code := runCmd(t, "import", "--from", "export", "--config", dst, bad); code != 1 || !strings.Contains(out, "event 2") {
		t.Fatalf("bad line: exit %d\n%s", code, out)
	}
}
