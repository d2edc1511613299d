// Package redact is hookrunner's one redactor: every way out (console,
// admin API, CLI, logs, run errors and output tails, stored headers and
// query strings) passes what it shows through a Redactor.
//
// A Redactor knows two things:
//
//   - the secret values of the config in force (every resolved ${VAR} and
//     *_file value, every secret/token/password/bearer field, credentials in
//     URLs, DSNs, headers and bodies of actions), replaced wherever they
//     appear, also URL-, JSON- and HTML-escaped;
//   - structural rules that need no list: the password of URL userinfo
//     (scheme://user:PASSWORD@), query parameters and form fields named like
//     a credential (names.go), header and JSON/YAML keys named like one,
//     "Authorization: …" lines and "Bearer …" tokens in free text.
//
// Values shorter than MinLen characters are not replaced in free text: a
// two-letter secret would turn every "ok" into [REDACTED] and mangle the
// output while hiding nothing (a secret that short is guessable anyway).
// Such values are still hidden where structure says they are secret (a
// secret-named key, a credential header, userinfo, a credential query
// parameter).
//
// The package imports nothing of hookrunner. A nil *Redactor applies the
// structural rules only.
package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Mask replaces every secret.
const Mask = "[REDACTED]"

// MinLen is the shortest secret value replaced in free text.
const MinLen = 4

// Redactor replaces secrets. It is immutable and safe for concurrent use.
type Redactor struct {
	values []string // sorted, unique, each >= MinLen
	rep    *strings.Replacer
	forms  []string // what rep replaces: each value as written and escaped
	short  int      // the length of the shortest form
}

// fewForms is how many forms String looks for one by one before handing
// text to the replacer, which copies every string it is given.
const fewForms = 16

// New returns a redactor that knows values (empty and short ones are
// ignored; see MinLen).
func New(values ...string) *Redactor {
	set := map[string]bool{}
	for _, v := range values {
		addValue(set, v)
	}
	return build(set)
}

// Len is the number of secret values known.
func (r *Redactor) Len() int {
	if r == nil {
		return 0
	}
	return len(r.values)
}

var (
	// scheme://user:password@ — the password goes.
	userinfoRe = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^\s/?#@:"'<>]*):([^\s/?#@"'<>]+)@`)
	// name=value after ?, &, ; or the start: a query string or form.
	// name=value after a space, quote, comma or paren: key=value text
	// such as a libpq DSN ("host=db password=…").
	pairRe = regexp.MustCompile(`(^|[?&;\s,("'{])([A-Za-z0-9_.\-\[\]]+)=([^&\s"'<>#;,)]+)`)
	// "name": "value" in JSON text.
	jsonPairRe = regexp.MustCompile(`"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)
	// "name": ["value", …] in JSON text (Go's encoding of an http.Header).
	jsonListRe = regexp.MustCompile(`"([^"\\]{1,64})"(\s*:\s*)\[((?:\s*"(?:[^"\\]|\\.)*"\s*,?)+)\]`)
	jsonItemRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// Header lines in free text: Authorization, Cookie and hyphenated
	// names; IsSecretHeader decides which carry a credential.
	headerLineRe = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|cookie|[a-z0-9]+(?:-[a-z0-9]+)+)(\s*:\s*)([^\r\n]+)`)
	// The credential after an HTTP authentication scheme, anywhere.
	authSchemeRe = regexp.MustCompile(`\b(Bearer|bearer|BEARER|Basic|basic|BASIC|Token|token|TOKEN|Bot|Digest|Negotiate|NTLM|SSWS|ApiKey|Apikey|GenieKey|OAuth|Key)(\s+)([A-Za-z0-9\-._~+/]+=*)`)
)

// String replaces every known secret value in s (and its escaped and
// encoded forms, and what of one is left at the edge of a cut), plus URL
// credentials, credential query values, credential header lines, the
// credential after an authentication scheme and secret-named JSON fields
// found in free text. Text that is one JSON document stays one: its
// strings are redacted one by one.
func (r *Redactor) String(s string) string { return r.redact(s, true) }

// redact is String; with quick false it skips none of the steps whose
// pattern a cheap scan rules out (the fuzz test compares the two).
func (r *Redactor) redact(s string, quick bool) string {
	if s == "" {
		return s
	}
	if isJSONText(s) {
		return r.jsonText(s, quick)
	}
	if r != nil && r.rep != nil && (!quick || r.mayHoldValue(s)) {
		s = r.rep.Replace(s)
	}
	if strings.Contains(s, "…") {
		s = r.cutEdges(s)
	}
	if strings.Contains(s, "://") {
		s = userinfoRe.ReplaceAllString(s, "$1$2:"+Mask+"@")
	}
	if strings.IndexByte(s, '=') >= 0 && (!quick || mayHoldSecretPair(s)) {
		s = pairRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := pairRe.FindStringSubmatch(m)
			prefix, name, val := sm[1], sm[2], sm[3]
			secret := IsSecretName(name)
			if !secret && (prefix == "" || prefix == "?" || prefix == "&" || prefix == ";") {
				secret = IsSecretQueryParam(name)
			}
			if !secret || val == Mask {
				return m
			}
			return prefix + name + "=" + Mask
		})
	}
	if strings.Contains(s, "\":") || strings.Contains(s, "\" :") {
		s = jsonPairRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := jsonPairRe.FindStringSubmatch(m)
			if !IsSecretName(sm[1]) || sm[3] == "" || sm[3] == Mask {
				return m
			}
			return `"` + sm[1] + `"` + sm[2] + `"` + Mask + `"`
		})
		s = jsonListRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := jsonListRe.FindStringSubmatch(m)
			if !IsSecretName(sm[1]) {
				return m
			}
			return `"` + sm[1] + `"` + sm[2] + "[" + jsonItemRe.ReplaceAllStringFunc(sm[3], func(item string) string {
				if item == `""` {
					return item
				}
				return `"` + Mask + `"`
			}) + "]"
		})
	}
	if strings.IndexByte(s, ':') >= 0 && (!quick || mayHoldHeaderLine(s)) {
		s = headerLineRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := headerLineRe.FindStringSubmatch(m)
			// A value already masked stays as written, quotes and all
			// (YAML output: Authorization: '[REDACTED]').
			if !isHeaderLineName(sm[1]) || strings.Trim(strings.TrimSpace(sm[3]), `'"`) == Mask {
				return m
			}
			return sm[1] + sm[2] + Mask
		})
	}
	if !quick || mayHoldAuthScheme(s) {
		s = authSchemeRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := authSchemeRe.FindStringSubmatch(m)
			if !isCredential(sm[1], sm[3]) {
				return m // "Bearer token", "basic authentication": words, not credentials
			}
			return sm[1] + sm[2] + Mask
		})
	}
	return s
}

// isCredential reports whether tok, written after the authentication
// scheme, looks like a credential rather than a word: a Basic credential
// is base64 of "user:password"; any other is at least 8 characters with a
// digit or a symbol in it.
func isCredential(scheme, tok string) bool {
	if strings.EqualFold(scheme, "basic") {
		b, err := base64.StdEncoding.DecodeString(tok)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(tok)
		}
		if err == nil && strings.Contains(string(b), ":") {
			return true
		}
	}
	return len(tok) >= 8 && strings.ContainsAny(tok, "0123456789-._~+/=")
}

// Error returns err with a redacted message; errors.Is and errors.As still
// see the original chain. A nil error stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := r.String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Known replaces only the known secret values (and their URL-, JSON- and
// HTML-escaped forms), without the structural rules: a last pass over
// rendered HTML, where the structural patterns could misread markup.
func (r *Redactor) Known(s string) string {
	if r == nil || r.rep == nil {
		return s
	}
	return r.rep.Replace(s)
}

// Header returns what may be shown or stored of a header's value: Mask
// for a credential header, the value with known secrets replaced
// otherwise. Signature headers are kept (see IsSignatureHeader).
func (r *Redactor) Header(name, value string) string {
	if value == "" {
		return value
	}
	if IsSecretHeader(name) {
		return Mask
	}
	return r.String(value)
}

// Headers flattens h to lower-case names (values joined by ", ") with
// every credential redacted, as events are stored.
func (r *Redactor) Headers(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		lk := lowerName(k)
		if len(v) == 1 {
			out[lk] = r.Header(lk, v[0])
			continue
		}
		out[lk] = r.Header(lk, strings.Join(v, ", "))
	}
	return out
}

// lowerNames memoizes the lower-case form of header names (the same few
// on every request), bounded like nameCache.
var lowerNames = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

func lowerName(k string) string {
	lowerNames.RLock()
	lk, ok := lowerNames.m[k]
	lowerNames.RUnlock()
	if ok {
		return lk
	}
	lk = strings.ToLower(k)
	lowerNames.Lock()
	if len(lowerNames.m) < 4096 {
		lowerNames.m[strings.Clone(k)] = lk
	}
	lowerNames.Unlock()
	return lk
}

// HeaderMap is Headers for an already flattened map.
func (r *Redactor) HeaderMap(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = r.Header(k, v)
	}
	return out
}

// Query redacts a raw query string (or form body): the value of every
// parameter named like a credential becomes Mask, and so does every value
// that, once percent-decoded, holds a known secret (however the sender
// encoded it: "sl/ash%2Bsec%3D9", lower-case hex). Names have known
// secrets replaced. Order and encoding of the rest are kept.
func (r *Redactor) Query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, val, hasVal := strings.Cut(p, "=")
		un := unescapeQuery(name)
		if hasVal && val != "" && (IsSecretQueryParam(un) || r.holds(unescapeQuery(val)) || r.holds(val)) {
			parts[i] = r.Known(name) + "=" + Mask
			continue
		}
		if r.holds(un) {
			name = Mask
		}
		if hasVal {
			parts[i] = r.Known(name) + "=" + r.Known(val)
		} else {
			parts[i] = r.Known(name)
		}
	}
	return strings.Join(parts, "&")
}

// unescapeQuery decodes a query string element, as much of it as decodes.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// holds reports whether s holds a known secret in any of its forms.
func (r *Redactor) holds(s string) bool {
	if r == nil || r.rep == nil || len(s) < r.short {
		return false
	}
	return r.rep.Replace(s) != s
}

// URL redacts a URL: userinfo password, credential query values, known
// secrets anywhere. A string that does not parse is redacted as text.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return r.String(raw)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	u.RawQuery = r.Query(u.RawQuery)
	s := strings.Replace(u.String(), ":xxxxx@", ":"+Mask+"@", 1)
	return r.String(s)
}
