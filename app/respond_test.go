package app_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/user"
	"strings"
	"testing"
	"time"
)

func postHook(t *testing.T, in *instance, path, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", in.pub+path, strings.NewReader(body))
	req.Header.Set("X-Token", "tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// respond: sync maps exit codes to statuses; stdout is the body, stderr is
// kept out of it (but stored with the run).
func TestSyncStatusMap(t *testing.T) {
	in := start(t, `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "tok" }
rules:
  - name: check
    source: hook
    respond: sync
    retry: { attempts: 1 }
    actions:
      - shell:
          command: ["/bin/sh", "-c", "echo \"result for $1\"; echo 'debug noise' >&2; exit $2", "sh", "{{ payload.name }}", "{{ payload.code }}"]
          status: { "0": 200, "3": 409, default: 500 }
          content_type: text/plain
`, false)
	for _, tc := range []struct {
		code string
		want int
	}{{"0", 200}, {"3", 409}, {"7", 500}} {
		resp := postHook(t, in, "/hooks/hook", `{"name":"x","code":`+tc.code+`}`)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || string(b) != "result for x\n" {
			t.Fatalf("exit %s: %d %q", tc.code, resp.StatusCode, b)
		}
		var d struct {
			Attempts []map[string]any `json:"attempts"`
		}
		in.getJSON(t, "/api/runs/"+resp.Header.Get("X-Hookrunner-Run-Id"), &d)
		if len(d.Attempts) != 1 || !strings.Contains(d.Attempts[0]["output"].(string), "debug noise") {
			t.Fatalf("stderr not kept with the run: %v", d.Attempts)
		}
	}
}

// respond: stream sends standard output as the command produces it.
func TestStreamRespond(t *testing.T) {
	in := start(t, `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "tok" }
rules:
  - name: deploy
    source: hook
    respond: stream
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo 'step 1: fetch'; sleep 2; echo 'step 2: build'; exit 0"] }
`, false)
	start := time.Now()
	resp := postHook(t, in, "/hooks/hook", `{}`)
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	first, err := r.ReadString('\n')
	firstAt := time.Since(start)
	if err != nil || first != "step 1: fetch\n" {
		t.Fatalf("first line: %q %v", first, err)
	}
	rest, _ := io.ReadAll(r)
	total := time.Since(start)
	if string(rest) != "step 2: build\n" {
		t.Fatalf("rest: %q", rest)
	}
	if firstAt > 1500*time.Millisecond || total < 2*time.Second {
		t.Fatalf("not streamed: first line after %s, all after %s", firstAt, total)
	}
	if resp.Trailer.Get("X-Hookrunner-Exit-Code") != "0" || resp.Trailer.Get("X-Hookrunner-Run-State") != "succeeded" {
		t.Fatalf("trailers: %v", resp.Trailer)
	}
}

func TestRunAsAnotherUser(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	cfg := `
sources:
  hook: { provider: generic, verify: token, header: X-Token, secret: "tok" }
rules:
  - name: as-nobody
    source: hook
    respond: sync
    actions:
      - shell: { command: ["/usr/bin/id", "-u"], user: nobody, dir: "/" }
`
	if os.Geteuid() != 0 {
		t.Skip("user: needs hookrunner to run as root")
	}
	in := start(t, cfg, false)
	resp := postHook(t, in, "/hooks/hook", `{}`)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(b)) != nobody.Uid {
		t.Fatalf("ran as uid %q, want %s", b, nobody.Uid)
	}
}
