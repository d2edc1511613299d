package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookrunner/hookrunner/config"
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
	// Rejected is the ingress's list of refused requests (nil: none kept).
	Rejected *Rejected

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
	mux.Handle("GET /api/rejected", a.auth(http.HandlerFunc(a.listRejected)))
	mux.Handle("GET /api/revisions", a.auth(http.HandlerFunc(a.listRevisions)))
	mux.Handle("GET /api/alerts", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeList(w, http.StatusOK, a.Engine.FiredAlerts(), nil)
	})))
	mux.Handle("GET /api/destinations", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, a.Engine.DestinationStatus())
	})))
	mux.Handle("GET /api/revisions/{hash}", a.auth(http.HandlerFunc(a.getRevision)))
	// Profiling, behind the same auth (the admin listener is loopback by default).
	mux.Handle("GET /debug/pprof/", a.auth(http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/profile", a.auth(http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/heap", a.auth(pprof.Handler("heap")))
	mux.Handle("GET /debug/pprof/allocs", a.auth(pprof.Handler("allocs")))
	mux.Handle("GET /debug/pprof/trace", a.auth(http.HandlerFunc(pprof.Trace)))
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
// before now (1h) or a time (see ParseTime); "" is no bound.
func ParseSince(s string, now time.Time) (time.Time, error) {
	t, err := ParseTime(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("since: %w", err)
	}
	return t, nil
}

// timeLayouts are the times ParseTime reads besides RFC 3339; without a
// zone they are in the local zone (what the console shows).
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// ParseTime reads a time bound of a filter: a duration before now (1h,
// 90m), an RFC 3339 time, or a local date and time (2026-01-02 15:04,
// 2026-01-02, or the console's TimeFormat); "" is no bound.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := config.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(TimeFormat, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("use a duration (1h, 7d), an RFC 3339 time or a local time (2006-01-02 15:04)")
}

// TimeFormat is the one way the console shows a time: to the second, in
// the server's zone, with the zone's name.
const TimeFormat = "2006-01-02 15:04:05 MST"

// FormatTime shows t as TimeFormat ("" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(TimeFormat)
}

func (a *Admin) listEvents(w http.ResponseWriter, r *http.Request) {
	f, err := eventFilter(r.URL.Query(), a.now())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	size := f.Limit
	if size <= 0 || size > 10000 {
		size = 100
	}
	p, err := a.eventsPage(r.Context(), f, whereOf(r.URL.Query()), size)
	a.writeEventsPage(w, p, err)
}

// eventFilter reads the filters of an events list, the same for the API
// and the console: source, event, delivery (id), state, q (search), since,
// until, limit and after (a page cursor); `where` is read by whereOf.
func eventFilter(q url.Values, now time.Time) (store.EventFilter, error) {
	f := store.EventFilter{Source: q.Get("source"), Event: q.Get("event"), DeliveryID: q.Get("delivery"), State: store.State(q.Get("state")),
		Search: strings.TrimSpace(q.Get("q"))}
	if len(f.Search) > maxSearch {
		return f, fmt.Errorf("q: at most %d characters", maxSearch)
	}
	var err error
	if f.Since, err = ParseSince(q.Get("since"), now); err != nil {
		return f, err
	}
	if f.Before, err = ParseTime(q.Get("until"), now); err != nil {
		return f, fmt.Errorf("until: %w", err)
	}
	if f.State != "" && f.State != store.NoRuns && !slices.Contains(store.States, f.State) {
		return f, fmt.Errorf("state: %q is not a run state (or %q)", f.State, store.NoRuns)
	}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	if f.After, err = parseCursor(q.Get("after")); err != nil {
		return f, err
	}
	return f, nil
}

// maxSearch bounds the search text of an events list (each search scans
// the payloads).
const maxSearch = 256

// cursorString is the page cursor after ev: "<received_at ns>_<id>".
func cursorString(ev *store.Event) string {
	return CursorString(store.Cursor{ReceivedAt: ev.ReceivedAt, ID: ev.ID})
}

// CursorString is c as the `after` parameter of an events list.
func CursorString(c store.Cursor) string {
	return strconv.FormatInt(c.ReceivedAt.UnixNano(), 10) + "_" + c.ID
}

// ParseCursor reads the `after` parameter of an events list.
func ParseCursor(s string) (*store.Cursor, error) { return parseCursor(s) }

func parseCursor(s string) (*store.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	ns, id, ok := strings.Cut(s, "_")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, errors.New("after: not a page cursor")
	}
	return &store.Cursor{ReceivedAt: time.Unix(0, n).UTC(), ID: id}, nil
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
	id, err := a.resolveEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	d, err := a.eventDetail(r.Context(), id)
	if err != nil {
		storeFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// resolveEvent turns a short id into the id of the one event it names
// (store.ResolveEventID).
func (a *Admin) resolveEvent(ctx context.Context, id string) (string, error) {
	return store.ResolveEventID(ctx, a.Engine, id)
}

func storeFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		fail(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrNotReplayable), errors.Is(err, store.ErrAmbiguous):
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
	id, err := store.ResolveRunID(r.Context(), a.Engine, r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	run, atts, err := a.Engine.GetRun(r.Context(), id)
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
	id, err := store.ResolveRunID(r.Context(), a.Engine, r.PathValue("id"))
	if err != nil {
		storeFail(w, err)
		return
	}
	run, err := a.Engine.ReplayRun(r.Context(), id)
	if err != nil {
		storeFail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, []*store.Run{run})
}

func (a *Admin) replayRule(w http.ResponseWriter, r *http.Request) {
	f, err := replayFilter(r, a.now())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	runs, err := a.Engine.ReplayRule(r.Context(), f)
	writeList(w, http.StatusAccepted, runs, err)
}

// replayFilter reads a bulk replay's selection from the query or form:
// rule (required), state (dead by default), since and until (bounds on
// the runs' creation time).
func replayFilter(r *http.Request, now time.Time) (store.ReplayFilter, error) {
	f := store.ReplayFilter{Rule: strings.TrimSpace(r.FormValue("rule")), State: store.State(r.FormValue("state"))}
	if f.Rule == "" {
		return f, errors.New("rule is required")
	}
	var err error
	if f.Since, err = ParseSince(r.FormValue("since"), now); err != nil {
		return f, err
	}
	if f.Until, err = ParseTime(r.FormValue("until"), now); err != nil {
		return f, fmt.Errorf("until: %w", err)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errors.New("since must be before until")
	}
	return f, nil
}

func (a *Admin) listRejected(w http.ResponseWriter, r *http.Request) {
	writeList(w, http.StatusOK, a.Rejected.List(r.URL.Query().Get("source")), nil)
}

func (a *Admin) replayEvent(w http.ResponseWriter, r *http.Request) {
	runs, err := a.Engine.ReplayEvent(r.Context(), r.PathValue("id"))
	writeList(w, http.StatusAccepted, runs, err)
}
