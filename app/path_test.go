package app_test

import (
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
