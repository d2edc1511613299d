package expression

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/expr-lang/expr/vm"
)

// Context says where a rendered template lands, and so how the value of
// each `{{ }}` is escaped (like html/template does for HTML). The context is
// chosen when the template is compiled; the literal text of the template
// tells, for each `{{ }}`, where inside that context it stands. A `{{ }}`
// that cannot be made safe where it stands is a compile (load) error.
type Context uint8

const (
	// Text inserts values as they are (Stringify): an argv element, an
	// environment value, stdin, a plain-text body, a CRM field.
	Text Context = iota
	// URL is an absolute http(s) URL whose scheme and host are literal
	// (they come from the config): a `{{ }}` in the scheme, host, port or
	// user info is refused; in the path it is one percent-encoded segment
	// (url.PathEscape: '/', '?', '#', '%' encoded; a segment that renders
	// empty, "." or ".." fails); in the query (key or value) it is
	// url.QueryEscape'd; in the fragment it is url.PathEscape'd.
	URL
	// TrustedURL is a URL that is exactly one `{{ }}`, inserted as is; it
	// must render to an absolute http(s) URL. Only for an explicit opt-in.
	TrustedURL
	// JSON is a JSON document. A `{{ }}` inside a JSON string literal is
	// escaped as string content (quotes, backslash, control characters,
	// '<', '>', '&', U+2028, U+2029); a `{{ }}` outside a string must stand
	// where a value may and is written as one JSON value (json.Marshal; a
	// number with the digits Stringify gives it; toJSON(x) is checked to be
	// exactly one JSON value). The template's text, with every `{{ }}` in a
	// string as "" and every other as null, must be valid JSON, and the
	// rendered document is checked again.
	JSON
	// Header is an HTTP header value: a value with CR, LF or any other
	// control character (tab excepted) fails the render; it is never sent.
	Header
	// Form is an application/x-www-form-urlencoded body: every value is
	// url.QueryEscape'd, so it stays one key or one value.
	Form
)

var contextNames = [...]string{Text: "text", URL: "url", TrustedURL: "trusted url", JSON: "json", Header: "header", Form: "form"}

func (c Context) String() string {
	if int(c) < len(contextNames) {
		return contextNames[c]
	}
	return "context(" + strconv.Itoa(int(c)) + ")"
}

// escaper is how one `{{ }}` value is written, decided at compile time.
type escaper uint8

const (
	escNone escaper = iota
	escPathSegment
	escQuery
	escFragment
	escJSONString
	escJSONValue
	escJSONRaw // toJSON(...) where a JSON value stands: checked, then as is
	escHeader
)

// Template is a string with `{{ expr }}` parts, compiled once for a Context.
type Template struct {
	Source string
	ctx    Context
	parts  []part
}

type part struct {
	lit  string
	src  string
	prog *vm.Program
	esc  escaper
}

// CompileTemplate compiles every `{{ }}` part of s for the Text context.
func CompileTemplate(s string) (*Template, error) { return CompileTemplateFor(Text, s) }

// CompileTemplateFor compiles s for where its rendering lands (see Context).
func CompileTemplateFor(ctx Context, s string) (*Template, error) {
	t := &Template{Source: s, ctx: ctx}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{lit: rest})
			}
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template %q: unclosed {{", s)
		}
		src := strings.TrimSpace(rest[i+2 : i+2+j])
		if src == "" {
			return nil, fmt.Errorf("template %q: empty {{ }}", s)
		}
		p, err := compile(src)
		if err != nil {
			return nil, fmt.Errorf("template %q: compile %q: %w", s, src, cleanErr(err))
		}
		t.parts = append(t.parts, part{src: src, prog: p})
		rest = rest[i+2+j+2:]
	}
	var err error
	switch ctx {
	case Text:
	case URL:
		err = t.placeURL()
	case TrustedURL:
		if len(t.parts) != 1 || t.parts[0].prog == nil {
			err = errors.New("a trusted URL must be exactly one {{ }} and nothing else")
		}
	case JSON:
		err = t.placeJSON()
	case Header:
		for i := range t.parts {
			if t.parts[i].prog == nil {
				if j := ctlIndex(t.parts[i].lit); j >= 0 {
					err = fmt.Errorf("header value has a control character (%+q)", firstRune(t.parts[i].lit[j:]))
				}
				continue
			}
			t.parts[i].esc = escHeader
		}
	case Form:
		for i := range t.parts {
			if t.parts[i].prog != nil {
				t.parts[i].esc = escQuery
			}
		}
	default:
		err = fmt.Errorf("unknown template context %d", ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("template %q (%s): %w", s, ctx, err)
	}
	return t, nil
}

// placeURL decides the escaper of every `{{ }}` of a URL template.
func (t *Template) placeURL() error {
	first := ""
	if len(t.parts) > 0 && t.parts[0].prog == nil {
		first = t.parts[0].lit
	}
	i := strings.Index(first, "://")
	if i < 0 {
		return errors.New("the URL must start with a literal http:// or https:// and host: scheme and host come from the config, not from {{ }}")
	}
	end := strings.IndexAny(first[i+3:], "/?#")
	if end < 0 {
		if len(t.parts) > 1 {
			return errors.New("a {{ }} in the host or port: scheme and host come from the config, not from {{ }}")
		}
		end = len(first)
	} else {
		end += i + 3
	}
	u, err := url.Parse(first[:end])
	if err != nil {
		return fmt.Errorf("scheme and host: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL with a host", first[:end])
	}
	const (
		inPath = iota
		inQuery
		inFragment
	)
	state := inPath
	scan := func(lit string) {
		for k := 0; k < len(lit); k++ {
			switch c := lit[k]; {
			case c == '#':
				state = inFragment
			case c == '?' && state == inPath:
				state = inQuery
			}
		}
	}
	scan(first[end:])
	for k := 1; k < len(t.parts); k++ {
		p := &t.parts[k]
		if p.prog == nil {
			scan(p.lit)
			continue
		}
		switch state {
		case inPath:
			p.esc = escPathSegment
		case inQuery:
			p.esc = escQuery
		case inFragment:
			p.esc = escFragment
		}
	}
	if len(t.parts) == 1 {
		if _, err := url.Parse(first); err != nil {
			return err
		}
	}
	return nil
}

// placeJSON decides the escaper of every `{{ }}` of a JSON template and
// checks that the template's structure is JSON.
func (t *Template) placeJSON() error {
	const (
		outside = iota
		inString
		inEscape  // after a backslash in a string
		inUnicode // in the 4 hex digits of \u
	)
	state, hex := outside, 0
	var skel strings.Builder
	for i := range t.parts {
		p := &t.parts[i]
		if p.prog != nil {
			switch state {
			case outside:
				p.esc = escJSONValue
				if isBuiltin(p.prog.Node(), "toJSON") {
					p.esc = escJSONRaw
				}
				skel.WriteString("null")
			case inString:
				p.esc = escJSONString
			default:
				return fmt.Errorf("{{ %s }} inside a JSON escape sequence", p.src)
			}
			continue
		}
		skel.WriteString(p.lit)
		for k := 0; k < len(p.lit); k++ {
			c := p.lit[k]
			switch state {
			case outside:
				if c == '"' {
					state = inString
				}
			case inString:
				switch c {
				case '"':
					state = outside
				case '\\':
					state = inEscape
				}
			case inEscape:
				if c == 'u' {
					state, hex = inUnicode, 0
				} else {
					state = inString
				}
			case inUnicode:
				if hex++; hex == 4 {
					state = inString
				}
			}
		}
	}
	if !json.Valid([]byte(skel.String())) {
		return errors.New("not valid JSON (each {{ }} inside a string counted as empty text, each other one as null): a {{ }} outside a string must stand where a value may, and strings must be closed around their {{ }}")
	}
	return nil
}

// ctlIndex returns the byte index of the first character in s that a
// header value must not carry, or -1: an ASCII control other than tab (CR,
// LF, NUL, DEL, …), a C1 control (U+0080–U+009F: NEL, CSI, …), a line or
// paragraph separator (U+2028, U+2029), a bidirectional or other format
// control that changes how a line reads (U+200E, U+202E, …), or a byte
// that is not UTF-8. A character is judged whole, so no spelling of a line
// break gets through as "not an ASCII control".
func ctlIndex(s string) int {
	for i, r := range s {
		switch {
		case r == '\t':
		case r < 0x20 || r == 0x7f:
			return i
		case r < 0x80:
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return i
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', unicode.Is(unicode.Cf, r):
			return i
		}
	}
	return -1
}

// firstRune is the character at the start of s (the byte itself when it
// is not UTF-8), for messages.
func firstRune(s string) string {
	if r, n := utf8.DecodeRuneInString(s); r != utf8.RuneError || n > 1 {
		return string(r)
	}
	return s[:1]
}

// IsStatic reports whether the template has no expressions.
func (t *Template) IsStatic() bool {
	for _, p := range t.parts {
		if p.prog != nil {
			return false
		}
	}
	return true
}

// Context is the context the template was compiled for.
func (t *Template) Context() Context { return t.ctx }

// Render evaluates the template, escaping each value for where it stands.
// In the Text context strings are inserted as they are, numbers in their
// shortest form, nil as "", and maps and lists as JSON (see Stringify). An
// error means the value could not be made safe (a path segment that would
// climb, a header value with CR/LF, a body that is not valid JSON): the
// rendering must not be used.
func (t *Template) Render(env *Env) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].lit, nil
	}
	var b strings.Builder
	var segs [][2]int // output offsets of path-segment values
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.lit)
			continue
		}
		v, err := run(p.prog, env, nil)
		if err != nil {
			return "", fmt.Errorf("render %q: %w", t.Source, err)
		}
		s, err := p.esc.escape(v)
		if err != nil {
			return "", fmt.Errorf("render %q: {{ %s }}: %w", t.Source, p.src, err)
		}
		if p.esc == escPathSegment {
			segs = append(segs, [2]int{b.Len(), b.Len() + len(s)})
		}
		b.WriteString(s)
	}
	out := b.String()
	for _, sg := range segs {
		start := strings.LastIndexByte(out[:sg[0]], '/') + 1
		end := len(out)
		if k := strings.IndexAny(out[sg[1]:], "/?#"); k >= 0 {
			end = sg[1] + k
		}
		if err := checkSegment(out[start:end]); err != nil {
			return "", fmt.Errorf("render %q: %w", t.Source, err)
		}
	}
	switch t.ctx {
	case URL:
		if _, err := url.Parse(out); err != nil {
			return "", fmt.Errorf("render %q: %w", t.Source, err)
		}
	case TrustedURL:
		u, err := url.Parse(out)
		if err != nil {
			return "", fmt.Errorf("render %q: trusted URL: %w", t.Source, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("render %q: trusted URL is not an http(s) URL with a host", t.Source)
		}
	case JSON:
		if !json.Valid([]byte(out)) {
			return "", fmt.Errorf("render %q: the rendered body is not valid JSON", t.Source)
		}
	}
	return out, nil
}

// RenderOrAbsent is Render, except that a template made of exactly one
// `{{ expr }}` whose value is nil (a missing field) is absent: ("", true).
func (t *Template) RenderOrAbsent(env *Env) (string, bool, error) {
	if len(t.parts) == 1 && t.parts[0].prog != nil {
		v, err := run(t.parts[0].prog, env, nil)
		if err != nil {
			return "", false, fmt.Errorf("render %q: %w", t.Source, err)
		}
		if v == nil {
			return "", true, nil
		}
	}
	s, err := t.Render(env)
	return s, false, err
}

func (e escaper) escape(v any) (string, error) {
	switch e {
	case escPathSegment:
		return url.PathEscape(Stringify(v)), nil
	case escQuery:
		return url.QueryEscape(Stringify(v)), nil
	case escFragment:
		return url.PathEscape(Stringify(v)), nil
	case escJSONString:
		b, _ := json.Marshal(Stringify(v))
		return string(b[1 : len(b)-1]), nil
	case escJSONValue:
		return jsonValue(v)
	case escJSONRaw:
		s, ok := v.(string)
		if !ok {
			return jsonValue(v)
		}
		if !json.Valid([]byte(s)) {
			return "", errors.New("toJSON gave text that is not one JSON value")
		}
		return s, nil
	case escHeader:
		s := Stringify(v)
		if i := ctlIndex(s); i >= 0 {
			return "", fmt.Errorf("header value has a control character (%+q): not sent", firstRune(s[i:]))
		}
		return s, nil
	}
	return Stringify(v), nil
}

// checkSegment refuses a rendered path segment that would not stay one
// segment below its parent: empty, "." or ".." (also percent-encoded).
func checkSegment(seg string) error {
	dec, err := url.PathUnescape(seg)
	if err != nil {
		dec = seg
	}
	switch dec {
	case "":
		return errors.New("a path segment renders empty")
	case ".", "..":
		return fmt.Errorf("path segment %q would climb the URL path", seg)
	}
	return nil
}

// PathSegment escapes v as exactly one URL path segment, the way a `{{ }}`
// in the path of a URL template is: url.PathEscape of Stringify(v) ('/',
// '?', '#', '%' encoded); a value that would be an empty, "." or ".."
// segment is an error.
func PathSegment(v any) (string, error) {
	s := url.PathEscape(Stringify(v))
	if err := checkSegment(s); err != nil {
		return "", err
	}
	return s, nil
}

// jsonValue writes v as one JSON value: null for nil, numbers with the
// digits Stringify gives them (a payload's as they were sent, no exponent
// for a float64), anything else as
// json.Marshal does (times as Stringify's RFC 3339 text).
func jsonValue(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case json.Number:
		// As sent; json.Marshal checks it is a JSON number.
		b, err := json.Marshal(x)
		if err != nil {
			return "", fmt.Errorf("as JSON: %w", err)
		}
		return string(b), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Errorf("%v is not a JSON number", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case time.Time:
		b, _ := json.Marshal(Stringify(x))
		return string(b), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("as JSON: %w", err)
	}
	return string(b), nil
}

// BodyContext is the context a request body template is compiled for,
// given the request's Content-Type (empty when the config sets none):
//   - JSON for application/json and any */*+json type, and, when no
//     Content-Type is set, for a body whose text starts (after white space)
//     with a literal '{' or '[' (not "{{");
//   - Form for application/x-www-form-urlencoded;
//   - Text otherwise.
func BodyContext(contentType, src string) (Context, error) {
	if contentType == "" {
		s := strings.TrimLeft(src, " \t\r\n")
		if strings.HasPrefix(s, "[") || (strings.HasPrefix(s, "{") && !strings.HasPrefix(s, "{{")) {
			return JSON, nil
		}
		return Text, nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Text, fmt.Errorf("content type %q: %w", contentType, err)
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return JSON, nil
	case mt == "application/x-www-form-urlencoded":
		return Form, nil
	}
	return Text, nil
}
