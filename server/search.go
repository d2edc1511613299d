package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookrunner/hookrunner/search"
	"github.com/hookrunner/hookrunner/store"
)

// An events list with a `where` expr filter (API and console): the
// indexed filters narrow in SQL, then package search applies the filter,
// examining at most search.DefaultScan events per request; a page cut
// short by that cap says so and carries the cursor to continue from.

// eventsPageOf is one page of an events list.
type eventsPageOf struct {
	Events []*store.Event
	// Next is the cursor of the following page ("" on the last).
	Next string
	// Partial: the scan cap stopped the page (more may match after Next).
	Partial bool
	Scanned int
}

// whereOf reads the `where` filter of an events list.
func whereOf(q url.Values) string { return strings.TrimSpace(q.Get("where")) }

// eventsPage reads a page of size events of f, filtered by where; the
// filter is compiled and evaluated as rules' conditions are, with the
// config's match budget for each event.
func (a *Admin) eventsPage(ctx context.Context, f store.EventFilter, where string, size int) (*eventsPageOf, error) {
	if where == "" {
		f.Limit = size + 1
		evs, err := a.Engine.ListEvents(ctx, f)
		if err != nil {
			return nil, err
		}
		p := &eventsPageOf{Events: evs}
		if len(evs) > size {
			p.Events = evs[:size]
			p.Next = cursorString(evs[size-1])
		}
		return p, nil
	}
	f.Limit = size
	budget := int64(a.Engine.Snapshot().Config.Server.MatchBudget)
	page, err := search.Run(ctx, a.Engine, search.Query{Filter: f, Where: where, Budget: budget})
	if err != nil {
		return nil, err
	}
	p := &eventsPageOf{Events: page.Events, Partial: page.Partial, Scanned: page.Scanned}
	if page.Next != nil {
		p.Next = CursorString(*page.Next)
	}
	return p, nil
}

// isWhereErr reports an error of the filter itself (a bad request).
func isWhereErr(err error) bool {
	var fe *search.FilterError
	return errors.As(err, &fe)
}

// writeEventsPage answers the API's events list: the events, with the
// cursor of the next page in the Hookrunner-Next header and, when the scan
// cap cut the page short, Hookrunner-Partial: true.
func (a *Admin) writeEventsPage(w http.ResponseWriter, p *eventsPageOf, err error) {
	if isWhereErr(err) {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if err == nil {
		if p.Next != "" {
			w.Header().Set("Hookrunner-Next", p.Next)
		}
		if p.Partial {
			w.Header().Set("Hookrunner-Partial", "true")
		}
	}
	var evs []*store.Event
	if p != nil {
		evs = p.Events
	}
	writeList(w, http.StatusOK, redactEvents(a.Engine.Redactor(), evs), err)
}
