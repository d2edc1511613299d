//go:build unix && !linux

package procgroup

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

func identify(pid int) (Group, error) {
	return Group{PGID: pid}, errors.New("process identity needs Linux /proc")
}

func processAlive(Group) bool { return false }

func killStaleGroup(context.Context, Group) (bool, error) { return false, nil }

func ownerEnv() string { return "" }

func killOrphans(context.Context, Group) (int, error) { return 0, nil }

// Start starts cmd as the leader of a new process group.
func Start(cmd *exec.Cmd, cred *Cred) (func(), error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// WaitExited cannot wait without reaping here; the caller then kills the
// rest of the group after reaping the leader.
func WaitExited(int) bool { return false }

// Kill sends sig to every process of the group pgid.
func Kill(pgid int, sig syscall.Signal) { _ = syscall.Kill(-pgid, sig) }

// CanWaitExited reports whether WaitExited can wait for the leader without
// reaping it.
const CanWaitExited = false
