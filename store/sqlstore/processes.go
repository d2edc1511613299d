package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookrunner/hookrunner/store"
)

// RecordProcess implements store.Store. Relaxed like other run-state
// changes: in WAL mode it survives a process crash, the case it is for.
func (s *Store) RecordProcess(ctx context.Context, p store.Process) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, s.q.recordProcess, processArgs(p)...); err != nil {
			return fmt.Errorf("record process group %d of run %s: %w", p.PGID, p.RunID, err)
		}
		return nil
	})
}

// ForgetProcess implements store.Store.
func (s *Store) ForgetProcess(ctx context.Context, p store.Process) error {
	return s.doRelaxed(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, s.q.forgetProcess, p.BootID, p.PGID, int64(p.StartTicks)); err != nil {
			return fmt.Errorf("forget process group %d of run %s: %w", p.PGID, p.RunID, err)
		}
		return nil
	})
}

// Processes implements store.Store.
func (s *Store) Processes(ctx context.Context) ([]store.Process, error) {
	rows, err := s.read.QueryContext(ctx, s.q.processes)
	if err != nil {
		return nil, fmt.Errorf("list process groups: %w", err)
	}
	out, err := scanAll(rows, scanProcess)
	if err != nil {
		return nil, fmt.Errorf("list process groups: %w", err)
	}
	return out, nil
}
