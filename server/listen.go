package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/internal/relay"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// The listen stream: GET /listen/stream on the public listener, read by
// `hookrunner listen`. Server-sent events: first a "ready" message whose
// id is the starting cursor, then each stored event of the asked sources
// as an "event" message (relay.Message) whose id is its seq, in sequence,
// then the new ones as they are stored; a comment line as a heartbeat.
// It exists only while the config has listen tokens (404 otherwise).

// EventStream is what the listen stream needs of the engine.
type EventStream interface {
	Snapshot() *ruleset.Snapshot
	EventsAfter(ctx context.Context, cursor int64, sources []string, limit int) ([]*store.Event, error)
	EventCursor(ctx context.Context, since time.Time) (int64, error)
	// EventsStored is closed when this process next stores an event.
	EventsStored() <-chan struct{}
	RelayHeader(ev *store.Event) http.Header
}

// Stream timings and bounds.
const (
	// StreamHeartbeat is the longest a stream stays silent.
	StreamHeartbeat = 15 * time.Second
	// streamPoll is how often a waiting stream looks in the store for
	// events other replicas stored.
	streamPoll = time.Second
	// streamPageBytes bounds the bodies of one page read from the store.
	streamPageBytes = 16 << 20
	// maxStreams bounds the open streams of this process.
	maxStreams = 64
)

// listenState is the ingress's listen stream state.
type listenState struct {
	failures failLimiter
	open     atomic.Int64
	stopOnce sync.Once
	stop     chan struct{}
}

// CloseStreams ends every listen stream (at shutdown: http.Server's
// RegisterOnShutdown, so Shutdown does not wait for them).
func (in *Ingress) CloseStreams() {
	in.listen.stopOnce.Do(func() { close(in.listen.stop) })
}

// authorize finds the token the request presents. Every configured token
// is compared, in constant time, whatever matches.
func authorize(r *http.Request, tokens []config.ListenToken) *config.ListenToken {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return nil
	}
	var found *config.ListenToken
	for i := range tokens {
		if tokenMatches(got, tokens[i].Token.Reveal()) && found == nil {
			found = &tokens[i]
		}
	}
	return found
}

// streamSources are the sources asked for (all of the token's when none),
// or the first one outside its scope.
func streamSources(q string, t *config.ListenToken) ([]string, string) {
	if q == "" {
		return slices.Clone(t.Sources), ""
	}
	var out []string
	for _, s := range strings.Split(q, ",") {
		if s = strings.TrimSpace(s); s == "" || slices.Contains(out, s) {
			continue
		}
		if !slices.Contains(t.Sources, s) {
			return nil, s
		}
		out = append(out, s)
	}
	return out, ""
}

func (in *Ingress) serveListen(w http.ResponseWriter, r *http.Request) {
	if in.Stream == nil || len(in.Stream.Snapshot().Config.Listen.Tokens) == 0 {
		fail(w, http.StatusNotFound, "not found: webhooks are received at POST /hooks/<source>")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fail(w, http.StatusMethodNotAllowed, "method not allowed: use GET")
		return
	}
	now := time.Now()
	ip := clientIP(r, in.Trusted)
	if blocked, wait := in.listen.failures.blocked(ip, now); blocked {
		w.Header().Set("Retry-After", retryAfter(wait))
		fail(w, http.StatusTooManyRequests, "too many refused tokens; retry later")
		return
	}
	snap := in.Stream.Snapshot()
	tok := authorize(r, snap.Config.Listen.Tokens)
	if tok == nil {
		in.listen.failures.fail(ip, now)
		in.Log.Warn("listen stream refused: no valid token", "remote_ip", ip.String())
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookrunner listen"`)
		fail(w, http.StatusUnauthorized, "unauthorized: a listen token is required (Authorization: Bearer …)")
		return
	}
	q := r.URL.Query()
	sources, outside := streamSources(q.Get("sources"), tok)
	if outside != "" {
		in.Log.Warn("listen stream refused: source outside the token's scope", "holder", tok.Name, "source", outside, "remote_ip", ip.String())
		fail(w, http.StatusForbidden, fmt.Sprintf("forbidden: token %q may not read source %q", tok.Name, outside))
		return
	}
	cursor, err := in.startCursor(r, q.Get("cursor"), q.Get("since"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if in.listen.open.Add(1) > maxStreams {
		in.listen.open.Add(-1)
		w.Header().Set("Retry-After", "10")
		fail(w, http.StatusServiceUnavailable, "too many listen streams; retry later")
		return
	}
	defer in.listen.open.Add(-1)
	in.Log.Info("listen stream opened", "holder", tok.Name, "sources", sources, "cursor", cursor, "remote_ip", ip.String())
	err = in.stream(r.Context(), w, tok, sources, cursor)
	in.Log.Info("listen stream closed", "holder", tok.Name, "remote_ip", ip.String(), "reason", err)
}

// startCursor is where a stream starts: the cursor the client sends
// (?cursor= or Last-Event-ID), else the first event received since
// ?since= (RFC 3339), else the head (only new events).
func (in *Ingress) startCursor(r *http.Request, cursor, since string) (int64, error) {
	if cursor == "" {
		cursor = r.Header.Get("Last-Event-ID")
	}
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("cursor: not a cursor: %q", cursor)
		}
		return n, nil
	}
	var at time.Time
	if since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return 0, fmt.Errorf("since: want an RFC 3339 time: %v", err)
		}
		at = t
	}
	n, err := in.Stream.EventCursor(r.Context(), at)
	if err != nil {
		return 0, fmt.Errorf("read the event cursor: %w", err)
	}
	return n, nil
}

// pageSize is how many events one read takes: as many of the largest
// bodies the sources accept as fit in streamPageBytes, 1 to 100.
func pageSize(snap *ruleset.Snapshot, sources []string) int {
	var largest int64 = 1
	for _, s := range sources {
		if src := snap.Sources[s]; src != nil {
			largest = max(largest, src.MaxBody)
		}
	}
	return int(min(max(streamPageBytes/largest, 1), 100))
}

// stillAllowed reports whether the token (by name and value) still reads
// every source of the stream in the config in force (a reload may have
// removed it).
func stillAllowed(snap *ruleset.Snapshot, tok *config.ListenToken, sources []string) bool {
	for _, t := range snap.Config.Listen.Tokens {
		if t.Name == tok.Name && tokenMatches(t.Token.Reveal(), tok.Token.Reveal()) {
			for _, s := range sources {
				if !slices.Contains(t.Sources, s) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// stream writes the stream until the client goes, the server shuts down,
// the token is withdrawn or a write fails.
func (in *Ingress) stream(ctx context.Context, w http.ResponseWriter, tok *config.ListenToken, sources []string, cursor int64) error {
	rc := http.NewResponseController(w)
	// A stream outlives server.write_timeout (net/http already clears
	// the read deadline once the request is read).
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	send := func(event string, id int64, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", event, id, data); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(relay.EventReady, cursor, relay.Ready{Cursor: cursor, Sources: sources}); err != nil {
		return err
	}
	heartbeat := time.NewTimer(StreamHeartbeat)
	defer heartbeat.Stop()
	poll := time.NewTicker(streamPoll)
	defer poll.Stop()
	for {
		snap := in.Stream.Snapshot()
		if !stillAllowed(snap, tok, sources) {
			return fmt.Errorf("token %q withdrawn or narrowed by a reload", tok.Name)
		}
		wake := in.Stream.EventsStored() // before the read: no store is missed
		limit := pageSize(snap, sources)
		evs, err := in.Stream.EventsAfter(ctx, cursor, sources, limit)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		for _, ev := range evs {
			m := relay.Message{ID: ev.ID, Seq: ev.Seq, Source: ev.Source, Event: ev.Event, DeliveryID: ev.DeliveryID,
				ReceivedAt: ev.ReceivedAt, Method: relay.Method, Header: in.Stream.RelayHeader(ev), Body: ev.Body}
			if err := send(relay.EventMessage, ev.Seq, m); err != nil {
				return err
			}
			cursor = ev.Seq
		}
		if len(evs) > 0 {
			heartbeat.Reset(StreamHeartbeat)
		}
		if len(evs) == limit {
			continue // more waiting: read on
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-in.listen.stop:
			return fmt.Errorf("server shutting down")
		case <-wake:
		case <-poll.C:
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err
			}
			heartbeat.Reset(StreamHeartbeat)
		}
	}
}
