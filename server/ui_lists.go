package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// The console's lists: events (filters, search, keyset pages, the
// outcome of every run), runs with the bulk replay, rejected requests.

// eventsPage is the number of events on a page of the events list.
const eventsPage = 50

// outcome is one run of an event as the events list shows it.
type outcome struct {
	Rule  string `json:"rule"`
	State string `json:"state"`
	Run   string `json:"run,omitempty"`
}

// eventRow is one line of the events list, formatted by the server for
// the page and for its live updates alike (app.js inserts the fields as
// text): one format of ids and times everywhere.
type eventRow struct {
	ID           string    `json:"id"`
	Short        string    `json:"short"`
	When         string    `json:"when"`
	At           time.Time `json:"at"`
	Source       string    `json:"source"`
	Provider     string    `json:"provider"`
	Event        string    `json:"event"`
	Delivery     string    `json:"delivery"`
	Verification string    `json:"verification"`
	Outcome      []outcome `json:"outcome"`
}

// eventRows reads a page of events (filtered by where, see search.go),
// redacted, with the runs of each; page.Next is the cursor of the
// following page ("" on the last).
func (u *ui) eventRows(r *http.Request, f store.EventFilter, where string) (rows []eventRow, page *eventsPageOf, err error) {
	page, err = u.a.eventsPage(r.Context(), f, where, eventsPage)
	if err != nil {
		return nil, nil, err
	}
	evs := page.Events
	red := u.a.Engine.Redactor()
	evs = redactEvents(red, evs)
	byEvent := map[string][]*store.Run{}
	if len(evs) > 0 {
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		runs, err := u.a.Engine.ListRuns(r.Context(), store.RunFilter{EventIDs: ids, Limit: 10000})
		if err != nil {
			return nil, nil, err
		}
		for _, run := range slices.Backward(runs) { // oldest first
			byEvent[run.EventID] = append(byEvent[run.EventID], run)
		}
	}
	rows = make([]eventRow, 0, len(evs))
	for _, ev := range evs {
		row := eventRow{ID: ev.ID, Short: store.ShortID(ev.ID), When: FormatTime(ev.ReceivedAt), At: ev.ReceivedAt, Source: ev.Source,
			Provider: ev.Provider, Event: ev.Event, Delivery: ev.DeliveryID, Verification: ev.Verification, Outcome: []outcome{}}
		ran := map[string]bool{}
		for _, run := range byEvent[ev.ID] {
			ran[run.Rule] = true
			row.Outcome = append(row.Outcome, outcome{Rule: run.Rule, State: string(run.State), Run: run.ID})
		}
		for _, rule := range ev.Matched {
			if !ran[rule] { // matched, but its run is gone (pruned)
				row.Outcome = append(row.Outcome, outcome{Rule: rule, State: "no run"})
			}
		}
		rows = append(rows, row)
	}
	return rows, page, nil
}

// eventStates are the choices of the events list's state filter.
func eventStates() []string {
	out := make([]string, 0, len(store.States)+1)
	for _, s := range store.States {
		out = append(out, string(s))
	}
	return append(out, string(store.NoRuns))
}

func (u *ui) events(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := map[string]any{
		"Sources": u.a.Engine.Snapshot().Config.SourceNames(), "States": eventStates(),
		"Source": q.Get("source"), "Event": q.Get("event"), "State": q.Get("state"), "Q": q.Get("q"),
		"Delivery": q.Get("delivery"), "Where": whereOf(q),
		"Since": q.Get("since"), "Until": q.Get("until"), "Paged": q.Get("after") != "",
	}
	f, err := eventFilter(q, u.a.now())
	if err != nil {
		data["Error"] = err.Error()
		u.renderStatus(w, r, http.StatusBadRequest, "events", "Events", "events", data)
		return
	}
	rows, page, err := u.eventRows(r, f, whereOf(q))
	if isWhereErr(err) {
		data["Error"] = u.a.Engine.Redactor().String(err.Error())
		u.renderStatus(w, r, http.StatusBadRequest, "events", "Events", "events", data)
		return
	}
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	data["Events"] = rows
	data["Partial"], data["Scanned"] = page.Partial, page.Scanned
	for k, v := range pagerLinks("/ui/events", q, page.Next) {
		data[k] = v
	}
	u.render(w, r, "events", "Events", "events", data)
}

// maxBack bounds the pages a Newer link can walk back through; past them
// it goes to the newest page.
const maxBack = 50

// pagerLinks are the Newest, Newer and Older links of a list paged by
// cursor: Older carries the cursor of the next page (next) and, in "back",
// the cursors of the pages before, so Newer can return to them; the
// filters of q are kept.
func pagerLinks(base string, q url.Values, next string) map[string]string {
	keep := url.Values{}
	for k, v := range q {
		if k != "after" && k != "back" && len(v) > 0 && v[0] != "" {
			keep.Set(k, v[0])
		}
	}
	link := func(after string, back []string) string {
		l := url.Values{}
		for k, v := range keep {
			l[k] = v
		}
		if after != "" {
			l.Set("after", after)
		}
		if len(back) > 0 {
			l.Set("back", strings.Join(back, ","))
		}
		return base + "?" + l.Encode()
	}
	var back []string
	if b := q.Get("back"); b != "" {
		back = strings.Split(b, ",")
	}
	links := map[string]string{}
	after := q.Get("after")
	if after != "" {
		links["Newest"] = link("", nil)
		if len(back) > 0 {
			links["Newer"] = link(back[len(back)-1], back[:len(back)-1])
		} else {
			links["Newer"] = links["Newest"]
		}
	}
	if next != "" {
		if after != "" {
			back = append(back, after)
		}
		if len(back) > maxBack {
			back = back[len(back)-maxBack:]
		}
		links["Older"] = link(next, back)
		links["Newest"] = link("", nil)
	}
	return links
}

// eventsJSON is the first page of the events list as rows, for the live
// updates of the list (app.js).
func (u *ui) eventsJSON(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	q.Del("after")
	f, err := eventFilter(q, u.a.now())
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	rows, _, err := u.eventRows(r, f, whereOf(q))
	if isWhereErr(err) {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		storeFail(w, u.a.Engine.Redactor().Error(err))
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

func (u *ui) runs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data := map[string]any{
		"Rules": u.ruleNames(), "Rule": q.Get("rule"), "States": runStates(), "State": q.Get("state"),
		"Since": q.Get("since"), "Until": q.Get("until"),
	}
	if n, err := strconv.Atoi(q.Get("replayed")); err == nil {
		data["Replayed"] = n
	}
	f := store.RunFilter{Rule: q.Get("rule"), State: store.State(q.Get("state")), Limit: 200}
	var err error
	if f.Since, err = ParseSince(q.Get("since"), u.a.now()); err == nil {
		f.Before, err = ParseTime(q.Get("until"), u.a.now())
	}
	if err != nil {
		data["Error"] = err.Error()
		u.renderStatus(w, r, http.StatusBadRequest, "runs", "Runs", "runs", data)
		return
	}
	runs, err := u.a.Engine.ListRuns(r.Context(), f)
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	data["Runs"] = redactRuns(u.a.Engine.Redactor(), runs)
	u.render(w, r, "runs", "Runs", "runs", data)
}

func (u *ui) ruleNames() []string {
	var out []string
	for _, rl := range u.a.Engine.Snapshot().Ordered {
		out = append(out, rl.Name)
	}
	return out
}

func runStates() []string {
	out := make([]string, 0, len(store.States))
	for _, s := range store.States {
		out = append(out, string(s))
	}
	return out
}

// replayConfirm shows what a bulk replay would queue (the count and the
// newest of the runs) and the form that queues them. Relative bounds
// (1h) are fixed here, so the runs confirmed are the runs replayed.
func (u *ui) replayConfirm(w http.ResponseWriter, r *http.Request) {
	now := u.a.now()
	f, err := replayFilter(r, now)
	data := map[string]any{"Rule": r.FormValue("rule"), "State": r.FormValue("state")}
	if err != nil {
		data["Error"] = err.Error()
		u.renderStatus(w, r, http.StatusBadRequest, "replay", "Bulk replay", "runs", data)
		return
	}
	if f.State == "" {
		f.State = store.Dead
	}
	n, err := u.a.Engine.CountReplay(r.Context(), f)
	if err != nil {
		data["Error"] = u.a.Engine.Redactor().String(err.Error())
		u.renderStatus(w, r, http.StatusBadRequest, "replay", "Bulk replay", "runs", data)
		return
	}
	sample, err := u.a.Engine.ListRuns(r.Context(), store.RunFilter{Rule: f.Rule, State: f.State, Since: f.Since, Before: f.Until, Limit: 20})
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusInternalServerError)
		return
	}
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	data["Rule"], data["State"], data["Count"], data["Max"] = f.Rule, string(f.State), n, store.MaxReplay
	data["Since"], data["Until"], data["SinceText"], data["UntilText"] = rfc(f.Since), rfc(f.Until), FormatTime(f.Since), FormatTime(f.Until)
	data["Runs"] = redactRuns(u.a.Engine.Redactor(), sample)
	u.render(w, r, "replay", "Bulk replay", "runs", data)
}

// replayBulk queues the runs a confirmed bulk replay selects.
func (u *ui) replayBulk(w http.ResponseWriter, r *http.Request) {
	f, err := replayFilter(r, u.a.now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	runs, err := u.a.Engine.ReplayRule(r.Context(), f)
	if err != nil {
		http.Error(w, u.a.Engine.Redactor().String(err.Error()), http.StatusConflict)
		return
	}
	q := url.Values{"rule": {f.Rule}, "replayed": {strconv.Itoa(len(runs))}}
	http.Redirect(w, r, "/ui/runs?"+q.Encode(), http.StatusSeeOther)
}

// rejected is the RequestBin-style list of refused requests.
func (u *ui) rejected(w http.ResponseWriter, r *http.Request) {
	src := r.URL.Query().Get("source")
	u.render(w, r, "rejected", "Rejected requests", "rejected", map[string]any{
		"Kept": u.a.Rejected != nil, "Requests": u.a.Rejected.List(src), "Source": src,
		"Sources": u.a.Engine.Snapshot().Config.SourceNames(), "PerSource": RejectedPerSource,
	})
}
