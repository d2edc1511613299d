package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Admin session and login limits. Sessions live in memory only: a restart
// signs everyone out.
const (
	// SessionIdle ends a console session not used for this long.
	SessionIdle = 12 * time.Hour
	// SessionMax ends a console session this long after sign-in, used or not.
	SessionMax = 24 * time.Hour
	// LoginFailures failed sign-ins (console or bearer token) from one
	// client address within LoginWindow block that address until the window
	// ends: 429 with Retry-After, even for the right token.
	LoginFailures = 5
	// LoginWindow is the window LoginFailures count in.
	LoginWindow = 5 * time.Minute
	// maxSessions bounds the session table (oldest dropped first).
	maxSessions = 1000
)

// hostAllowed reports whether an admin request's Host header names this
// listener rather than some other name that happens to resolve to it (DNS
// rebinding): an IP literal (v4, or v6 in brackets), localhost, or one of
// names (lower case, from admin.hosts); a port is ignored.
func hostAllowed(host string, names []string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if h == "" {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "localhost" {
		return true
	}
	for _, n := range names {
		if h == n {
			return true
		}
	}
	return false
}

// hostCheck refuses, before anything else runs, a request whose Host is not
// one the admin listener answers to.
func (a *Admin) hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, a.hosts()) {
			fail(w, http.StatusMisdirectedRequest, "unknown Host: use an IP address, localhost, or a name listed in admin.hosts")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// token is the admin token in force (it follows reloads).
func (a *Admin) token() string {
	if a.Engine == nil {
		return ""
	}
	return a.Engine.Snapshot().Config.Admin.Token.Reveal()
}

// hosts are the admin.hosts names in force.
func (a *Admin) hosts() []string {
	if a.Engine == nil {
		return nil
	}
	return a.Engine.Snapshot().Config.Admin.Hosts
}

func (a *Admin) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

// tokenMatches compares a presented token with the one in force in
// constant time (both hashed first, so lengths do not leak either).
func tokenMatches(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// secureRequest reports whether the client reached us over HTTPS: TLS on
// this listener, or https as reported by trusted proxies (Forwarded proto=
// or X-Forwarded-Proto, read by requestOrigin).
func (a *Admin) secureRequest(r *http.Request) bool {
	return r.TLS != nil || requestOrigin(r, a.Trusted).Proto == "https"
}

// failLimiter counts failed sign-ins per client address (addrKey: an
// IPv6 /64) in a fixed window.
type failLimiter struct {
	mu sync.Mutex
	m  map[netip.Prefix]*failCount
}

type failCount struct {
	n     int
	until time.Time // end of the window that started with the first failure
}

// blocked reports whether ip has used up its failures, and for how long.
func (l *failLimiter) blocked(ip netip.Addr, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[addrKey(ip)]
	if c == nil || !now.Before(c.until) {
		return false, 0
	}
	if c.n >= LoginFailures {
		return true, c.until.Sub(now)
	}
	return false, 0
}

// fail records a failed attempt from ip.
func (l *failLimiter) fail(ip netip.Addr, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[netip.Prefix]*failCount{}
	}
	if len(l.m) > 10000 { // bound memory: drop ended windows
		for k, c := range l.m {
			if !now.Before(c.until) {
				delete(l.m, k)
			}
		}
	}
	c := l.m[addrKey(ip)]
	if c == nil || !now.Before(c.until) {
		c = &failCount{until: now.Add(LoginWindow)}
		l.m[addrKey(ip)] = c
	}
	c.n++
}

// tooManyFailures answers 429 when the caller's address is blocked.
func (a *Admin) tooManyFailures(w http.ResponseWriter, r *http.Request) bool {
	blocked, wait := a.failures.blocked(clientIP(r, a.Trusted), a.now())
	if !blocked {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	fail(w, http.StatusTooManyRequests, "too many failed sign-ins; retry later")
	return true
}

// sessions maps the SHA-256 of a session id to the session, so the table
// holds no usable credential and lookups do not depend on the id's bytes.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

type session struct {
	token   [32]byte // SHA-256 of the admin token it was created under
	created time.Time
	seen    time.Time
}

func (s *sessions) create(token string, now time.Time) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[32]byte]*session{}
	}
	for k, v := range s.m {
		if !v.live(now) {
			delete(s.m, k)
		}
	}
	for len(s.m) >= maxSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.m {
			if at.IsZero() || v.created.Before(at) {
				oldest, at = k, v.created
			}
		}
		delete(s.m, oldest)
	}
	s.m[sha256.Sum256([]byte(id))] = &session{token: sha256.Sum256([]byte(token)), created: now, seen: now}
	return id, nil
}

func (v *session) live(now time.Time) bool {
	return now.Sub(v.seen) < SessionIdle && now.Sub(v.created) < SessionMax
}

// valid reports whether id names a live session created under the token in
// force, and marks it used.
func (s *sessions) valid(id, token string, now time.Time) bool {
	if id == "" {
		return false
	}
	k := sha256.Sum256([]byte(id))
	t := sha256.Sum256([]byte(token))
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[k]
	if v == nil {
		return false
	}
	if !v.live(now) || subtle.ConstantTimeCompare(v.token[:], t[:]) != 1 {
		delete(s.m, k)
		return false
	}
	v.seen = now
	return true
}

func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(id)))
}

// sessionID is the console session id the request carries, if any.
func sessionID(r *http.Request) string {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// sessionCookie is the console's cookie: HttpOnly, SameSite=Strict, path
// /, Secure when the client reached us over HTTPS; maxAge < 0 deletes it.
func (a *Admin) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.secureRequest(r)}
}
