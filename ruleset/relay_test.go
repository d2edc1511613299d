package ruleset_test

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
)

func TestRelayHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	cfg := `
sources:
  github: { provider: github, secret: gh-secret-0123456789 }
  gitlab: { provider: gitlab, secret: gitlab-token-0123 }
  basic: { provider: alertmanager, username: am, password: am-password-123 }
  bearer: { provider: grafana, bearer: grafana-bearer-0123456 }
`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("am:am-password-123"))
	tests := []struct {
		name, source string
		stored       map[string]string
		want         map[string]string // header -> value; "" : absent
	}{
		{"signature kept, nothing re-attached", "github",
			map[string]string{"x-hub-signature-256": "sha256=abc", "x-github-event": "push", "authorization": redact.Mask},
			map[string]string{"X-Hub-Signature-256": "sha256=abc", "X-Github-Event": "push", "Authorization": ""}},
		{"gitlab token re-attached", "gitlab",
			map[string]string{"x-gitlab-token": redact.Mask, "x-gitlab-event": "Push Hook"},
			map[string]string{"X-Gitlab-Token": "gitlab-token-0123", "X-Gitlab-Event": "Push Hook"}},
		{"basic auth re-attached", "basic",
			map[string]string{"authorization": redact.Mask, "content-type": "application/json"},
			map[string]string{"Authorization": basic, "Content-Type": "application/json"}},
		{"bearer re-attached", "bearer",
			map[string]string{"authorization": redact.Mask},
			map[string]string{"Authorization": "Bearer grafana-bearer-0123456"}},
		{"credential not sent by the sender dropped", "gitlab",
			map[string]string{"cookie": redact.Mask, "x-api-key": redact.Mask},
			map[string]string{"Cookie": "", "X-Api-Key": ""}},
		{"value with a secret cut out dropped", "gitlab",
			map[string]string{"x-note": "see " + redact.Mask},
			map[string]string{"X-Note": ""}},
		{"hop-by-hop dropped", "github",
			map[string]string{"connection": "close", "transfer-encoding": "chunked", "host": "hooks.example.com", "content-length": "3"},
			map[string]string{"Connection": "", "Transfer-Encoding": "", "Host": "", "Content-Length": ""}},
		{"source gone: nothing re-attached", "removed",
			map[string]string{"x-gitlab-token": redact.Mask, "x-gitlab-event": "Push Hook"},
			map[string]string{"X-Gitlab-Token": "", "X-Gitlab-Event": "Push Hook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := snap.Sources[tt.source].RelayHeader(tt.stored, []byte(`{}`))
			for k, v := range tt.want {
				got, ok := h[http.CanonicalHeaderKey(k)]
				if v == "" && ok {
					t.Fatalf("%s relayed as %q", k, got)
				}
				if v != "" && (len(got) != 1 || got[0] != v) {
					t.Fatalf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
