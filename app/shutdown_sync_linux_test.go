package app_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// SIGTERM while a `respond: sync`/`stream` action runs (finding 6): the
// action gets server.shutdown_grace, not a fixed 15 s; then its process
// group is killed (a background child too), the run is recorded as
// interrupted (pending, no attempt spent) and the client is answered.
func TestShutdownDuringSyncAction(t *testing.T) {
	for _, respond := range []string{"sync", "stream"} {
		t.Run(respond, func(t *testing.T) {
			dir := t.TempDir()
			writeScript(t, dir, "act.sh", `d="$1"
sleep 101 & echo $! > "$d/bg.tmp" && mv "$d/bg.tmp" "$d/bg.pid"
echo $$ > "$d/sh.tmp" && mv "$d/sh.tmp" "$d/sh.pid"
echo started
exec sleep 102
`)
			cfg := `
server: { listen: "127.0.0.1:0", shutdown_grace: 500ms }
admin: { listen: "127.0.0.1:0" }
runner: { poll_interval: 50ms }
store: { driver: sqlite, dsn: "` + filepath.Join(dir, "hr.db") + `" }
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: slash
    source: hook
    respond: ` + respond + `
    sync_timeout: 60s
    actions:
      - shell: { command: ["` + filepath.Join(dir, "act.sh") + `", "` + dir + `"], timeout: 60s, kill_grace: 100ms }
`
			if err := os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			in := startExisting(t, dir, false)
			type answer struct {
				status int
				body   string
				err    error
			}
			answered := make(chan answer, 1)
			go func() {
				resp, err := http.Post(in.pub+"/hooks/hook", "application/json", strings.NewReader(`{"n":1}`))
				if err != nil {
					answered <- answer{err: err}
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				answered <- answer{status: resp.StatusCode, body: string(b) + resp.Trailer.Get("X-Hookrunner-Run-State"), err: err}
			}()
			waitFor(t, "the action to start", 10*time.Second, func() bool {
				b, _ := os.ReadFile(filepath.Join(dir, "sh.pid"))
				return len(b) > 0
			})
			var pids []int
			for _, f := range []string{"sh.pid", "bg.pid"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				pids = append(pids, n)
			}
			t.Cleanup(func() {
				for _, p := range pids {
					if p > 0 && !gone(p) {
						syscall.Kill(p, syscall.SIGKILL)
					}
				}
			})

			t0 := time.Now()
			in.stop(t) // SIGTERM
			if took := time.Since(t0); took > 5*time.Second {
				t.Errorf("hookrunner took %s to stop with shutdown_grace 500ms", took.Round(time.Millisecond))
			}
			for _, p := range pids {
				if !gone(p) {
					t.Errorf("process %d of the sync action outlived hookrunner", p)
				}
			}
			a := <-answered
			// Answered, not dropped; a stream's trailer says the run's state.
			if a.err != nil || respond == "stream" && !strings.HasSuffix(a.body, "pending") {
				t.Errorf("the client was answered %d %q (%v)", a.status, a.body, a.err)
			}
			st, err := sqlite.Open(context.Background(), filepath.Join(dir, "hr.db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			runs, err := st.ListRuns(context.Background(), store.RunFilter{Rule: "slash"})
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs %v: %v", runs, err)
			}
			if r := runs[0]; r.State != store.Pending || r.Interrupted != 1 || r.Spent() != 0 {
				t.Errorf("the sync run is %s, interrupted %d, spent %d: %s", r.State, r.Interrupted, r.Spent(), r.LastError)
			}
		})
	}
}

// gone reports whether pid has exited (absent or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0] == "Z" || f[0] == "X"
}
