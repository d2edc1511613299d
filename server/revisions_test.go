package server

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// literalSecret is written into the first revision only: the config in
// force after the reload no longer knows it.
const literalSecret = "lit-s3cr3t-Q7w9E2r4"

// revConfig is a config whose rule "work" echoes word, with a literal
// secret when withSecret and an HTML comment line to check escaping.
func revConfig(word string, withSecret bool) string {
	cfg := "admin: { listen: \"127.0.0.1:0\" }\nsources:\n  hook: { provider: generic, verify: none }\n"
	if withSecret {
		cfg += "  gh: { provider: github, secret: \"" + literalSecret + "\" }\n"
	}
	return cfg + `rules:
  # <b>` + word + `</b>
  - name: work
    source: hook
    actions:
      - shell: { command: ["/bin/echo", "` + word + `", "${HR_REVTEST_WORD}"] }
`
}

// revBundle is an admin on a fake engine with two config revisions
// recorded as the engine records them: A (with a literal secret),
// then B in force, and a run matched under each.
type revBundle struct {
	*adminBundle
	revA, revB string
	runA, runB string
}

func setupRevisions(t *testing.T) *revBundle {
	t.Helper()
	t.Setenv("HR_REVTEST_WORD", "resolved-word-value")
	dir := t.TempDir()
	b := &revBundle{adminBundle: &adminBundle{cfgPath: filepath.Join(dir, "hooks.yaml"), now: time.Now()}}
	b.writeConfig(t, revConfig("alpha", true))
	snapA, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng = newFakeCore(snapA)
	b.eng.recordRevision(snapA)
	b.revA, b.runA = snapA.Hash, b.ingest(t, snapA.Hash)

	b.writeConfig(t, revConfig("beta", false))
	snapB, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng.recordRevision(snapB)
	b.eng.swap(snapB)
	b.revB, b.runB = snapB.Hash, b.ingest(t, snapB.Hash)
	if b.revA == b.revB {
		t.Fatal("both configs have the same hash")
	}
	b.a = &Admin{Engine: b.eng, Clock: b.clock}
	b.h = b.a.Handler()
	return b
}

// ingest stores an event with one pending run of "work" under hash.
func (b *revBundle) ingest(t *testing.T, hash string) string {
	t.Helper()
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "hook", Body: []byte(`{}`),
		RemoteIP: "127.0.0.1", ReceivedAt: now, Verification: "none", Matched: []string{"work"}, ConfigHash: hash}
	run := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: "work", ConfigHash: hash, State: store.Pending,
		NextAttemptAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	b.eng.ingest(ev, run)
	return run.ID
}

// restart is a new engine and admin on the same store with only config B
// known: the literal secret of A is in no redactor of the config in force.
func (b *revBundle) restart(t *testing.T) {
	t.Helper()
	snapB, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng = b.eng.restarted(snapB)
	b.a = &Admin{Engine: b.eng, Clock: b.clock}
	b.h = b.a.Handler()
}

func (b *revBundle) get(t *testing.T, path string, wantStatus int) string {
	t.Helper()
	resp := b.do(req{method: "GET", path: path})
	body := readAll(resp)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d, want %d: %s", path, resp.StatusCode, wantStatus, body)
	}
	if strings.Contains(body, literalSecret) || strings.Contains(body, "resolved-word-value") {
		t.Fatalf("GET %s leaks a secret:\n%s", path, body)
	}
	return body
}

func TestRunShowsRevisionAndDiff(t *testing.T) {
	for _, restarted := range []bool{false, true} {
		name := "live"
		if restarted {
			name = "after restart"
		}
		t.Run(name, func(t *testing.T) {
			b := setupRevisions(t)
			if restarted {
				b.restart(t)
			}
			var old RunDetail
			if err := json.Unmarshal([]byte(b.get(t, "/api/runs/"+b.runA, http.StatusOK)), &old); err != nil {
				t.Fatal(err)
			}
			rv := old.Revision
			if rv == nil || rv.Hash != b.revA || rv.Current != b.revB || rv.InForce {
				t.Fatalf("old run's revision = %+v, want %s, not in force (current %s)", rv, b.revA, b.revB)
			}
			for _, want := range []string{
				"--- " + short(b.revA) + "/hooks.yaml\n+++ " + short(b.revB) + "/hooks.yaml\n",
				"\n-      - shell: { command: [\"/bin/echo\", \"alpha\", \"${HR_REVTEST_WORD}\"] }\n",
				"\n+      - shell: { command: [\"/bin/echo\", \"beta\", \"${HR_REVTEST_WORD}\"] }\n",
				"\n-  gh: { provider: github, secret: \"[REDACTED]\" }\n",
			} {
				if !strings.Contains(rv.Diff, want) {
					t.Fatalf("diff lacks %q:\n%s", want, rv.Diff)
				}
			}

			var cur RunDetail
			if err := json.Unmarshal([]byte(b.get(t, "/api/runs/"+b.runB, http.StatusOK)), &cur); err != nil {
				t.Fatal(err)
			}
			if rv := cur.Revision; rv == nil || rv.Hash != b.revB || !rv.InForce || rv.Diff != "" {
				t.Fatalf("new run's revision = %+v, want %s in force, no diff", rv, b.revB)
			}

			var rev RevisionDetail
			if err := json.Unmarshal([]byte(b.get(t, "/api/revisions/"+b.revA, http.StatusOK)), &rev); err != nil {
				t.Fatal(err)
			}
			text := rev.Files["hooks.yaml"]
			if rev.Hash != b.revA || rev.InForce || !strings.Contains(text, `secret: "[REDACTED]"`) || !strings.Contains(text, "${HR_REVTEST_WORD}") || rev.Diff != old.Revision.Diff {
				t.Fatalf("revision A = %+v", rev)
			}
			b.get(t, "/api/revisions/nosuch", http.StatusNotFound)

			var list []struct {
				Hash    string
				InForce bool `json:"in_force"`
			}
			if err := json.Unmarshal([]byte(b.get(t, "/api/revisions", http.StatusOK)), &list); err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 || list[0].Hash != b.revB || !list[0].InForce || list[1].Hash != b.revA || list[1].InForce {
				t.Fatalf("revisions = %+v, want B (in force) then A", list)
			}

			page := b.get(t, "/ui/runs/"+b.runA, http.StatusOK)
			for _, want := range []string{
				`<a href="/ui/revisions/` + b.revA + `">` + short(b.revA) + `</a>`,
				"changed since", `href="#revision-diff"`,
				`<span class="diff-del">-      - shell: { command: [&#34;/bin/echo&#34;, &#34;alpha&#34;`,
				`<span class="diff-add">&#43;      - shell: { command: [&#34;/bin/echo&#34;, &#34;beta&#34;`,
				`<span class="diff-del">-  # &lt;b&gt;alpha&lt;/b&gt;</span>`,
			} {
				if !strings.Contains(page, want) {
					t.Fatalf("run page lacks %q:\n%s", want, page)
				}
			}
			if strings.Contains(page, "<b>alpha") {
				t.Fatal("run page does not escape the diff")
			}
			if page := b.get(t, "/ui/runs/"+b.runB, http.StatusOK); !strings.Contains(page, "in force") || strings.Contains(page, "revision-diff") {
				t.Fatalf("run under the config in force:\n%s", page)
			}
			page = b.get(t, "/ui/revisions/"+b.revA, http.StatusOK)
			if !strings.Contains(page, `secret: &#34;[REDACTED]&#34;`) || !strings.Contains(page, `id="revision-diff"`) {
				t.Fatalf("revision page:\n%s", page)
			}
			b.get(t, "/ui/revisions/nosuch", http.StatusNotFound)
		})
	}
}

// TestRevisionRedactor: secrets a revision's files reveal by their
// structure are hidden even when no redactor of the config in force knows
// them; ${VAR} references stay readable.
func TestRevisionRedactor(t *testing.T) {
	tests := []struct {
		name, text string
		hidden     []string
		kept       []string
	}{
		{"literal secret", "sources:\n  gh: { provider: github, secret: \"abcd-1234-efgh\" }\n", []string{"abcd-1234-efgh"}, []string{"provider: github"}},
		{"env reference", "sources:\n  gh: { provider: github, secret: \"${GH_SECRET}\" }\n", nil, []string{"${GH_SECRET}"}},
		{"bearer header", "rules:\n  - actions:\n      - http: { url: \"https://x.test/\", headers: { Authorization: \"Bearer tok-9f8e7d6c5b\" } }\n", []string{"tok-9f8e7d6c5b"}, []string{"https://x.test/"}},
		{"url password", "store: { driver: postgres, dsn: \"postgres://app:pw-77aa88bb@db/app\" }\n", []string{"pw-77aa88bb"}, []string{"driver: postgres"}},
		{"block scalar key", "sources:\n  s:\n    private_key: |\n      -----BEGIN KEY-----\n      MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n      -----END KEY-----\n", []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"}, []string{"private_key"}},
		{"not yaml", "sources: [unclosed\n  secret: s3cr3t-zz\n", []string{"s3cr3t-zz"}, []string{"does not parse"}},
		// Stored before secrets were found by position: the text holds a
		// literal secret spelled with YAML quoting.
		{"escaped literal", "sources:\n  esc: { provider: generic, secret: \"yamlESC\\x41PED-5150\" }\n", []string{`yamlESC\x41PED-5150`, "PED-5150"}, []string{"provider: generic"}},
		{"wrapped literal", "sources:\n  ml:\n    secret: \"foldedSECRETpart1\n      foldedSECRETpart2\"\n", []string{"foldedSECRETpart1", "foldedSECRETpart2"}, []string{"ml:"}},
		{"doubled quote", "sources:\n  sq: { provider: generic, secret: 'quote''dSECRET-2468' }\n", []string{"dSECRET-2468"}, []string{"provider: generic"}},
		{"quote in double quotes", "sources:\n  dq: { provider: generic, secret: \"a\\\"quoteSECRET-1\" }\n", []string{"quoteSECRET-1"}, []string{"provider: generic"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev := &store.Revision{Hash: "h", Files: map[string]string{"hooks.yaml": tt.text}}
			got := redactRevision(revisionRedactor(nil, rev), rev).Files["hooks.yaml"]
			for _, h := range tt.hidden {
				if strings.Contains(got, h) {
					t.Errorf("%q still shows %q", got, h)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("%q lost %q", got, k)
				}
			}
		})
	}
}
