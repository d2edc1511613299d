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
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
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

func addValue(set map[string]bool, v string) {
	v = strings.TrimSpace(v)
	if len(v) < MinLen || v == Mask {
		return
	}
	set[v] = true
	if strings.ContainsAny(v, "\r\n") {
		// A multi-line secret (a PEM key): each line is replaced too, as
		// free text is often handled line by line.
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); len(line) >= 8 {
				set[line] = true
			}
		}
	}
}

func build(set map[string]bool) *Redactor {
	r := &Redactor{}
	for v := range set {
		r.values = append(r.values, v)
	}
	sort.Strings(r.values)
	forms := map[string]bool{}
	for _, v := range r.values {
		forms[v] = true
		forms[url.QueryEscape(v)] = true
		forms[url.PathEscape(v)] = true
		forms[html.EscapeString(v)] = true
		if b, err := json.Marshal(v); err == nil {
			forms[string(b[1:len(b)-1])] = true
		}
		forms[strconv.Quote(v)[1:len(strconv.Quote(v))-1]] = true
	}
	list := make([]string, 0, len(forms))
	for f := range forms {
		list = append(list, f)
	}
	// Longest first: at one position the longest secret wins.
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	if len(list) > 0 {
		r.forms, r.short = list, len(list[len(list)-1])
		pairs := make([]string, 0, 2*len(list))
		for _, f := range list {
			pairs = append(pairs, f, Mask)
		}
		r.rep = strings.NewReplacer(pairs...)
	}
	return r
}

// Merge returns a redactor knowing the values of r and of others (a reload
// keeps the secrets of the configs it replaced: output produced under
// them, such as logs of runs still in flight, stays covered).
func (r *Redactor) Merge(others ...*Redactor) *Redactor {
	same := r != nil
	for _, x := range others {
		same = same && (x == nil || x == r)
	}
	if same {
		return r // nothing to add (a run of the revision in force)
	}
	set := map[string]bool{}
	for _, x := range append([]*Redactor{r}, others...) {
		if x == nil {
			continue
		}
		for _, v := range x.values {
			set[v] = true
		}
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
	// Authorization: … / X-Api-Key: … header lines in free text.
	headerLineRe = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|cookie|set-cookie|x-[a-z0-9\-]*(?:token|secret|key|auth|password)[a-z0-9\-]*)(\s*:\s*)([^\r\n]+)`)
	// Bearer tokens anywhere.
	bearerRe = regexp.MustCompile(`\b([Bb]earer|BEARER)(\s+)([A-Za-z0-9\-._~+/]+=*)`)
)

// String replaces every known secret value in s, plus URL credentials,
// credential query values, credential header lines, Bearer tokens and
// secret-named JSON fields found in free text.
func (r *Redactor) String(s string) string { return r.redact(s, true) }

// redact is String; with quick false it skips none of the steps whose
// pattern a cheap scan rules out (the fuzz test compares the two).
func (r *Redactor) redact(s string, quick bool) string {
	if s == "" {
		return s
	}
	if r != nil && r.rep != nil && (!quick || r.mayHoldValue(s)) {
		s = r.rep.Replace(s)
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
	}
	if strings.IndexByte(s, ':') >= 0 && (!quick || mayHoldHeaderLine(s)) {
		s = headerLineRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := headerLineRe.FindStringSubmatch(m)
			// A value already masked stays as written, quotes and all
			// (YAML output: Authorization: '[REDACTED]').
			if IsSignatureHeader(sm[1]) || strings.Trim(strings.TrimSpace(sm[3]), `'"`) == Mask {
				return m
			}
			return sm[1] + sm[2] + Mask
		})
	}
	if strings.Contains(s, "earer") || strings.Contains(s, "EARER") {
		s = bearerRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := bearerRe.FindStringSubmatch(m)
			if len(sm[3]) < 8 || !strings.ContainsAny(sm[3], "0123456789-._~+/=") {
				return m // "Bearer token", "bearer authentication": words, not tokens
			}
			return sm[1] + sm[2] + Mask
		})
	}
	return s
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
// parameter named like a credential becomes Mask; other values have known
// secrets replaced. Order and encoding of the rest are kept.
func (r *Redactor) Query(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, val, hasVal := strings.Cut(p, "=")
		un, err := url.QueryUnescape(name)
		if err != nil {
			un = name
		}
		if hasVal && val != "" && IsSecretQueryParam(un) {
			parts[i] = name + "=" + Mask
			continue
		}
		if r != nil && r.rep != nil {
			parts[i] = r.rep.Replace(p)
		}
	}
	return strings.Join(parts, "&")
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

// Value redacts a decoded JSON/YAML tree deeply: the scalar values under
// a secret-named key become Mask, every string has known secrets
// replaced. The tree is copied, never changed in place.
func (r *Redactor) Value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if IsSecretName(k) {
				out[k] = maskScalars(val, r)
			} else {
				out[k] = r.Value(val)
			}
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(x))
		for k, val := range x {
			if IsSecretName(k) && val != "" {
				out[k] = Mask
			} else {
				out[k] = r.String(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = r.Value(val)
		}
		return out
	case []string:
		out := make([]string, len(x))
		for i, val := range x {
			out[i] = r.String(val)
		}
		return out
	case string:
		return r.String(x)
	}
	return v
}

// maskScalars hides what sits under a secret-named key: strings and numbers
// become Mask (empty strings, booleans and nulls say nothing and stay), a
// list is masked element by element, a mapping is walked (auth: {user,
// password}).
func maskScalars(v any, r *Redactor) any {
	switch x := v.(type) {
	case nil, bool:
		return v
	case string:
		if x == "" {
			return x
		}
		return Mask
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = maskScalars(val, r)
		}
		return out
	case map[string]any:
		return r.Value(x)
	}
	return Mask
}

// JSON redacts any value as its JSON form: v is encoded, decoded into a
// tree and passed through Value. What encoding/json cannot encode is
// returned as nil.
func (r *Redactor) JSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var t any
	if err := json.Unmarshal(b, &t); err != nil {
		return nil
	}
	return r.Value(t)
}

// Find returns the secret values that structure reveals in a decoded
// config tree (YAML/JSON): the scalars under secret-named keys, the token
// of "Bearer …"/"Basic …" values, URL userinfo passwords, credential query
// and form values, password= in key=value DSNs, secret fields of JSON
// bodies, and in argv lists the value after (or in) a --token /
// --password=… flag. Values holding a {{ template }} are skipped: they are
// rendered per event.
func Find(v any) []string {
	var out []string
	find(v, &out)
	return out
}

func find(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if IsSecretName(k) {
				collectScalars(val, out)
			}
			find(val, out)
		}
	case map[string]string:
		for k, val := range x {
			if IsSecretName(k) {
				collectScalars(val, out)
			}
			find(val, out)
		}
	case []any:
		for i, val := range x {
			s, _ := val.(string)
			if flag, value, ok := strings.Cut(s, "="); ok && strings.HasPrefix(flag, "-") && IsSecretName(strings.TrimLeft(flag, "-")) {
				collectScalars(value, out)
			} else if strings.HasPrefix(s, "-") && IsSecretName(strings.TrimLeft(s, "-")) && i+1 < len(x) {
				collectScalars(x[i+1], out)
			}
			find(val, out)
		}
	case []string:
		l := make([]any, len(x))
		for i, s := range x {
			l[i] = s
		}
		find(l, out)
	case string:
		findInString(x, out)
	}
}

func collectScalars(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		if x == "" || strings.Contains(x, "{{") {
			// A template: only its literal credential part, if any.
			if scheme, tok, ok := strings.Cut(x, " "); ok && isAuthScheme(scheme) && !strings.Contains(tok, "{{") {
				*out = append(*out, tok)
			}
			return
		}
		*out = append(*out, x)
		if scheme, tok, ok := strings.Cut(x, " "); ok && isAuthScheme(scheme) {
			*out = append(*out, strings.TrimSpace(tok))
			if strings.EqualFold(scheme, "basic") {
				if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(tok)); err == nil {
					if _, pw, ok := strings.Cut(string(b), ":"); ok {
						*out = append(*out, pw)
					}
				}
			}
		}
	case []any:
		for _, val := range x {
			collectScalars(val, out)
		}
	case int, int64, uint64, float64:
		*out = append(*out, strings.TrimSpace(jsonString(x)))
	}
}

func isAuthScheme(s string) bool {
	switch strings.ToLower(s) {
	case "bearer", "basic", "token", "bot", "apikey", "key":
		return true
	}
	return false
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func keep(s string, out *[]string) {
	if s != "" && !strings.Contains(s, "{{") && !strings.Contains(s, "}}") {
		*out = append(*out, s)
	}
}

func findInString(s string, out *[]string) {
	for _, m := range userinfoRe.FindAllStringSubmatch(s, -1) {
		if pw, err := url.PathUnescape(m[3]); err == nil {
			keep(pw, out)
		}
		keep(m[3], out)
	}
	for _, m := range pairRe.FindAllStringSubmatch(s, -1) {
		if IsSecretName(m[2]) || ((m[1] == "" || m[1] == "?" || m[1] == "&" || m[1] == ";") && IsSecretQueryParam(m[2])) {
			if v, err := url.QueryUnescape(m[3]); err == nil {
				keep(v, out)
			}
			keep(m[3], out)
		}
	}
	if t := strings.TrimSpace(s); len(t) > 1 && (t[0] == '{' || t[0] == '[') {
		var tree any
		if json.Unmarshal([]byte(t), &tree) == nil {
			find(tree, out)
		}
	}
}
