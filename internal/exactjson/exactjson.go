// Package exactjson decodes JSON the way every payload is decoded: numbers
// exact, text after the document refused, nesting bounded before anything
// is decoded. It is payload.DecodeJSON, here so that the providers (which
// may import nothing but internal packages) read a body's fields, and shape
// what rules see, with the very decoder the ingress uses.
package exactjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MaxDepth is the safety net on the nesting of a JSON document; the
// ingress enforces the configured (lower) server.max_json_depth first.
const MaxDepth = 10000

// ErrTooDeep is returned for JSON nested deeper than the limit.
var ErrTooDeep = errors.New("JSON nested too deeply")

// Decode decodes one JSON document with its numbers exact, the way
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
// before encoding/json decodes anything.
func Decode(b []byte, maxDepth int) (any, error) {
	if v, ok := scanJSON(b, maxDepth); ok {
		return v, nil
	}
	if err := CheckDepth(b, maxDepth); err != nil {
		return nil, err
	}
	return decodeStd(b)
}

// decodeStd is Decode by encoding/json, for what scanJSON leaves to it.
func decodeStd(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("more than one JSON value")
		}
		return nil, fmt.Errorf("after the JSON value: %w", err)
	}
	return exactNumbers(v), nil
}

// exactNumbers replaces, in place, each json.Number of v that is an
// integer by its int64 or uint64.
func exactNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		return exactNumber(x)
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case json.Number, map[string]any, []any:
				x[k] = exactNumbers(e)
			}
		}
	case []any:
		for i, e := range x {
			switch e.(type) {
			case json.Number, map[string]any, []any:
				x[i] = exactNumbers(e)
			}
		}
	}
	return v
}

func exactNumber(n json.Number) any {
	s := string(n)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			return n
		}
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		if i == 0 && s[0] == '-' {
			return n // "-0" as sent
		}
		return i
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	return n
}

// CheckDepth rejects JSON nested deeper than max without decoding it.
func CheckDepth(b []byte, max int) error {
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
