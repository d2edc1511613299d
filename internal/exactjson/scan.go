package exactjson

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// scanJSON decodes b the way Decode's encoding/json path does (maps,
// slices, strings, bools, nil, and numbers as exactNumber makes them),
// without reflection: a received payload is decoded once per request, and
// encoding/json's interface decoding took 8 µs for a 370-byte push and
// 160 µs for GitHub's 8 KB one (BenchmarkDecodeNumbers).
//
// It takes only the plain form of JSON: whatever it does not know to be
// decoded exactly as encoding/json decodes it makes ok false, and the
// caller decodes b with encoding/json, which gives the value or the error.
// So an error, text after the value, a string with invalid UTF-8 (which
// encoding/json replaces by U+FFFD) or a \u escape of a surrogate (pairs),
// and nesting deeper than maxDepth all go to encoding/json (and a payload
// nested deeper is refused by CheckJSONDepth there).
// FuzzScanJSON holds the two to the same result.
func scanJSON(b []byte, maxDepth int) (v any, ok bool) {
	s := scanner{b: b, max: maxDepth}
	s.space()
	v, ok = s.value(0)
	if !ok {
		return nil, false
	}
	s.space()
	if s.i != len(s.b) {
		return nil, false
	}
	return v, true
}

type scanner struct {
	b   []byte
	i   int
	max int // nesting deeper than this goes to encoding/json
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) (any, bool) {
	if s.i >= len(s.b) {
		return nil, false
	}
	switch c := s.b[s.i]; {
	case c == '{' || c == '[':
		if depth >= s.max {
			return nil, false
		}
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case c == '"':
		str, ok := s.str()
		return str, ok
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	}
	return nil, false
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner) object(depth int) (any, bool) {
	s.i++ // {
	m := map[string]any{}
	s.space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return m, true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return nil, false
		}
		k, ok := s.str()
		if !ok {
			return nil, false
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return nil, false
		}
		s.i++
		s.space()
		v, ok := s.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v // the last of a repeated key, as encoding/json
		if more, ok := s.after('}'); !ok || !more {
			return m, ok
		}
	}
}

// after reads what follows a member or an element: a comma (more follow)
// or the closing byte (none do); anything else is not ok.
func (s *scanner) after(closing byte) (more, ok bool) {
	s.space()
	if s.i >= len(s.b) {
		return false, false
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		s.space()
		return true, true
	case closing:
		s.i++
		return false, true
	}
	return false, false
}

func (s *scanner) array(depth int) (any, bool) {
	s.i++ // [
	a := make([]any, 0)
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return a, true
	}
	for {
		v, ok := s.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := s.after(']'); !ok || !more {
			return a, ok
		}
	}
}

// str reads a string at s.i (its opening quote). A string without escapes
// is its bytes; one with escapes is unquoted here unless an escape is a
// surrogate's \u (encoding/json's pairing and replacement rules).
func (s *scanner) str() (string, bool) {
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		for j < len(s.b) && plainASCII[s.b[j]] {
			j++
		}
		if j == len(s.b) {
			break
		}
		switch c := s.b[j]; {
		case c == '"':
			raw := s.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return "", false
			}
			s.i = j + 1
			return string(raw), true
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			return "", false
		default: // c >= utf8.RuneSelf
			ascii = false
		}
	}
	return "", false
}

// plainASCII holds the bytes a string takes as they are without a second
// look: printable ASCII but the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escaped reads a string with escapes, from start (after its quote).
func (s *scanner) escaped(start int) (string, bool) {
	out := make([]byte, 0, 64)
	j := start
	for j < len(s.b) {
		c := s.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", false
			}
			s.i = j + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s.b) {
			return "", false
		}
		switch e := s.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if j+6 > len(s.b) {
				return "", false
			}
			r, err := strconv.ParseUint(string(s.b[j+2:j+6]), 16, 32)
			if err != nil || r >= 0xD800 && r < 0xE000 {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			j += 6
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// number reads a number by JSON's grammar and makes it what exactNumber
// makes of encoding/json's json.Number.
func (s *scanner) number() (any, bool) {
	start := s.i
	j := s.i
	if s.b[j] == '-' {
		j++
	}
	switch {
	case j < len(s.b) && s.b[j] == '0':
		j++
	case j < len(s.b) && s.b[j] >= '1' && s.b[j] <= '9':
		for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
			j++
		}
	default:
		return nil, false
	}
	if j < len(s.b) && s.b[j] == '.' {
		j++
		if j >= len(s.b) || s.b[j] < '0' || s.b[j] > '9' {
			return nil, false
		}
		for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
			j++
		}
	}
	if j < len(s.b) && (s.b[j] == 'e' || s.b[j] == 'E') {
		j++
		if j < len(s.b) && (s.b[j] == '+' || s.b[j] == '-') {
			j++
		}
		if j >= len(s.b) || s.b[j] < '0' || s.b[j] > '9' {
			return nil, false
		}
		for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
			j++
		}
	}
	s.i = j
	return exactNumber(json.Number(s.b[start:j])), true
}
