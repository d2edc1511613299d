package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hookrunner/hookrunner/config"
)

func decryptConfig(block string) string {
	return "sources:\n  enc:\n    provider: generic\n    verify: none\n    decrypt: " + block + "\nrules:\n  - { name: r, source: enc, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"
}

// decrypt: is validated at load with the path of the key at fault; its
// keys take ${VAR} and *_file and join the redactor's secrets.
func TestDecryptConfig(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	os.WriteFile(filepath.Join(dir, "aes.key"), []byte(key+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "short.key"), []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))+"\n"), 0o600)
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemText := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	os.WriteFile(filepath.Join(dir, "jwe.pem"), []byte(pemText), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.pem"), []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), 0o600)
	vars := map[string]string{"DECRYPT_KEY": key}

	for _, tc := range []struct {
		name   string
		block  string
		want   string // "" for a config that loads
		secret string // a value that must be among the secrets
	}{
		{"aes key inline", `{ algorithm: aes-256-gcm, key: "` + key + `" }`, "", key},
		{"aes key from env", `{ algorithm: aes-256-gcm, key: "${DECRYPT_KEY}" }`, "", key},
		{"aes key_file", `{ algorithm: aes-256-gcm, key_file: aes.key }`, "", key},
		{"jwe dir", `{ algorithm: jwe, key_file: aes.key }`, "", key},
		{"jwe private_key_file", `{ algorithm: jwe, private_key_file: jwe.pem }`, "", strings.TrimSpace(pemText)},
		{"no algorithm", `{ key: "` + key + `" }`, "sources.enc.decrypt.algorithm: required: aes-256-gcm or jwe", ""},
		{"unknown algorithm", `{ algorithm: aes-256-gmc, key: "` + key + `" }`, `sources.enc.decrypt.algorithm: unknown algorithm "aes-256-gmc" (known: aes-256-gcm, jwe)`, ""},
		{"no key", `{ algorithm: aes-256-gcm }`, "sources.enc.decrypt.key: required", ""},
		{"short key_file", `{ algorithm: aes-256-gcm, key_file: short.key }`, "sources.enc.decrypt.key: decodes to 16 bytes, want 32", ""},
		{"key not base64", `{ algorithm: aes-256-gcm, key: "this is no key at all" }`, "sources.enc.decrypt.key: not standard base64", ""},
		{"key and key_file", `{ algorithm: aes-256-gcm, key: "` + key + `", key_file: aes.key }`, "sources.enc.decrypt.key: set key or key_file, not both", ""},
		{"missing key_file", `{ algorithm: aes-256-gcm, key_file: nope.key }`, "sources.enc.decrypt.key_file: read secret file", ""},
		{"bad PEM", `{ algorithm: jwe, private_key_file: bad.pem }`, "sources.enc.decrypt.private_key: invalid PKCS#1 RSA private key", ""},
		{"unknown key", `{ algorithm: jwe, key_file: aes.key, enc: A128GCM }`, "sources.enc.decrypt.enc: unknown key", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse(filepath.Join(dir, "hooks.yaml"), []byte(decryptConfig(tc.block)), env(vars))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "MII") {
					t.Fatalf("error quotes key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(c.Secrets, tc.secret) {
				t.Fatalf("decrypt key not among the secrets")
			}
			red := c.Redactor().String("key " + tc.secret + " end")
			lines := strings.Split(tc.secret, "\n")
			if probe := lines[len(lines)/2]; strings.Contains(red, probe) {
				t.Fatalf("redactor leaves the key: %s", red)
			}
		})
	}
}
