package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/store"
)

// errShutdown is the cancel cause of runs cut short by Run's drain: their
// attempt is recorded as interrupted, not failed.
var errShutdown = errors.New("hookrunner is shutting down")

// processStarted records each process group an action of run starts, and
// once the group is gone hands its record to gone, which the run's Finish
// deletes in its own transaction (one write less a process); so that after
// a crash the next start can kill what was left running (killLeftovers).
// A record a crash leaves behind for a group already gone is forgotten at
// the next start, which finds the group dead.
func (e *Engine) processStarted(run *store.Run, log *slog.Logger, gone *goneProcesses) actions.ProcessStarted {
	return func(pg actions.ProcessGroup) func() {
		if !pg.Identified() {
			return nil // no identity a restart could verify (not Linux)
		}
		p := store.Process{RunID: run.ID, PGID: pg.PGID, StartTicks: pg.StartTicks, BootID: pg.BootID, Host: e.host,
			Owner: e.owner, OwnerPID: e.self.PGID, OwnerStartTicks: e.self.StartTicks, StartedAt: e.now()}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.st.RecordProcess(ctx, p); err != nil {
			log.Error("record action process group: a crash now would leave it running", "pgid", pg.PGID, "error", err)
			return nil
		}
		return func() { gone.add(p) }
	}
}

// goneProcesses are the recorded process groups of an attempt that are
// gone, to be forgotten with its outcome.
type goneProcesses struct {
	mu sync.Mutex
	ps []store.Process
}

func (g *goneProcesses) add(p store.Process) {
	g.mu.Lock()
	g.ps = append(g.ps, p)
	g.mu.Unlock()
}

func (g *goneProcesses) take() []store.Process {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps := g.ps
	g.ps = nil
	return ps
}

// forget deletes the records of ps on their own, when the outcome that
// carried them was not written.
func (e *Engine) forget(ps []store.Process, log *slog.Logger) {
	for _, p := range ps {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := e.st.ForgetProcess(ctx, p); err != nil {
			log.Warn("forget finished action process group", "pgid", p.PGID, "error", err)
		}
		cancel()
	}
}

// killLeftovers kills the process groups that actions of an earlier
// hookrunner on this host left running when it died (kill -9, OOM), waits
// until they are gone and forgets them; Run calls it before any run can be
// claimed, so a run is never retried while its first copy still runs.
//
// Only what can be proven is killed: a group recorded on this host, in
// this boot, whose recording hookrunner is dead, and whose leader (or
// remaining members) match the recorded start time, so a recycled pid is
// never signalled. Groups of a live hookrunner on the same host (another
// replica) are left alone. A group recorded on another host cannot be
// checked from here: with a shared store (PostgreSQL) it is left for that
// host's next start; with a single-process store (SQLite) it is forgotten
// with a warning.
func (e *Engine) killLeftovers(ctx context.Context) error {
	ps, err := e.st.Processes(ctx)
	if err != nil {
		return fmt.Errorf("list recorded action processes: %w", err)
	}
	for _, p := range ps {
		log := e.log.With("run_id", p.RunID, "pgid", p.PGID, "host", p.Host, "owner", p.Owner)
		pg := actions.ProcessGroup{PGID: p.PGID, StartTicks: p.StartTicks, BootID: p.BootID}
		owner := actions.ProcessGroup{PGID: p.OwnerPID, StartTicks: p.OwnerStartTicks, BootID: p.BootID}
		switch {
		case p.Host != e.host:
			if !e.recover {
				continue
			}
			log.Warn("forgetting an action process recorded on another host: it cannot be checked from here")
		case p.BootID != e.self.BootID:
			// The machine rebooted since: the group died with it.
		case owner == e.self:
			continue // ours (Run called again in this process)
		case actions.ProcessAlive(owner):
			continue // another hookrunner on this host runs it
		default:
			kctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			killed, err := actions.KillStaleGroup(kctx, pg)
			cancel()
			if err != nil {
				log.Error("kill action process group left by the last stop; its run may start a second copy", "error", err)
				continue
			}
			if killed {
				log.Warn("killed an action process group left running by the last stop")
			}
		}
		if err := e.st.ForgetProcess(ctx, p); err != nil {
			return fmt.Errorf("forget action process group %d: %w", p.PGID, err)
		}
	}
	// A group a crash left unrecorded is found by its HOOKRUNNER_OWNER.
	actions.KillOrphanGroups(ctx, e.self, e.log)
	return nil
}
