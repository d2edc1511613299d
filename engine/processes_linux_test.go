package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// startEngine runs an engine over st until the returned stop is called;
// stop returns once Run has returned.
func startEngine(t *testing.T, st store.Store, cfg string, grace time.Duration) (stop func()) {
	t.Helper()
	e := engine.New(build(t, []byte(cfg)), engine.Options{Store: st, RecoverOnStart: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.Run(ctx, engine.RunOptions{Workers: 4, PollInterval: 20 * time.Millisecond, Grace: grace})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("engine Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func addRun(t *testing.T, st store.Store, rule string) *store.Run {
	t.Helper()
	now := time.Now()
	ev := &store.Event{ID: store.NewID(), Source: "hook", Provider: "generic", Event: "e", Headers: map[string]string{"content-type": "application/json"},
		Body: []byte(`{}`), RemoteIP: "127.0.0.1", ReceivedAt: now, Verification: "none", Matched: []string{rule}}
	r := &store.Run{ID: store.NewID(), EventID: ev.ID, Rule: rule, State: store.Pending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	if _, err := st.Ingest(context.Background(), ev, []*store.Run{r}, now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFor polls cond (a read of state the code under test writes) until it
// holds; the bound is only reached when the behaviour is broken.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runState(t *testing.T, st store.Store, id string) (*store.Run, []*store.Attempt) {
	t.Helper()
	r, atts, err := st.GetRun(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r, atts
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// procGone reports whether pid has exited (absent or a zombie).
func procGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0] == "Z" || f[0] == "X"
}

// A run cut short by shutdown goes back to pending without spending an
// attempt (retry attempts: 1 would otherwise make it dead) and succeeds
// after the restart; a run that finishes within the grace period keeps its
// final state; the interrupted action's process group is gone when Run
// returns.
func TestShutdownInterruptsWithoutSpendingAttempt(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "slow.sh"), `d="$1"
if [ -e "$d/slow.ran" ]; then echo second; exit 0; fi
touch "$d/slow.ran"
echo $$ > "$d/slow.tmp" && mv "$d/slow.tmp" "$d/slow.pid"
exec sleep 120
`)
	writeScript(t, filepath.Join(dir, "quick.sh"), `d="$1"
echo $$ > "$d/quick.tmp" && mv "$d/quick.tmp" "$d/quick.pid"
while [ ! -e "$d/release" ]; do sleep 0.02; done
echo finished
`)
	cfg := fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: slow
    source: hook
    retry: { attempts: 1 }
    actions:
      - shell: { command: [%[1]q, %[2]q], kill_grace: 200ms }
  - name: quick
    source: hook
    retry: { attempts: 1 }
    actions:
      - shell: { command: [%[3]q, %[2]q] }
`, filepath.Join(dir, "slow.sh"), dir, filepath.Join(dir, "quick.sh"))
	st := openStore(t, filepath.Join(dir, "hr.db"))
	defer st.Close()
	slow, quick := addRun(t, st, "slow"), addRun(t, st, "quick")
	stop := startEngine(t, st, cfg, 2*time.Second)
	waitFor(t, "both actions to start", func() bool {
		return readFile(filepath.Join(dir, "slow.pid")) != "" && readFile(filepath.Join(dir, "quick.pid")) != ""
	})
	slowPid, _ := strconv.Atoi(readFile(filepath.Join(dir, "slow.pid")))
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	// Shutdown has begun (the engine no longer claims); the quick action
	// now finishes within the grace period.
	os.WriteFile(filepath.Join(dir, "release"), nil, 0o600)
	<-stopped
	if !procGone(slowPid) {
		syscall.Kill(slowPid, syscall.SIGKILL)
		t.Fatal("the interrupted action outlived the engine's Run")
	}

	r, atts := runState(t, st, quick.ID)
	if r.State != store.Succeeded {
		t.Fatalf("run finished within grace is %s: %s", r.State, r.LastError)
	}
	r, atts = runState(t, st, slow.ID)
	if r.State != store.Pending || r.Attempt != 1 || r.Interrupted != 1 || r.Spent() != 0 {
		t.Fatalf("interrupted run = state %s attempt %d interrupted %d: %s", r.State, r.Attempt, r.Interrupted, r.LastError)
	}
	if len(atts) != 1 || !atts[0].Interrupted || !strings.Contains(atts[0].Error, "interrupted by shutdown") {
		t.Fatalf("attempts = %+v", atts)
	}
	if ps, _ := st.Processes(context.Background()); len(ps) != 0 {
		t.Fatalf("process records left after a clean stop: %+v", ps)
	}

	// The next start runs it again, with its one attempt still to spend.
	startEngine(t, st, cfg, 2*time.Second)
	waitFor(t, "the interrupted run to succeed", func() bool {
		r, _ := runState(t, st, slow.ID)
		return r.State.Terminal()
	})
	r, _ = runState(t, st, slow.ID)
	if r.State != store.Succeeded || r.Attempt != 2 || r.Spent() != 1 {
		t.Fatalf("after restart: state %s attempt %d spent %d: %s", r.State, r.Attempt, r.Spent(), r.LastError)
	}
}

// startGroup starts script as the leader of its own process group, as a
// crashed hookrunner would have left an action.
func startGroup(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	return cmd
}

// At start, a process group recorded for a run by a hookrunner that died
// is killed (leader and background child) before the run executes again;
// a record whose pid now belongs to another process is not killed.
func TestStartKillsLeftoverProcessGroup(t *testing.T) {
	dir := t.TempDir()
	childFile := filepath.Join(dir, "child.pid")
	left := startGroup(t, `sleep 120 & echo $! > "$0.tmp" && mv "$0.tmp" "$0"; exec sleep 120`, childFile)
	waitFor(t, "the leftover group's child", func() bool { return readFile(childFile) != "" })
	child, _ := strconv.Atoi(readFile(childFile))
	innocent := startGroup(t, `exec sleep 120`)

	writeScript(t, filepath.Join(dir, "check.sh"), `# $1: pid that must be dead by now, $2: where to say so
if [ -e /proc/$1 ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status; then s=alive; else s=dead; fi
echo $s > "$2.tmp" && mv "$2.tmp" "$2"
`)
	out := filepath.Join(dir, "seen")
	cfg := fmt.Sprintf(`
sources:
  hook: { provider: generic, verify: none }
rules:
  - name: deploy
    source: hook
    concurrency: 1
    actions:
      - shell: { command: [%q, %q, %q] }
`, filepath.Join(dir, "check.sh"), strconv.Itoa(child), out)

	st := openStore(t, filepath.Join(dir, "hr.db"))
	defer st.Close()
	ctx := context.Background()
	r := addRun(t, st, "deploy")
	// The crashed process had claimed the run and recorded its group.
	if got, err := st.Claim(ctx, store.ClaimOptions{Owner: "crashed", Limit: 1, Lease: time.Hour, Now: time.Now()}); err != nil || len(got) != 1 {
		t.Fatalf("claim: %v %v", got, err)
	}
	host, _ := os.Hostname()
	record := func(runID string, cmd *exec.Cmd, alter func(*actions.ProcessGroup)) {
		pg, err := actions.IdentifyProcess(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		alter(&pg)
		// OwnerPID is this test process with another start time: a dead
		// hookrunner whose pid was reused.
		if err := st.RecordProcess(ctx, store.Process{RunID: runID, PGID: pg.PGID, StartTicks: pg.StartTicks, BootID: pg.BootID, Host: host,
			Owner: "crashed", OwnerPID: os.Getpid(), OwnerStartTicks: 1, StartedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	record(r.ID, left, func(*actions.ProcessGroup) {})
	record("other-run", innocent, func(pg *actions.ProcessGroup) { pg.StartTicks-- })

	startEngine(t, st, cfg, time.Second)
	waitFor(t, "the run to execute again", func() bool { return readFile(out) != "" })
	if got := readFile(out); got != "dead" {
		t.Fatalf("the run executed while the first copy's group was %s", got)
	}
	if !procGone(left.Process.Pid) || !procGone(child) {
		t.Fatal("leftover group not killed")
	}
	if procGone(innocent.Process.Pid) {
		t.Fatal("a process whose start time did not match the record was killed")
	}
	waitFor(t, "the run to succeed", func() bool { r, _ := runState(t, st, r.ID); return r.State == store.Succeeded })
	waitFor(t, "the records to be cleared", func() bool { ps, _ := st.Processes(ctx); return len(ps) == 0 })
}
