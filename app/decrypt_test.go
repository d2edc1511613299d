package app_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	decryptSigningSecret = "orders-signing-secret"
	decryptKeyB64        = "B5XmN3WkzJrOeKpF6A1d/qirSFMFtVLKHieN0UJh24A="
)

// sealOrder encrypts like the sender: nonce | ciphertext | tag.
func sealOrder(t *testing.T, plain string) []byte {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(decryptKeyB64)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cipher.NewGCM(b)
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return g.Seal(nonce, nonce, []byte(plain), nil)
}

// postSigned posts body as an encrypting sender does: the HMAC covers the
// bytes sent (the ciphertext).
func (in *instance) postSigned(t *testing.T, delivery, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(decryptSigningSecret))
	m.Write(body)
	req, _ := http.NewRequest("POST", in.pub+"/hooks/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Event-Type", "order.paid")
	req.Header.Set("X-Delivery-Id", delivery)
	req.Header.Set("X-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// A generic HMAC source with decrypt: a signed, encrypted delivery (base64
// or raw, whatever its Content-Type) runs the rule whose condition reads a
// decrypted field and whose shell action gets a decrypted value; the event
// is stored decrypted, so a replay decodes the same payload; a ciphertext
// that does not decrypt, though validly signed, is 400 and stored nowhere.
func TestDecryptEndToEnd(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "orders.key"), []byte(decryptKeyB64+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeScript(t, dir, "ship.sh", `printf '%s\n' "$1" >> "`+dir+`/shipped"`+"\n")
	in := startIn(t, dir, `
sources:
  orders:
    provider: generic
    verify: hmac
    header: X-Signature
    prefix: "sha256="
    secret: "`+decryptSigningSecret+`"
    event_header: X-Event-Type
    id_header: X-Delivery-Id
    decrypt: { algorithm: aes-256-gcm, key_file: orders.key }
rules:
  - name: ship
    source: orders
    events: [order.paid]
    if: payload.order.total >= 100
    actions:
      - shell: { command: ["/bin/sh", "%DIR%/ship.sh", "{{ payload.order.id }}"] }
`, false)
	shipped := filepath.Join(dir, "shipped")
	big := sealOrder(t, `{"order":{"id":"ord-big","total":250}}`)

	// base64 under an unrelated Content-Type: decrypted, matched, run.
	code, ans := in.postSigned(t, "d-1", "text/plain", []byte(base64.StdEncoding.EncodeToString(big)+"\n"))
	if code != 202 || ans["matched"] == nil || len(ans["matched"].([]any)) != 1 {
		t.Fatalf("base64 delivery: %d %v", code, ans)
	}
	evID := ans["id"].(string)
	waitFor(t, "the ship script", 10*time.Second, func() bool {
		b, _ := os.ReadFile(shipped)
		return string(b) == "ord-big\n"
	})
	// Raw bytes: the condition reads the decrypted total (too small here).
	code, ans = in.postSigned(t, "d-2", "application/octet-stream", sealOrder(t, `{"order":{"id":"ord-small","total":20}}`))
	if code != 202 || len(ans["matched"].([]any)) != 0 {
		t.Fatalf("raw delivery: %d %v", code, ans)
	}

	// The stored event is the plaintext, typed JSON, marked as decrypted.
	var detail struct {
		Event struct {
			Headers map[string]string `json:"headers"`
			Body    string            `json:"body"`
		} `json:"event"`
		Payload map[string]any `json:"payload"`
	}
	in.getJSON(t, "/api/events/"+evID, &detail)
	if detail.Event.Headers["content-type"] != "application/json" || detail.Event.Headers["x-hookrunner-decrypted"] != "aes-256-gcm" {
		t.Fatalf("stored headers: %v", detail.Event.Headers)
	}
	if o, _ := detail.Payload["order"].(map[string]any); o["id"] != "ord-big" {
		t.Fatalf("stored payload: %v", detail.Payload)
	}
	// Replay decodes the stored body the same way and runs again.
	resp, err := http.Post(in.adm+"/api/events/"+evID+"/replay", "", nil)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("replay: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
	waitFor(t, "the replayed run", 10*time.Second, func() bool {
		b, _ := os.ReadFile(shipped)
		return string(b) == "ord-big\nord-big\n"
	})

	// Validly signed but not decryptable: a flipped tag bit, a truncated
	// body, plaintext JSON. 400 each, nothing stored, the reason logged.
	tampered := append([]byte(nil), big...)
	tampered[len(tampered)-1] ^= 1
	for i, body := range [][]byte{tampered, big[:20], []byte(`{"order":{"id":"forged","total":999}}`)} {
		code, ans := in.postSigned(t, "bad-"+string(rune('a'+i)), "application/json", body)
		if code != 400 || ans["error"] != "body does not decrypt" {
			t.Fatalf("undecryptable body %d: %d %v", i, code, ans)
		}
	}
	var events []map[string]any
	in.getJSON(t, "/api/events", &events)
	if len(events) != 2 {
		t.Fatalf("stored events = %d, want 2 (nothing from the undecryptable bodies)", len(events))
	}
	logs := in.logs.String()
	if !strings.Contains(logs, "body does not decrypt") || !strings.Contains(logs, "message authentication failed") {
		t.Fatalf("refusals not logged with their reason:\n%s", logs)
	}
	if strings.Contains(logs, decryptKeyB64) {
		t.Fatal("the key reached the logs")
	}
	var cfg map[string]any
	in.getJSON(t, "/api/config", &cfg)
	if b, _ := json.Marshal(cfg); strings.Contains(string(b), decryptKeyB64) || !strings.Contains(string(b), "orders.key") {
		t.Fatalf("GET /api/config: %s", b)
	}
	if b, _ := os.ReadFile(shipped); string(b) != "ord-big\nord-big\n" {
		t.Fatalf("ship log = %q", b)
	}
}
