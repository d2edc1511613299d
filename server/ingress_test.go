package server

import (
	"bufio"
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
)

// setupIngress is an ingress on sources (hooks.yaml text) whose log lines
// go to the returned buffer through the redacting handler, as in app.
func setupIngress(t *testing.T, sources string) (http.Handler, *bytes.Buffer, *ruleset.Snapshot) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(path, []byte(sources), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&lockedWriter{w: logs}, nil), func() *redact.Redactor { return snap.Redactor }))
	in := NewIngress(ingressFake{newFakeCore(snap)}, log, snap.Config.Server)
	in.Rejected = NewRejected(0)
	return in.Handler(), logs, snap
}

// TestRefusalLogLinesBounded: a refused, unauthenticated request whose
// fields are as large as max_body lets it write a bounded line, whichever
// provider quotes what in its reason, and a secret cut at the edge of the
// bound is masked, not half shown.
func TestRefusalLogLinesBounded(t *testing.T) {
	const secret = "stripe-secret-0123456789abcdef"
	h, logs, _ := setupIngress(t, `sources:
  aws: { provider: sns, topics: ["arn:aws:sns:us-east-1:123456789012:t"] }
  stripe: { provider: stripe, secret: `+secret+` }
`)
	huge := strings.Repeat("A", 900<<10)
	snsMsg := func(typ, ts string) string {
		return `{"Type":"` + typ + `","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"x",` +
			`"Timestamp":"` + ts + `","SignatureVersion":"2","Signature":"AA==","SigningCertURL":"https://sns.us-east-1.amazonaws.com/c.pem"}`
	}
	tests := []struct {
		name, source, header, value, body string
		want                              int
		masked                            bool // the line ends in a masked piece of the secret
	}{
		{name: "sns Type", source: "aws", body: snsMsg(huge, "2024-01-01T00:00:00Z"), want: 401},
		{name: "sns Timestamp", source: "aws", body: snsMsg("Notification", huge), want: 401},
		{name: "stripe timestamp", source: "stripe", header: "Stripe-Signature", value: "t=" + strings.Repeat("9", 60000) + ",v1=00", body: `{}`, want: 401},
		// The secret straddles the bound: what is left of it is masked.
		{name: "secret at the cut", source: "stripe", header: "Stripe-Signature", value: "t=" + strings.Repeat("9", logValueMax-40) + secret + strings.Repeat("9", 1000) + ",v1=00", body: `{}`, want: 401, masked: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			r := httptest.NewRequest("POST", "/hooks/"+tt.source, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "text/plain")
			if tt.header != "" {
				r.Header.Set(tt.header, tt.value)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			if logs.Len() == 0 {
				t.Fatal("the refusal was not logged")
			}
			sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
			sc.Buffer(nil, 4<<20)
			for sc.Scan() {
				// source, remote_ip, reason: each at most logValueMax.
				if n := len(sc.Text()); n > 3*logValueMax {
					t.Fatalf("a %d-byte log line for one refused request: %.200s…", n, sc.Text())
				}
			}
			if strings.Contains(logs.String(), secret[:12]) || tt.masked && !strings.Contains(logs.String(), redact.Mask+"…") {
				t.Fatalf("the log shows part of the secret: %s", logs)
			}
		})
	}
}
