package procgroup

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Windows has no process groups in the Unix sense: the shell action kills
// only the process it started. hookrunner is built for Linux; this keeps
// the package compiling elsewhere.

var osGetpid = os.Getpid

// Cred is the account a command runs as (Unix only).
type Cred struct{}

func identify(pid int) (Group, error) {
	return Group{PGID: pid}, errors.New("process identity needs Linux /proc")
}

func processAlive(Group) bool { return false }

func killStaleGroup(context.Context, Group) (bool, error) { return false, nil }

func ownerEnv() string { return "" }

func killOrphans(context.Context, Group) (int, error) { return 0, nil }

// Start starts cmd (without a group of its own on Windows).
func Start(cmd *exec.Cmd, _ *Cred) (func(), error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}

// WaitExited cannot wait without reaping here.
func WaitExited(int) bool { return false }

// Kill has no group to signal on Windows; Run kills the main process.
func Kill(int, syscall.Signal) {}

// CanWaitExited reports whether WaitExited can wait for the leader without
// reaping it.
const CanWaitExited = false
