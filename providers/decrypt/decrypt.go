// Package decrypt opens encrypted webhook bodies (a source's decrypt:
// option) after the signature over the encrypted bytes has been verified,
// and seals bodies the same way for `hookrunner send`.
//
// Two schemes, each restricted to exactly what is configured:
//
//   - aes-256-gcm: the body is a 12-byte nonce, the ciphertext and the
//     16-byte tag (what Go's cipher.AEAD Seal appends, Node's
//     createCipheriv('aes-256-gcm') + getAuthTag(), Python's AESGCM), no
//     associated data, under a 32-byte key. It is sent raw or base64; see
//     Open for how the two are told apart.
//   - jwe: a JWE in compact serialization with enc A256GCM and alg dir (a
//     32-byte shared key) or alg RSA-OAEP-256 (an RSA private key). Any
//     other alg or enc in the token's header (none, RSA1_5, A128KW, PBES2…)
//     is refused, as is a compressed ("zip") token.
//
// The package imports nothing of hookrunner.
package decrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Algorithm names as written in hooks.yaml.
const (
	AES256GCM = "aes-256-gcm"
	JWE       = "jwe"
)

// Algorithms lists the accepted algorithm names.
var Algorithms = []string{AES256GCM, JWE}

const (
	keySize   = 32
	nonceSize = 12
	tagSize   = 16
	// MinSealed is the shortest aes-256-gcm body: nonce and tag around an
	// empty plaintext.
	MinSealed = nonceSize + tagSize
	minRSA    = 2048
)

// Spec is a source's decrypt: settings with its secrets resolved.
type Spec struct {
	Algorithm string
	// Key is the standard base64 of the 32-byte key (aes-256-gcm, jwe dir).
	Key string
	// PrivateKey is a PEM RSA private key, PKCS#1 or PKCS#8 (jwe RSA-OAEP-256).
	PrivateKey string
}

// FieldError is a settings problem tied to one key of the decrypt: block.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Opener decrypts (and, for send, encrypts) the bodies of one source. It is
// immutable and safe for concurrent use.
type Opener struct {
	alg  string
	aead cipher.AEAD     // aes-256-gcm
	key  []byte          // jwe dir
	priv *rsa.PrivateKey // jwe RSA-OAEP-256
}

// New checks spec and builds its Opener. Errors name the field at fault
// and never quote key material.
func New(spec Spec) (*Opener, error) {
	o := &Opener{alg: spec.Algorithm}
	switch spec.Algorithm {
	case "":
		return nil, fieldErr("algorithm", "required: %s", strings.Join(Algorithms, " or "))
	case AES256GCM:
		if spec.PrivateKey != "" {
			return nil, fieldErr("private_key", "only for algorithm: jwe (aes-256-gcm takes key or key_file)")
		}
		key, err := parseKey(spec.Key)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fieldErr("key", "%v", err)
		}
		if o.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fieldErr("key", "%v", err)
		}
	case JWE:
		switch {
		case spec.Key != "" && spec.PrivateKey != "":
			return nil, fieldErr("key", "set key (alg dir) or private_key (alg RSA-OAEP-256), not both")
		case spec.PrivateKey != "":
			priv, err := parseRSAKey(spec.PrivateKey)
			if err != nil {
				return nil, err
			}
			o.priv = priv
		default:
			key, err := parseKey(spec.Key)
			if err != nil {
				return nil, fieldErr("key", "%s (or set private_key_file for RSA-OAEP-256)", err.(*FieldError).Msg)
			}
			o.key = key
		}
	default:
		return nil, fieldErr("algorithm", "unknown algorithm %q (use %s)", spec.Algorithm, strings.Join(Algorithms, " or "))
	}
	return o, nil
}

func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fieldErr("key", "required: the standard base64 of a 32-byte key (key: or key_file:)")
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fieldErr("key", "not standard base64 (e.g. the output of `openssl rand -base64 32`)")
	}
	if len(key) != keySize {
		return nil, fieldErr("key", "decodes to %d bytes, want %d (AES-256)", len(key), keySize)
	}
	return key, nil
}

func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, fieldErr("private_key", "not a PEM block (want -----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----)")
	}
	var priv *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fieldErr("private_key", "invalid PKCS#1 RSA private key")
		}
		priv = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fieldErr("private_key", "invalid PKCS#8 private key")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fieldErr("private_key", "a %T, want an RSA key (RSA-OAEP-256)", k)
		}
		priv = rk
	default:
		return nil, fieldErr("private_key", "PEM block %q, want RSA PRIVATE KEY or PRIVATE KEY", block.Type)
	}
	if bits := priv.N.BitLen(); bits < minRSA {
		return nil, fieldErr("private_key", "RSA key of %d bits, want at least %d", bits, minRSA)
	}
	return priv, nil
}

// Algorithm returns the configured algorithm name.
func (o *Opener) Algorithm() string { return o.alg }

// Errors of Open, wrapped with detail.
var (
	ErrTooShort = errors.New("body shorter than nonce and tag")
	ErrOpen     = errors.New("body does not decrypt")
)

// Open decrypts a body.
//
// aes-256-gcm: when the body without surrounding white space (and without
// line breaks) is entirely base64 — standard or URL-safe alphabet, padded
// or not, but not both alphabets — and decodes to at least 28 bytes, it is
// taken as base64; otherwise the body is the raw bytes. (Raw ciphertext
// that happens to be 28+ bytes of base64 characters only has a chance of
// about 2^-56; and the tag check refuses a wrong guess rather than
// accepting it.)
//
// jwe: the body, trimmed, is a compact JWE.
func (o *Opener) Open(body []byte) ([]byte, error) {
	switch o.alg {
	case AES256GCM:
		if b, ok := decodeBase64(body); ok {
			body = b
		}
		if len(body) < MinSealed {
			return nil, fmt.Errorf("%w: %w (%d bytes, want at least %d)", ErrOpen, ErrTooShort, len(body), MinSealed)
		}
		plain, err := o.aead.Open(nil, body[:nonceSize], body[nonceSize:], nil)
		if err != nil {
			return nil, fmt.Errorf("%w: aes-256-gcm: %w (wrong key, or the body was altered)", ErrOpen, err)
		}
		return plain, nil
	case JWE:
		return o.openJWE(body)
	}
	return nil, fmt.Errorf("%w: unknown algorithm %q", ErrOpen, o.alg)
}

func (o *Opener) jweAlgs() ([]jose.KeyAlgorithm, any) {
	if o.priv != nil {
		return []jose.KeyAlgorithm{jose.RSA_OAEP_256}, o.priv
	}
	return []jose.KeyAlgorithm{jose.DIRECT}, o.key
}

func (o *Opener) openJWE(body []byte) ([]byte, error) {
	tok := string(bytes.TrimSpace(body))
	algs, key := o.jweAlgs()
	// The protected header is read first to refuse compression: go-jose
	// would inflate a "zip" token up to 250 kB or ten times its size,
	// past the source's max_body.
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return nil, fmt.Errorf("%w: jwe: not a compact JWE (header is not base64url)", ErrOpen)
	}
	var hdr map[string]any
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, fmt.Errorf("%w: jwe: not a compact JWE (header is not a JSON object)", ErrOpen)
	}
	if _, ok := hdr["zip"]; ok {
		return nil, fmt.Errorf("%w: jwe: compressed tokens (zip) are not accepted", ErrOpen)
	}
	// Only the configured alg and A256GCM parse: the token's header cannot
	// choose another (none, RSA1_5, a key-wrap or PBES2 algorithm).
	obj, err := jose.ParseEncryptedCompact(tok, algs, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, fmt.Errorf("%w: jwe: %w (accepted: alg %s, enc %s)", ErrOpen, err, algs[0], jose.A256GCM)
	}
	plain, err := obj.Decrypt(key)
	if err != nil {
		return nil, fmt.Errorf("%w: jwe: %w (wrong key, or the token was altered)", ErrOpen, err)
	}
	return plain, nil
}

// Seal encrypts plain as a sender configured like o would, and returns the
// body with the Content-Type to send it under: aes-256-gcm as standard
// base64 of nonce|ciphertext|tag (text/plain), jwe as a compact token
// (application/jose) encrypted to the public half of the private key, or
// under the shared key with alg dir.
func (o *Opener) Seal(plain []byte) ([]byte, string, error) {
	switch o.alg {
	case AES256GCM:
		nonce := make([]byte, nonceSize)
		if _, err := rand.Read(nonce); err != nil {
			return nil, "", fmt.Errorf("aes-256-gcm: nonce: %w", err)
		}
		sealed := o.aead.Seal(nonce, nonce, plain, nil)
		return []byte(base64.StdEncoding.EncodeToString(sealed)), "text/plain", nil
	case JWE:
		rcpt := jose.Recipient{Algorithm: jose.DIRECT, Key: o.key}
		if o.priv != nil {
			rcpt = jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &o.priv.PublicKey}
		}
		enc, err := jose.NewEncrypter(jose.A256GCM, rcpt, (&jose.EncrypterOptions{}).WithContentType(jose.ContentType(ContentType(plain))))
		if err != nil {
			return nil, "", fmt.Errorf("jwe: %w", err)
		}
		obj, err := enc.Encrypt(plain)
		if err != nil {
			return nil, "", fmt.Errorf("jwe: %w", err)
		}
		s, err := obj.CompactSerialize()
		if err != nil {
			return nil, "", fmt.Errorf("jwe: %w", err)
		}
		return []byte(s), "application/jose", nil
	}
	return nil, "", fmt.Errorf("unknown algorithm %q", o.alg)
}

// ContentType is how a decrypted body is read, whatever the outer
// Content-Type said: XML when it starts with '<', JSON otherwise.
func ContentType(plain []byte) string {
	if t := bytes.TrimSpace(plain); len(t) > 0 && t[0] == '<' {
		return "application/xml"
	}
	return "application/json"
}

// decodeBase64 returns the bytes body encodes when it is wholly base64
// (see Open) and long enough to be a sealed body.
func decodeBase64(body []byte) ([]byte, bool) {
	t := bytes.TrimSpace(body)
	if bytes.ContainsAny(t, "\r\n") {
		t = bytes.ReplaceAll(bytes.ReplaceAll(t, []byte("\r"), nil), []byte("\n"), nil)
	}
	padded := bytes.HasSuffix(t, []byte("="))
	u := bytes.TrimRight(t, "=")
	if padded && (len(t)%4 != 0 || len(t)-len(u) > 2) {
		return nil, false
	}
	std, url := false, false
	for _, c := range u {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		default:
			return nil, false
		}
	}
	if std && url {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	out, err := enc.DecodeString(string(u))
	if err != nil || len(out) < MinSealed {
		return nil, false
	}
	return out, true
}
