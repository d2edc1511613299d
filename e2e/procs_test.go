package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/store/sqlite"
)

// liveGroupMembers lists the pids of live (not zombie) processes in
// process group pgid.
func liveGroupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			out = append(out, pid)
		}
	}
	return out
}

// recorded reports whether the store file db holds the record of process
// group pgid (read-only, beside the running hookrunner).
func recorded(t *testing.T, db string, pgid int) bool {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM processes WHERE pgid = ?`, pgid).Scan(&n); err != nil {
		return false // not created yet, or busy: ask again
	}
	return n > 0
}

// TestKill9LeavesNoActionRunning kills hookrunner with SIGKILL while a long
// action (a shell that left a child in the background) runs under
// `concurrency: 1`. The action's leader dies with hookrunner (Pdeathsig);
// the next start kills the rest of its group before the run is retried, so
// the retry never overlaps the first copy (the action holds a flock and
// records any overlap), and no process of the group is left. It does so
// from the group's record and, where the crash came before the record was
// written (the record deleted here), from the HOOKRUNNER_OWNER its
// processes carry.
func TestKill9LeavesNoActionRunning(t *testing.T) {
	for _, c := range []struct {
		name       string
		loseRecord bool
	}{{"recorded", false}, {"record lost", true}} {
		t.Run(c.name, func(t *testing.T) { kill9LeavesNoActionRunning(t, c.loseRecord) })
	}
}

func kill9LeavesNoActionRunning(t *testing.T, loseRecord bool) {
	dir := t.TempDir()
	addr := freePort(t)
	script := filepath.Join(dir, "deploy.sh")
	os.WriteFile(script, []byte(`#!/bin/sh
D="$(dirname "$0")"
exec 9>>"$D/lock"
if ! flock -n 9; then echo "$HOOKRUNNER_RUN_ID" >> "$D/overlaps"; exit 1; fi
echo "$HOOKRUNNER_RUN_ID $HOOKRUNNER_ATTEMPT $$" >> "$D/started"
if [ ! -e "$D/killed" ]; then sleep 300 & wait; fi
`), 0o755)
	cfg := fmt.Sprintf(`
server: { listen: %q, shutdown_grace: 1s }
admin: { listen: %q }
store: { dsn: hr.db }
runner: { poll_interval: 50ms }
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: deploy
    source: hook
    concurrency: 1
    retry: { attempts: 3, backoff: 100ms }
    actions:
      - shell: { command: [%q] }
`, addr, freePort(t), script)
	os.WriteFile(filepath.Join(dir, "hooks.yaml"), []byte(cfg), 0o600)
	p := startProc(t, dir, "hooks.yaml", addr)
	for i := 0; i < 2; i++ {
		resp, err := http.Post("http://"+addr+"/hooks/hook", "application/json", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("post: %v", err)
		}
		drain(resp)
	}
	started := filepath.Join(dir, "started")
	waitUntil(t, "the action to start", 20*time.Second, func() bool { return len(readLines(started)) > 0 })
	f := strings.Fields(readLines(started)[0])
	pgid, _ := strconv.Atoi(f[2])
	defer syscall.Kill(-pgid, syscall.SIGKILL) // whatever happens, leave nothing behind
	waitUntil(t, "the shell and its background sleep in the group", 10*time.Second, func() bool { return len(liveGroupMembers(pgid)) >= 2 })
	db := filepath.Join(dir, "hr.db")
	waitUntil(t, "the group's record", 10*time.Second, func() bool { return recorded(t, db, pgid) })

	p.kill()
	os.WriteFile(filepath.Join(dir, "killed"), nil, 0o600)
	if loseRecord {
		// As if hookrunner had died between the start and the record.
		st, err := sqlite.Open(context.Background(), db, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := st.Processes(context.Background())
		for _, pr := range ps {
			if err == nil {
				err = st.ForgetProcess(context.Background(), pr)
			}
		}
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil || len(ps) == 0 {
			t.Fatalf("deleting the records (%d): %v", len(ps), err)
		}
	}
	// The leader (the shell, hookrunner's child) dies with hookrunner.
	waitUntil(t, "the action's leader to die with hookrunner (parent-death signal)", 10*time.Second, func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pgid) + "/stat")
		return err != nil || strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+1:])[0] == "Z"
	})

	p = startProc(t, dir, "hooks.yaml", addr)
	defer p.term(t)
	waitUntil(t, "both runs to succeed after the restart", 60*time.Second, func() bool {
		out, _ := runCLI(t, dir, "runs", "--config", "hooks.yaml", "--state", "succeeded")
		return strings.Count(out, "deploy") == 2
	})
	if o := readLines(filepath.Join(dir, "overlaps")); len(o) > 0 {
		t.Fatalf("two copies ran at once across the restart (runs %v):\n%s", o, p.logs)
	}
	if m := liveGroupMembers(pgid); len(m) > 0 {
		t.Fatalf("processes %v of the killed action's group are still alive", m)
	}
	if !strings.Contains(p.logs.String(), "killed an action process group left running") {
		t.Errorf("the restart did not report killing the leftover group:\n%s", p.logs)
	}
	if n := len(readLines(started)); n != 3 {
		t.Errorf("started %d times, want 3 (two runs, one retried once):\n%s", n, strings.Join(readLines(started), "\n"))
	}
}
