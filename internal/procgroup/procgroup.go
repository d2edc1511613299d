// Package procgroup starts commands in their own process group and tells,
// beyond the life of hookrunner, whether a recorded group is still the one
// it started (so a restart can kill what a crash left behind), and finds the
// processes of one action run by the key they carry (Attempt), wherever
// they went, so none outlives its run. It is shared
// by the shell action (which starts groups) and the engine (which kills
// stale ones); it imports nothing of the project.
package procgroup

import (
	"context"
	"time"
)

// Group identifies the process group of a started command beyond the life
// of hookrunner: the group id (the leader's pid) alone is not enough,
// because pids are recycled. StartTicks is the leader's start time (field
// 22 of /proc/<pid>/stat, clock ticks since boot) and BootID the kernel's
// boot id, so a record made before a reboot or for a pid that has since
// been reused never matches a live process.
type Group struct {
	PGID       int
	StartTicks uint64
	BootID     string
}

// Identified reports whether pg carries a verifiable identity (Linux);
// without one a restart never kills the group.
func (pg Group) Identified() bool { return pg.PGID > 0 && pg.StartTicks > 0 && pg.BootID != "" }

// Self is the identity of this hookrunner process (its pid as PGID), so a
// restart can tell whether the process that recorded a group still lives.
func Self() Group {
	pg, _ := identify(osGetpid())
	return pg
}

// Identify returns the identity of process pid as the leader of its group;
// on systems without /proc it carries no start time.
func Identify(pid int) (Group, error) { return identify(pid) }

// Alive reports whether the process pid is running and is the same process
// as recorded (same start time, same boot). Zombies count as dead.
func Alive(pg Group) bool { return processAlive(pg) }

// KillStale kills the process group pg left behind by an earlier
// hookrunner (one that was killed with its actions still running) and
// waits until no member is alive. It kills only when it can prove the
// group is the one recorded: same boot, and either the leader is alive
// with the recorded start time, or the leader is gone and every remaining
// member started after it (a group id cannot be reused while the group
// has members). A recycled pid is never signalled. It reports whether
// anything was killed.
func KillStale(ctx context.Context, pg Group) (bool, error) { return killStaleGroup(ctx, pg) }

// OwnerVar is the environment variable every command Start starts carries
// (and its children inherit): the identity of the hookrunner that started
// it. A group's record is written just after its start; should hookrunner
// die between the two (kill -9), the record is missing, and the variable
// is how the next start still finds the group (KillOrphans).
const OwnerVar = "HOOKRUNNER_OWNER"

// OwnerEnv is "HOOKRUNNER_OWNER=<boot id>:<pid>:<start ticks>:<session
// id>:<working directory hash>" for this process, or "" where it has no
// verifiable identity.
func OwnerEnv() string { return ownerEnv() }

// KillOrphans kills, and waits out, the process groups whose members carry
// the OwnerEnv of a hookrunner that is dead (not self, this boot, the same
// working directory), started in that hookrunner's session: the groups its actions left running, their
// records written or not. A process an action detached with setsid (a
// daemon it started on purpose, which outlives its run by design) is in
// another session and is left alone, as is a group whose leader is alive
// without the variable. It returns how many groups it killed.
func KillOrphans(ctx context.Context, self Group) (int, error) { return killOrphans(ctx, self) }

// groupWaitTick is how often a wait for a killed group polls /proc.
const groupWaitTick = 10 * time.Millisecond
