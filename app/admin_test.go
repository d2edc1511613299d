package app_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAdminTokenRotationAndHosts runs the real app with admin.token_file:
// a console session works, then the token file changes and POST /-/reload
// (with the old token) swaps it in — the old session and the old token stop
// working, the new token works. Requests under a name not in admin.hosts
// are refused (421) on every kind of admin route, and a name added to
// admin.hosts by the same reload is accepted.
func TestAdminTokenRotationAndHosts(t *testing.T) {
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "admin.token")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := func(hosts string) string {
		return `
server: { listen: "127.0.0.1:0" }
admin: { listen: "127.0.0.1:0", token_file: ` + tokFile + `, hosts: [` + hosts + `] }
store: { driver: sqlite, dsn: "` + filepath.Join(dir, "hr.db") + `" }
sources: { hook: { provider: generic, verify: none } }
`
	}
	write("admin.token", "token-one\n")
	write("hooks.yaml", cfg("ops.example"))
	in := startExisting(t, dir, false)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path, host, bearer, cookie string, form url.Values) *http.Response {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, in.adm+path, body)
		if host != "" {
			req.Host = host
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", in.adm)
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "hookrunner_admin", Value: cookie})
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	login := func(token string) string {
		t.Helper()
		resp, err := http.Get(in.adm + "/ui/login")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("login page without csrf:\n%s", page)
		}
		resp = do("POST", "/ui/login", "", "", "", url.Values{"token": {token}, "csrf": {string(m[1])}})
		for _, c := range resp.Cookies() {
			if c.Name == "hookrunner_admin" {
				if c.Value == token || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
					t.Fatalf("session cookie %s", c)
				}
				return c.Value
			}
		}
		t.Fatalf("sign-in answered %d without a session cookie", resp.StatusCode)
		return ""
	}
	status := func(resp *http.Response) int { return resp.StatusCode }

	// Host check, before anything else, on every kind of route.
	for _, path := range []string{"/healthz", "/readyz", "/api/status", "/metrics", "/debug/pprof/", "/ui", "/ui/login"} {
		if got := status(do("GET", path, "rebound.evil.example:8081", "token-one", "", nil)); got != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with a rebound Host: %d, want 421", path, got)
		}
		if got := status(do("GET", path, "ops.example:8081", "token-one", "", nil)); got == http.StatusMisdirectedRequest {
			t.Errorf("GET %s with a listed admin.hosts name: 421", path)
		}
	}
	if got := status(do("POST", "/-/reload", "rebound.evil.example", "token-one", "", nil)); got != http.StatusMisdirectedRequest {
		t.Errorf("POST /-/reload with a rebound Host: %d, want 421", got)
	}

	session := login("token-one")
	if got := status(do("GET", "/ui/runs", "", "", session, nil)); got != 200 {
		t.Fatalf("signed-in page: %d", got)
	}
	// Rotate the token (and add a host name); reload with the old token.
	write("admin.token", "token-two\n")
	write("hooks.yaml", cfg("ops.example, new.example"))
	if got := status(do("POST", "/-/reload", "", "token-one", "", nil)); got != 200 {
		t.Fatalf("reload: %d\n%s", got, in.logs)
	}
	if resp := do("GET", "/ui/runs", "", "", session, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
		t.Errorf("the session opened under the old token: %d %s, want a redirect to /ui/login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := status(do("GET", "/api/status", "", "", session, nil)); got != 401 {
		t.Errorf("old session on the API: %d", got)
	}
	if got := status(do("GET", "/api/status", "", "token-one", "", nil)); got != 401 {
		t.Errorf("old token after the reload: %d", got)
	}
	if got := status(do("GET", "/api/status", "new.example", "token-two", "", nil)); got != 200 {
		t.Errorf("new token, new admin.hosts name: %d", got)
	}
	session = login("token-two")
	if got := status(do("GET", "/ui/runs", "", "", session, nil)); got != 200 {
		t.Fatalf("new session: %d", got)
	}
}
