// Package payload decodes a webhook body, once, into the value rules see:
// JSON with exact numbers, XML, multipart/form-data, form posts, and the
// decoding of a verified request from exactly what its signature covered.
// It knows no other room of hookrunner but providers (for Coverage).
package payload

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"sort"
	"strings"

	"github.com/hookrunner/hookrunner/internal/exactjson"
	"github.com/hookrunner/hookrunner/providers"
)

// MaxJSONDepth is the safety net on the nesting of a JSON payload; the
// ingress enforces the configured (lower) server.max_json_depth first.
const MaxJSONDepth = exactjson.MaxDepth

// ErrTooDeep is returned for JSON nested deeper than the limit.
var ErrTooDeep = exactjson.ErrTooDeep

// ErrUncovered is returned by DecodeVerified for a body holding something the
// verification did not cover (an extra form field beside a signed one).
var ErrUncovered = errors.New("body holds content the signature does not cover")

// Limits bound every JSON document the decoder decodes, wherever it sits:
// the body, or the payload= field of a form post.
type Limits struct {
	// MaxJSONDepth caps nesting; 0 (or more than the MaxJSONDepth safety
	// net) means the safety net.
	MaxJSONDepth int
}

// Depth is the nesting limit in force.
func (l Limits) Depth() int {
	if l.MaxJSONDepth <= 0 || l.MaxJSONDepth > MaxJSONDepth {
		return MaxJSONDepth
	}
	return l.MaxJSONDepth
}

// Decode decodes a body once for every rule: JSON to its value
// (numbers exact: see DecodeJSON), XML and multipart/form-data to objects
// (xml.go, multipart.go), a
// form post to a map of its fields (single values as strings), a form
// holding only payload=<JSON> (Slack interactivity, Gitea) to that JSON,
// anything else to the body as a string, unless it is a JSON object or
// array, which is that JSON under any other media type too. The form is returned for providers
// that sign it. Stored events are decoded with it (runs, replay, explain,
// console); the ingress decodes with DecodeVerified, which refuses what this
// function would decode from bytes nobody signed, so both see one payload.
func Decode(contentType string, body []byte) (any, url.Values, error) {
	return decode(contentType, body, MaxJSONDepth)
}

// DecodeVerified decodes a received body from exactly what its verification
// covered. The whole body (signed, or from an authenticated sender, or
// verify: none) decodes as Decode does, but a verified one only under a
// media type of c.Formats (the provider's), and never a JSON object or
// array read as a form: otherwise ErrMediaType, since nothing signs the
// Content-Type and the same signed bytes read another way would give rules
// fields nobody signed. A single signed form field
// (Gitea, Gogs) must be the only field of the form, once: a body with
// anything else is refused with ErrUncovered, so the payload, the stored body
// and every later decode of it hold signed bytes only. lim applies to
// whatever JSON is decoded.
func DecodeVerified(contentType string, body []byte, c providers.Coverage, lim Limits) (any, url.Values, error) {
	switch c.Scope {
	case providers.ScopeNone:
	case providers.ScopeBody:
		if err := CheckFormat(contentType, body, c.Formats); err != nil {
			return nil, nil, err
		}
	case providers.ScopeFormField:
		if err := onlyField(contentType, body, c.Field); err != nil {
			return nil, nil, err
		}
		if err := CheckFormat(contentType, body, c.Formats); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("%w: the verification did not say what it covered", ErrUncovered)
	}
	return decode(contentType, body, lim.Depth())
}

// onlyField checks a form body is field=<value> and nothing else.
func onlyField(contentType string, body []byte, field string) error {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" {
		return fmt.Errorf("%w: the signature covers form field %q but the body is %q", ErrUncovered, field, mt)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return fmt.Errorf("invalid form body: %w", err)
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != field {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		return fmt.Errorf("%w: form fields %q beside the signed %q field", ErrUncovered, keys, field)
	}
	if n := len(form[field]); n != 1 {
		return fmt.Errorf("%w: the signed form field %q appears %d times", ErrUncovered, field, n)
	}
	return nil
}

func decode(contentType string, body []byte, maxDepth int) (any, url.Values, error) {
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
		// GitHub/Gitea/Gogs "form" content type) is that JSON document,
		// under the same limits as a JSON body.
		if p, ok := m["payload"].(string); ok && len(m) == 1 && strings.HasPrefix(strings.TrimSpace(p), "{") {
			inner, err := DecodeJSON([]byte(p), maxDepth)
			if errors.Is(err, ErrTooDeep) {
				return nil, nil, fmt.Errorf("form field payload: %w", err)
			}
			if err == nil {
				return inner, form, nil
			}
		}
		return m, form, nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "" && looksJSON(body):
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil, nil
		}
		v, err := DecodeJSON(body, maxDepth)
		if errors.Is(err, ErrTooDeep) {
			return nil, nil, err
		}
		if err != nil {
			return nil, nil, fmt.Errorf("invalid JSON body: %w", err)
		}
		return v, nil, nil
	case isXMLType(mt):
		v, err := decodeXML(body, maxDepth)
		return v, nil, err
	case mt == "multipart/form-data":
		v, err := decodeMultipart(contentType, body, maxDepth)
		return v, nil, err
	}
	// Any other media type (text/plain: SNS's JSON): a JSON object or
	// array is read as JSON all the same, so a body says one thing whatever
	// the Content-Type, which nothing signs, calls it.
	if looksJSON(body) {
		v, err := DecodeJSON(body, maxDepth)
		if errors.Is(err, ErrTooDeep) {
			return nil, nil, err
		}
		if err == nil {
			return v, nil, nil
		}
	}
	return string(body), nil, nil
}

func looksJSON(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// DecodeJSON decodes one JSON document with its numbers exact, the way
// every JSON payload is decoded (body, payload= form field, poll answer):
//
//   - an integer that fits int64 is an int64;
//   - a larger positive integer that fits uint64 is a uint64;
//   - any other number (a fraction, an exponent, an integer beyond uint64,
//     "-0") is a json.Number holding the text as it was sent.
//
// So a Shopify id 820982911946154509 stays that id (float64 would make it
// ...508) and 10.50 prints as 10.50. Expressions compare and compute with
// them by value (see expression/numbers.go); templates and toJSON print
// them as sent. Text after the document is an error, as with
// json.Unmarshal; so is nesting deeper than maxDepth (ErrTooDeep), checked
// before encoding/json decodes anything. (The decoder is
// internal/exactjson, which the providers use too.)
func DecodeJSON(b []byte, maxDepth int) (any, error) { return exactjson.Decode(b, maxDepth) }

// CheckJSONDepth rejects JSON nested deeper than max without decoding it.
func CheckJSONDepth(b []byte, max int) error { return exactjson.CheckDepth(b, max) }
