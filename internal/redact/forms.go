package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

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
		addForms(v, func(f string) {
			if len(f) >= MinLen {
				forms[f] = true
			}
		})
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

// addForms calls add with every way text may carry v: as written; HTML-,
// JSON- (also with "\/", as PHP writes it) and Go-escaped;
// percent-encoded the ways common encoders do it (Go's query and path
// escaping, RFC 3986, Python's quote, JavaScript's encodeURIComponent and
// encodeURI), in upper- and lower-case hex; and base64 in the standard and
// URL alphabets, with and without padding (a Basic credential, a token an
// API echoes encoded). A value made of unreserved characters has only the
// raw and base64 forms.
func addForms(v string, add func(string)) {
	add(v)
	add(html.EscapeString(v))
	if b, err := json.Marshal(v); err == nil {
		j := string(b[1 : len(b)-1])
		add(j)
		add(strings.ReplaceAll(j, "/", `\/`))
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) == nil {
		j := strings.TrimSuffix(raw.String(), "\n")
		j = j[1 : len(j)-1]
		add(j)
		add(strings.ReplaceAll(j, "/", `\/`))
	}
	q := strconv.Quote(v)
	add(q[1 : len(q)-1])
	for _, p := range []string{url.QueryEscape(v), url.PathEscape(v)} {
		add(p)
		add(lowerHex(p))
	}
	for _, keep := range percentKeeps {
		p := percentEncode(v, keep)
		add(p)
		add(lowerHex(p))
	}
	for _, e := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		add(e.EncodeToString([]byte(v)))
	}
}

// percentKeeps are the characters besides RFC 3986's unreserved ones that
// common encoders leave as they are: none (RFC 3986, Python's
// quote(safe="")), "/" (Python's quote), JavaScript's encodeURIComponent
// and encodeURI.
var percentKeeps = []string{"", "/", "!'()*", "!#$&'()*+,/:;=?@"}

// percentEncode escapes every byte of v that is neither unreserved nor in
// keep, in upper-case hex.
func percentEncode(v, keep string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// lowerHex writes the hex digits of every %XX escape of p in lower case.
func lowerHex(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	b := []byte(p)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for k := i + 1; k <= i+2; k++ {
				if b[k] >= 'A' && b[k] <= 'F' {
					b[k] += 'a' - 'A'
				}
			}
			i += 2
		}
	}
	return string(b)
}
