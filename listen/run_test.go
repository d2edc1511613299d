package listen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/relay"
	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

// A stream that drops is reopened at the cursor of the last event
// answered: nothing is delivered twice or skipped, and the cursor is
// saved.
func TestRunReconnectsAtCursor(t *testing.T) {
	var mu sync.Mutex
	var cursors []string
	var local []string
	conn := 0
	msg := func(w io.Writer, seq int64) {
		b, _ := json.Marshal(relay.Message{ID: fmt.Sprint("ev-", seq), Seq: seq, Source: "github", Event: "push",
			Method: http.MethodPost, Header: http.Header{"X-Hub-Signature-256": {"sha256=x"}}, Body: []byte(fmt.Sprint(seq))})
		fmt.Fprintf(w, "event: event\nid: %d\ndata: %s\n\n", seq, b)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != relay.StreamPath {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		conn++
		n := conn
		cursors = append(cursors, r.URL.Query().Get("cursor"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		if n == 1 {
			fmt.Fprint(w, "event: ready\nid: 0\ndata: {\"cursor\":0,\"sources\":[\"github\"]}\n\n: heartbeat\n\n")
			msg(w, 1)
			msg(w, 2)
			_ = rc.Flush()
			return // the connection drops
		}
		fmt.Fprint(w, "event: ready\nid: 2\ndata: {\"cursor\":2,\"sources\":[\"github\"]}\n\n")
		msg(w, 3)
		_ = rc.Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		local = append(local, string(b)+":"+r.Header.Get("X-Hub-Signature-256"))
		mu.Unlock()
	}))
	defer app.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out syncbuf.Buffer
	go func() {
		done <- Run(ctx, Options{Server: srv.URL, Token: "tok", Sources: []string{"github"}, Forward: app.URL, State: state, Out: &out})
	}()
	// The local app records an event before its answer reaches Run, and
	// Run saves the cursor only after the answer: wait for both.
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(local)
		mu.Unlock()
		saved, _ := os.ReadFile(state)
		if n >= 3 && strings.Contains(string(saved), `"cursor":3`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 3; state %s", n, saved)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(local, " ") != "1:sha256=x 2:sha256=x 3:sha256=x" {
		t.Fatalf("delivered %v", local)
	}
	if len(cursors) != 2 || cursors[0] != "" || cursors[1] != "2" {
		t.Fatalf("cursors asked %q, want first from now, then 2", cursors)
	}
	// The stop leaves the cursor at the last event answered.
	b, _ := os.ReadFile(state)
	if !strings.Contains(string(b), `"cursor":3`) {
		t.Fatalf("state %s", b)
	}
}

// A stop while the local app is handling an event does not cut the
// delivery short: the app's answer is waited for (up to StopGrace), the
// cursor moves past the event, and the next start does not send it again.
func TestStopLetsDeliveryFinish(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: ready\nid: 0\ndata: {\"cursor\":0,\"sources\":[\"github\"]}\n\n")
		b, _ := json.Marshal(relay.Message{ID: "ev-1", Seq: 1, Source: "github", Event: "push", Method: http.MethodPost, Body: []byte("1")})
		fmt.Fprintf(w, "event: event\nid: 1\ndata: %s\n\n", b)
		_ = http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	arrived, release := make(chan struct{}), make(chan struct{})
	aborted := make(chan struct{}, 1)
	var hits sync.Mutex
	n := 0
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Lock()
		n++
		hits.Unlock()
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done(): // the listener hung up on us
			aborted <- struct{}{}
		}
	}))
	defer app.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	out := &syncbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Server: srv.URL, Token: "tok", Forward: app.URL, State: state, Out: out})
	}()
	<-arrived
	cancel()
	// Run says it waits; only then does the app answer.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "stopping: waiting") {
		select {
		case <-aborted:
			t.Fatal("the stop cut the delivery in flight short")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no stop note; printed:\n%s", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if b, _ := os.ReadFile(state); !strings.Contains(string(b), `"cursor":1`) {
		t.Fatalf("state after the stop %s, want the answered event's cursor 1", b)
	}
	if !strings.Contains(out.String(), "ev-1") {
		t.Fatalf("the answered event is not printed:\n%s", out.String())
	}
}

// A refusal by the server ends Run with the server's reason.
func TestRunRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"forbidden: token \"laptop\" may not read source \"stripe\""}`, http.StatusForbidden)
	}))
	defer srv.Close()
	err := Run(context.Background(), Options{Server: srv.URL, Token: "tok", Print: true})
	if err == nil || !strings.Contains(err.Error(), "may not read source") {
		t.Fatalf("Run: %v", err)
	}
}
