package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// revisionConfig has one rule, "work", whose action appends tag and the
// push's sha to out once the file "release" exists (so runs queue up behind
// concurrency: 1), plus, when extra is set, a second rule.
func revisionConfig(dir, tag string, extra bool) string {
	cfg := `
sources:
  github: { provider: github, secret: "gh-test-secret" }
rules:
  - name: work
    source: github
    events: [push]
    concurrency: 1
    retry: { attempts: 3, backoff: 50ms }
    actions:
      - shell:
          command: ["/bin/sh", "-c", "while [ ! -f release ]; do sleep 0.02; done; echo ` + tag + ` \"$1\" >> out", "sh", "{{ payload.after }}"]
          dir: "` + dir + `"
`
	if extra {
		cfg += `  - name: extra-` + tag + `
    source: github
    events: [push]
    retry: { attempts: 1 }
    actions:
      - shell: { command: ["/bin/sh", "-c", "echo extra >> extra", "sh"], dir: "` + dir + `" }
`
	}
	return cfg
}

// revisionFile is a whole config with a short shutdown grace, so a stop
// interrupts the blocked run at once (it is retried after the restart).
func revisionFile(dir, rules string) []byte {
	return []byte(`
server: { listen: "127.0.0.1:0", shutdown_grace: 200ms }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms, workers: 4 }
log: { level: debug }
store: { driver: sqlite, dsn: "` + filepath.Join(dir, "hr.db") + `" }
` + rules)
}

func (in *instance) rewrite(t *testing.T, rules string) {
	t.Helper()
	if err := os.WriteFile(in.cfgPath, revisionFile(in.dir, rules), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (in *instance) reloadNow(t *testing.T) {
	t.Helper()
	resp, err := http.Post(in.adm+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	drainBody(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("reload: %d", resp.StatusCode)
	}
}

func drainBody(resp *http.Response) {
	buf := make([]byte, 4096)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break
		}
	}
	resp.Body.Close()
}

func lines(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(strings.ReplaceAll(string(b), "\n", " "))
}

// TestRunsKeepTheirRevision: runs queued under one config execute under
// it after a reload that changes and removes their rules, and after a
// restart on the new config (the revision is rebuilt from the store).
func TestRunsKeepTheirRevision(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := "reload"
		if restart {
			name = "reload and restart"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), revisionFile(dir, revisionConfig(dir, "A", true)), 0o600); err != nil {
				t.Fatal(err)
			}
			in := startExisting(t, dir, false)
			const n = 4
			for i := 0; i < n; i++ {
				code, ans := in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "sha"+string(rune('0'+i))))
				if code != 202 {
					t.Fatalf("push %d: %d %v", i, code, ans)
				}
			}
			// The config changes the command of "work" and drops "extra-A".
			in.rewrite(t, revisionConfig(dir, "B", false))
			in.reloadNow(t)
			if restart {
				in.stop(t)
				in = startExisting(t, dir, false)
			}
			if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			allDone := func() bool {
				var runs []struct{ Rule, State string }
				in.getJSON(t, "/api/runs?limit=100", &runs)
				if len(runs) != 2*n {
					return false
				}
				for _, r := range runs {
					if r.State != "succeeded" {
						return false
					}
				}
				return true
			}
			waitFor(t, "every queued run to succeed", 20*time.Second, allDone)
			if got := lines(filepath.Join(dir, "extra")); len(got) != n {
				t.Fatalf("extra-A ran %d times, want %d", len(got), n)
			}
			for i, w := range lines(filepath.Join(dir, "out")) {
				if i%2 == 0 && w != "A" {
					t.Fatalf("a run matched under revision A ran under %s: %v", w, lines(filepath.Join(dir, "out")))
				}
			}
			// New events match the new config.
			if code, ans := in.postGitHub(t, "gh-test-secret", "push", "", pushBody("refs/heads/main", "new")); code != 202 || ans["matched"] == nil {
				t.Fatalf("push after reload: %d %v", code, ans)
			}
			waitFor(t, "the run under revision B", 10*time.Second, func() bool {
				l := lines(filepath.Join(dir, "out"))
				return len(l) == 2*n+2 && l[2*n] == "B"
			})
		})
	}
}
