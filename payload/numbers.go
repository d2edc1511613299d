package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

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
// before encoding/json decodes anything.
func DecodeJSON(b []byte, maxDepth int) (any, error) {
	if v, ok := scanJSON(b, maxDepth); ok {
		return v, nil
	}
	if err := CheckJSONDepth(b, maxDepth); err != nil {
		return nil, err
	}
	return decodeStd(b)
}

// decodeStd is DecodeJSON by encoding/json, for what scanJSON leaves to it.
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
