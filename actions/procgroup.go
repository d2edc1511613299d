package actions

import (
	"context"
	"time"
)

// ProcessGroup identifies the process group of a started command beyond
// the life of hookrunner: the group id (the leader's pid) alone is not
// enough, because pids are recycled. StartTicks is the leader's start time
// (field 22 of /proc/<pid>/stat, clock ticks since boot) and BootID the
// kernel's boot id, so a record made before a reboot or for a pid that has
// since been reused never matches a live process.
type ProcessGroup struct {
	PGID       int
	StartTicks uint64
	BootID     string
}

// Identified reports whether pg carries a verifiable identity (Linux);
// without one a restart never kills the group.
func (pg ProcessGroup) Identified() bool { return pg.PGID > 0 && pg.StartTicks > 0 && pg.BootID != "" }

// ProcessStarted is called by an action once its process group exists,
// before the action waits for it. The returned function, when not nil, is
// called once the whole group is gone (exited or killed).
type ProcessStarted func(pg ProcessGroup) (ended func())

// Self is the identity of this hookrunner process (its pid as PGID), so a
// restart can tell whether the process that recorded a group still lives.
func Self() ProcessGroup {
	pg, _ := identify(osGetpid())
	return pg
}

// IdentifyProcess returns the identity of process pid as the leader of
// its group; on systems without /proc it carries no start time.
func IdentifyProcess(pid int) (ProcessGroup, error) { return identify(pid) }

// ProcessAlive reports whether the process pid is running and is the same
// process as recorded (same start time, same boot). Zombies count as dead.
func ProcessAlive(pg ProcessGroup) bool { return processAlive(pg) }

// KillStaleGroup kills the process group pg left behind by an earlier
// hookrunner (one that was killed with its actions still running) and
// waits until no member is alive. It kills only when it can prove the
// group is the one recorded: same boot, and either the leader is alive
// with the recorded start time, or the leader is gone and every remaining
// member started after it (a group id cannot be reused while the group
// has members). A recycled pid is never signalled. It reports whether
// anything was killed.
func KillStaleGroup(ctx context.Context, pg ProcessGroup) (bool, error) {
	return killStaleGroup(ctx, pg)
}

// groupWaitTick is how often a wait for a killed group polls /proc.
const groupWaitTick = 10 * time.Millisecond
