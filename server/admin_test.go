package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/ruleset"
)

// adminBundle is an Admin on a fake engine (fakeCore: a real compiled
// config, no store), driven through its handler; its clock moves only when the test moves it.
type adminBundle struct {
	a       *Admin
	h       http.Handler
	eng     *fakeCore
	cfgPath string
	reloads atomic.Int32

	mu  sync.Mutex
	now time.Time
}

func adminConfig(token string, hosts ...string) string {
	adm := "admin: { listen: \"127.0.0.1:0\""
	if token != "" {
		adm += ", token: " + token
	}
	if len(hosts) > 0 {
		adm += ", hosts: [" + strings.Join(hosts, ", ") + "]"
	}
	return adm + " }\nsources: { hook: { provider: generic, verify: none } }\n"
}

func setupAdmin(t *testing.T, token string, hosts ...string) *adminBundle {
	t.Helper()
	dir := t.TempDir()
	b := &adminBundle{cfgPath: filepath.Join(dir, "hooks.yaml"), now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	b.writeConfig(t, adminConfig(token, hosts...))
	snap, err := ruleset.Load(b.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b.eng = newFakeCore(snap)
	b.a = &Admin{Engine: b.eng, Clock: b.clock, Trusted: ParsePrefixes([]string{"10.9.9.9"}),
		Reload: func(ctx context.Context) error {
			b.reloads.Add(1)
			s, err := ruleset.Load(b.cfgPath)
			if err != nil {
				return err
			}
			b.eng.swap(s)
			return nil
		}}
	b.h = b.a.Handler()
	return b
}

func (b *adminBundle) writeConfig(t *testing.T, cfg string) {
	t.Helper()
	if err := os.WriteFile(b.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (b *adminBundle) clock() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.now
}

func (b *adminBundle) advance(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.now = b.now.Add(d)
}

// req describes one request to the admin handler.
type req struct {
	method, path string
	host         string // default 127.0.0.1:8081
	remote       string // default 192.0.2.1:40000
	bearer       string
	cookie       string
	origin       string
	form         url.Values
	header       map[string]string
}

func (b *adminBundle) do(r req) *http.Response {
	var body *strings.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	} else {
		body = strings.NewReader("")
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	hr.Host = "127.0.0.1:8081"
	if r.host != "" {
		hr.Host = r.host
	}
	if r.host == "-" {
		hr.Host = ""
	}
	hr.RemoteAddr = "192.0.2.1:40000"
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: cookieName, Value: r.cookie})
	}
	if r.origin != "" {
		hr.Header.Set("Origin", r.origin)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, hr)
	return w.Result()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf reads the CSRF token a page shows to the holder of cookie.
func (b *adminBundle) csrf(t *testing.T, cookie, remote string) string {
	t.Helper()
	page := "/ui/login"
	if cookie != "" {
		page = "/ui"
	}
	resp := b.do(req{method: "GET", path: page, cookie: cookie, remote: remote})
	m := csrfField.FindStringSubmatch(readAll(resp))
	if m == nil {
		t.Fatalf("GET %s (%d): no csrf field", page, resp.StatusCode)
	}
	return m[1]
}

// login signs in through the form and returns the session cookie.
func (b *adminBundle) login(t *testing.T, token, remote string) (*http.Response, *http.Cookie) {
	t.Helper()
	resp := b.do(req{method: "POST", path: "/ui/login", remote: remote,
		form: url.Values{"token": {token}, "csrf": {b.csrf(t, "", remote)}}})
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			return resp, c
		}
	}
	return resp, nil
}

// TestAdminHostCheck: every admin route refuses a Host that is not an IP
// literal, localhost or a listed admin.hosts name (DNS rebinding), before
// auth or the handler runs; allowed Hosts reach the route.
func TestAdminHostCheck(t *testing.T) {
	const tok = "host-check-token"
	b := setupAdmin(t, tok, "hookrunner.internal")
	routes := []req{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/readyz"},
		{method: "GET", path: "/api/status", bearer: tok},
		{method: "GET", path: "/metrics", bearer: tok},
		{method: "GET", path: "/debug/pprof/", bearer: tok},
		{method: "GET", path: "/ui/login"},
		{method: "GET", path: "/ui/static/app.css"},
		{method: "POST", path: "/-/reload", bearer: tok},
		{method: "POST", path: "/api/replay?rule=x", bearer: tok},
	}
	hosts := []struct {
		host string
		ok   bool
	}{
		{"evil.example", false},
		{"evil.example:8081", false},
		{"localhost.evil.example", false},
		{"127.0.0.1.evil.example:8081", false},
		{"hookrunner.internal.evil.example", false},
		{"-", false}, // empty Host
		{"[::1", false},
		{"127.0.0.1:8081", true},
		{"127.0.0.1", true},
		{"10.1.2.3:8081", true},
		{"[::1]:8081", true},
		{"[::1]", true},
		{"localhost", true},
		{"localhost:8081", true},
		{"LOCALHOST:8081", true},
		{"hookrunner.internal", true},
		{"HookRunner.Internal:8081", true},
	}
	for _, h := range hosts {
		for _, rt := range routes {
			t.Run(h.host+" "+rt.method+" "+rt.path, func(t *testing.T) {
				rt.host = h.host
				before := b.reloads.Load()
				resp := b.do(rt)
				if !h.ok {
					if resp.StatusCode != http.StatusMisdirectedRequest {
						t.Fatalf("status %d, want 421", resp.StatusCode)
					}
					if b.reloads.Load() != before {
						t.Fatal("the refused request reloaded the config")
					}
					return
				}
				if resp.StatusCode == http.StatusMisdirectedRequest || resp.StatusCode >= 500 || resp.StatusCode == 401 || resp.StatusCode == 403 {
					t.Fatalf("status %d for an allowed Host", resp.StatusCode)
				}
			})
		}
	}
	// The check also holds without an admin token (loopback default).
	open := setupAdmin(t, "")
	for _, rt := range routes {
		rt.bearer, rt.host = "", "rebound.evil.example:8081"
		if resp := open.do(rt); resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("no token, rebound Host: %s %s = %d, want 421", rt.method, rt.path, resp.StatusCode)
		}
	}
	if open.reloads.Load() != 0 {
		t.Error("a rebound request reloaded the config")
	}
	if resp := open.do(req{method: "POST", path: "/-/reload"}); resp.StatusCode != 200 || open.reloads.Load() != 1 {
		t.Errorf("no token, local curl-style reload: %d", resp.StatusCode)
	}
}

// TestLoginRateLimit: after LoginFailures wrong tokens from one address,
// sign-in and bearer auth from that address answer 429 with Retry-After,
// even for the right token, until the window ends; other addresses are
// not affected.
func TestLoginRateLimit(t *testing.T) {
	const tok = "rate-limit-token-0123456789"
	tests := []struct {
		name string
		fail func(b *adminBundle, t *testing.T) int // one failed attempt
	}{
		{"console form", func(b *adminBundle, t *testing.T) int {
			resp, c := b.login(t, "guess", "")
			if c != nil {
				t.Fatal("a wrong token got a session")
			}
			return resp.StatusCode
		}},
		{"bearer API", func(b *adminBundle, t *testing.T) int {
			return b.do(req{method: "GET", path: "/api/status", bearer: "guess"}).StatusCode
		}},
		{"bearer reload", func(b *adminBundle, t *testing.T) int {
			return b.do(req{method: "POST", path: "/-/reload", bearer: "guess"}).StatusCode
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setupAdmin(t, tok)
			for i := 0; i < LoginFailures; i++ {
				if got := tt.fail(b, t); got != http.StatusUnauthorized {
					t.Fatalf("failure %d: status %d, want 401", i+1, got)
				}
			}
			b.advance(time.Minute)
			if got := tt.fail(b, t); got != http.StatusTooManyRequests {
				t.Fatalf("attempt after %d failures: %d, want 429", LoginFailures, got)
			}
			// The right token is refused too while blocked, in both ways in.
			resp, c := b.login(t, tok, "")
			if resp.StatusCode != http.StatusTooManyRequests || c != nil {
				t.Fatalf("right token while blocked (form): %d, cookie %v", resp.StatusCode, c)
			}
			if ra := resp.Header.Get("Retry-After"); ra != "240" {
				t.Errorf("Retry-After = %q, want 240 (window %s, 1m used)", ra, LoginWindow)
			}
			resp = b.do(req{method: "GET", path: "/api/status", bearer: tok})
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("right token while blocked (bearer): %d", resp.StatusCode)
			}
			before := b.reloads.Load()
			if resp := b.do(req{method: "POST", path: "/-/reload", bearer: tok}); resp.StatusCode != 429 || b.reloads.Load() != before {
				t.Fatalf("reload while blocked: %d", resp.StatusCode)
			}
			// Another client is not blocked.
			if resp, c := b.login(t, tok, "198.51.100.7:5555"); resp.StatusCode != http.StatusSeeOther || c == nil {
				t.Fatalf("other address: %d", resp.StatusCode)
			}
			// Behind a trusted proxy the client is the X-Forwarded-For
			// address, so one client cannot block the proxy's others.
			if resp := b.do(req{method: "GET", path: "/api/status", bearer: tok, remote: "10.9.9.9:1000",
				header: map[string]string{"X-Forwarded-For": "203.0.113.5"}}); resp.StatusCode != 200 {
				t.Fatalf("other client via trusted proxy: %d", resp.StatusCode)
			}
			// When the window ends, the right token works again.
			b.advance(LoginWindow)
			if resp, c := b.login(t, tok, ""); resp.StatusCode != http.StatusSeeOther || c == nil {
				t.Fatalf("after the window: %d", resp.StatusCode)
			}
			if resp := b.do(req{method: "GET", path: "/api/status", bearer: tok}); resp.StatusCode != 200 {
				t.Fatalf("bearer after the window: %d", resp.StatusCode)
			}
		})
	}
}

// TestSessionCookie: the console cookie is a random session id (never the
// token), HttpOnly, SameSite=Strict, Path=/, and Secure when the client
// came over HTTPS: TLS on the listener or a trusted proxy's
// X-Forwarded-Proto.
func TestSessionCookie(t *testing.T) {
	const tok = "cookie-token-abcdef"
	b := setupAdmin(t, tok)
	check := func(t *testing.T, c *http.Cookie, secure bool) {
		t.Helper()
		if c == nil {
			t.Fatal("no session cookie")
		}
		if strings.Contains(c.Value, tok) || c.Value == tok || len(c.Value) < 43 {
			t.Errorf("cookie value %q is the token or too short for 32 random bytes", c.Value)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != secure {
			t.Errorf("cookie %s: want HttpOnly, SameSite=Strict, Path=/, Secure=%v", c.String(), secure)
		}
	}
	t.Run("plain http", func(t *testing.T) {
		_, c := b.login(t, tok, "")
		check(t, c, false)
		_, c2 := b.login(t, tok, "")
		if c2 == nil || c2.Value == c.Value {
			t.Error("two sign-ins got the same session id")
		}
	})
	for _, tt := range []struct {
		name, remote, proto string
		secure              bool
	}{
		{"trusted proxy, https", "10.9.9.9:1000", "https", true},
		{"trusted proxy, http", "10.9.9.9:1000", "http", false},
		{"untrusted peer claims https", "192.0.2.50:1000", "https", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.do(req{method: "POST", path: "/ui/login", remote: tt.remote, header: map[string]string{"X-Forwarded-Proto": tt.proto},
				form: url.Values{"token": {tok}, "csrf": {b.csrf(t, "", tt.remote)}}})
			var c *http.Cookie
			for _, x := range resp.Cookies() {
				if x.Name == cookieName {
					c = x
				}
			}
			check(t, c, tt.secure)
		})
	}
	t.Run("tls listener", func(t *testing.T) {
		srv := httptest.NewTLSServer(b.h)
		defer srv.Close()
		client := srv.Client()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		host := strings.TrimPrefix(srv.URL, "https://")
		resp, err := client.Get(srv.URL + "/ui/login")
		if err != nil {
			t.Fatal(err)
		}
		m := csrfField.FindStringSubmatch(readAll(resp))
		if m == nil {
			t.Fatal("no csrf on the login page")
		}
		r, _ := http.NewRequest("POST", srv.URL+"/ui/login", strings.NewReader(url.Values{"token": {tok}, "csrf": {m[1]}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", "https://"+host)
		resp, err = client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var c *http.Cookie
		for _, x := range resp.Cookies() {
			if x.Name == cookieName {
				c = x
			}
		}
		check(t, c, true)
	})
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSessionEnds: a session works until logout, its idle or absolute
// limit, or a reload that changes the admin token; then the old cookie is
// sent to the login page (console) or refused (API).
func TestSessionEnds(t *testing.T) {
	const tok = "session-token-1"
	signedIn := func(b *adminBundle, c *http.Cookie) bool {
		resp := b.do(req{method: "GET", path: "/ui/runs", cookie: c.Value})
		api := b.do(req{method: "GET", path: "/api/status", cookie: c.Value})
		if (resp.StatusCode == 200) != (api.StatusCode == 200) {
			panic(fmt.Sprintf("console %d and API %d disagree", resp.StatusCode, api.StatusCode))
		}
		if resp.StatusCode != 200 && (resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login") {
			panic(fmt.Sprintf("console answered %d to a signed-out cookie", resp.StatusCode))
		}
		return resp.StatusCode == 200
	}
	tests := []struct {
		name string
		end  func(t *testing.T, b *adminBundle, c *http.Cookie)
	}{
		{"logout", func(t *testing.T, b *adminBundle, c *http.Cookie) {
			resp := b.do(req{method: "POST", path: "/ui/logout", cookie: c.Value, form: url.Values{"csrf": {b.csrf(t, c.Value, "")}}})
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
				t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			var del bool
			for _, x := range resp.Cookies() {
				del = del || (x.Name == cookieName && x.MaxAge < 0)
			}
			if !del {
				t.Error("logout did not delete the cookie")
			}
		}},
		{"idle", func(t *testing.T, b *adminBundle, c *http.Cookie) { b.advance(SessionIdle) }},
		{"absolute", func(t *testing.T, b *adminBundle, c *http.Cookie) {
			elapsed := SessionIdle - time.Minute // as the test left it
			for elapsed+SessionIdle/2 < SessionMax {
				b.advance(SessionIdle / 2)
				elapsed += SessionIdle / 2
				if !signedIn(b, c) {
					t.Fatalf("session in use ended after %s", elapsed)
				}
			}
			b.advance(SessionMax - elapsed)
		}},
		{"token change on reload", func(t *testing.T, b *adminBundle, c *http.Cookie) {
			b.writeConfig(t, adminConfig("session-token-2"))
			if resp := b.do(req{method: "POST", path: "/-/reload", bearer: tok}); resp.StatusCode != 200 {
				t.Fatalf("reload: %d", resp.StatusCode)
			}
			if resp := b.do(req{method: "GET", path: "/api/status", bearer: tok}); resp.StatusCode != 401 {
				t.Errorf("old token after reload: %d", resp.StatusCode)
			}
			if resp, c := b.login(t, "session-token-2", ""); resp.StatusCode != http.StatusSeeOther || c == nil {
				t.Errorf("new token sign-in: %d", resp.StatusCode)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setupAdmin(t, tok)
			_, c := b.login(t, tok, "")
			if c == nil || !signedIn(b, c) {
				t.Fatal("sign-in did not open a session")
			}
			b.advance(SessionIdle - time.Minute)
			if !signedIn(b, c) {
				t.Fatal("session ended before its idle limit")
			}
			tt.end(t, b, c)
			if signedIn(b, c) {
				t.Fatal("the old cookie still works")
			}
		})
	}
	t.Run("same token reload keeps sessions", func(t *testing.T) {
		b := setupAdmin(t, tok)
		_, c := b.login(t, tok, "")
		b.writeConfig(t, adminConfig(tok, "added.example"))
		if resp := b.do(req{method: "POST", path: "/-/reload", bearer: tok}); resp.StatusCode != 200 {
			t.Fatalf("reload: %d", resp.StatusCode)
		}
		if !signedIn(b, c) {
			t.Fatal("a reload that kept the token signed the session out")
		}
		if resp := b.do(req{method: "GET", path: "/healthz", host: "added.example"}); resp.StatusCode != 200 {
			t.Fatalf("admin.hosts added by reload: %d", resp.StatusCode)
		}
	})
}

// TestEveryPostRouteRefusesForgery lists every state-changing route the
// admin registers and checks each refuses a cross-origin request, a
// cookie request without the CSRF token, and one with no credentials —
// while the same request done right gets through.
func TestEveryPostRouteRefusesForgery(t *testing.T) {
	const tok = "csrf-token-xyz"
	b := setupAdmin(t, tok)
	_, c := b.login(t, tok, "")
	if c == nil {
		t.Fatal("no session")
	}
	csrf := b.csrf(t, c.Value, "")
	var posts []string
	for _, p := range b.a.Routes() {
		if m, _, _ := strings.Cut(p, " "); m != "GET" && m != "HEAD" {
			posts = append(posts, p)
		}
	}
	for _, want := range []string{"POST /-/reload", "POST /api/replay", "POST /api/events/{id}/replay", "POST /api/runs/{id}/replay",
		"POST /ui/login", "POST /ui/logout", "POST /ui/runs/{id}/replay", "POST /ui/events/{id}/replay"} {
		found := false
		for _, p := range posts {
			found = found || p == want
		}
		if !found {
			t.Errorf("route %s not registered (routes: %v)", want, posts)
		}
	}
	refused := func(code int) bool { return code == 401 || code == 403 }
	for _, p := range posts {
		method, path, _ := strings.Cut(p, " ")
		path = strings.ReplaceAll(path, "{id}", "nope")
		if path == "/api/replay" {
			path += "?rule=nope"
		}
		t.Run(p, func(t *testing.T) {
			form := func(csrf string) url.Values {
				v := url.Values{}
				if csrf != "" {
					v.Set("csrf", csrf)
				}
				if path == "/ui/login" {
					v.Set("token", tok)
				}
				return v
			}
			cases := []struct {
				name string
				r    req
			}{
				{"cross-origin with session and CSRF", req{cookie: c.Value, origin: "http://evil.example", form: form(csrf)}},
				{"cross-origin, Origin null", req{cookie: c.Value, origin: "null", form: form(csrf)}},
				{"cross-origin same host other port", req{cookie: c.Value, origin: "http://127.0.0.1:3000", form: form(csrf)}},
				{"session without CSRF", req{cookie: c.Value, form: form("")}},
				{"session with wrong CSRF", req{cookie: c.Value, form: form(strings.Repeat("0", 64))}},
				{"nothing", req{form: form("")}},
			}
			for _, cs := range cases {
				cs.r.method, cs.r.path = method, path
				before := b.reloads.Load()
				if got := b.do(cs.r).StatusCode; !refused(got) {
					t.Errorf("%s: %d, want 401 or 403", cs.name, got)
				}
				if b.reloads.Load() != before {
					t.Errorf("%s: the config was reloaded", cs.name)
				}
			}
			// The control: same origin, session, CSRF token.
			if got := b.do(req{method: method, path: path, cookie: c.Value, origin: "http://127.0.0.1:8081", form: form(csrf)}).StatusCode; refused(got) {
				t.Errorf("a proper console request was refused: %d", got)
			}
		})
		if path == "/ui/logout" || path == "/ui/login" { // the control ended the session: sign in again
			_, c = b.login(t, tok, "")
			csrf = b.csrf(t, c.Value, "")
		}
	}
	// Without an admin token (loopback), cross-origin posts are still refused.
	open := setupAdmin(t, "")
	for _, p := range posts {
		method, path, _ := strings.Cut(p, " ")
		path = strings.ReplaceAll(path, "{id}", "nope")
		if got := open.do(req{method: method, path: path, origin: "http://evil.example", form: url.Values{}}).StatusCode; got != 403 && path != "/ui/login" {
			t.Errorf("no token: cross-origin %s = %d, want 403", p, got)
		}
	}
	if open.reloads.Load() != 0 {
		t.Error("no token: a cross-origin post reloaded the config")
	}
}

func TestHostAllowed(t *testing.T) {
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"127.0.0.1", true}, {"[::1]:1", true}, {"::1", true}, {"[fe80::1%25eth0]:80", true},
		{"localhost.", true}, {"localhost:", true}, {"", false}, {":8081", false}, {"a.example", true}, {"b.example", false},
		{"0x7f.0.0.1", false}, {"2130706433", false},
	} {
		if got := hostAllowed(tt.host, []string{"a.example"}); got != tt.want {
			t.Errorf("hostAllowed(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
