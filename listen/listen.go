// Package listen is `hookrunner listen`: it reads the listen stream of a
// hookrunner server (GET /listen/stream, server-sent events) and relays
// each stored event of the named sources to a local URL with its method,
// headers and body bytes as received (internal/relay), in order, never
// skipping one: a local failure is retried with backoff until it is
// answered, and the cursor of the last event answered is kept in a state
// file, so the next run resumes where this one stopped.
package listen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/relay"
)

// Options configure a listen run.
type Options struct {
	// Server is the base URL of the hookrunner serving the stream.
	Server string
	// Token is a listen token of the server's listen: section.
	Token string
	// Sources are the sources to receive (every source of the token when
	// empty).
	Sources []string
	// Forward is the local URL events are relayed to.
	Forward string
	// Print prints the events instead of forwarding them (no state kept).
	Print bool
	// State is the state file (DefaultStatePath when empty).
	State string
	// Since, when set, replays the events received within it instead of
	// resuming from the state file.
	Since time.Duration
	// Out receives one line per event and the connection notes.
	Out io.Writer
	// Color paints the lines (set it for a terminal only).
	Color bool
	// RetryWait is the first wait after a failed local delivery (doubling
	// to MaxWait); 1s when zero.
	RetryWait time.Duration
	// Timeout bounds one local delivery; 30s when zero.
	Timeout time.Duration
	// Client reads the stream; a default client when nil.
	Client *http.Client
	// Idle is how long a silent stream is trusted before it is dropped and
	// reconnected (the server sends a heartbeat every 15s); 45s when zero.
	Idle time.Duration
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
}

// MaxWait caps the waits between tries (local deliveries, reconnects).
const MaxWait = 30 * time.Second

// maxLine bounds one stream line (and so the memory one event takes): an
// event of a body up to 384 MiB (a source's max_body), in base64 with the
// JSON around it.
const maxLine = 512 << 20

// ErrRefused wraps a refusal by the server that retrying cannot fix (bad
// token, source outside its scope, no listen section).
var ErrRefused = errors.New("refused by the server")

type runner struct {
	o       Options
	p       printer
	local   *http.Client
	cursor  int64
	started bool // a cursor is known (state file, or the stream's ready)
}

// Run listens until ctx ends (nil) or the server refuses (ErrRefused).
func Run(ctx context.Context, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	r := &runner{o: o, p: printer{w: &lockedWriter{w: o.Out}, color: o.Color, hide: redact.New(o.Token)}, local: relay.NewClient(o.Timeout)}
	if !o.Print && o.Since == 0 {
		st, ok, err := loadState(o.State, o.Server)
		if err != nil {
			return err
		}
		r.cursor, r.started = st.Cursor, ok
	}
	wait := time.Second
	for {
		connected, err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrRefused) {
			return err
		}
		if connected {
			wait = time.Second
		}
		r.p.note("connection lost: %v; reconnecting in %s", err, wait)
		if !sleep(ctx, wait) {
			return nil
		}
		wait = min(2*wait, MaxWait)
	}
}

func (o *Options) check() error {
	u, err := url.Parse(o.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server: want the http(s) URL of the hookrunner server, got %q", redact.New(o.Token).URL(o.Server))
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("--server: %s is plain http to another machine: the token and the events would cross the network readable; use https", u.Redacted())
	}
	o.Server = strings.TrimRight(o.Server, "/")
	if o.Token == "" {
		return errors.New("--token (or HOOKRUNNER_LISTEN_TOKEN): required, a token of the server's listen: section")
	}
	if !o.Print {
		f, err := url.Parse(o.Forward)
		if err != nil || (f.Scheme != "http" && f.Scheme != "https") || f.Host == "" {
			return fmt.Errorf("--forward: want the local URL to relay events to (e.g. http://localhost:3000/webhook), or --print; got %q", redact.New(o.Token).URL(o.Forward))
		}
	}
	if o.Since < 0 {
		return errors.New("--since: must be a positive duration, e.g. 1h")
	}
	if o.State == "" && !o.Print {
		p, err := DefaultStatePath(o.Server)
		if err != nil {
			return err
		}
		o.State = p
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.RetryWait <= 0 {
		o.RetryWait = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Idle <= 0 {
		o.Idle = 45 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// streamURL asks for the events after the cursor, or (first run) those
// since --since, or the head.
func (r *runner) streamURL() string {
	q := url.Values{}
	if len(r.o.Sources) > 0 {
		q.Set("sources", strings.Join(r.o.Sources, ","))
	}
	switch {
	case r.started:
		q.Set("cursor", strconv.FormatInt(r.cursor, 10))
	case r.o.Since > 0:
		q.Set("since", r.o.Now().Add(-r.o.Since).UTC().Format(time.RFC3339Nano))
	}
	return r.o.Server + relay.StreamPath + "?" + q.Encode()
}

// session reads one connection of the stream; connected tells whether the
// server accepted it.
func (r *runner) session(ctx context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.streamURL(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+r.o.Token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := r.o.Client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		err := fmt.Errorf("%s: %s", resp.Status, safe(strings.TrimSpace(string(msg)), false))
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest:
			return false, fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return false, err
	}
	// The watchdog drops a stream silent for longer than Idle (a dead
	// connection); it sleeps while an event is being delivered.
	idle := time.AfterFunc(r.o.Idle, func() { cancel(errors.New("stream silent: no heartbeat")) })
	defer idle.Stop()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	seen := func() { idle.Reset(r.o.Idle) }
	for {
		ev, err := readEvent(br, maxLine, seen)
		if err != nil {
			if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
				err = c
			}
			return connected, err
		}
		switch ev.name {
		case relay.EventReady:
			var rd relay.Ready
			if err := json.Unmarshal(ev.data, &rd); err != nil {
				return connected, fmt.Errorf("bad ready message: %w", err)
			}
			connected = true
			if !r.started {
				r.cursor, r.started = rd.Cursor, true
				if err := r.save(); err != nil {
					return connected, err
				}
			}
			r.ready(rd)
		case relay.EventMessage:
			var m relay.Message
			if err := json.Unmarshal(ev.data, &m); err != nil {
				return connected, fmt.Errorf("bad event message: %w", err)
			}
			if m.Seq <= r.cursor {
				continue // already handled (never expected: the server starts after the cursor)
			}
			idle.Stop()
			if err := r.handle(ctx, &m); err != nil {
				return connected, err
			}
			idle.Reset(r.o.Idle)
		}
	}
}

func (r *runner) ready(rd relay.Ready) {
	if r.o.Print {
		r.p.note("Ready! Printing %s from %s (cursor %d). Ctrl-C to stop.", strings.Join(rd.Sources, ","), r.o.Server, rd.Cursor)
		return
	}
	r.p.note("Ready! Forwarding %s from %s to %s (cursor %d). Ctrl-C to stop.", strings.Join(rd.Sources, ","), r.o.Server, r.o.Forward, rd.Cursor)
}

// handle delivers one event until it is answered, then moves the cursor
// past it. It returns an error only when ctx ends (the cursor stays).
func (r *runner) handle(ctx context.Context, m *relay.Message) error {
	at := m.ReceivedAt.Local()
	if r.o.Print {
		r.p.printed(m, at)
		r.cursor = m.Seq
		return nil
	}
	wait := r.o.RetryWait
	for try := 1; ; try++ {
		if ctx.Err() != nil { // stopped before this try began: the cursor stays
			return context.Cause(ctx)
		}
		// A stop does not cut a try short: the local app may have acted on
		// the event already, and an answer lost to the stop would send it
		// again at the next start. The try keeps up to StopGrace after ctx
		// ends to be answered and saved.
		sendCtx, release := afterGrace(ctx, StopGrace, func() {
			r.p.note("stopping: waiting up to %s for the answer to event %s", StopGrace, safe(m.ID, false))
		})
		res, err := relay.Send(sendCtx, r.local, relay.Request{Method: m.Method, URL: r.o.Forward, Header: m.Header, Body: m.Body})
		release()
		if err == nil && !relay.Retryable(res.Status) {
			// Answered (even if ctx ended meanwhile): recorded, never sent again.
			r.p.delivered(m, at, res)
			r.cursor = m.Seq
			return r.save()
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		what := ""
		if err != nil {
			what = shortErr(err)
		} else {
			what = fmt.Sprintf("%d %s", res.Status, http.StatusText(res.Status))
		}
		next := wait
		if res.RetryAfter > 0 {
			next = min(res.RetryAfter, MaxWait)
		}
		r.p.failed(m, at, try, what, res.Duration, next)
		if !sleep(ctx, next) {
			return context.Cause(ctx)
		}
		wait = min(2*wait, MaxWait)
	}
}

func (r *runner) save() error {
	if r.o.Print {
		return nil
	}
	return saveState(r.o.State, state{Server: r.o.Server, Cursor: r.cursor})
}

// shortErr names a transport failure briefly ("connection refused").
func shortErr(err error) string {
	s := err.Error()
	for _, k := range []string{"connection refused", "connection reset", "timeout", "no such host", "EOF"} {
		if strings.Contains(s, k) {
			return k
		}
	}
	return s
}

// StopGrace is how long a stop waits for the local delivery in flight to
// be answered.
const StopGrace = 5 * time.Second

// afterGrace is a context that ends grace after parent ends (with
// parent's cause), or when release is called; stopping is called when
// parent ends first.
func afterGrace(parent context.Context, grace time.Duration, stopping func()) (ctx context.Context, release func()) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	var mu sync.Mutex
	var timer *time.Timer
	released := false
	stop := context.AfterFunc(parent, func() {
		mu.Lock()
		defer mu.Unlock()
		if !released {
			timer = time.AfterFunc(grace, func() { cancel(context.Cause(parent)) })
			stopping()
		}
	})
	return ctx, func() {
		stop()
		mu.Lock()
		released = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(nil)
	}
}

// sleep waits d, or returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
