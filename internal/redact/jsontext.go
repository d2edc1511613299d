package redact

import (
	"encoding/json"
	"strings"
)

// Text that is one JSON document (a CLI's --json output, an API answer
// quoted in an error) is redacted string by string: each string literal
// is decoded, redacted as text and encoded again, so the result is still
// JSON. (The free-text rules run to the end of a line: over encoded JSON
// a "cookie: x" inside a value would eat the closing quote.) Strings under
// a secret-named key, and in a list under one, become Mask.

// isJSONText reports whether s is one JSON object or array.
func isJSONText(s string) bool {
	t := strings.TrimSpace(s)
	if len(t) < 2 {
		return false
	}
	first, last := t[0], t[len(t)-1]
	if !(first == '{' && last == '}') && !(first == '[' && last == ']') {
		return false
	}
	return json.Valid([]byte(t))
}

// jsonText redacts the JSON document s (isJSONText) and keeps everything
// but the strings that change byte for byte.
func (r *Redactor) jsonText(s string, quick bool) string {
	type frame struct {
		obj    bool
		key    string // the key whose value comes next (objects)
		secret bool   // a list under a secret-named key
	}
	var stack []frame
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			secret := false
			if n := len(stack); n > 0 {
				if top := stack[n-1]; top.obj {
					secret = IsSecretName(top.key)
				} else {
					secret = top.secret
				}
			}
			stack = append(stack, frame{obj: s[i] == '{', secret: s[i] == '[' && secret})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case '"':
			end := stringEnd(s, i)
			lit := s[i:end]
			var dec string
			if json.Unmarshal([]byte(lit), &dec) != nil {
				i = end - 1
				continue
			}
			var top *frame
			if n := len(stack); n > 0 {
				top = &stack[n-1]
			}
			isKey := top != nil && top.obj && nextNonSpace(s, end) == ':'
			out := dec
			switch {
			case isKey:
				top.key = dec
				out = r.redact(dec, quick)
			case dec != "" && dec != Mask && top != nil && (top.obj && IsSecretName(top.key) || !top.obj && top.secret):
				out = Mask
			default:
				out = r.redact(dec, quick)
			}
			if out != dec {
				enc, _ := json.Marshal(out)
				b.WriteString(s[last:i])
				b.Write(enc)
				last = end
			}
			i = end - 1
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// stringEnd returns the index just past the string literal that starts
// at s[i] == '"'.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}

// nextNonSpace returns the first byte at or after i that is not JSON
// whitespace (0 at the end).
func nextNonSpace(s string, i int) byte {
	for ; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return s[i]
		}
	}
	return 0
}
