package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
)

// MaxJSONDepth is the safety net on the nesting of a JSON payload; the
// ingress enforces the configured (lower) server.max_json_depth first.
const MaxJSONDepth = 10000

// ErrTooDeep is returned for JSON nested deeper than MaxJSONDepth.
var ErrTooDeep = errors.New("JSON nested too deeply")

// DecodePayload decodes a body once for every rule: JSON to its value, a
// form post to a map of its fields (single values as strings), a form
// holding only payload=<JSON> (Slack interactivity, Gitea) to that JSON,
// anything else to the body as a string. The form is returned for providers that sign it.
func DecodePayload(contentType string, body []byte) (any, url.Values, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, nil, fmt.Errorf("invalid form body: %w", err)
		}
		m := make(map[string]any, len(form))
		for k, v := range form {
			if len(v) == 1 {
				m[k] = v[0]
				continue
			}
			vals := make([]any, len(v))
			for i, x := range v {
				vals[i] = x
			}
			m[k] = vals
		}
		// A form whose only field is payload=<JSON> (Slack interactivity,
		// GitHub/Gitea/Gogs "form" content type) is that JSON document.
		if p, ok := m["payload"].(string); ok && len(m) == 1 && strings.HasPrefix(strings.TrimSpace(p), "{") {
			var inner any
			if err := json.Unmarshal([]byte(p), &inner); err == nil {
				return inner, form, nil
			}
		}
		return m, form, nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "" && looksJSON(body):
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil, nil
		}
		if err := CheckJSONDepth(body, MaxJSONDepth); err != nil {
			return nil, nil, err
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return nil, nil, fmt.Errorf("invalid JSON body: %w", err)
		}
		return v, nil, nil
	}
	return string(body), nil, nil
}

func looksJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// CheckJSONDepth rejects JSON nested deeper than max without decoding it.
func CheckJSONDepth(b []byte, max int) error {
	depth := 0
	inStr, esc := false, false
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				return ErrTooDeep
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
