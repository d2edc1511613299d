package sender_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/hookrunner/hookrunner/providers/builtin"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

func loadSources(t *testing.T, sources string) *ruleset.Snapshot {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(p, []byte("store: { driver: sqlite, dsn: "+filepath.Join(dir, "x.db")+" }\nsources:\n"+sources), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = snap.Close() })
	return snap
}

func TestBuildHandshakeRequest(t *testing.T) {
	snap := loadSources(t, `  meta: { provider: meta, secret: s, verify_token: vt }
  zoom: { provider: zoom, secret: z }
  gh: { provider: github, secret: g }
  pub: { provider: meta, secret: s, verify_token: vt, public_url: "https://hooks.example.com/hooks/meta" }
`)
	target, _ := url.Parse("http://127.0.0.1:8080/hooks/meta")
	now := time.Now()
	r, err := sender.BuildHandshakeRequest(snap.Sources["meta"], target, now)
	if err != nil {
		t.Fatal(err)
	}
	q := r.URL.Query()
	if r.Method != http.MethodGet || q.Get("hub.mode") != "subscribe" || q.Get("hub.verify_token") != "vt" || q.Get("hub.challenge") == "" || len(r.Body) != 0 {
		t.Fatalf("meta handshake: %s %s %q", r.Method, r.URL, r.Body)
	}
	r, err = sender.BuildHandshakeRequest(snap.Sources["zoom"], target, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != http.MethodPost || !strings.Contains(string(r.Body), `"endpoint.url_validation"`) || r.Header.Get("x-zm-signature") == "" {
		t.Fatalf("zoom handshake: %s %q %v", r.Method, r.Body, r.Header)
	}
	if _, err := sender.BuildHandshakeRequest(snap.Sources["gh"], target, now); err == nil || !strings.Contains(err.Error(), "no handshake") {
		t.Fatalf("github: %v", err)
	}
	// The URL signed is the public one; the query travels to the target.
	r, _ = sender.BuildHandshakeRequest(snap.Sources["pub"], target, now)
	if r.URL.Host != "hooks.example.com" || r.URL.Query().Get("hub.verify_token") != "vt" {
		t.Fatalf("public_url: %s", r.URL)
	}
}
