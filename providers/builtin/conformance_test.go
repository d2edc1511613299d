package builtin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/internal/syncbuf"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/providertest"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

// TestConformance runs the conformance suite against every registered
// provider, each through a real hookrunner (app.Run: listeners on
// 127.0.0.1, a SQLite file) with its fixture (the providertest.Add calls
// in this package's tests).
func TestConformance(t *testing.T) {
	providertest.Run(t, startConformance)
}

// conformance is a running hookrunner with the sources conf (under test)
// and conf_wrong.
type conformance struct {
	pub, adm string
	snap     *ruleset.Snapshot
	client   *http.Client
}

func startConformance(t *testing.T, provider string, good, wrong map[string]any) providertest.Server {
	t.Helper()
	dir := t.TempDir()
	src := func(m map[string]any) string {
		c := map[string]any{"provider": provider}
		for k, v := range m {
			c[k] = v
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cfg := "server: { listen: \"127.0.0.1:0\" }\nadmin: { listen: \"127.0.0.1:0\" }\nlog: { level: warn }\n" +
		"store: { driver: sqlite, dsn: " + filepath.Join(dir, "hr.db") + " }\n" +
		"sources:\n  conf: " + src(good) + "\n  conf_wrong: " + src(wrong) + "\n"
	path := filepath.Join(dir, "hooks.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	snap, err := ruleset.Load(path)
	if err != nil {
		t.Fatalf("config: %v\n%s", err, cfg)
	}
	t.Cleanup(func() { _ = snap.Close() })
	c := &conformance{snap: snap, client: &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	ready, done := make(chan struct{}), make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncbuf.Buffer{}
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: path, Watch: false, LogOutput: logs,
			Ready: func(p, a string) { c.pub, c.adm = "http://"+p, "http://"+a; close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("hookrunner did not start: %v\n%s", err, logs)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("hookrunner did not start in 10s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("hookrunner did not stop in 30s")
		}
		if t.Failed() {
			t.Logf("hookrunner logs:\n%s", logs)
		}
	})
	return c
}

func (c *conformance) source(wrong bool) *ruleset.Source {
	if wrong {
		return c.snap.Sources["conf_wrong"]
	}
	return c.snap.Sources["conf"]
}

func (c *conformance) target() string { return c.pub + "/hooks/conf" }

func (c *conformance) Do(t *testing.T, r *providers.Request) (int, http.Header, []byte) {
	t.Helper()
	u := c.target()
	if r.URL != nil && r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	req, err := http.NewRequest(r.Method, u, bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header.Clone()
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func (c *conformance) Sign(t *testing.T, wrong bool, event string, body []byte, now time.Time) *providers.Request {
	t.Helper()
	target, _ := url.Parse(c.target())
	r, err := sender.BuildSignedRequest(c.source(wrong), event, body, target, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *conformance) SignHandshake(t *testing.T, wrong bool, now time.Time) *providers.Request {
	t.Helper()
	target, _ := url.Parse(c.target())
	r, err := sender.BuildHandshakeRequest(c.source(wrong), target, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (c *conformance) Stored(t *testing.T) []providertest.Stored {
	t.Helper()
	resp, err := c.client.Get(c.adm + "/api/events?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var evs []struct {
		ID         string `json:"id"`
		Event      string `json:"event"`
		DeliveryID string `json:"delivery_id"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil {
		t.Fatal(err)
	}
	out := make([]providertest.Stored, len(evs))
	for i, e := range evs {
		out[i] = providertest.Stored{ID: e.ID, Event: e.Event, DeliveryID: e.DeliveryID, Payload: c.payload(t, e.ID)}
	}
	return out
}

// payload is the stored event's payload as rules see it, as JSON.
func (c *conformance) payload(t *testing.T, id string) string {
	t.Helper()
	resp, err := c.client.Get(c.adm + "/api/events/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Payload json.RawMessage `json:"payload"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /api/events/%s: %d %s", id, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return string(d.Payload)
}
