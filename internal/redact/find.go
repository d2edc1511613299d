package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

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
		findUserPassword(x, out)
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
		user, pw := m[2], m[3]
		if u, err := url.PathUnescape(user); err == nil {
			user = u
		}
		if p, err := url.PathUnescape(pw); err == nil {
			pw = p
			keep(pw, out)
		}
		keep(m[3], out)
		// What goes on the wire is "Basic " + base64(user:password): the
		// pair is a value, so its base64 forms are known.
		if !strings.Contains(user, "{{") && !strings.Contains(pw, "{{") {
			keep(user+":"+pw, out)
		}
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

// findUserPassword adds "user:password" of a mapping that holds both
// (basic auth written as username: and password:), whose base64 form is
// the credential sent.
func findUserPassword(m map[string]any, out *[]string) {
	var user, pw string
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			continue
		}
		switch strings.ToLower(k) {
		case "user", "username", "login":
			user = s
		case "password", "pass", "passwd":
			pw = s
		}
	}
	if user != "" && pw != "" {
		keep(user+":"+pw, out)
	}
}
