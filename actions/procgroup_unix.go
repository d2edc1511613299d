//go:build unix && !linux

package actions

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Outside Linux there is no /proc start time or boot id to tell a live
// group from a recycled pid, and no parent-death signal: groups get no
// identity, so a restart never kills anything it cannot prove is its own.

var osGetpid = os.Getpid

func identify(pid int) (ProcessGroup, error) {
	return ProcessGroup{PGID: pid}, errors.New("process identity needs Linux /proc")
}

func processAlive(ProcessGroup) bool { return false }

func killStaleGroup(context.Context, ProcessGroup) (bool, error) { return false, nil }

func startGroup(cmd *exec.Cmd, cred *procCred) (func(), error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// waitExited cannot wait without reaping here; the caller then kills the
// rest of the group after reaping the leader.
func waitExited(int) bool { return false }

func killGroup(pgid int, sig syscall.Signal) { _ = syscall.Kill(-pgid, sig) }

const canWaitExited = false
