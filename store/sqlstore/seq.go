package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// The event sequence (events.seq, listen's cursor). Events are inserted
// without a seq; the last thing a writing transaction does before it
// commits is to take as many numbers from the one-row counter event_seq as
// it inserted events, and give them out in insert order. The counter's row
// lock is held from there to the commit, so on PostgreSQL, where several
// transactions (replicas, writers) commit concurrently, a transaction with
// larger numbers commits after every one with smaller numbers: a reader
// never sees seq n+1 before n, and never skips an event by advancing its
// cursor. Where write transactions never overlap (Dialect.Serialized:
// SQLite), an ingested event takes its number as it is inserted instead
// (takeSeq: the counter is read once per transaction and written back
// before the commit), which saves an update of every event.

type seqKey struct{}

// seqBatch collects the events a transaction inserted.
type seqBatch struct {
	events []*store.Event
	// next is the next number to give at insert (takeSeq); 0 until the
	// transaction has read the counter.
	next int64
}

// takeSeq gives the next number of the transaction of ctx to an event
// being inserted, reading the counter with head the first time. Only for
// Dialect.Serialized: the counter is not locked until the commit.
func takeSeq(ctx context.Context, head func() (int64, error)) (int64, error) {
	b, ok := ctx.Value(seqKey{}).(*seqBatch)
	if !ok {
		return 0, fmt.Errorf("no sequence batch in this transaction")
	}
	if b.next == 0 {
		n, err := head()
		if err != nil {
			return 0, err
		}
		b.next = n + 1
	}
	b.next++
	return b.next - 1, nil
}

func withSeqBatch(ctx context.Context, b *seqBatch) context.Context {
	return context.WithValue(ctx, seqKey{}, b)
}

// needSeq records that ev was inserted in the transaction of ctx.
func needSeq(ctx context.Context, ev *store.Event) {
	if b, ok := ctx.Value(seqKey{}).(*seqBatch); ok {
		b.events = append(b.events, ev)
	}
}

// assignSeqs numbers the events of b, just before the commit.
func (s *Store) assignSeqs(ctx context.Context, tx *sql.Tx, b *seqBatch) error {
	n := len(b.events)
	if b.next != 0 {
		// Numbers were given at insert (takeSeq): go on from there, then
		// write the counter back.
		for _, ev := range b.events {
			if _, err := s.exec(ctx, tx, s.q.setSeq, b.next, ev.ID); err != nil {
				return fmt.Errorf("event sequence: %w", err)
			}
			ev.Seq = b.next
			b.next++
		}
		if _, err := s.exec(ctx, tx, s.q.putSeq, b.next-1); err != nil {
			return fmt.Errorf("event sequence: %w", err)
		}
		return nil
	}
	if n == 0 {
		return nil
	}
	var last int64
	if err := s.queryRow(ctx, tx, s.q.bumpSeq, n).Scan(&last); err != nil {
		return fmt.Errorf("event sequence: %w", err)
	}
	for i, ev := range b.events {
		seq := last - int64(n-1-i)
		if _, err := s.exec(ctx, tx, s.q.setSeq, seq, ev.ID); err != nil {
			return fmt.Errorf("event sequence: %w", err)
		}
		ev.Seq = seq
	}
	return nil
}

// EventsAfter implements store.Store.
func (s *Store) EventsAfter(ctx context.Context, cursor int64, sources []string, limit int) ([]*store.Event, error) {
	args := make([]any, 0, 1+len(sources))
	args = append(args, cursor)
	for _, src := range sources {
		args = append(args, src)
	}
	rows, err := s.read.QueryContext(ctx, s.q.eventsAfter(len(sources), limit), args...)
	if err != nil {
		return nil, fmt.Errorf("events after %d: %w", cursor, err)
	}
	return scanAll(rows, scanEvent)
}

// EventCursor implements store.Store.
func (s *Store) EventCursor(ctx context.Context, since time.Time) (int64, error) {
	if !since.IsZero() {
		var first sql.NullInt64
		if err := s.read.QueryRowContext(ctx, s.q.firstSeqSince, nanos(since)).Scan(&first); err != nil {
			return 0, fmt.Errorf("event cursor: %w", err)
		}
		if first.Valid {
			return first.Int64 - 1, nil
		}
	}
	var head int64
	if err := s.read.QueryRowContext(ctx, s.q.headSeq).Scan(&head); err != nil {
		return 0, fmt.Errorf("event cursor: %w", err)
	}
	return head, nil
}
