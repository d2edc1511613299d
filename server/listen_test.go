package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/internal/relay"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// fakeStream is the engine as the listen stream sees it: events in
// memory, in sequence, a signal when one is added, and the real
// RelayHeader of the compiled snapshot.
type fakeStream struct {
	mu     sync.Mutex
	snap   *ruleset.Snapshot
	events []*store.Event
	signal chan struct{}
}

func (f *fakeStream) Snapshot() *ruleset.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeStream) add(ev *store.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ev.Seq = int64(len(f.events) + 1)
	f.events = append(f.events, ev)
	if f.signal != nil {
		close(f.signal)
		f.signal = nil
	}
}

func (f *fakeStream) EventsAfter(_ context.Context, cursor int64, sources []string, limit int) ([]*store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*store.Event
	for _, ev := range f.events {
		if ev.Seq > cursor && (len(sources) == 0 || slices.Contains(sources, ev.Source)) && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (f *fakeStream) EventCursor(_ context.Context, since time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range f.events {
		if !since.IsZero() && !ev.ReceivedAt.Before(since) {
			return ev.Seq - 1, nil
		}
	}
	return int64(len(f.events)), nil
}

func (f *fakeStream) EventsStored() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.signal == nil {
		f.signal = make(chan struct{})
	}
	return f.signal
}

func (f *fakeStream) RelayHeader(ev *store.Event) http.Header {
	return f.Snapshot().Sources[ev.Source].RelayHeader(ev.Headers, ev.Body)
}

const (
	laptopToken = "laptop-token-0123456789abcdef"
	gitlabToken = "gitlab-token-value-42"
)

const listenSources = `
sources:
  github: { provider: github, secret: gh-secret-0123456789 }
  gitlab: { provider: gitlab, secret: ` + gitlabToken + ` }
  alerts: { provider: alertmanager, username: am, password: am-password-123 }
`

type listenBundle struct {
	in     *Ingress
	stream *fakeStream
	srv    *httptest.Server
	logs   *bytes.Buffer
}

func setupListen(t *testing.T, listen string) *listenBundle {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(path, []byte(listenSources+listen), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b := &listenBundle{stream: &fakeStream{snap: snap}, logs: &bytes.Buffer{}}
	log := slog.New(redact.NewHandler(slog.NewTextHandler(&lockedWriter{w: b.logs}, nil), func() *redact.Redactor { return snap.Redactor }))
	b.in = NewIngress(nil, log, config.Server{})
	b.in.Stream = b.stream
	b.srv = httptest.NewServer(b.in.Handler())
	t.Cleanup(func() { b.in.CloseStreams(); b.srv.Close() })
	return b
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// get asks the handler directly (no network) from a given client address.
func (b *listenBundle) get(target, token, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = remote
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	b.in.Handler().ServeHTTP(w, r)
	return w
}

func TestListenEndpointAbsentWithoutSection(t *testing.T) {
	b := setupListen(t, "")
	for _, tok := range []string{"", laptopToken, "anything"} {
		if w := b.get("/listen/stream?sources=github", tok, "127.0.0.1:5000"); w.Code != http.StatusNotFound {
			t.Fatalf("token %q: status %d, want 404 without a listen: section", tok, w.Code)
		}
	}
}

func TestListenRefusals(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github, gitlab] } ] }\n")
	tests := []struct {
		name, target, token string
		want                int
	}{
		{"no token", "/listen/stream", "", http.StatusUnauthorized},
		{"wrong token", "/listen/stream", "laptop-token-0123456789abcdeX", http.StatusUnauthorized},
		{"token as prefix", "/listen/stream", laptopToken[:20], http.StatusUnauthorized},
		{"source outside scope", "/listen/stream?sources=github,alerts", laptopToken, http.StatusForbidden},
		{"unknown source", "/listen/stream?sources=nope", laptopToken, http.StatusForbidden},
		{"bad cursor", "/listen/stream?sources=github&cursor=-3", laptopToken, http.StatusBadRequest},
		{"bad since", "/listen/stream?sources=github&since=yesterday", laptopToken, http.StatusBadRequest},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each from its own address: the failure limit is per address.
			w := b.get(tt.target, tt.token, "192.0.2."+string(rune('1'+i))+":4000")
			if w.Code != tt.want {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tt.want)
			}
			if tt.want == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	if bytes.Contains(b.logs.Bytes(), []byte(laptopToken[:20])) || bytes.Contains(b.logs.Bytes(), []byte("abcdeX")) {
		t.Fatalf("a presented token reached the log:\n%s", b.logs)
	}
}

// Failed tokens from one address block it (429, even with the right
// token) for the window; other addresses are not affected.
func TestListenFailuresRateLimited(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github] } ] }\n")
	const attacker, other = "198.51.100.7:999", "198.51.100.8:999"
	for i := 0; i < LoginFailures; i++ {
		if w := b.get("/listen/stream", "guess-"+string(rune('a'+i)), attacker); w.Code != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i, w.Code)
		}
	}
	w := b.get("/listen/stream", laptopToken, attacker)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures: status %d (Retry-After %q), want 429", LoginFailures, w.Code, w.Header().Get("Retry-After"))
	}
	if w := b.get("/listen/stream?sources=nope", laptopToken, other); w.Code != http.StatusForbidden {
		t.Fatalf("another address: status %d, want its own answer (403)", w.Code)
	}
}

type sseMsg struct {
	name, id string
	data     []byte
}

// readSSE reads messages from a stream into a channel.
// openStream opens url with the laptop token; the caller closes the body.
func openStream(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+laptopToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readSSE(t *testing.T, body io.Reader) <-chan sseMsg {
	ch := make(chan sseMsg, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var m sseMsg
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.name != "" {
					ch <- m
				}
				m = sseMsg{}
			case strings.HasPrefix(line, "event: "):
				m.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				m.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				m.data = []byte(line[6:])
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan sseMsg) sseMsg {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a stream message")
	}
	panic("unreachable")
}

// The stream sends the stored events after the cursor, of the sources
// asked for, in order, then new ones as they are stored; each with its
// body bytes, the provider's signature header as received and the
// credential headers redacted before storage set again from the config.
func TestListenStreamsEventsWithCredentials(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github, gitlab, alerts] } ] }\n")
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gh := &store.Event{ID: "e1", Source: "github", Event: "push", ReceivedAt: at, Body: []byte("{\"a\":1}\n\x00\xff"),
		Headers: map[string]string{"x-hub-signature-256": "sha256=abc", "x-github-event": "push", "content-type": "application/json",
			"connection": "keep-alive", "x-forwarded-for": "10.0.0.1", "cookie": redact.Mask}}
	other := &store.Event{ID: "e2", Source: "stripe-not-asked", Event: "x", ReceivedAt: at, Headers: map[string]string{}}
	gl := &store.Event{ID: "e3", Source: "gitlab", Event: "Push Hook", ReceivedAt: at, Body: []byte(`{"b":2}`),
		Headers: map[string]string{"x-gitlab-token": redact.Mask, "x-gitlab-event": "Push Hook"}}
	b.stream.add(gh)
	b.stream.add(other)
	b.stream.add(gl)

	resp := openStream(t, b.srv.URL+"/listen/stream?sources=github,gitlab,alerts&cursor=0")
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := readSSE(t, resp.Body)
	if m := next(t, ch); m.name != relay.EventReady || m.id != "0" {
		t.Fatalf("first message %q id %q, want ready at 0", m.name, m.id)
	}
	decode := func(m sseMsg) relay.Message {
		t.Helper()
		var rm relay.Message
		if m.name != relay.EventMessage {
			t.Fatalf("message %q, want an event", m.name)
		}
		if err := json.Unmarshal(m.data, &rm); err != nil {
			t.Fatal(err)
		}
		return rm
	}
	m1 := decode(next(t, ch))
	if m1.ID != "e1" || m1.Seq != 1 || !bytes.Equal(m1.Body, gh.Body) || m1.Method != http.MethodPost {
		t.Fatalf("first event: %+v", m1)
	}
	if got := m1.Header.Get("X-Hub-Signature-256"); got != "sha256=abc" {
		t.Fatalf("signature header = %q, want as received", got)
	}
	for _, h := range []string{"Connection", "X-Forwarded-For", "Cookie"} {
		if _, ok := m1.Header[h]; ok {
			t.Fatalf("%s relayed: %v", h, m1.Header)
		}
	}
	m3 := decode(next(t, ch))
	if m3.ID != "e3" || m3.Header.Get("X-Gitlab-Token") != gitlabToken {
		t.Fatalf("gitlab event: id %s, X-Gitlab-Token %q, want the source's token re-attached", m3.ID, m3.Header.Get("X-Gitlab-Token"))
	}
	// A new event is sent as it is stored.
	am := &store.Event{ID: "e4", Source: "alerts", Event: "firing", ReceivedAt: at, Body: []byte(`{}`),
		Headers: map[string]string{"authorization": redact.Mask}}
	b.stream.add(am)
	m4 := decode(next(t, ch))
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("am:am-password-123"))
	if m4.ID != "e4" || m4.Header.Get("Authorization") != want {
		t.Fatalf("new alerts event: id %s, Authorization %q, want basic auth re-attached", m4.ID, m4.Header.Get("Authorization"))
	}
}

// Without a cursor the stream starts at the head: only new events.
func TestListenStartsAtHead(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github] } ] }\n")
	b.stream.add(&store.Event{ID: "old", Source: "github", Headers: map[string]string{}})
	resp := openStream(t, b.srv.URL+"/listen/stream")
	defer resp.Body.Close()
	ch := readSSE(t, resp.Body)
	if m := next(t, ch); m.name != relay.EventReady || m.id != "1" {
		t.Fatalf("ready at %q, want the head 1", m.id)
	}
	b.stream.add(&store.Event{ID: "new", Source: "github", Headers: map[string]string{}})
	var rm relay.Message
	if err := json.Unmarshal(next(t, ch).data, &rm); err != nil || rm.ID != "new" {
		t.Fatalf("got %q (%v), want only the new event", rm.ID, err)
	}
}

// A stream outlives the public listener's read and write timeouts.
func TestListenOutlivesServerTimeouts(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github] } ] }\n")
	const timeout = 100 * time.Millisecond
	srv := httptest.NewUnstartedServer(b.in.Handler())
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	defer srv.Close()
	resp := openStream(t, srv.URL+"/listen/stream")
	defer resp.Body.Close()
	ch := readSSE(t, resp.Body)
	next(t, ch)             // ready
	time.Sleep(3 * timeout) // the condition under test: both timeouts have passed
	b.stream.add(&store.Event{ID: "late", Source: "github", Headers: map[string]string{}})
	var rm relay.Message
	if err := json.Unmarshal(next(t, ch).data, &rm); err != nil || rm.ID != "late" {
		t.Fatalf("after the server timeouts: %q (%v)", rm.ID, err)
	}
}

// A reload that withdraws the token ends its open stream; the next
// connection is refused.
func TestListenStreamEndsWhenTokenWithdrawn(t *testing.T) {
	b := setupListen(t, "listen: { tokens: [ { name: laptop, token: "+laptopToken+", sources: [github] } ] }\n")
	resp := openStream(t, b.srv.URL+"/listen/stream")
	defer resp.Body.Close()
	ch := readSSE(t, resp.Body)
	next(t, ch) // ready
	path := filepath.Join(t.TempDir(), "hooks.yaml")
	if err := os.WriteFile(path, []byte(listenSources+"listen: { tokens: [ { name: other, token: other-token-0123456789ab, sources: [github] } ] }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	b.stream.mu.Lock()
	b.stream.snap = snap
	b.stream.mu.Unlock()
	b.stream.add(&store.Event{ID: "after-withdrawal", Source: "github", Headers: map[string]string{}})
	select {
	case m, ok := <-ch:
		if ok {
			t.Fatalf("stream still sends after the token was withdrawn: %s %s", m.name, m.data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream not ended after the token was withdrawn")
	}
	if w := b.get("/listen/stream", laptopToken, "127.0.0.1:1"); w.Code != http.StatusUnauthorized {
		t.Fatalf("withdrawn token: %d, want 401", w.Code)
	}
}
