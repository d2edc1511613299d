package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// `send --handshake` sends the provider's handshake to a running server,
// which answers it (200) and stores nothing; a provider without one says so.
func TestSendHandshake(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "hooks.yaml", "server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nstore: { dsn: \""+filepath.Join(dir, "hr.db")+"\" }\nsources:\n"+
		"  meta: { provider: meta, secret: s, verify_token: vt }\n"+
		"  zoom: { provider: zoom, secret: z }\n"+
		"  twitch: { provider: twitch, secret: twitch-secret-1 }\n"+
		"  xero: { provider: xero, secret: x }\n"+
		"  gh: { provider: github, secret: g }\n")
	pub := serveInProcess(t, cfg)
	for _, tc := range []struct{ source, method string }{{"meta", "GET"}, {"zoom", "POST"}, {"twitch", "POST"}, {"xero", "POST"}} {
		out, code := runCmd(t, "send", "--config", cfg, "--source", tc.source, "--handshake", "--url", "http://"+pub+"/hooks/"+tc.source)
		if code != 0 || !strings.HasPrefix(out, tc.method+" ") || !strings.Contains(out, "200 OK") {
			t.Errorf("%s: exit %d\n%s", tc.source, code, out)
		}
	}
	out, code := runCmd(t, "send", "--config", cfg, "--source", "gh", "--handshake", "--url", "http://"+pub+"/hooks/gh")
	if code == 0 || !strings.Contains(out, "no handshake") {
		t.Errorf("github --handshake: exit %d\n%s", code, out)
	}
	out, code = runCmd(t, "events", "--config", cfg)
	if code != 0 || strings.Contains(out, "meta") || strings.Contains(out, "zoom") {
		t.Errorf("handshakes stored:\n%s", out)
	}
}
