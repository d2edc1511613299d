package httpcall_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hookrunner/hookrunner/actions"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	"github.com/hookrunner/hookrunner/config"
)

// seen is one request as it arrived at the target.
type seen struct {
	method, path, rawQuery string
	header                 http.Header
	body                   string
}

// recorder is a real HTTP server on 127.0.0.1 that records what arrives.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(b)})
		rec.mu.Unlock()
		w.WriteHeader(200)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]seen(nil), rec.reqs...)
}

func TestHTTPTemplatesEscapedForWhereTheyLand(t *testing.T) {
	rec := newRecorder(t)
	a := build(t, "http", map[string]any{
		"url":     rec.URL + "/users/{{ payload.id }}/notify?ref={{ payload.ref }}&b=2#{{ payload.ref }}",
		"headers": map[string]any{"X-Ref": "ref {{ payload.ref }}"},
		"body":    `{"text": "New customer {{ payload.name }}", "big": {{ payload.big }}, "obj": {{ payload.obj }}, "s": {{ payload.ref }}}`,
	})
	name := "Eve\", \"admin\": true, \"x\": \"\\ \n </script>"
	payload := map[string]any{"id": "../../admin", "ref": "1&admin=true", "name": name,
		"big": json.Number("12345678901234567890"), "obj": map[string]any{"k": []any{"v"}}}
	if _, err := a.Run(context.Background(), inv(payload)); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	got := reqs[0]
	if got.path != "/users/..%2F..%2Fadmin/notify" {
		t.Errorf("path = %q, want one segment", got.path)
	}
	q, err := url.ParseQuery(got.rawQuery)
	if err != nil || len(q) != 2 || len(q["ref"]) != 1 || q.Get("ref") != "1&admin=true" || q.Get("b") != "2" {
		t.Errorf("query = %q (%v), want exactly ref and b", got.rawQuery, q)
	}
	if h := got.header.Get("X-Ref"); h != "ref 1&admin=true" {
		t.Errorf("X-Ref = %q", h)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	dec := json.NewDecoder(strings.NewReader(got.body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var body struct {
		Text string              `json:"text"`
		Big  json.Number         `json:"big"`
		Obj  map[string][]string `json:"obj"`
		S    string              `json:"s"`
	}
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body %s: %v", got.body, err)
	}
	if body.Text != "New customer "+name || body.Big != "12345678901234567890" || body.Obj["k"][0] != "v" || body.S != "1&admin=true" {
		t.Errorf("body = %+v from %s", body, got.body)
	}
	var keys map[string]any
	json.Unmarshal([]byte(got.body), &keys)
	if len(keys) != 4 {
		t.Errorf("body keys = %v", keys)
	}
}

// A value that cannot be made safe where it stands fails the run for good,
// and nothing is sent.
func TestHTTPUnsafeValueFailsRunNothingSent(t *testing.T) {
	rec := newRecorder(t)
	for name, c := range map[string]struct {
		cfg map[string]any
		v   any
	}{
		"header CRLF":        {map[string]any{"url": rec.URL + "/x", "headers": map[string]any{"X-Ref": "{{ payload.v }}"}}, "1\r\nX-Evil: 1"},
		"header LF":          {map[string]any{"url": rec.URL + "/x", "headers": map[string]any{"X-Ref": "a {{ payload.v }}"}}, "1\nX-Evil: 1"},
		"path segment ..":    {map[string]any{"url": rec.URL + "/files/{{ payload.v }}"}, ".."},
		"path segment .":     {map[string]any{"url": rec.URL + "/files/{{ payload.v }}/x"}, "."},
		"path segment empty": {map[string]any{"url": rec.URL + "/files/{{ payload.v }}/delete"}, ""},
		"trusted not http":   {map[string]any{"url": "{{ payload.v }}", "trusted_url": true}, "file:///etc/passwd"},
	} {
		t.Run(name, func(t *testing.T) {
			a := build(t, "http", c.cfg)
			_, err := a.Run(context.Background(), inv(map[string]any{"v": c.v}))
			if err == nil || !actions.IsPermanent(err) {
				t.Fatalf("err = %v, want a permanent failure", err)
			}
			if strings.Contains(err.Error(), "X-Evil") {
				t.Errorf("error repeats the value: %v", err)
			}
			if n := len(rec.requests()); n != 0 {
				t.Fatalf("%d requests sent", n)
			}
		})
	}
}

func TestHTTPTemplatesRefusedAtLoad(t *testing.T) {
	for name, c := range map[string]struct {
		cfg  map[string]any
		want string
	}{
		"host":                {map[string]any{"url": "https://{{ payload.host }}/x"}, "trusted_url"},
		"host suffix":         {map[string]any{"url": "https://api.example.com{{ payload.path }}"}, "host"},
		"port":                {map[string]any{"url": "https://api.example.com:{{ payload.port }}/x"}, "host"},
		"scheme":              {map[string]any{"url": "{{ payload.scheme }}://api.example.com/x"}, "scheme"},
		"whole url":           {map[string]any{"url": "{{ payload.url }}"}, "trusted_url: true"},
		"trusted not whole":   {map[string]any{"url": "https://h/{{ payload.x }}", "trusted_url": true}, "exactly one"},
		"static not http":     {map[string]any{"url": "ftp://h/x"}, "http"},
		"header name":         {map[string]any{"url": "https://h/", "headers": map[string]any{"X-{{ payload.k }}": "1"}}, "header name"},
		"header literal crlf": {map[string]any{"url": "https://h/", "headers": map[string]any{"X-A": "a\r\nX-Evil: 1"}}, "control character"},
		"json straddles":      {map[string]any{"url": "https://h/", "body": `{"a": "x"{{ payload.v }}"}`}, "not valid JSON"},
		"json key position":   {map[string]any{"url": "https://h/", "body": `{ "a": 1, {{ payload.k }}: 2}`}, "not valid JSON"},
		"json typed invalid":  {map[string]any{"url": "https://h/", "headers": map[string]any{"Content-Type": "application/vnd.api+json"}, "body": `a={{ payload.v }}`}, "not valid JSON"},
		"templated ct":        {map[string]any{"url": "https://h/", "headers": map[string]any{"content-type": "{{ payload.ct }}"}, "body": `x`}, "Content-Type"},
		// Two spellings of one header (a YAML merge key gives them easily):
		// which is sent, and which decides the body's escaping, would
		// depend on map order.
		"header twice":          {map[string]any{"url": "https://h/", "headers": map[string]any{"Content-Type": "text/plain", "content-type": "application/json"}, "body": `{"a": "{{ payload.v }}"}`}, "same header"},
		"header twice, no body": {map[string]any{"url": "https://h/", "headers": map[string]any{"X-Api-Key": "a", "x-api-key": "b"}}, "same header"},
		"header literal nel":    {map[string]any{"url": "https://h/", "headers": map[string]any{"X-A": "a\u0085X-Evil: 1"}}, "control character"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := actions.Build("http", actions.BuildContext{Decode: func(v any) error { return config.Decode(c.cfg, v) }})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestHTTPTrustedURL(t *testing.T) {
	rec := newRecorder(t)
	a := build(t, "http", map[string]any{"url": "{{ payload.callback }}", "trusted_url": true})
	if _, err := a.Run(context.Background(), inv(map[string]any{"callback": rec.URL + "/cb/a%2Fb?x=1&y=2"})); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 || reqs[0].path != "/cb/a%2Fb" || reqs[0].rawQuery != "x=1&y=2" {
		t.Fatalf("requests = %+v", reqs)
	}
}

// TestHTTPContentTypeFromConfig: the Content-Type of a body is decided at
// load from the config (a literal { or [ at the start of the body template
// means JSON), never by what a payload value renders to.
func TestHTTPContentTypeFromConfig(t *testing.T) {
	for name, c := range map[string]struct {
		body, v, want string
	}{
		"whole-body template rendering JSON": {"{{ payload.v }}", `{"admin": true}`, ""},
		"whole-body template rendering text": {"{{ payload.v }}", "hello", ""},
		"literal JSON object":                {`{"text": "{{ payload.v }}"}`, "hi", "application/json"},
		"literal JSON array":                 {`["{{ payload.v }}"]`, "hi", "application/json"},
		"text":                               {"deployed {{ payload.v }}", "[1]", ""},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t)
			a := build(t, "http", map[string]any{"url": rec.URL, "body": c.body})
			if _, err := a.Run(context.Background(), inv(map[string]any{"v": c.v})); err != nil {
				t.Fatal(err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 || reqs[0].header.Get("Content-Type") != c.want {
				t.Fatalf("Content-Type %q, want %q", reqs[0].header.Get("Content-Type"), c.want)
			}
		})
	}
}

func TestHTTPFormAndTextBodies(t *testing.T) {
	rec := newRecorder(t)
	form := build(t, "http", map[string]any{"url": rec.URL, "body": "ref={{ payload.v }}&b=2",
		"headers": map[string]any{"Content-Type": "application/x-www-form-urlencoded"}})
	text := build(t, "http", map[string]any{"url": rec.URL, "body": "deployed {{ payload.v }}",
		"headers": map[string]any{"Content-Type": "text/plain"}})
	v := "1&admin=true\n{\"x\""
	for _, a := range []actions.Action{form, text} {
		if _, err := a.Run(context.Background(), inv(map[string]any{"v": v})); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rec.requests()
	q, err := url.ParseQuery(reqs[0].body)
	if err != nil || len(q) != 2 || q.Get("ref") != v || q.Get("b") != "2" {
		t.Errorf("form body %q = %v", reqs[0].body, q)
	}
	if reqs[1].body != "deployed "+v || reqs[1].header.Get("Content-Type") != "text/plain" {
		t.Errorf("text body %q (%s)", reqs[1].body, reqs[1].header.Get("Content-Type"))
	}
}
