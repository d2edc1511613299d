package actions

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

// procCred is the account a command runs as (Unix only).
type procCred struct{}

func credential(userName, groupName string) (*procCred, string, error) {
	return nil, "", errors.New("user/group: not supported on Windows")
}

func identify(pid int) (ProcessGroup, error) {
	return ProcessGroup{PGID: pid}, errors.New("process identity needs Linux /proc")
}

func processAlive(ProcessGroup) bool { return false }

func killStaleGroup(context.Context, ProcessGroup) (bool, error) { return false, nil }

func startGroup(cmd *exec.Cmd, _ *procCred) (func(), error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}

func waitExited(int) bool { return false }

// killGroup has no group to signal on Windows; Run kills the main process.
func killGroup(int, syscall.Signal) {}

const canWaitExited = false
