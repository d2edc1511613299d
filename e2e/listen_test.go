package e2e

import (
	"bytes"
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/internal/syncbuf"
)

const (
	listenGHSecret = "listen-e2e-github-secret"
	listenToken    = "listen-e2e-token-0123456789abcdef"
)

// capture is the developer's local app: it verifies GitHub's signature
// itself, as a real app does, and records every request in order.
type capture struct {
	mu   sync.Mutex
	log  []captureHit
	fail map[string]int // delivery id -> 500s still to answer
}

type captureHit struct {
	delivery string
	status   int
	sigOK    bool
	body     []byte
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	want := "sha256=" + hmacHex(listenGHSecret, body)
	sigOK := hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256")))
	id := r.Header.Get("X-GitHub-Delivery")
	c.mu.Lock()
	defer c.mu.Unlock()
	status := http.StatusOK
	switch {
	case !sigOK:
		status = http.StatusUnauthorized
	case c.fail[id] > 0:
		c.fail[id]--
		status = http.StatusInternalServerError
	}
	c.log = append(c.log, captureHit{delivery: id, status: status, sigOK: sigOK, body: body})
	w.WriteHeader(status)
}

// delivered lists the deliveries answered 200, in order.
func (c *capture) delivered() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, h := range c.log {
		if h.status == http.StatusOK {
			out = append(out, h.delivery)
		}
	}
	return out
}

func (c *capture) hits() []captureHit {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captureHit(nil), c.log...)
}

// listenProc is a running `hookrunner listen`.
type listenProc struct {
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
}

func startListen(t *testing.T, dir string, args ...string) *listenProc {
	t.Helper()
	p := &listenProc{out: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"listen"}, args...)...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "HOOKRUNNER_LISTEN_TOKEN="+listenToken)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("hookrunner listen printed:\n%s", p.out)
		}
	})
	waitUntil(t, "listen to be ready", 15*time.Second, func() bool {
		select {
		case <-p.done:
			t.Fatalf("listen exited:\n%s", p.out)
		default:
		}
		return strings.Contains(p.out.String(), "Ready!")
	})
	return p
}

func (p *listenProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("listen ignored SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("listen exited %d after SIGTERM:\n%s", code, p.out)
	}
}

// TestListenEndToEnd: a server process stores GitHub deliveries; a
// `hookrunner listen` process relays them to a local app that checks the
// signature itself. Events sent while listen runs, while it is stopped and
// after it restarts each arrive exactly once, in order, byte-identical with
// their signature; a 5 MiB body passes intact; a local app answering 500
// three times gets the event on the fourth try, and the next event waits.
func TestListenEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	cfg := filepath.Join(dir, "hooks.yaml")
	writeFile(t, cfg, fmt.Sprintf(`
server: { listen: %q, max_body: 6MiB }
admin: { listen: "127.0.0.1:0" }
store: { driver: sqlite, dsn: %q }
sources:
  github: { provider: github, secret: %q }
listen:
  tokens:
    - { name: laptop, token: %q, sources: [github] }
rules: []
`, addr, filepath.Join(dir, "hr.db"), listenGHSecret, listenToken))
	srv := startProc(t, dir, cfg, addr)
	defer srv.term(t)

	app := &capture{fail: map[string]int{}}
	local := httptest.NewServer(app)
	defer local.Close()

	sent := map[string][]byte{}
	send := func(delivery string, body []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hooks/github", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", delivery)
		req.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex(listenGHSecret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := drain(resp); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("send %s: %d %s", delivery, resp.StatusCode, b)
		}
		sent[delivery] = body
	}
	body := func(n int) []byte { return []byte(fmt.Sprintf("{\"n\":%d,\"text\":\"caf\\u00e9 \u00e9\\n\"}\r\n", n)) }
	waitDelivered := func(want ...string) {
		t.Helper()
		waitUntil(t, fmt.Sprintf("deliveries %v", want), 30*time.Second, func() bool {
			return strings.Join(app.delivered(), ",") == strings.Join(want, ",")
		})
	}
	state := filepath.Join(dir, "listen-state.json")
	args := []string{"--server", "http://" + addr, "--source", "github", "--forward", local.URL + "/webhook", "--state", state, "--retry", "20ms"}

	// Stored before the first run: the first run starts from now.
	send("before", body(0))

	l := startListen(t, dir, args...)
	send("run-1", body(1))
	send("run-2", body(2))
	waitDelivered("run-1", "run-2")

	l.stop(t)
	send("stopped-3", body(3))
	send("stopped-4", body(4))

	l = startListen(t, dir, args...)
	waitDelivered("run-1", "run-2", "stopped-3", "stopped-4")
	send("restarted-5", body(5))

	// 5 MiB of JSON (varied bytes, UTF-8, escapes), signed over the whole.
	raw := make([]byte, 5<<20/4*3) // 5 MiB once in base64
	for i := range raw {
		raw[i] = byte(i*7 + i/251)
	}
	big := []byte(`{"big":"` + base64.StdEncoding.EncodeToString(raw) + `","text":"caf\u00e9 ` + strings.Repeat("é€\\n", 1000) + `"}`)
	if len(big) < 5<<20 || len(big) > 6<<20 {
		t.Fatalf("big body is %d bytes", len(big))
	}
	send("big-6", big)

	// The local app fails the next event three times; the one after waits.
	app.mu.Lock()
	app.fail["flaky-7"] = 3
	app.mu.Unlock()
	send("flaky-7", body(7))
	send("after-8", body(8))
	all := []string{"run-1", "run-2", "stopped-3", "stopped-4", "restarted-5", "big-6", "flaky-7", "after-8"}
	waitDelivered(all...)
	l.stop(t)

	hits := app.hits()
	var order []string
	for _, h := range hits {
		if !h.sigOK {
			t.Fatalf("%s: the local app's signature check failed", h.delivery)
		}
		if !bytes.Equal(h.body, sent[h.delivery]) {
			t.Fatalf("%s: body changed on the way (%d bytes, sent %d)", h.delivery, len(h.body), len(sent[h.delivery]))
		}
		order = append(order, fmt.Sprintf("%s:%d", h.delivery, h.status))
	}
	tail := strings.Join(order[len(order)-5:], " ")
	if want := "flaky-7:500 flaky-7:500 flaky-7:500 flaky-7:200 after-8:200"; tail != want {
		t.Fatalf("last requests %q, want %q (the fourth try succeeds, the next event waits)", tail, want)
	}
	if len(hits) != len(all)+3 {
		t.Fatalf("%d requests for %d events and 3 failures: %v", len(hits), len(all), order)
	}
	// The printed lines: one per answered event, and the failed tries.
	out := l.out.String()
	if !strings.Contains(out, "github") || !strings.Contains(out, "[200 OK]") || !strings.Contains(out, "[500 Internal Server Error]") {
		t.Fatalf("listen printed:\n%s", out)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
