package engine

import (
	"context"
	"net/http"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// What the listen stream (server/listen.go) reads: stored events in
// sequence, a signal when this process stores one, and their headers as
// they are relayed.

// EventsStored returns a channel closed when this process next stores an
// event (events stored by other replicas are found by polling the store).
func (e *Engine) EventsStored() <-chan struct{} { return e.stored.Wait() }

// EventsAfter reads stored events in sequence (store.Store.EventsAfter).
func (e *Engine) EventsAfter(ctx context.Context, cursor int64, sources []string, limit int) ([]*store.Event, error) {
	return e.st.EventsAfter(ctx, cursor, sources, limit)
}

// EventCursor is the cursor of the events received since (the head when
// since is zero).
func (e *Engine) EventCursor(ctx context.Context, since time.Time) (int64, error) {
	return e.st.EventCursor(ctx, since)
}

// RelayHeader returns the headers of ev as they are relayed, credential
// headers re-attached from its source in the config in force.
func (e *Engine) RelayHeader(ev *store.Event) http.Header {
	return e.Snapshot().Sources[ev.Source].RelayHeader(ev.Headers, ev.Body)
}
