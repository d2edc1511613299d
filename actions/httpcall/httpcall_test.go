package httpcall_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	_ "github.com/hookrunner/hookrunner/actions/httpcall"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
)

func build(t *testing.T, kind string, raw map[string]any) actions.Action {
	t.Helper()
	a, err := actions.Build(kind, actions.BuildContext{Decode: func(v any) error { return config.Decode(raw, v) }, Dir: t.TempDir(), Rule: "r"})
	if err != nil {
		t.Fatalf("build %s: %v", kind, err)
	}
	return a
}

func inv(payload map[string]any) *actions.Invocation {
	return &actions.Invocation{Env: &expression.Env{ID: "ev1", Source: "github", Event: "push", Rule: "r", RunID: "run1", Attempt: 1, Payload: payload,
		Headers: map[string]string{"content-type": "application/json"}}, Body: []byte(`{"raw":true}`), OutputLimit: 1024}
}

func TestHTTPAction(t *testing.T) {
	var calls atomic.Int32
	var lastKey, lastBody, lastCT atomic.Value
	status := atomic.Int32{}
	status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		lastKey.Store(r.Header.Get("Idempotency-Key"))
		lastBody.Store(string(b))
		lastCT.Store(r.Header.Get("Content-Type"))
		if s := int(status.Load()); s == 429 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(s)
		} else {
			w.WriteHeader(s)
		}
		w.Write([]byte(`{"message":"answer ` + strconv.Itoa(int(status.Load())) + `"}`))
	}))
	defer srv.Close()
	a := build(t, "http", map[string]any{"url": srv.URL + "/notify?ref={{ payload.ref }}", "body": `{"text": "deployed {{ payload.ref }}"}`,
		"headers": map[string]any{"X-Team": "ops"}})
	res, err := a.Run(context.Background(), inv(map[string]any{"ref": "main"}))
	if err != nil || res.HTTPStatus != 200 {
		t.Fatalf("run: %v %d", err, res.HTTPStatus)
	}
	if lastBody.Load() != `{"text": "deployed main"}` || lastKey.Load() != "ev1/r" || lastCT.Load() != "application/json" {
		t.Fatalf("request: body %v key %v ct %v", lastBody.Load(), lastKey.Load(), lastCT.Load())
	}
	status.Store(400)
	_, err = a.Run(context.Background(), inv(map[string]any{"ref": "main"}))
	if !actions.IsPermanent(err) || !strings.Contains(err.Error(), "answer 400") {
		t.Fatalf("400: %v", err)
	}
	status.Store(503)
	_, err = a.Run(context.Background(), inv(map[string]any{"ref": "main"}))
	if err == nil || actions.IsPermanent(err) {
		t.Fatalf("503 must be retryable: %v", err)
	}
	status.Store(429)
	res, err = a.Run(context.Background(), inv(map[string]any{"ref": "main"}))
	if err == nil || actions.IsPermanent(err) || res.RetryAfter != 7*time.Second {
		t.Fatalf("429: %v retry-after %s", err, res.RetryAfter)
	}
	// Without a body template the event's raw body is forwarded.
	status.Store(200)
	fwd := build(t, "http", map[string]any{"url": srv.URL})
	if _, err := fwd.Run(context.Background(), inv(nil)); err != nil || lastBody.Load() != `{"raw":true}` {
		t.Fatalf("forward: %v %v", err, lastBody.Load())
	}
	// Connection refused is retryable.
	dead := build(t, "http", map[string]any{"url": "http://127.0.0.1:1/x", "timeout": "1s"})
	if _, err := dead.Run(context.Background(), inv(nil)); err == nil || actions.IsPermanent(err) {
		t.Fatalf("connection refused: %v", err)
	}
}

// A target that hangs is cut off by the action's timeout (and the run is
// retried like any other failure).
func TestHTTPHangingTarget(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	a := build(t, "http", map[string]any{"url": srv.URL, "timeout": "300ms"})
	start := time.Now()
	_, err := a.Run(context.Background(), inv(nil))
	if err == nil || actions.IsPermanent(err) {
		t.Fatalf("hanging target: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s despite a 300ms timeout", d)
	}
}
