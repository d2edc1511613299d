package app_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/store"
)

// TestHostileInput attacks the running server while a client keeps sending
// valid signed events: every attack gets its documented status, nothing of
// it is stored or run, and every valid request succeeds throughout.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	in := start(t, `
sources:
  github: { provider: github, secret: "gh-test-secret" }
  stripe: { provider: stripe, secret: "whsec_hostile" }
  slack: { provider: slack, secret: "slack-hostile" }
  gitlab: { provider: gitlab, secret: "gl-hostile" }
  shopify: { provider: shopify, secret: "shop-hostile" }
  open: { provider: generic, verify: none }
rules:
  - { name: valid, source: github, actions: [ { shell: { command: ["/bin/true"] } } ] }
  - { name: anything, source: open, actions: [ { shell: { command: ["/bin/true"] } } ] }
`, false)
	// The header above sets read_header_timeout only by default (5s); the
	// slow-loris part below waits for it.

	// The valid client comes from another loopback address (127.0.0.2): the
	// attacks below come from 127.0.0.1 and use up that address's
	// connections (server.max_conns_per_ip), which must not starve others.
	validClient := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}).DialContext}}
	defer validClient.CloseIdleConnections()
	var valid, validFailed atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			code, _ := in.postGitHubVia(t, validClient, "gh-test-secret", "push", fmt.Sprintf("valid-%d", i), pushBody("refs/heads/main", "ok"))
			valid.Add(1)
			if code != 202 {
				validFailed.Add(1)
			}
		}
	}()

	raw := func(method, path string, headers map[string]string, body io.Reader) int {
		t.Helper()
		req, _ := http.NewRequest(method, in.pub+path, body)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}
		resp, err := client.Do(req)
		if err != nil {
			return -1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	cases := []struct {
		name    string
		path    string
		headers map[string]string
		body    string
		want    []int
	}{
		{"github unsigned", "/hooks/github", map[string]string{"X-GitHub-Event": "push"}, `{}`, []int{401}},
		{"github bad signature", "/hooks/github", map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)}, `{}`, []int{401}},
		{"github sha1 only", "/hooks/github", map[string]string{"X-Hub-Signature": "sha1=" + strings.Repeat("0", 40)}, `{}`, []int{401}},
		{"stripe stale", "/hooks/stripe", map[string]string{"Stripe-Signature": "t=" + old + ",v1=" + hmacHex("whsec_hostile", old+".{}")}, `{}`, []int{401}},
		{"stripe garbage header", "/hooks/stripe", map[string]string{"Stripe-Signature": "t=,v1=zz,,,="}, `{}`, []int{401}},
		{"slack stale", "/hooks/slack", map[string]string{"X-Slack-Request-Timestamp": old, "X-Slack-Signature": "v0=" + hmacHex("slack-hostile", "v0:"+old+":{}")}, `{}`, []int{401}},
		{"gitlab wrong token", "/hooks/gitlab", map[string]string{"X-Gitlab-Token": "guess"}, `{}`, []int{401}},
		{"shopify not base64", "/hooks/shopify", map[string]string{"X-Shopify-Hmac-Sha256": "%%%"}, `{}`, []int{401}},
		{"invalid utf-8", "/hooks/github", map[string]string{"Content-Type": "application/json"}, "{\"a\":\"\xff\xfe\"}", []int{401}},
		{"deep JSON", "/hooks/open", map[string]string{"Content-Type": "application/json"}, strings.Repeat("[", 10000) + strings.Repeat("]", 10000), []int{400}},
		{"malformed JSON", "/hooks/open", map[string]string{"Content-Type": "application/json"}, `{"a":`, []int{400}},
		{"dot-dot path", "/hooks/../admin", nil, `{}`, []int{301, 307, 308, 404}},
		{"encoded slash", "/hooks/github%2F..%2F..%2Fadmin", nil, `{}`, []int{404}},
		{"no source", "/hooks/", nil, `{}`, []int{404}},
		{"unknown source", "/hooks/nope", nil, `{}`, []int{404}},
	}
	for _, c := range cases {
		got := raw("POST", c.path, c.headers, strings.NewReader(c.body))
		ok := false
		for _, w := range c.want {
			ok = ok || got == w
		}
		if !ok {
			t.Errorf("%s: status %d, want %v", c.name, got, c.want)
		}
	}
	// A delivery replayed by an attacker: stored once, run once.
	body := pushBody("refs/heads/main", "replay")
	if code, _ := in.postGitHub(t, "gh-test-secret", "push", "replayed-1", body); code != 202 {
		t.Fatalf("original: %d", code)
	}
	for i := 0; i < 3; i++ {
		if code, ans := in.postGitHub(t, "gh-test-secret", "push", "replayed-1", body); code != 200 || ans["duplicate"] != true {
			t.Fatalf("replay %d: %d %v", i, code, ans)
		}
	}
	// 100 MiB body: 413, streamed, not read.
	if got := raw("POST", "/hooks/github", map[string]string{"X-GitHub-Event": "push"}, &endlessReader{left: 100 << 20}); got != 413 && got != -1 {
		t.Errorf("100 MiB body: %d", got)
	}
	// Huge headers: 431.
	if got := raw("POST", "/hooks/github", map[string]string{"X-Big": strings.Repeat("a", 200<<10)}, strings.NewReader("{}")); got != 431 {
		t.Errorf("huge header: %d", got)
	}
	// 500 slow-loris connections: each sends part of a request line and
	// stalls. Valid requests keep succeeding (checked by the sender). The
	// first 64 (max_conns_per_ip) are held until read_header_timeout; the
	// rest are closed at accept.
	host := strings.TrimPrefix(in.pub, "http://")
	var conns []net.Conn
	for i := 0; i < 500; i++ {
		c, err := net.DialTimeout("tcp", host, 2*time.Second)
		if err != nil {
			t.Fatalf("slow-loris dial %d: %v", i, err)
		}
		fmt.Fprintf(c, "POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		conns = append(conns, c)
	}
	// The server drops them after read_header_timeout (5s by default):
	// each read ends (EOF or a 408) well before our own deadline.
	closed := 0
	deadline := time.Now().Add(10 * time.Second)
	for _, c := range conns {
		c.SetReadDeadline(deadline)
		_, err := bufio.NewReader(c).ReadByte()
		var ne net.Error
		if !(errors.As(err, &ne) && ne.Timeout()) {
			closed++
		}
		c.Close()
	}
	if closed != len(conns) {
		t.Errorf("%d of %d slow-loris connections still open after read_header_timeout", len(conns)-closed, len(conns))
	}
	// The listener counts a refusal just after it closes the connection.
	var refused []string
	waitFor(t, "slow-loris connections over the per-address cap counted as refused", 5*time.Second, func() bool {
		var metrics strings.Builder
		if resp, err := http.Get(in.adm + "/metrics"); err == nil {
			io.Copy(&metrics, resp.Body)
			resp.Body.Close()
		}
		refused = regexp.MustCompile(`hookrunner_connections_refused_total\{reason="per_ip"\} (\d+)`).FindStringSubmatch(metrics.String())
		return refused != nil && refused[1] != "0"
	})
	close(stop)
	wg.Wait()
	if validFailed.Load() != 0 || valid.Load() < 20 {
		t.Fatalf("valid requests during the attack: %d sent, %d failed", valid.Load(), validFailed.Load())
	}
	// Nothing of the attacks was stored: only the valid events (+1 replayed original).
	var evs []map[string]any
	in.getJSON(t, "/api/events?limit=10000", &evs)
	if len(evs) != int(valid.Load())+1 {
		t.Fatalf("stored %d events, want %d valid + 1", len(evs), valid.Load())
	}
	for _, e := range evs {
		if e["source"] != "github" {
			t.Fatalf("an attack was stored: %v", e)
		}
	}
	t.Logf("%d valid requests during the attacks, all 202; %d slow-loris connections closed", valid.Load(), closed)
}

// failingStore fails writes while down is set, like a full or read-only disk.
type failingStore struct {
	store.Store
	down atomic.Bool
}

var errDiskFull = errors.New("database or disk is full")

func (f *failingStore) Ingest(ctx context.Context, ev *store.Event, runs []*store.Run, since time.Time) (store.IngestResult, error) {
	if f.down.Load() {
		return store.IngestResult{}, errDiskFull
	}
	return f.Store.Ingest(ctx, ev, runs, since)
}

func TestStoreFaultAnswers503AndLosesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hooks.yaml")
	os.WriteFile(path, []byte(header+"store: { dsn: \""+filepath.Join(dir, "hr.db")+"\" }\n"+
		"sources:\n  github: { provider: github, secret: \"gh-test-secret\" }\nrules:\n  - { name: r, source: github, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"), 0o600)
	fs := &failingStore{}
	ready := make(chan [2]string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, app.Options{ConfigPath: path, LogOutput: io.Discard,
			WrapStore: func(s store.Store) store.Store { fs.Store = s; return fs },
			Ready:     func(p, a string) { ready <- [2]string{p, a} }})
	}()
	addrs := <-ready
	defer func() { cancel(); <-done }()
	in := &instance{pub: "http://" + addrs[0], adm: "http://" + addrs[1]}
	acked := map[string]bool{}
	for i := 0; i < 30; i++ {
		fs.down.Store(i >= 10 && i < 20)
		code, ans := in.postGitHub(t, "gh-test-secret", "push", fmt.Sprint("f-", i), pushBody("refs/heads/main", "x"))
		switch {
		case i >= 10 && i < 20:
			if code != 503 {
				t.Fatalf("request %d with the disk full: %d", i, code)
			}
		case code != 202:
			t.Fatalf("request %d: %d", i, code)
		default:
			acked[ans["id"].(string)] = true
		}
	}
	// The sender retries the refused ones once the disk is back.
	for i := 10; i < 20; i++ {
		code, ans := in.postGitHub(t, "gh-test-secret", "push", fmt.Sprint("f-", i), pushBody("refs/heads/main", "x"))
		if code != 202 {
			t.Fatalf("retry %d: %d", i, code)
		}
		acked[ans["id"].(string)] = true
	}
	for id := range acked {
		var d map[string]any
		in.getJSON(t, "/api/events/"+id, &d)
	}
	if len(acked) != 30 {
		t.Fatalf("acknowledged %d", len(acked))
	}
}

func TestRateLimitAndTrustedProxies(t *testing.T) {
	in := start(t, `
sources:
  open: { provider: generic, verify: none, allow_ips: [203.0.113.0/24] }
rules:
  - { name: r, source: open, actions: [ { shell: { command: ["/bin/true"] } } ] }
`, false)
	dir := t.TempDir()
	cfg := strings.Replace(header, `server: { listen: "127.0.0.1:0", max_body: 1MiB }`,
		`server: { listen: "127.0.0.1:0", max_body: 1MiB, trusted_proxies: [127.0.0.1], rate_limit: { per_ip: 0.1, per_ip_burst: 3 } }`, 1)
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg+"store: { dsn: \""+filepath.Join(dir, "hr.db")+"\" }\n"+`
sources:
  open: { provider: generic, verify: none, allow_ips: [203.0.113.0/24] }
rules:
  - { name: r, source: open, actions: [ { shell: { command: ["/bin/true"] } } ] }
`), 0o600)
	lim := startExisting(t, dir, false)
	send := func(xff string) (int, string) {
		req, _ := http.NewRequest("POST", lim.pub+"/hooks/open", strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	// Through the trusted proxy, the client address is the forwarded one.
	if code, _ := send(""); code != 403 {
		t.Fatalf("direct 127.0.0.1 (not in allow_ips): %d", code)
	}
	codes := []int{}
	for i := 0; i < 5; i++ {
		c, _ := send("198.51.100.7, 203.0.113.9")
		codes = append(codes, c)
	}
	if fmt.Sprint(codes[:3]) != "[202 202 202]" {
		t.Fatalf("burst: %v", codes)
	}
	code, ra := send("203.0.113.9")
	if code != 429 || ra == "" {
		t.Fatalf("over the limit: %d Retry-After %q", code, ra)
	}
	// Another client address has its own budget.
	if code, _ := send("203.0.113.10"); code != 202 {
		t.Fatalf("other client: %d", code)
	}
	// A forwarded address from an untrusted peer is ignored: the original
	// instance trusts no proxy, so the peer (127.0.0.1) is refused.
	req, _ := http.NewRequest("POST", in.pub+"/hooks/open", strings.NewReader("{}"))
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("spoofed X-Forwarded-For honoured: %d", resp.StatusCode)
	}
}

func selfSigned(t *testing.T, dir, cn string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	kb, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(filepath.Join(dir, "cert.pem.tmp"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem.tmp"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	os.Rename(filepath.Join(dir, "key.pem.tmp"), filepath.Join(dir, "key.pem"))
	os.Rename(filepath.Join(dir, "cert.pem.tmp"), filepath.Join(dir, "cert.pem"))
}

func TestTLSWithCertificateReload(t *testing.T) {
	dir := t.TempDir()
	selfSigned(t, dir, "first")
	cfg := strings.Replace(header, `server: { listen: "127.0.0.1:0", max_body: 1MiB }`,
		`server: { listen: "127.0.0.1:0", tls: { cert_file: cert.pem, key_file: key.pem } }`, 1)
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg+"store: { dsn: \""+filepath.Join(dir, "hr.db")+"\" }\n"+
		"sources:\n  open: { provider: generic, verify: none }\nrules:\n  - { name: r, source: open, actions: [ { shell: { command: [\"/bin/true\"] } } ] }\n"), 0o600)
	in := startExisting(t, dir, false)
	addr := strings.TrimPrefix(in.pub, "http://")
	cn := func(maxVersion uint16) (string, error) {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: maxVersion})
		if err != nil {
			return "", err
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
	}
	if got, err := cn(0); err != nil || got != "first" {
		t.Fatalf("TLS: %q %v", got, err)
	}
	if _, err := cn(tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
	selfSigned(t, dir, "renewed")
	// A renewal is told by a later modification time; say so explicitly
	// rather than wait for the clock (a coarse file system may not tick).
	later := time.Now().Add(2 * time.Second)
	for _, f := range []string{"cert.pem", "key.pem"} {
		if err := os.Chtimes(filepath.Join(dir, f), later, later); err != nil {
			t.Fatal(err)
		}
	}
	var got string
	waitFor(t, "the renewed certificate (checked at most once a second)", 5*time.Second, func() bool {
		got, _ = cn(0)
		return got == "renewed"
	})
	// And it serves webhooks.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Post("https://"+addr+"/hooks/open", "application/json", bytes.NewReader([]byte("{}")))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("https post: %v", err)
	}
	resp.Body.Close()
}
