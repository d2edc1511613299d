package decrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// gcmSeal seals like a sender would, with stdlib only: nonce|ct|tag.
func gcmSeal(t *testing.T, key, plain []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cipher.NewGCM(b)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	return g.Seal(nonce, nonce, plain, nil)
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

func testRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

// writePEM writes key to a PEM file (PKCS#1 or PKCS#8) and returns its text
// as read back: what private_key_file resolves to.
func writePEM(t *testing.T, key *rsa.PrivateKey, pkcs8 bool) string {
	t.Helper()
	blk := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		blk = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	p := filepath.Join(t.TempDir(), "jwe.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jweToken encrypts plain with go-jose directly (not through Seal).
func jweToken(t *testing.T, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, plain string, opts *jose.EncrypterOptions) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestOpen(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	other := make([]byte, 32)
	rand.Read(other)
	keyB64 := base64.StdEncoding.EncodeToString(key)
	const doc = `{"order":{"id":820982911946154509,"total":"10.50"}}`
	sealed := gcmSeal(t, key, []byte(doc))
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	flipped := append([]byte(nil), sealed...)
	flipped[14] ^= 0x80
	priv := testRSA(t)
	pemText := writePEM(t, priv, false)
	a128 := make([]byte, 16)

	// McGrew & Viega, "The Galois/Counter Mode of Operation", Test Case 15
	// (AES-256, 96-bit IV, no additional data): IV | C | T as one body.
	tc15Key := base64.StdEncoding.EncodeToString(unhex(t, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
	tc15 := unhex(t, "cafebabefacedbaddecaf888"+
		"522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"+
		"b094dac5d93471bdec1a502270e3cc6c")
	tc15Plain := unhex(t, "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255")

	gcm := Spec{Algorithm: AES256GCM, Key: keyB64}
	dir := Spec{Algorithm: JWE, Key: keyB64}
	rsaSpec := Spec{Algorithm: JWE, PrivateKey: pemText}
	for _, tc := range []struct {
		name string
		spec Spec
		body []byte
		want string // plaintext, or "" for an error
		err  string // part of the error
	}{
		{"gcm published vector TC15", Spec{Algorithm: AES256GCM, Key: tc15Key}, tc15, string(tc15Plain), ""},
		{"gcm published vector TC15 base64", Spec{Algorithm: AES256GCM, Key: tc15Key}, []byte(base64.StdEncoding.EncodeToString(tc15)), string(tc15Plain), ""},
		{"gcm raw", gcm, sealed, doc, ""},
		{"gcm base64 std", gcm, []byte(base64.StdEncoding.EncodeToString(sealed)), doc, ""},
		{"gcm base64 std, trailing newline", gcm, []byte(base64.StdEncoding.EncodeToString(sealed) + "\n"), doc, ""},
		{"gcm base64 wrapped at 76", gcm, []byte(wrap(base64.StdEncoding.EncodeToString(sealed), 76)), doc, ""},
		{"gcm base64 url unpadded", gcm, []byte(base64.RawURLEncoding.EncodeToString(sealed)), doc, ""},
		{"gcm base64 std unpadded", gcm, []byte(base64.RawStdEncoding.EncodeToString(sealed)), doc, ""},
		{"gcm empty plaintext", gcm, gcmSeal(t, key, nil), "", ""},
		{"gcm wrong key", Spec{Algorithm: AES256GCM, Key: base64.StdEncoding.EncodeToString(other)}, sealed, "", "message authentication failed"},
		{"gcm truncated", gcm, sealed[:27], "", "shorter than nonce and tag"},
		{"gcm truncated tag", gcm, sealed[:len(sealed)-1], "", "message authentication failed"},
		{"gcm tampered tag", gcm, tampered, "", "message authentication failed"},
		{"gcm tampered ciphertext", gcm, flipped, "", "message authentication failed"},
		{"gcm plaintext is not accepted", gcm, []byte(doc), "", "does not decrypt"},
		{"gcm mixed base64 alphabets is raw", gcm, []byte(strings.Repeat("a+b-", 10)), "", "message authentication failed"},
		{"jwe dir A256GCM", dir, []byte(jweToken(t, jose.DIRECT, jose.A256GCM, key, doc, nil)), doc, ""},
		{"jwe dir A256GCM, trailing newline", dir, []byte(jweToken(t, jose.DIRECT, jose.A256GCM, key, doc, nil) + "\r\n"), doc, ""},
		{"jwe dir wrong key", dir, []byte(jweToken(t, jose.DIRECT, jose.A256GCM, other, doc, nil)), "", "wrong key"},
		{"jwe RSA-OAEP-256 A256GCM", rsaSpec, []byte(jweToken(t, jose.RSA_OAEP_256, jose.A256GCM, &priv.PublicKey, doc, nil)), doc, ""},
		{"jwe RSA-OAEP-256 PKCS#8 key", Spec{Algorithm: JWE, PrivateKey: writePEM(t, priv, true)}, []byte(jweToken(t, jose.RSA_OAEP_256, jose.A256GCM, &priv.PublicKey, doc, nil)), doc, ""},
		{"jwe RSA-OAEP (SHA-1) refused", rsaSpec, []byte(jweToken(t, jose.RSA_OAEP, jose.A256GCM, &priv.PublicKey, doc, nil)), "", "accepted: alg RSA-OAEP-256"},
		{"jwe RSA1_5 refused", rsaSpec, []byte(jweToken(t, jose.RSA1_5, jose.A256GCM, &priv.PublicKey, doc, nil)), "", "accepted: alg RSA-OAEP-256"},
		{"jwe dir token to an RSA source refused", rsaSpec, []byte(jweToken(t, jose.DIRECT, jose.A256GCM, key, doc, nil)), "", "accepted: alg RSA-OAEP-256"},
		{"jwe RSA token to a dir source refused", dir, []byte(jweToken(t, jose.RSA_OAEP_256, jose.A256GCM, &priv.PublicKey, doc, nil)), "", "accepted: alg dir"},
		{"jwe A128KW refused", dir, []byte(jweToken(t, jose.A128KW, jose.A256GCM, a128, doc, nil)), "", "accepted: alg dir"},
		{"jwe enc A128GCM refused", dir, []byte(jweToken(t, jose.DIRECT, jose.A128GCM, a128, doc, nil)), "", "enc A256GCM"},
		{"jwe enc A256CBC-HS512 refused", dir, []byte(jweToken(t, jose.DIRECT, jose.A256CBC_HS512, append(append([]byte{}, key...), key...), doc, nil)), "", "enc A256GCM"},
		{"jwe alg none refused", dir, []byte(b64url(`{"alg":"none","enc":"A256GCM"}`) + "..AAAAAAAAAAAAAAAA." + b64url(doc) + "."), "", "accepted: alg dir"},
		{"jwe zip refused", dir, []byte(jweToken(t, jose.DIRECT, jose.A256GCM, key, doc, &jose.EncrypterOptions{Compression: jose.DEFLATE})), "", "zip"},
		{"jwe not a token", dir, []byte(doc), "", "not a compact JWE"},
		{"jwe four parts", dir, []byte(b64url(`{"alg":"dir","enc":"A256GCM"}`) + ".a.b.c"), "", "five parts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := New(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := o.Open(tc.body)
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrOpen) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrOpen with %q (plaintext %q)", err, tc.err, got)
				}
				if strings.Contains(err.Error(), keyB64) || strings.Contains(err.Error(), "PRIVATE KEY") {
					t.Fatalf("error quotes key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("plaintext %q, want %q", got, tc.want)
			}
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

// Seal then Open gives the plaintext back for every configuration, and the
// body is what a sender puts on the wire.
func TestSealOpenRoundTrip(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	priv := testRSA(t)
	for _, tc := range []struct {
		spec Spec
		ct   string
	}{
		{Spec{Algorithm: AES256GCM, Key: key}, "text/plain"},
		{Spec{Algorithm: JWE, Key: key}, "application/jose"},
		{Spec{Algorithm: JWE, PrivateKey: writePEM(t, priv, false)}, "application/jose"},
	} {
		o, err := New(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{`{"a":1}`, `<root><a>1</a></root>`} {
			body, ct, err := o.Seal([]byte(plain))
			if err != nil || ct != tc.ct {
				t.Fatalf("%s: seal: %v, content type %q", o.Algorithm(), err, ct)
			}
			if strings.Contains(string(body), plain) {
				t.Fatalf("%s: sealed body holds the plaintext", o.Algorithm())
			}
			got, err := o.Open(body)
			if err != nil || string(got) != plain {
				t.Fatalf("%s: open: %q, %v", o.Algorithm(), got, err)
			}
		}
	}
	if ContentType([]byte(" <a/>")) != "application/xml" || ContentType([]byte(`{"a":1}`)) != "application/json" {
		t.Fatal("ContentType")
	}
}

func TestNewRefuses(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}))
	k32 := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"no algorithm", Spec{Key: k32}, "algorithm: required"},
		{"unknown algorithm", Spec{Algorithm: "aes-128-cbc", Key: k32}, `algorithm: unknown algorithm "aes-128-cbc"`},
		{"no key", Spec{Algorithm: AES256GCM}, "key: required"},
		{"key not base64", Spec{Algorithm: AES256GCM, Key: "not base64!"}, "key: not standard base64"},
		{"key url-safe base64", Spec{Algorithm: AES256GCM, Key: base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32))}, "key: not standard base64"},
		{"key 16 bytes", Spec{Algorithm: AES256GCM, Key: base64.StdEncoding.EncodeToString(make([]byte, 16))}, "key: decodes to 16 bytes, want 32"},
		{"jwe key 31 bytes", Spec{Algorithm: JWE, Key: base64.StdEncoding.EncodeToString(make([]byte, 31))}, "key: decodes to 31 bytes"},
		{"gcm with private key", Spec{Algorithm: AES256GCM, Key: k32, PrivateKey: smallPEM}, "private_key: only for algorithm: jwe"},
		{"jwe both", Spec{Algorithm: JWE, Key: k32, PrivateKey: smallPEM}, "not both"},
		{"jwe PEM garbage", Spec{Algorithm: JWE, PrivateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}, "private_key: invalid PKCS#1"},
		{"jwe not PEM", Spec{Algorithm: JWE, PrivateKey: "hello"}, "private_key: not a PEM block"},
		{"jwe certificate", Spec{Algorithm: JWE, PrivateKey: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, `PEM block "CERTIFICATE"`},
		{"jwe small RSA", Spec{Algorithm: JWE, PrivateKey: smallPEM}, "1024 bits, want at least 2048"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.spec)
			var fe *FieldError
			if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a field error with %q", err, tc.want)
			}
		})
	}
}

// FuzzOpen: any body either opens or gives ErrOpen; never a panic.
func FuzzOpen(f *testing.F) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	gcm, _ := New(Spec{Algorithm: AES256GCM, Key: key})
	jwe, _ := New(Spec{Algorithm: JWE, Key: key})
	sealed, _, _ := gcm.Seal([]byte(`{"a":1}`))
	tok, _, _ := jwe.Seal([]byte(`{"a":1}`))
	f.Add(sealed)
	f.Add(tok)
	f.Add([]byte("===="))
	f.Add([]byte(b64url(`{"alg":"dir","enc":"A256GCM","zip":"DEF"}`) + "...."))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, o := range []*Opener{gcm, jwe} {
			if _, err := o.Open(body); err != nil && !errors.Is(err, ErrOpen) {
				t.Fatalf("%s: error without ErrOpen: %v", o.Algorithm(), err)
			}
		}
	})
}
