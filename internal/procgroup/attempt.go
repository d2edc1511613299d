package procgroup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"syscall"
	"time"
)

// AttemptVar is the environment variable every process of one action run
// carries (its children inherit it): a random key, new for every run, by
// which Attempt finds the run's processes wherever they went. A process
// group is not enough: coreutils timeout, `set -m` jobs and anything that
// calls setpgid leave the group the action started, and survive its
// SIGKILL. HOOKRUNNER_OWNER (OwnerVar) is left as it was, so a restart of
// any version still finds the groups a crash left.
const AttemptVar = "HOOKRUNNER_ATTEMPT_KEY"

// Attempt is the processes one run of an action started: the group whose
// leader it started, and every process in hookrunner's session that
// carries its key. A daemon detached with setsid is in another session and
// is not one of them.
type Attempt struct {
	key    string
	leader int    // the leader's pid (its group id) once started; 0 before
	since  uint64 // the leader's start time: no process of the attempt is older
	forks  uint64 // the system's fork count before the leader started (0: unknown)
}

// NewAttempt returns an attempt with a fresh random key.
func NewAttempt() (*Attempt, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("attempt key: %w", err)
	}
	a := &Attempt{key: hex.EncodeToString(b[:])}
	a.forks, _ = forkCount()
	return a, nil
}

// Env is "HOOKRUNNER_ATTEMPT_KEY=<key>", for the command's environment.
func (a *Attempt) Env() string { return AttemptVar + "=" + a.key }

// Started records the process group of the command started with Env: its
// leader's pid.
func (a *Attempt) Started(pgid int) {
	a.leader = pgid
	if g, err := identify(pgid); err == nil {
		a.since = g.StartTicks
	}
}

// Signal sends sig once to the leader's group and to every process of the
// attempt found alive, by its group where the group is the attempt's
// alone (see targets), else by its pid. It reports how many live processes
// of the attempt it found (the leader's group's members and the processes
// carrying the key); an error means /proc could not be listed, and only
// the leader's group was signalled.
func (a *Attempt) Signal(sig syscall.Signal) (int, error) { return a.signal(sig) }

// Kill sends SIGKILL to every process of the attempt, again to those it
// finds still alive, until none is left or ctx ends; the error then names
// the survivors. Call it before reaping the leader, so the group id stays
// reserved.
func (a *Attempt) Kill(ctx context.Context) error {
	t := time.NewTicker(groupWaitTick)
	defer t.Stop()
	clear := false
	for {
		n, err := a.signal(syscall.SIGKILL)
		if err != nil {
			return fmt.Errorf("kill the action's processes: %w", err)
		}
		if n == 0 {
			// Twice in a row: a process that forked and exited while one
			// scan read /proc (its child past the pids read) is seen by
			// the next.
			if clear {
				return nil
			}
			clear = true
			continue
		}
		clear = false
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d process(es) of the action still alive after SIGKILL: %w", n, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// Wait waits until no process of the attempt is alive, or ctx ends; it
// reports whether none is.
func (a *Attempt) Wait(ctx context.Context) bool {
	t := time.NewTicker(groupWaitTick)
	defer t.Stop()
	for {
		n, err := a.count()
		if err != nil {
			return false
		}
		if n == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
}
