package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `hookrunner send` to a source with decrypt: encrypts the payload with
// the source's key and signs the ciphertext; the running server accepts it
// and the rule sees the decrypted value (a plaintext body would be refused
// with 400), for aes-256-gcm, JWE dir and JWE RSA-OAEP-256.
func TestSendEncrypted(t *testing.T) {
	dir := t.TempDir()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "jwe.pem", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})))
	t.Setenv("TEST_DECRYPT_KEY", "70/KUYLoR2R3QvGCCWrO8zpPEjvx0yEAXiHxJPc8PXg=")
	src := func(decrypt string) string {
		return `{ provider: generic, verify: hmac, header: X-Sig, prefix: "sha256=", secret: "sign-me", event_header: X-Event, decrypt: ` + decrypt + ` }`
	}
	cfg := writeFile(t, dir, "hooks.yaml", `
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms }
store: { dsn: "`+filepath.Join(dir, "hr.db")+`" }
sources:
  gcm: `+src(`{ algorithm: aes-256-gcm, key: "${TEST_DECRYPT_KEY}" }`)+`
  jwedir: `+src(`{ algorithm: jwe, key: "${TEST_DECRYPT_KEY}" }`)+`
  jwersa: `+src(`{ algorithm: jwe, private_key_file: jwe.pem }`)+`
rules:
  - name: record
    events: [order.paid]
    source: gcm
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo \"$1 $2\" >> `+dir+`/got", "sh", "{{ source }}", "{{ payload.order.id }}"] } } ]
  - name: record-dir
    source: jwedir
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo \"$1 $2\" >> `+dir+`/got", "sh", "{{ source }}", "{{ payload.order.id }}"] } } ]
  - name: record-rsa
    source: jwersa
    actions: [ { shell: { command: ["/bin/sh", "-c", "echo \"$1 $2\" >> `+dir+`/got", "sh", "{{ source }}", "{{ payload.order.id }}"] } } ]
`)
	order := writeFile(t, dir, "order.json", `{"order":{"id":"ord-42","total":10}}`)

	pub := serveInProcess(t, cfg)

	for _, name := range []string{"gcm", "jwedir", "jwersa"} {
		out, code := runCmd(t, "send", "--config", cfg, "--source", name, "--event", "order.paid", "--payload", order, "--url", "http://"+pub+"/hooks/"+name)
		if code != 0 || !strings.Contains(out, "202 Accepted") || !strings.Contains(out, `"matched":["record`) {
			t.Fatalf("send %s: exit %d\n%s", name, code, out)
		}
		if strings.Contains(out, "70/KUYLoR2R3QvGCCWrO8zpPEjvx0yEAXiHxJPc8PXg=") {
			t.Fatalf("send printed the key:\n%s", out)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "got"))
		if strings.Count(string(b), "\n") == 3 {
			for _, want := range []string{"gcm ord-42\n", "jwedir ord-42\n", "jwersa ord-42\n"} {
				if !strings.Contains(string(b), want) {
					t.Fatalf("got %q, want a line %q", b, want)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs did not record the decrypted ids: %q", b)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
