package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// Admin serves the admin listener: /api, /-/reload, /metrics, /healthz,
// /readyz, the console and pprof. Every request first passes the Host check
// (DNS rebinding); everything but /healthz, /readyz and the login page then
// needs the admin token in force (admin.token, followed across reloads), as
// "Authorization: Bearer <token>" or as a console session.
type Admin struct {
	Engine Core
	// Reload reloads the config file and reports the result.
	Reload func(ctx context.Context) error
	// Trusted lists the proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (server.trusted_proxies).
	Trusted []netip.Prefix
	// Clock, when set, replaces time.Now (tests).
	Clock func() time.Time

	failures failLimiter
	sessions sessions
	csrfKey  []byte
	patterns []string
}

// IsLoopback reports whether a listen address only accepts local callers.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Handler returns the admin handler: the Host check around the mux.
func (a *Admin) Handler() http.Handler {
	a.csrfKey = make([]byte, 32)
	_, _ = rand.Read(a.csrfKey)
	mux := &routeMux{ServeMux: http.NewServeMux(), patterns: &a.patterns}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.Engine.CheckStore(ctx); err != nil {
			fail(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", a.auth(promhttp.HandlerFor(a.Engine.Metrics().Registry, promhttp.HandlerOpts{})))
	mux.Handle("POST /-/reload", a.auth(http.HandlerFunc(a.reload)))
	mux.Handle("GET /api/status", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, redactStatus(a.Engine.Redactor(), a.Engine.Status()))
	})))
	mux.Handle("GET /api/config", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, configView(a.Engine))
	})))
	mux.Handle("GET /api/events", a.auth(http.HandlerFunc(a.listEvents)))
	mux.Handle("GET /api/events/{id}", a.auth(http.HandlerFunc(a.getEvent)))
	mux.Handle("POST /api/events/{id}/replay", a.auth(http.HandlerFunc(a.replayEvent)))
	mux.Handle("GET /api/runs", a.auth(http.HandlerFunc(a.listRuns)))
	mux.Handle("GET /api/runs/{id}", a.auth(http.HandlerFunc(a.getRun)))
	mux.Handle("POST /api/runs/{id}/replay", a.auth(http.HandlerFunc(a.replayRun)))
	mux.Handle("POST /api/replay", a.auth(http.HandlerFunc(a.replayRule)))
	mux.Handle("GET /api/revisions", a.auth(http.HandlerFunc(a.listRevisions)))
	mux.Handle("GET /api/revisions/{hash}", a.auth(http.HandlerFunc(a.getRevision)))
	// Profiling, behind the same auth (the admin listener is loopback by default).
	mux.Handle("GET /debug/pprof/", a.auth(http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/profile", a.auth(http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/heap", a.auth(pprof.Handler("heap")))
	mux.Handle("GET /debug/pprof/allocs", a.auth(pprof.Handler("allocs")))
	newUI(a).routes(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui", http.StatusSeeOther) })
	return a.hostCheck(mux)
}

// Routes lists the patterns Handler registered ("POST /-/reload", …), so
// tests can check every state-changing route.
func (a *Admin) Routes() []string { return append([]string(nil), a.patterns...) }

// routeMux is a ServeMux that records its patterns.
type routeMux struct {
	*http.ServeMux
	patterns *[]string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// authorized reports whether r carries the admin token in force, as a
// bearer header (API clients) or through a console session (browsers,
// after /ui/login). It counts nothing: see auth and the login handler.
func (a *Admin) authorized(r *http.Request) bool {
	tok := a.token()
	if tok == "" {
		return true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		got, ok := strings.CutPrefix(h, "Bearer ")
		return ok && tokenMatches(got, tok)
	}
	return a.sessions.valid(sessionID(r), tok, a.now())
}

// stateChanging reports whether a request's method may change state.
func stateChanging(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// auth guards an API route. A state-changing request must come from this
// origin; one authenticated by the console's cookie must also carry the
// session's CSRF token (X-CSRF-Token header or csrf form field). Failed
// bearer tokens count against the caller's sign-in budget (429 once spent).
func (a *Admin) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := r.Header.Get("Authorization") != ""
		if stateChanging(r) && !bearer && !sameOrigin(r) {
			// A browser (cookie) request from another site: refuse.
			fail(w, http.StatusForbidden, "cross-origin request refused")
			return
		}
		tok := a.token()
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		if bearer {
			if a.tooManyFailures(w, r) {
				return
			}
			if !a.authorized(r) {
				a.failures.fail(clientIP(r, a.Trusted), a.now())
				w.Header().Set("WWW-Authenticate", `Bearer realm="hookrunner"`)
				fail(w, http.StatusUnauthorized, "wrong admin token")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if !a.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hookrunner"`)
			fail(w, http.StatusUnauthorized, "admin token required")
			return
		}
		if stateChanging(r) && !a.csrfOK(r) {
			fail(w, http.StatusForbidden, "missing or wrong CSRF token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// csrf is the CSRF token of the request's console session (of "no
// session" when no admin token is set).
func (a *Admin) csrf(r *http.Request) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("csrf\x00"))
	if a.token() != "" {
		m.Write([]byte(sessionID(r)))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// csrfOK reports whether r carries the CSRF token of its session.
func (a *Admin) csrfOK(r *http.Request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(a.csrf(r))) == 1
}

func (a *Admin) reload(w http.ResponseWriter, r *http.Request) {
	if err := a.Reload(r.Context()); err != nil {
		red := a.Engine.Redactor()
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": red.String(err.Error()), "status": redactStatus(red, a.Engine.Status())})
		return
	}
	writeJSON(w, http.StatusOK, redactStatus(a.Engine.Redactor(), a.Engine.Status()))
}

// ParseSince reads a `since` filter (API query and CLI flag): a duration
// before now (1h) or an RFC 3339 time; "" is no bound.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("since: use a duration (1h) or RFC 3339 time")
	}
	return t, nil
}

func (a *Admin) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := ParseSince(q.Get("since"), time.Now())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	evs, err := a.Engine.ListEvents(r.Context(), store.EventFilter{Source: q.Get("source"), Event: q.Get("event"), Since: since, Limit: limit})
	writeList(w, http.StatusOK, redactEvents(a.Engine.Redactor(), evs), err)
}

// writeList answers a list (never null) or the store's error.
func writeList[T any](w http.ResponseWriter, status int, items []T, err error) {
	if err != nil {
		storeFail(w, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, status, items)
}

// EventDetail is an event with its runs and today's explanation.
type EventDetail = engine.EventDetail

// eventDetail is the event detail as the admin listener shows it: redacted.
func (a *Admin) eventDetail(ctx context.Context, id string) (*EventDetail, error) {
	d, err := a.Engine.EventDetail(ctx, id)
	if err != nil {
		return nil, err
	}
	red := a.Engine.Redactor()
	return &EventDetail{Event: redactEvent(red, d.Event), Payload: red.Value(d.Payload), Runs: redactRuns(red, d.Runs),
		Decisions: ruleset.Redacted(red, d.Decisions)}, nil
}

func (a *Admin) getEvent(w http.ResponseWriter, r *http.Request) {
	d, err := a.eventDetail(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func storeFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrNotReplayable):
		fail(w, http.StatusConflict, err.Error())
	default:
		fail(w, http.StatusInternalServerError, err.Error())
	}
}

func (a *Admin) listRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := ParseSince(q.Get("since"), time.Now())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	runs, err := a.Engine.ListRuns(r.Context(), store.RunFilter{EventID: q.Get("event"), Rule: q.Get("rule"), State: store.State(q.Get("state")), Since: since, Limit: limit})
	writeList(w, http.StatusOK, redactRuns(a.Engine.Redactor(), runs), err)
}

// RunDetail is a run with its attempts and its config revision.
type RunDetail struct {
	Run      *store.Run       `json:"run"`
	Attempts []*store.Attempt `json:"attempts"`
	// Revision is the config revision the run was matched under, against
	// the config in force.
	Revision *RunRevision `json:"revision,omitempty"`
}

func (a *Admin) getRun(w http.ResponseWriter, r *http.Request) {
	run, atts, err := a.Engine.GetRun(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	if atts == nil {
		atts = []*store.Attempt{}
	}
	rr, err := RevisionOf(r.Context(), a.Engine, run.ConfigHash)
	if err != nil {
		storeFail(w, err)
		return
	}
	red := a.Engine.Redactor()
	writeJSON(w, http.StatusOK, RunDetail{Run: redactRun(red, run), Attempts: redactAttempts(red, atts), Revision: rr})
}

func (a *Admin) replayRun(w http.ResponseWriter, r *http.Request) {
	run, err := a.Engine.ReplayRun(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, []*store.Run{run})
}

func (a *Admin) replayRule(w http.ResponseWriter, r *http.Request) {
	rule := r.URL.Query().Get("rule")
	if strings.TrimSpace(rule) == "" {
		fail(w, http.StatusBadRequest, "rule is required")
		return
	}
	runs, err := a.Engine.ReplayRule(r.Context(), rule, store.State(r.URL.Query().Get("state")))
	writeList(w, http.StatusAccepted, runs, err)
}

func (a *Admin) replayEvent(w http.ResponseWriter, r *http.Request) {
	runs, err := a.Engine.ReplayEvent(r.Context(), r.PathValue("id"))
	writeList(w, http.StatusAccepted, runs, err)
}
