package redact

import "strings"

// The quick scans of String: each rules out, in one pass over the text,
// a step that could change nothing, so that the common text (a header
// value, a log line without credentials) skips the replacer and the
// regular expressions. Each errs towards the full step: FuzzString holds
// String to the full pass.

// mayHoldValue reports whether s could hold a secret form: it is long
// enough, and with few forms, one of them is in it.
func (r *Redactor) mayHoldValue(s string) bool {
	if len(s) < r.short {
		return false
	}
	if len(r.forms) > fewForms {
		return true
	}
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// mayHoldSecretPair reports whether pairRe could change s: some "=" in s
// follows a name that IsSecretQueryParam (which includes IsSecretName)
// accepts. A pairRe match names the whole run of name characters before
// its "=" (its prefix characters are not name characters), so when no such
// run is a secret name every match would be left as written and the
// regular expression, the dearest step of String, can be skipped.
func mayHoldSecretPair(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		j := i
		for j > 0 && isPairNameByte(s[j-1]) {
			j--
		}
		if j < i && IsSecretQueryParam(s[j:i]) {
			return true
		}
	}
	return false
}

// isPairNameByte is pairRe's name class [A-Za-z0-9_.\-\[\]].
func isPairNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '[' || c == ']'
}

// headerLineWords holds a word of every header name the header-line step
// masks: it masks a name only when the name holds one of these (in any
// letter case) and IsSecretHeader accepts it.
var headerLineWords = []string{"auth", "cookie", "token", "secret", "key", "pass", "pw", "bearer", "credential", "session", "jwt"}

// isHeaderLineName reports whether the header-line step masks the value
// of a line named name.
func isHeaderLineName(name string) bool {
	for _, w := range headerLineWords {
		if containsFoldASCII(name, w) {
			return IsSecretHeader(name)
		}
	}
	return false
}

// authSchemeWords holds, in lower case, every scheme authSchemeRe knows.
var authSchemeWords = []string{"bearer", "basic", "token", "bot", "digest", "negotiate", "ntlm", "ssws", "apikey", "geniekey", "oauth", "key"}

// mayHoldAuthScheme reports whether authSchemeRe could match s: some run
// of letters that ends at a space is a scheme. (A match starts at a word
// boundary, so the run of letters before its space is the scheme.)
func mayHoldAuthScheme(s string) bool {
	for i := 1; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			continue
		}
		j := i
		for j > 0 && (s[j-1]|0x20 >= 'a' && s[j-1]|0x20 <= 'z') {
			j--
		}
		if j == i {
			continue
		}
		for _, w := range authSchemeWords {
			if strings.EqualFold(s[j:i], w) {
				return true
			}
		}
	}
	return false
}

// mayHoldHeaderLine reports whether headerLineRe could match s. The
// expression is case-insensitive, and Go folds K (U+212A) to k and ſ
// (U+017F) to s, so text that is not ASCII is always handed to it.
func mayHoldHeaderLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	for _, w := range headerLineWords {
		if containsFoldASCII(s, w) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether s holds the lower-case ASCII word w in
// any letter case.
func containsFoldASCII(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		k := 0
		for k < len(w) && s[i+k]|0x20 == w[k] {
			k++
		}
		if k == len(w) {
			return true
		}
	}
	return false
}
