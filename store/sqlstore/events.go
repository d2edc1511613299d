package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Ingest implements store.Store.
func (s *Store) Ingest(ctx context.Context, ev *store.Event, runs []*store.Run, dedupeSince time.Time) (store.IngestResult, error) {
	res := store.IngestResult{EventID: ev.ID}
	args := eventArgs(ev) // encoded by the caller, not the writer
	err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		ins, queued, err := s.admit(ctx, tx, runs)
		if err != nil {
			return err
		}
		dup, existing, err := s.ingestTx(ctx, tx, ev, args, ins, dedupeSince)
		if err != nil {
			return err
		}
		res.Duplicate, res.EventID, res.Queued = dup, ev.ID, queued
		if dup {
			res.EventID, res.Queued = existing, nil
			return nil
		}
		return s.notify(ctx, tx, len(runs))
	})
	return res, err
}

// ingestTx stores one event (args are its eventArgs) and its runs unless
// its delivery id was seen since dedupeSince (then it returns the earlier
// event's id).
func (s *Store) ingestTx(ctx context.Context, tx *sql.Tx, ev *store.Event, args []any, runs []*store.Run, dedupeSince time.Time) (bool, string, error) {
	if s.d.Serialized {
		return s.ingestSerialized(ctx, tx, ev, args, runs, dedupeSince)
	}
	if ev.DeliveryID != "" {
		var got string
		err := s.queryRow(ctx, tx, s.q.insertDelivery, ev.Source, ev.DeliveryID, ev.ID, nanos(ev.ReceivedAt), nanos(dedupeSince)).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			var existing string
			if err := s.queryRow(ctx, tx, s.q.existingDelivery, ev.Source, ev.DeliveryID).Scan(&existing); err != nil {
				return false, "", fmt.Errorf("read duplicate delivery: %w", err)
			}
			return true, existing, nil
		}
		if err != nil {
			return false, "", fmt.Errorf("record delivery: %w", err)
		}
	}
	if _, err := s.exec(ctx, tx, s.q.insertEvent, args...); err != nil {
		return false, "", fmt.Errorf("insert event: %w", err)
	}
	needSeq(ctx, ev)
	if err := s.insertRuns(ctx, tx, runs); err != nil {
		return false, "", err
	}
	return false, "", nil
}

// ingestSerialized is ingestTx where write transactions never overlap
// (Dialect.Serialized): the event is its own delivery record. A read of
// the events' delivery index inside the write transaction decides
// duplicates as surely as a unique insert would, and the event is one
// insert, numbered as it is inserted: three statements and five B-tree
// writes fewer per event than a delivery record and a seq set at commit.
func (s *Store) ingestSerialized(ctx context.Context, tx *sql.Tx, ev *store.Event, args []any, runs []*store.Run, dedupeSince time.Time) (bool, string, error) {
	if ev.DeliveryID != "" && !s.filter.never(ev.Source, ev.DeliveryID) {
		existing, dup, err := s.seenTx(ctx, tx, ev.Source, ev.DeliveryID, dedupeSince)
		if err != nil {
			return false, "", fmt.Errorf("look up delivery: %w", err)
		}
		if dup {
			return true, existing, nil
		}
	}
	s.filter.add(ev.Source, ev.DeliveryID)
	seq, err := takeSeq(ctx, func() (int64, error) {
		var head int64
		err := s.queryRow(ctx, tx, s.q.headSeq).Scan(&head)
		return head, err
	})
	if err != nil {
		return false, "", fmt.Errorf("event sequence: %w", err)
	}
	if _, err := s.exec(ctx, tx, s.q.insertEventSeq, append(args, seq)...); err != nil {
		return false, "", fmt.Errorf("insert event: %w", err)
	}
	ev.Seq = seq
	if err := s.insertRuns(ctx, tx, runs); err != nil {
		return false, "", err
	}
	return false, "", nil
}

// seenTx is Seen inside a write transaction.
func (s *Store) seenTx(ctx context.Context, tx *sql.Tx, source, deliveryID string, since time.Time) (string, bool, error) {
	var id string
	err := s.queryRow(ctx, tx, s.q.seenDelivery, s.seenArgs(source, deliveryID, since)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return id, err == nil, err
}

// Seen implements store.Store: one primary-key lookup on the read pool,
// with a statement prepared once (each read connection prepares it on first
// use): parsing the SQL on every request cost as much as the lookup.
func (s *Store) Seen(ctx context.Context, source, deliveryID string, since time.Time) (string, bool, error) {
	if deliveryID == "" || s.filter.never(source, deliveryID) {
		return "", false, nil
	}
	var id string
	var row *sql.Row
	if s.seen != nil {
		row = s.seen.QueryRowContext(ctx, s.seenArgs(source, deliveryID, since)...)
	} else {
		row = s.read.QueryRowContext(ctx, s.q.seenDelivery, s.seenArgs(source, deliveryID, since)...)
	}
	err := row.Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("look up delivery %s/%s: %w", source, deliveryID, err)
	}
	return id, true, nil
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	e, err := scanEvent(s.read.QueryRowContext(ctx, s.q.getEvent, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
	}
	return e, err
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]*store.Event, error) {
	q, args := s.q.listEvents(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return scanAll(rows, scanEvent)
}

// Prune implements store.Store: batches of store.PruneBatch events (their
// attempts, runs, then themselves), each one short write transaction
// through the writer, so ingest interleaves with it; then the delivery
// records, batched the same way.
func (s *Store) Prune(ctx context.Context, olderThan, dedupeBefore time.Time) (int, error) {
	total := 0
	for {
		t := time.Now()
		n, full, err := s.pruneBatch(ctx, olderThan, dedupeBefore)
		total += n
		if err != nil {
			return total, err
		}
		if !full || n == 0 {
			break // the last batch, or every one of them busy again
		}
		if err := pause(ctx, time.Since(t)); err != nil {
			return total, err
		}
	}
	for {
		var n int64
		err := s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, s.q.pruneDeliveries, nanos(dedupeBefore), store.PruneBatch)
			if err != nil {
				return fmt.Errorf("prune deliveries: %w", err)
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		if n < store.PruneBatch {
			return total, nil
		}
		if err := pause(ctx, prunePause); err != nil {
			return total, err
		}
	}
}

// prunePause is the least rest between two prune batches: the writer
// serves the writes queued meanwhile (ingest) first. A batch that took
// longer is followed by a rest as long as it took, so pruning never holds
// the writer more than half the time, however loaded the machine.
const prunePause = 5 * time.Millisecond

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(max(d, prunePause))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pruneBatch deletes up to store.PruneBatch prunable events, oldest
// first; full reports a full batch (there may be more). An event deleted
// within the dedupe window (received at or after dedupeBefore) leaves its
// delivery record behind, so its delivery id stays a duplicate until the
// window ends (on a Dialect.Serialized store the event was the record).
func (s *Store) pruneBatch(ctx context.Context, olderThan, dedupeBefore time.Time) (int, bool, error) {
	rows, err := s.read.QueryContext(ctx, s.q.pruneIDs, nanos(olderThan), store.PruneBatch)
	if err != nil {
		return 0, false, fmt.Errorf("prune: select events: %w", err)
	}
	ids, err := scanAll(rows, func(sc scanner) (any, error) {
		var id string
		err := sc.Scan(&id)
		return id, err
	})
	if err != nil || len(ids) == 0 {
		return 0, false, err
	}
	var n int64
	err = s.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Runs and attempts go first (no reliance on foreign-key cascades,
		// which SQLite leaves off by default). The condition is checked
		// again in the transaction: a run replayed meanwhile keeps its event.
		kept, err := tx.QueryContext(ctx, s.q.rebind(`SELECT DISTINCT event_id FROM runs WHERE state NOT IN ('succeeded', 'replayed') AND event_id IN (`+marks(len(ids))+`)`), ids...)
		if err != nil {
			return fmt.Errorf("prune: recheck: %w", err)
		}
		busy, err := scanAll(kept, func(sc scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		})
		if err != nil {
			return fmt.Errorf("prune: recheck: %w", err)
		}
		del := without(ids, busy)
		if len(del) == 0 {
			return nil
		}
		keep := s.q.rebind(`INSERT INTO deliveries (` + deliveryCols + `) SELECT source, delivery_id, id, received_at FROM events
			WHERE delivery_id <> '' AND received_at >= ? AND id IN (` + marks(len(del)) + `)
			ON CONFLICT (source, delivery_id) DO UPDATE SET event_id = excluded.event_id, received_at = excluded.received_at
			WHERE deliveries.received_at < excluded.received_at`)
		if _, err := tx.ExecContext(ctx, keep, append([]any{nanos(dedupeBefore)}, del...)...); err != nil {
			return fmt.Errorf("prune: keep delivery records: %w", err)
		}
		runIDs := `SELECT id FROM runs WHERE event_id IN (` + marks(len(del)) + `)`
		if _, err := tx.ExecContext(ctx, s.q.rebind(`DELETE FROM attempts WHERE run_id IN (`+runIDs+`)`), del...); err != nil {
			return fmt.Errorf("prune attempts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.q.deleteIn("runs", "event_id", len(del)), del...); err != nil {
			return fmt.Errorf("prune runs: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.q.deleteIn("events", "id", len(del)), del...)
		if err != nil {
			return fmt.Errorf("prune events: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), len(ids) == store.PruneBatch, err
}

// without is ids less those in drop.
func without(ids []any, drop []string) []any {
	if len(drop) == 0 {
		return ids
	}
	gone := make(map[string]bool, len(drop))
	for _, d := range drop {
		gone[d] = true
	}
	out := ids[:0:0]
	for _, id := range ids {
		if !gone[id.(string)] {
			out = append(out, id)
		}
	}
	return out
}
