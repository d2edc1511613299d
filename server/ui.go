package server

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/textdiff"
	"github.com/hookrunner/hookrunner/store"
)

//go:embed ui
var uiFiles embed.FS

const cookieName = "hookrunner_admin"

var funcs = template.FuncMap{
	"short": store.ShortID,
	"when":  FormatTime,
	"join":  strings.Join,
	"deref": func(p *int) int { return *p },
	"trim": func(s string, n int) string {
		if len(s) > n {
			return s[:n] + "…"
		}
		return s
	},
	"dur":       func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"shorthash": short,
	"difflines": diffLines,
}

// diffLine is one line of a unified diff with the CSS class it is shown
// with (the CSP allows no inline styles).
type diffLine struct{ Class, Text string }

// diffLines splits a unified diff into classed lines; html/template
// escapes their text.
func diffLines(diff string) []diffLine {
	var out []diffLine
	for _, l := range textdiff.Lines(diff) {
		c := "diff-ctx"
		switch {
		case strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "+++ "), strings.HasPrefix(l, "Files "):
			c = "diff-file"
		case strings.HasPrefix(l, "@@"):
			c = "diff-hunk"
		case strings.HasPrefix(l, "+"):
			c = "diff-add"
		case strings.HasPrefix(l, "-"):
			c = "diff-del"
		case strings.HasPrefix(l, "\\"):
			c = "diff-note"
		}
		out = append(out, diffLine{c, strings.TrimSuffix(l, "\n")}) // each a block: one line
	}
	return out
}

// ui renders the web console; it shares auth with the admin API.
type ui struct {
	a     *Admin
	pages map[string]*template.Template
}

func newUI(a *Admin) *ui {
	u := &ui{a: a, pages: map[string]*template.Template{}}
	for _, p := range []string{"overview", "events", "event", "runs", "run", "config", "revision", "login", "rejected", "replay"} {
		files := []string{"ui/layout.html", "ui/" + p + ".html"}
		if p == "event" || p == "run" || p == "replay" {
			// runs.html brings the run table; the page's own content is
			// parsed last so its "content" wins.
			files = []string{"ui/layout.html", "ui/runs.html", "ui/" + p + ".html"}
		}
		u.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(uiFiles, files...))
	}
	return u
}

func (u *ui) routes(mux *routeMux) {
	static, _ := fs.Sub(uiFiles, "ui/static")
	mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /ui/login", func(w http.ResponseWriter, r *http.Request) { u.render(w, r, "login", "Sign in", "", nil) })
	mux.HandleFunc("POST /ui/login", u.login)
	mux.Handle("POST /ui/logout", u.action(u.logout))
	mux.Handle("GET /ui", u.page(u.overview))
	mux.Handle("GET /ui/{$}", u.page(u.overview))
	mux.Handle("GET /ui/events", u.page(u.events))
	mux.Handle("GET /ui/events.json", u.page(u.eventsJSON))
	mux.Handle("GET /ui/rejected", u.page(u.rejected))
	mux.Handle("GET /ui/replay", u.page(u.replayConfirm))
	mux.Handle("POST /ui/replay", u.action(u.replayBulk))
	mux.Handle("GET /ui/events/{id}", u.page(u.event))
	mux.Handle("GET /ui/runs", u.page(u.runs))
	mux.Handle("GET /ui/runs/{id}", u.page(u.run))
	mux.Handle("GET /ui/config", u.page(u.config))
	mux.Handle("GET /ui/revisions/{hash}", u.page(u.revision))
	mux.Handle("POST /ui/runs/{id}/replay", u.action(u.replayRun))
	mux.Handle("POST /ui/events/{id}/replay", u.action(u.replayEvent))
}

type pageData struct {
	Title  string
	Nav    string
	Status engine.ConfigStatus
	CSRF   string
	// SignedIn shows the logout button (an admin token is set).
	SignedIn bool
	Data     any
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

func (u *ui) render(w http.ResponseWriter, r *http.Request, page, title, nav string, data any) {
	u.renderStatus(w, r, http.StatusOK, page, title, nav, data)
}

func (u *ui) renderStatus(w http.ResponseWriter, r *http.Request, status int, page, title, nav string, data any) {
	var buf bytes.Buffer
	signedIn := page != "login" && u.a.token() != ""
	red := u.a.Engine.Redactor()
	err := u.pages[page].ExecuteTemplate(&buf, "layout", pageData{Title: title, Nav: nav, Status: redactStatus(red, u.a.Engine.Status()), CSRF: u.a.csrf(r), SignedIn: signedIn, Data: data})
	if err != nil {
		http.Error(w, "render: "+red.String(err.Error()), http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	// Last net: no known secret value leaves in any page, whatever field
	// it hid in (the data above is redacted field by field already).
	_, _ = w.Write([]byte(red.Known(buf.String())))
}

// page requires a signed-in user (when a token is set) for a GET page.
func (u *ui) page(h func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.a.authorized(r) {
			http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
			return
		}
		h(w, r)
	})
}

// action guards a state-changing POST: signed in, same origin, CSRF token.
func (u *ui) action(h func(w http.ResponseWriter, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !u.a.authorized(r) {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		if !sameOrigin(r) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		if !u.a.csrfOK(r) {
			http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		h(w, r)
	})
}

// sameOrigin accepts requests whose Origin (or Referer) is this host
// ("Origin: null", sent by sandboxed or privacy-minded pages, is not).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return true // not a browser cross-site request (curl, tests); the CSRF token still applies
	}
	ou, err := url.Parse(o)
	return err == nil && ou.Host == r.Host
}

// login checks the admin token and opens a console session: a random id
// held in memory (the cookie never carries the token). Failures count
// against the caller's address; once LoginFailures are spent every attempt,
// right or wrong, gets 429 until the window ends.
func (u *ui) login(w http.ResponseWriter, r *http.Request) {
	tok := u.a.token()
	if tok == "" {
		http.Redirect(w, r, "/ui", http.StatusSeeOther)
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	if !u.a.csrfOK(r) {
		http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
		return
	}
	ip, now := clientIP(r, u.a.Trusted), u.a.now()
	if blocked, wait := u.a.failures.blocked(ip, now); blocked {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		u.renderStatus(w, r, http.StatusTooManyRequests, "login", "Sign in", "", fmt.Sprintf("Too many failed sign-ins; try again in %d seconds.", secs))
		return
	}
	if !tokenMatches(r.PostFormValue("token"), tok) {
		u.a.failures.fail(ip, now)
		u.renderStatus(w, r, http.StatusUnauthorized, "login", "Sign in", "", "Wrong token.")
		return
	}
	if old := sessionID(r); old != "" {
		u.a.sessions.end(old)
	}
	id, err := u.a.sessions.create(tok, now)
	if err != nil {
		http.Error(w, "session: "+err.Error(), http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, u.a.sessionCookie(r, id, 0))
	http.Redirect(w, r, "/ui", http.StatusSeeOther)
}

// logout ends the console session and deletes its cookie.
func (u *ui) logout(w http.ResponseWriter, r *http.Request) {
	if id := sessionID(r); id != "" {
		u.a.sessions.end(id)
	}
	http.SetCookie(w, u.a.sessionCookie(r, "", -1))
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

type ruleRow struct {
	Source, Rule                    string
	Total, Succeeded, Failing, Dead int
}

func (u *ui) counts(r *http.Request, since time.Time) []ruleRow {
	cs, err := u.a.Engine.CountRules(r.Context(), since)
	if err != nil {
		return nil
	}
	rows := map[string]*ruleRow{}
	for _, c := range cs {
		k := c.Source + "\x00" + c.Rule
		row := rows[k]
		if row == nil {
			row = &ruleRow{Source: c.Source, Rule: c.Rule}
			rows[k] = row
		}
		row.Total += c.Count
		switch c.State {
		case store.Succeeded:
			row.Succeeded += c.Count
		case store.Retrying:
			row.Failing += c.Count
		case store.Dead:
			row.Dead += c.Count
		}
	}
	out := make([]ruleRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	// Failing rules first.
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Dead+a.Failing != b.Dead+b.Failing {
			return a.Dead+a.Failing > b.Dead+b.Failing
		}
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		return a.Rule < b.Rule
	})
	return out
}

func (u *ui) overview(w http.ResponseWriter, r *http.Request) {
	type stateCount struct {
		State store.State
		Count int
	}
	var states []stateCount
	if c, err := u.a.Engine.CountStates(r.Context()); err == nil {
		for _, s := range store.States {
			states = append(states, stateCount{s, c[s]})
		}
	}
	now := time.Now()
	u.render(w, r, "overview", "Overview", "overview", map[string]any{
		"Hour": u.counts(r, now.Add(-time.Hour)), "Day": u.counts(r, now.Add(-24*time.Hour)), "States": states,
		"Destinations": u.a.Engine.DestinationStatus(), "Alerts": u.a.Engine.FiredAlerts(),
	})
}

type kv struct{ K, V string }

func (u *ui) event(w http.ResponseWriter, r *http.Request) {
	id, err := u.a.resolveEvent(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrAmbiguous) {
		// Several events end with this short id: list them.
		http.Redirect(w, r, "/ui/events?q="+url.QueryEscape(r.PathValue("id")), http.StatusSeeOther)
		return
	}
	if err == nil && id != r.PathValue("id") {
		http.Redirect(w, r, "/ui/events/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	d, err := u.a.eventDetail(r.Context(), id)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, store.ErrNotFound) {
			status = http.StatusNotFound
		}
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), status)
		return
	}
	ev := d.Event // redacted, headers too
	var headers []kv
	for k, v := range ev.Headers {
		headers = append(headers, kv{k, v})
	}
	sort.Slice(headers, func(i, j int) bool { return headers[i].K < headers[j].K })
	pretty := u.a.Engine.Redactor().String(string(ev.Body))
	if d.Payload != nil {
		if _, isString := d.Payload.(string); !isString {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			_ = enc.Encode(d.Payload)
			pretty = b.String()
		}
	}
	u.render(w, r, "event", "Event "+ev.ID, "events", map[string]any{
		"Event": ev, "Headers": headers, "Pretty": pretty, "Runs": d.Runs, "Decisions": d.Decisions,
	})
}

func (u *ui) run(w http.ResponseWriter, r *http.Request) {
	id, err := store.ResolveRunID(r.Context(), u.a.Engine, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrAmbiguous):
		// Several runs end with this short id: the error names them.
		http.Error(w, err.Error(), http.StatusConflict)
		return
	case err == nil && id != r.PathValue("id"):
		http.Redirect(w, r, "/ui/runs/"+url.PathEscape(id), http.StatusSeeOther)
		return
	case err == nil:
		var run *store.Run
		var atts []*store.Attempt
		if run, atts, err = u.a.Engine.GetRun(r.Context(), id); err == nil {
			u.showRun(w, r, run, atts)
			return
		}
	}
	status := http.StatusInternalServerError
	if errors.Is(err, store.ErrNotFound) {
		status = http.StatusNotFound
	}
	http.Error(w, u.a.Engine.Redactor().String(err.Error()), status)
}

// showRun renders a run's page.
func (u *ui) showRun(w http.ResponseWriter, r *http.Request, run *store.Run, atts []*store.Attempt) {
	rr, err := RevisionOf(r.Context(), u.a.Engine, run.ConfigHash)
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	red := u.a.Engine.Redactor()
	u.render(w, r, "run", "Run "+run.ID, "runs", map[string]any{
		"Run": redactRun(red, run), "Attempts": redactAttempts(red, atts), "Replayable": run.State == store.Dead || run.State == store.Succeeded,
		"Revision": rr,
	})
}

// revision shows a stored config revision's files (redacted) and what
// changed from it to the config in force.
func (u *ui) revision(w http.ResponseWriter, r *http.Request) {
	d, err := revisionDetail(r.Context(), u.a.Engine, r.PathValue("hash"))
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such config revision", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	files := sortedFiles(&store.Revision{Path: d.Path, Files: d.Files})
	u.render(w, r, "revision", "Config revision "+short(d.Hash), "config", map[string]any{"Rev": d, "Files": files})
}

// config shows the config in force as it was written: its files
// (${VAR} references unresolved, secrets redacted) and its revision.
func (u *ui) config(w http.ResponseWriter, r *http.Request) {
	rr, rev, err := revisionOf(r.Context(), u.a.Engine, u.a.Engine.Snapshot().Hash, true)
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	var files []kv
	if rev != nil {
		files = sortedFiles(rev)
	}
	u.render(w, r, "config", "Config", "config", map[string]any{"Revision": rr, "Rev": rev, "Files": files})
}

// sortedFiles are a revision's files, the main file first, then by name.
func sortedFiles(rev *store.Revision) []kv {
	main := filepath.Base(rev.Path)
	names := make([]string, 0, len(rev.Files))
	for n := range rev.Files {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == main) != (names[j] == main) {
			return names[i] == main
		}
		return names[i] < names[j]
	})
	files := make([]kv, 0, len(names))
	for _, n := range names {
		files = append(files, kv{n, rev.Files[n]})
	}
	return files
}

func (u *ui) replayRun(w http.ResponseWriter, r *http.Request) {
	run, err := u.a.Engine.ReplayRun(r.Context(), r.PathValue("id"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	http.Redirect(w, r, "/ui/runs/"+run.ID, http.StatusSeeOther)
}

func (u *ui) replayEvent(w http.ResponseWriter, r *http.Request) {
	if _, err := u.a.Engine.ReplayEvent(r.Context(), r.PathValue("id")); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/ui/events/%s", url.PathEscape(r.PathValue("id"))), http.StatusSeeOther)
}
