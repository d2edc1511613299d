package shell_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/actions"
)

// grandchild is a shell fragment that starts, under launcher, a process
// that writes its pid to "$0" and then sleeps (after trap, if any).
func grandchild(launcher, trap string) string {
	return launcher + ` sh -c '` + trap + `echo $$ > "$1.tmp"; mv "$1.tmp" "$1"; exec sleep 300' sh "$0"`
}

// waitPidFile is a shell fragment that waits until the grandchild wrote
// its pid.
const waitPidFile = "\n" + `while [ ! -s "$0" ]; do sleep 0.01; done`

// Every process of a run dies before Run returns, and before the run's
// process record is dropped, however it left the action's process group:
// coreutils timeout (setpgid), `set -m` job control, a double fork to
// init; at the command's exit, at timeout (SIGTERM, and SIGKILL after
// kill_grace for one that ignores it) and at cancellation.
func TestShellKillsProcessesThatLeftTheGroup(t *testing.T) {
	for _, tool := range []string{"timeout", "bash", "setsid"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	for _, tc := range []struct {
		name    string
		program string // sh unless set
		script  string
		timeout string
		cancel  bool // cancel the run once the grandchild runs
		wantErr string
	}{
		{name: "timeout's own group, command exits", script: grandchild("timeout 60", "") + " &" + waitPidFile + "; echo done"},
		{name: "set -m job, command exits", program: "bash", script: "set -m; " + grandchild("", "") + " &" + waitPidFile + "; echo done"},
		{name: "own group orphaned to init, command exits", script: "(" + grandchild("timeout 60", "") + " &)" + waitPidFile + "; echo done"},
		{name: "timeout's own group, at timeout", script: grandchild("timeout 60", "") + " &" + waitPidFile + "; wait", timeout: "2s", wantErr: "timed out"},
		{name: "ignores SIGTERM in its own group, at timeout", script: grandchild("timeout 60", `trap "" TERM; `) + " &" + waitPidFile + "; wait", timeout: "2s", wantErr: "timed out"},
		{name: "timeout's own group, at cancellation", script: grandchild("timeout 60", "") + " &" + waitPidFile + "; wait", cancel: true, wantErr: "cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "grandchild.pid")
			program := "/bin/sh"
			if tc.program != "" {
				program, _ = exec.LookPath(tc.program)
			}
			cfg := map[string]any{"command": []any{program, "-c", tc.script, pidFile}, "timeout": "10m", "kill_grace": "200ms"}
			if tc.timeout != "" {
				cfg["timeout"] = tc.timeout
			}
			a := build(t, "shell", cfg)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				// The run's own ctx: cancel it once the grandchild runs.
				in := make(chan struct{})
				defer close(in)
				go func() {
					for {
						select {
						case <-in:
							return
						default:
						}
						if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 {
							cancel()
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			grand := 0
			goneAtEnd := false
			in := inv(nil)
			in.Started = func(actions.ProcessGroup) func() {
				return func() {
					grand = readPid(t, pidFile)
					goneAtEnd = gone(grand)
				}
			}
			res, err := a.Run(ctx, in)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("run error = %v, want %q (%s)", err, tc.wantErr, res.Output)
			}
			if grand == 0 {
				t.Fatal("the run's process record was never dropped")
			}
			t.Cleanup(func() { syscall.Kill(grand, syscall.SIGKILL) })
			if !goneAtEnd {
				t.Fatalf("process %d outside the action's group was alive when its record was dropped", grand)
			}
			if !gone(grand) {
				t.Fatalf("process %d outside the action's group outlived the run", grand)
			}
		})
	}
}

// What is not the run's is left alone: a daemon it detached with setsid
// (another session), and the processes of another run in their own group,
// when this run ends.
func TestShellLeavesOtherProcessesAlone(t *testing.T) {
	for _, tool := range []string{"timeout", "setsid"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	t.Run("a daemon detached with setsid", func(t *testing.T) {
		pidFile := filepath.Join(t.TempDir(), "daemon.pid")
		a := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", grandchild("setsid", "") + " </dev/null >/dev/null 2>&1 &" + waitPidFile, pidFile}})
		if res, err := a.Run(context.Background(), inv(nil)); err != nil {
			t.Fatalf("run: %v (%s)", err, res.Output)
		}
		daemon := readPid(t, pidFile)
		t.Cleanup(func() { syscall.Kill(daemon, syscall.SIGKILL) })
		if gone(daemon) {
			t.Fatal("the setsid daemon was killed with the run")
		}
	})
	t.Run("another run's process in its own group", func(t *testing.T) {
		dir := t.TempDir()
		otherPid, ownPid := filepath.Join(dir, "other.pid"), filepath.Join(dir, "own.pid")
		other := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", grandchild("timeout 60", "") + " &" + waitPidFile + "; wait", otherPid}})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		otherDone := make(chan error, 1)
		go func() {
			_, err := other.Run(ctx, inv(nil))
			otherDone <- err
		}()
		otherGrand := readPid(t, otherPid)
		t.Cleanup(func() { syscall.Kill(otherGrand, syscall.SIGKILL) })

		own := build(t, "shell", map[string]any{"command": []any{"/bin/sh", "-c", grandchild("timeout 60", "") + " &" + waitPidFile, ownPid}})
		if res, err := own.Run(context.Background(), inv(nil)); err != nil {
			t.Fatalf("run: %v (%s)", err, res.Output)
		}
		if g := readPid(t, ownPid); !gone(g) {
			syscall.Kill(g, syscall.SIGKILL)
			t.Fatalf("this run's process %d outlived it", g)
		}
		if gone(otherGrand) {
			t.Fatal("the end of one run killed another run's process")
		}
		cancel()
		if err := <-otherDone; err == nil || !strings.Contains(err.Error(), "cancelled") {
			t.Fatalf("other run: %v", err)
		}
		if !gone(otherGrand) {
			t.Fatalf("the other run's process %d outlived its cancellation", otherGrand)
		}
	})
}
