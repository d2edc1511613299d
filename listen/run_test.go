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
	var out strings.Builder
	go func() {
		done <- Run(ctx, Options{Server: srv.URL, Token: "tok", Sources: []string{"github"}, Forward: app.URL, State: state, Out: &lockedOut{w: &out}})
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(local)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 3", n)
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
	b, _ := os.ReadFile(state)
	if !strings.Contains(string(b), `"cursor":3`) {
		t.Fatalf("state %s", b)
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

type lockedOut struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedOut) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
