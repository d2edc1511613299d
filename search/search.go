// Package search finds stored events: the indexed fields of a
// store.EventFilter (source, event type, delivery id, time range, run
// state) narrow the events in SQL, then an expr filter (`where`),
// compiled and evaluated like a rule's `if:` with the same budget, over the
// same environment rules see (payload, headers, query, source, event, ...),
// keeps the ones it holds for, page by page. The work of one call is
// bounded (Query.Scan events, Query.Time): a search over many events
// answers a partial page and a cursor to continue from, so it cannot pin
// the server.
package search

import (
	"context"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/payload"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// Lister is the part of a store (or of the engine) a search reads.
type Lister interface {
	ListEvents(ctx context.Context, f store.EventFilter) ([]*store.Event, error)
}

// Defaults.
const (
	// DefaultScan is the most events one call examines with the filter.
	DefaultScan = 2000
	// DefaultTime is the most time one call spends examining events.
	DefaultTime = time.Second
	// MaxScan caps Query.Scan.
	MaxScan = 50000
	// DefaultPage is the page size when Filter.Limit is unset.
	DefaultPage = 50
	// fetch is how many events a store read brings at once.
	fetch = 500
	// MaxWhere bounds the text of a filter.
	MaxWhere = 1024
)

// Query is one search call.
type Query struct {
	// Filter narrows in SQL; Limit is the page size, After the cursor to
	// continue from.
	Filter store.EventFilter
	// Where is an expr condition over the event's environment ("" keeps
	// every event Filter selects).
	Where string
	// Budget is the evaluation steps per event (the config's
	// server.match_budget; expression.DefaultBudget when 0).
	Budget int64
	// Scan is the most events examined by Where in this call (DefaultScan
	// when 0; at most MaxScan).
	Scan int
	// Time is the most time spent examining events in this call
	// (DefaultTime when 0); the page is then partial, like at the scan cap.
	Time time.Duration
}

// Page is the answer of one call.
type Page struct {
	Events []*store.Event
	// Next, when set, is where the next call continues (Filter.After):
	// the page is full, or the scan cap stopped it.
	Next *store.Cursor
	// Scanned is how many events Where examined.
	Scanned int
	// Partial reports a page cut short by the scan cap or the time cap:
	// there may be matches after Next.
	Partial bool
}

// FilterError is a where filter that does not compile (a bad request,
// not a failure of the store).
type FilterError struct{ msg string }

func (e *FilterError) Error() string { return "where: " + e.msg }

// Filter is a compiled where condition.
type Filter struct {
	cond   *expression.Condition
	budget int64
}

// Compile compiles where as a boolean expression, the way a rule's `if:`
// is compiled (size limit included); "" is nil (no filter).
func Compile(where string, budget int64) (*Filter, error) {
	if where == "" {
		return nil, nil
	}
	if len(where) > MaxWhere {
		return nil, &FilterError{fmt.Sprintf("at most %d characters", MaxWhere)}
	}
	c, err := expression.CompileCondition(where)
	if err != nil {
		return nil, &FilterError{err.Error()}
	}
	return &Filter{cond: c, budget: budget}, nil
}

// Match reports whether ev holds the condition: its stored body decoded
// and shaped as rules see it, evaluated within the budget. An evaluation
// error (a missing field, the budget spent) is no match, as for rules.
func (f *Filter) Match(ev *store.Event) bool {
	doc, _, _ := payload.Decode(ev.Headers["content-type"], ev.Body)
	env := ruleset.NewEnv(ev.Source, ev.Provider, providers.Identity{Event: ev.Event, DeliveryID: ev.DeliveryID}, ev.ID,
		ev.Headers, ev.Query, doc, ev.RemoteIP, ev.ReceivedAt)
	ok, err := f.cond.EvalBudget(env, expression.NewBudget(f.budget))
	return err == nil && ok
}

// Run answers one page of q from l.
func Run(ctx context.Context, l Lister, q Query) (*Page, error) {
	f, err := Compile(q.Where, q.Budget)
	if err != nil {
		return nil, err
	}
	return RunFilter(ctx, l, q, f)
}

// RunFilter is Run with the filter already compiled (nil: none).
func RunFilter(ctx context.Context, l Lister, q Query, f *Filter) (*Page, error) {
	size := q.Filter.Limit
	if size <= 0 || size > 10000 {
		size = DefaultPage
	}
	if f == nil {
		lf := q.Filter
		lf.Limit = size
		evs, err := l.ListEvents(ctx, lf)
		if err != nil {
			return nil, err
		}
		p := &Page{Events: evs}
		if len(evs) == size {
			p.Next = cursor(evs[len(evs)-1])
		}
		return p, nil
	}
	scan := q.Scan
	if scan <= 0 {
		scan = DefaultScan
	}
	scan = min(scan, MaxScan)
	budget := q.Time
	if budget <= 0 {
		budget = DefaultTime
	}
	deadline := time.Now().Add(budget)
	p := &Page{Events: []*store.Event{}}
	lf := q.Filter
	for {
		lf.Limit = min(fetch, scan-p.Scanned)
		evs, err := l.ListEvents(ctx, lf)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p.Scanned++
			lf.After = cursor(ev)
			if f.Match(ev) {
				p.Events = append(p.Events, ev)
				if len(p.Events) == size {
					p.Next = lf.After
					return p, nil
				}
			}
			if p.Scanned == scan || time.Now().After(deadline) {
				p.Next, p.Partial = lf.After, true
				return p, nil
			}
		}
		if len(evs) < lf.Limit {
			return p, nil // the end of the selection
		}
	}
}

func cursor(ev *store.Event) *store.Cursor {
	return &store.Cursor{ReceivedAt: ev.ReceivedAt, ID: ev.ID}
}
