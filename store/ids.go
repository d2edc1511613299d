package store

import (
	"context"
	"fmt"
	"strings"
)

// ShortIDLen is the length of a short id.
const ShortIDLen = 8

// ShortID is how an event or run id is shown where space is short
// (console, CLI lists): its last 8 hex digits. An id is a UUIDv7, whose
// leading digits are its creation time (events of one burst share them)
// and whose tail is random: the tail tells ids apart. 32 random bits: two
// ids among a few thousand rarely share it, and a lookup by short id
// (EventFilter.Search) lists every id that ends with it.
func ShortID(id string) string {
	if len(id) <= ShortIDLen {
		return id
	}
	return id[len(id)-ShortIDLen:]
}

// IsIDPart reports whether s can be an id or the tail of one: hex digits
// and dashes only (so it holds no LIKE wildcard), at least 4 characters.
func IsIDPart(s string) bool {
	if len(s) < 4 || len(s) > 36 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef-") == ""
}

// EventLister is what ResolveEventID reads.
type EventLister interface {
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
}

// RunLister is what ResolveRunID reads.
type RunLister interface {
	ListRuns(ctx context.Context, f RunFilter) ([]*Run, error)
}

// ResolveEventID turns a short id (the tail of an event id, ShortID) into
// the id of the one event it names: ErrNotFound when none ends with it,
// ErrAmbiguous (naming them) when several do. A full id, or anything that
// cannot be an id's tail, is returned as it is.
func ResolveEventID(ctx context.Context, l EventLister, id string) (string, error) {
	return resolveID(ctx, "event", id, func(ctx context.Context) ([]string, error) {
		evs, err := l.ListEvents(ctx, EventFilter{IDSuffix: id, Limit: 10})
		return idsOf(evs, func(e *Event) string { return e.ID }), err
	})
}

// ResolveRunID is ResolveEventID for runs.
func ResolveRunID(ctx context.Context, l RunLister, id string) (string, error) {
	return resolveID(ctx, "run", id, func(ctx context.Context) ([]string, error) {
		runs, err := l.ListRuns(ctx, RunFilter{IDSuffix: id, Limit: 10})
		return idsOf(runs, func(r *Run) string { return r.ID }), err
	})
}

// idsOf is the id of each item.
func idsOf[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// resolveID is the one id of kind that ends with id, listed by ending.
func resolveID(ctx context.Context, kind, id string, ending func(context.Context) ([]string, error)) (string, error) {
	if len(id) >= 36 || !IsIDPart(id) {
		return id, nil
	}
	ids, err := ending(ctx)
	if err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%s %s: %w: %s", kind, id, ErrAmbiguous, strings.Join(ids, ", "))
}
