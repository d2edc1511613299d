package actions

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookrunner/hookrunner/internal/procgroup"
)

// ProcessGroup identifies the process group of a started command beyond
// the life of hookrunner (see procgroup.Group).
type ProcessGroup = procgroup.Group

// ProcessStarted is called by an action once its process group exists,
// before the action waits for it. The returned function, when not nil, is
// called once the whole group is gone (exited or killed).
type ProcessStarted func(pg ProcessGroup) (ended func())

// Self is the identity of this hookrunner process (procgroup.Self).
func Self() ProcessGroup { return procgroup.Self() }

// IdentifyProcess returns the identity of process pid as the leader of its
// group (procgroup.Identify).
func IdentifyProcess(pid int) (ProcessGroup, error) { return procgroup.Identify(pid) }

// ProcessAlive reports whether the recorded process still runs
// (procgroup.Alive).
func ProcessAlive(pg ProcessGroup) bool { return procgroup.Alive(pg) }

// KillStaleGroup kills a process group an earlier hookrunner left behind,
// only when it can prove it is the one recorded (procgroup.KillStale).
func KillStaleGroup(ctx context.Context, pg ProcessGroup) (bool, error) {
	return procgroup.KillStale(ctx, pg)
}

// KillOrphanGroups kills the process groups a dead hookrunner's actions
// left running, found by the variable they carry rather than by a record
// (procgroup.KillOrphans), waiting at most 30s for them to be gone, and
// logs what it killed or could not.
func KillOrphanGroups(ctx context.Context, self ProcessGroup, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := procgroup.KillOrphans(ctx, self)
	if err != nil {
		log.Error("kill action process groups a dead hookrunner left running; their runs may start a second copy", "error", err)
	}
	if n > 0 {
		log.Warn("killed an action process group left running by the last stop, found by its HOOKRUNNER_OWNER", "groups", n)
	}
}
