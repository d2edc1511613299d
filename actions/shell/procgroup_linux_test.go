package shell_test

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
)

// gone reports whether pid no longer runs (absent, or a zombie nobody has
// reaped yet: it holds nothing and runs nothing).
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0] == "Z" || f[0] == "X"
}

// waitGone waits until pid is gone, failing after a bound that only a
// process nobody killed can reach.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d is still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFile waits until path holds a line and returns it.
func waitFile(t *testing.T, path string, alive func() bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) || (alive != nil && !alive()) {
			t.Fatalf("%s was never written", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	pid, err := strconv.Atoi(waitFile(t, path, nil))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// The run ends when the command exits, not when the last process holding
// its output pipes does: what it left in the background is killed and the
// command's own exit status is the result.
func TestShellEndsWhenCommandExits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		code   int
	}{
		{"background child holds the pipes", `sleep 120 & echo $! > "$0"; echo done`, 0},
		{"background child ignores SIGTERM", `(trap '' TERM; exec sleep 120) & echo $! > "$0"; echo done`, 0},
		{"background child detached from the pipes", `sleep 120 >/dev/null 2>&1 </dev/null & echo $! > "$0"; echo done`, 0},
		{"exit status is the command's", `sleep 120 & echo $! > "$0"; echo done; exit 3`, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "bg.pid")
			// A timeout far beyond the test's own bound: reaching it would
			// be reported as an error below.
			a := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", tc.script, pidFile}, "timeout": "10m"})
			var pg actions.ProcessGroup
			ended := false
			in := inv(nil)
			in.Started = func(p actions.ProcessGroup) func() {
				pg = p
				return func() { ended = true }
			}
			res, err := a.Run(context.Background(), in)
			if tc.code == 0 && err != nil {
				t.Fatalf("run failed: %v (%s)", err, res.Output)
			}
			if tc.code != 0 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("exit status %d", tc.code))) {
				t.Fatalf("run error = %v, want exit status %d", err, tc.code)
			}
			if res.ExitCode == nil || *res.ExitCode != tc.code || !strings.Contains(res.Output, "done") {
				t.Fatalf("exit code %v, output %q", res.ExitCode, res.Output)
			}
			if !pg.Identified() || !ended {
				t.Fatalf("Started/ended not reported: %+v ended=%v", pg, ended)
			}
			waitGone(t, readPid(t, pidFile))
		})
	}
}

// The command's process group dies when hookrunner is killed with SIGKILL:
// a helper process (this test binary) runs a shell action and is killed.
func TestShellDiesWithHookrunner(t *testing.T) {
	if os.Getenv("HOOKRUNNER_HELPER_PDEATHSIG") != "" {
		return // the helper runs TestHelperRunsShell
	}
	dir := t.TempDir()
	pgFile := filepath.Join(dir, "pgid")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunsShell$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HOOKRUNNER_HELPER_PDEATHSIG="+pgFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	alive := func() bool {
		select {
		case <-exited:
			return false
		default:
			return true
		}
	}
	pgid, err := strconv.Atoi(waitFile(t, pgFile, alive))
	if err != nil || gone(pgid) {
		t.Fatalf("helper reported %d (%v)", pgid, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	waitGone(t, pgid)
}

func TestHelperRunsShell(t *testing.T) {
	pgFile := os.Getenv("HOOKRUNNER_HELPER_PDEATHSIG")
	if pgFile == "" {
		t.Skip("helper process for TestShellDiesWithHookrunner")
	}
	a := build(t, "shell", map[string]any{"command": []any{"sleep", "120"}})
	in := inv(nil)
	in.Started = func(p actions.ProcessGroup) func() {
		os.WriteFile(pgFile+".tmp", []byte(strconv.Itoa(p.PGID)+"\n"), 0o600)
		os.Rename(pgFile+".tmp", pgFile)
		return nil
	}
	a.Run(context.Background(), in)
}

// startGroup starts script as the leader of its own process group.
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

func TestKillStaleGroup(t *testing.T) {
	ctx := context.Background()
	t.Run("live leader and child are killed", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "child")
		cmd := startGroup(t, `sleep 120 & echo $! > "$0"; wait`, pidFile)
		child := readPid(t, pidFile)
		pg, err := actions.IdentifyProcess(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		reaped := make(chan struct{})
		go func() { cmd.Wait(); close(reaped) }()
		killed, err := actions.KillStaleGroup(ctx, pg)
		if !killed || err != nil {
			t.Fatalf("KillStaleGroup = %v, %v", killed, err)
		}
		if !gone(child) {
			t.Fatal("KillStaleGroup returned while the child was alive")
		}
		<-reaped
	})
	t.Run("leader gone, child left in the group is killed", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "child")
		cmd := startGroup(t, `sleep 120 >/dev/null 2>&1 & echo $! > "$0"`, pidFile)
		pg, err := actions.IdentifyProcess(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		child := readPid(t, pidFile)
		cmd.Wait() // the leader exits and is reaped
		if gone(child) {
			t.Fatal("child died with its leader")
		}
		killed, err := actions.KillStaleGroup(ctx, pg)
		if !killed || err != nil || !gone(child) {
			t.Fatalf("KillStaleGroup = %v, %v; child gone: %v", killed, err, gone(child))
		}
	})
	for _, tc := range []struct {
		name  string
		alter func(*actions.ProcessGroup)
	}{
		{"recycled pid (other start time) is not killed", func(pg *actions.ProcessGroup) { pg.StartTicks-- }},
		{"record from another boot is not killed", func(pg *actions.ProcessGroup) { pg.BootID = "00000000-0000-0000-0000-000000000000" }},
		{"record without identity is not killed", func(pg *actions.ProcessGroup) { pg.StartTicks = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := startGroup(t, `exec sleep 120`)
			pg, err := actions.IdentifyProcess(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if !actions.ProcessAlive(pg) {
				t.Fatal("ProcessAlive false for a live process")
			}
			tc.alter(&pg)
			killed, err := actions.KillStaleGroup(ctx, pg)
			if killed || err != nil || actions.ProcessAlive(pg) {
				t.Fatalf("KillStaleGroup = %v, %v", killed, err)
			}
			if gone(cmd.Process.Pid) {
				t.Fatal("an unrelated process was killed")
			}
		})
	}
}
