// Package builtin holds the providers hookrunner ships, one file each: the
// verifier, the event type and delivery id, the handshake, the signer for
// `hookrunner send`, the embedded sample payloads (samples/<name>/) and the
// README row (providers.Doc), registered from the file's init. Adding a
// provider is one new file here (its init is its registry line), its
// samples directory and its conformance fixture (providertest.Add in a
// _test file: TestConformance fails for a provider without one); nothing
// in cmd/ or engine/ names a provider.
//
// They share one package, not one each, because they share helpers that
// are not part of the providers contract (HMAC over hex or base64, the
// Authorization check of alertmanager/grafana/generic, the alert group id
// of alertmanager/grafana, the Standard Webhooks key of gitlab): sub-packages
// would have to export them. The package is registered by a blank import in
// cmd/hookrunner/imports.go.
package builtin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookrunner/hookrunner/providers"
)

// samples is every provider's sample payloads, samples/<provider>/<event>.json
// (or .form): realistic bodies written for this project from the providers'
// documentation, sent by `hookrunner send` and used by the tests.
//
//go:embed samples
var samples embed.FS

// samplesOf is the sample directory of one provider.
func samplesOf(provider string) fs.FS {
	sub, err := fs.Sub(samples, "samples/"+provider)
	if err != nil {
		panic(err) // a constant path: cannot fail
	}
	return sub
}

// Covered values providers return.
var (
	coversNothing = providers.Coverage{Scope: providers.ScopeNone}
	coversBody    = providers.Coverage{Scope: providers.ScopeBody}
)

// vouch is the result of a check covering c: c when err is nil.
func vouch(c providers.Coverage, err error) (providers.Coverage, error) {
	if err != nil {
		return providers.Coverage{}, err
	}
	return c, nil
}

func fieldErr(field, format string, args ...any) error {
	return &providers.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

func deny(format string, args ...any) error { return providers.Deny(format, args...) }

// setIf sets a header when the value is not empty.
func setIf(h http.Header, name, value string) {
	if name != "" && value != "" {
		h.Set(name, value)
	}
}

func newHash(alg string) (func() hash.Hash, error) {
	switch alg {
	case "", "sha256":
		return sha256.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unknown algorithm %q (use sha1, sha256 or sha512)", alg)
}

func mac(h func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// equal compares in constant time (for equal lengths).
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

func equalString(a, b string) bool { return equal([]byte(a), []byte(b)) }

func requireSecret(s providers.Settings) error {
	if len(s.Secrets) == 0 {
		return fieldErr("secret", "required (set secret, secret_file or secrets)")
	}
	for _, v := range s.Secrets {
		if v == "" {
			return fieldErr("secret", "empty secret")
		}
	}
	return nil
}

// checkTimestamp parses a unix-seconds timestamp and checks it is within tol
// of now, in either direction.
func checkTimestamp(ts string, now time.Time, tol time.Duration) (int64, error) {
	if ts == "" {
		return 0, deny("missing timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, deny("malformed timestamp %q", ts)
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tol || d < -tol {
		return 0, deny("timestamp %s is outside the %s tolerance", t.UTC().Format(time.RFC3339), tol)
	}
	return sec, nil
}

// field reads a string field from a decoded JSON object.
func field(payload any, keys ...string) string {
	cur := payload
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	switch v := cur.(type) {
	case string:
		return v
	case int64: // the decoder's integers: exact (see payload.Decode)
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case json.Number: // the decoder's other numbers, as sent
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// intField reads an integer field from a decoded JSON object: an int64 as
// the payload decoder gives it, or an integral float64.
func intField(m map[string]any, key string) (int64, bool) {
	switch v := m[key].(type) {
	case int64:
		return v, true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), true
		}
	}
	return 0, false
}

// forbid is a refusal answered 403 (the sender is not the one configured).
func forbid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", providers.ErrForbidden, fmt.Sprintf(format, args...))
}

// challengeToken is a fresh random token for a handshake request a signer
// builds (its time only names it apart in logs).
func challengeToken(now time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strconv.FormatInt(now.Unix(), 36) + hex.EncodeToString(b)
}

// bodyID is the delivery id of a sender that sends none: its retries repeat
// the body byte for byte, so one body is one delivery.
func bodyID(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// echoable is a challenge a handshake may reflect: 1 to 512 printable
// ASCII characters, spaces included (Graph's tokens have them); it is
// answered as text/plain, never sniffed.
func echoable(s string) bool {
	if s == "" || len(s) > 512 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// challengeRequest is a GET handshake addressed to r.URL with query q.
func challengeRequest(r *providers.Request, q url.Values) {
	r.Method = http.MethodGet
	r.Body = nil
	r.URL.RawQuery = q.Encode()
}

// textAnswer is a 200 text/plain answer with body s.
func textAnswer(s string) *providers.Answer {
	return &providers.Answer{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(s)}
}

// hexHMAC256 is hex(HMAC-SHA256(secret, body)).
func hexHMAC256(secret string, body []byte) string {
	return hex.EncodeToString(mac(sha256.New, []byte(secret), body))
}

// b64HMAC256 is base64(HMAC-SHA256(secret, body)).
func b64HMAC256(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(mac(sha256.New, []byte(secret), body))
}
