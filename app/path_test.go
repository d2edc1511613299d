package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// A source with path: answers at /hooks/<path> and only there; its name is
// no URL, and a path that would climb or escape finds nothing.
func TestSourcePath(t *testing.T) {
	in := start(t, `
sources:
  inbound: { provider: generic, verify: token, header: X-Token, secret: "tok", path: "mail/in.bound" }
rules:
  - name: note
    source: inbound
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, false)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/hooks/mail/in.bound", 202},
		{"/hooks/inbound", 404},
		{"/hooks/mail", 404},
		{"/hooks/mail/in.bound/x", 404},
		{"/hooks/mail%2Fin.bound", 404},
		{"/hooks/x/../mail/in.bound", 307}, // net/http cleans the path with a redirect, never a match
	} {
		req, _ := http.NewRequest("POST", in.pub+tc.path, strings.NewReader(`{}`))
		req.Header.Set("X-Token", "tok")
		req.Header.Set("Content-Type", "application/json")
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.path, resp.StatusCode, b, tc.want)
		}
	}
}

// The same Content-Type sent twice is one (stored once, decoded as it
// says); two different ones are refused, since the body could be read two
// ways.
func TestDuplicateContentType(t *testing.T) {
	in := start(t, `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "tok" }
rules:
  - name: xml
    source: hook
    if: payload.order.id == "7"
    actions: [ { shell: { command: ["/bin/true"] } } ]
`, false)
	for _, tc := range []struct {
		types []string
		want  int
	}{
		{[]string{"application/xml", "application/xml"}, 202},
		{[]string{"application/xml", "application/json"}, 400},
	} {
		req, _ := http.NewRequest("POST", in.pub+"/hooks/hook", strings.NewReader(`<order><id>7</id></order>`))
		req.Header.Set("X-Token", "tok")
		for _, ct := range tc.types {
			req.Header.Add("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || tc.want == 202 && !strings.Contains(string(b), `"matched":["xml"]`) {
			t.Fatalf("%v: %d %s, want %d", tc.types, resp.StatusCode, b, tc.want)
		}
		if tc.want != 202 {
			continue
		}
		var ev struct {
			Event struct {
				Headers map[string]string `json:"headers"`
			} `json:"event"`
		}
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &id)
		in.getJSON(t, "/api/events/"+id.ID, &ev)
		if got := ev.Event.Headers["content-type"]; got != "application/xml" {
			t.Errorf("stored content-type %q, want it once", got)
		}
	}
}
