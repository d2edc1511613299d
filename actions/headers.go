package actions

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/expression"
)

// CompileHeaders compiles the header values of an http action (or a poll
// source) for the header context: a value with a control character fails
// the run, never sent. It refuses at load a name that is not an RFC 9110
// token (names cannot be templates) and two names that are one header once
// canonicalised ("Content-Type" and "content-type", easy to get with a
// YAML merge key): which of them is sent, and which decides how the body is
// escaped, must not depend on the order of a map.
func CompileHeaders(m map[string]string) (map[string]*expression.Template, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make(map[string]*expression.Template, len(m))
	seen := make(map[string]string, len(m))
	for _, k := range names {
		if strings.Contains(k, "{{") || !validHeaderName(k) {
			return nil, fmt.Errorf("headers: %q is not a header name (names cannot be templates)", k)
		}
		c := http.CanonicalHeaderKey(k)
		if first, dup := seen[c]; dup {
			return nil, fmt.Errorf("headers: %q and %q are the same header (names are case-insensitive); keep one", first, k)
		}
		seen[c] = k
		t, err := expression.CompileTemplateFor(expression.Header, m[k])
		if err != nil {
			return nil, fmt.Errorf("headers.%s: %w", k, err)
		}
		out[k] = t
	}
	return out, nil
}

// ContentType returns the Content-Type among headers and the name it is
// given under ("" when none is). After CompileHeaders' check there is at
// most one.
func ContentType(headers map[string]string) (value, name string) {
	for k, v := range headers {
		if strings.EqualFold(k, "Content-Type") {
			return v, k
		}
	}
	return "", ""
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
