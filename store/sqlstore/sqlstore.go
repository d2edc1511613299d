// Package sqlstore implements store.Store over database/sql for both SQLite
// and PostgreSQL; a Dialect holds what differs (placeholders, DDL, locking).
// Writes go through group commit: concurrent callers' writes share one
// transaction and one fsync.
//
// The files follow the concerns: writer.go (group commit), queries.go
// (every SQL statement, written once), scan.go (rows to values), migrate.go,
// events.go (ingest, dedupe, read, prune), queue.go (claim, lease, finish,
// recovery), runs.go (read, count, replay), poll.go, processes.go,
// revisions.go and health.go.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Dialect is what differs between SQL backends.
type Dialect struct {
	Name string
	// Rebind turns ?-placeholders into the backend's form.
	Rebind func(string) string
	// Migrations are applied in order, each in its own transaction.
	Migrations []string
	// ClaimLock is run first in a claim transaction to serialize claims
	// across processes (so per-rule concurrency holds); empty for none.
	ClaimLock string
	// ForUpdate is appended to the claim's SELECT.
	ForUpdate string
	// IndexedBy: the run queue's queries name the index that serves them
	// (SQLite's "INDEXED BY"). Without statistics SQLite's planner takes
	// runs_state for the claim and sorts every due run; named, a plan
	// without the index is an error, not a slow claim. False where the
	// planner has statistics (PostgreSQL).
	IndexedBy bool
	// Writers is the number of concurrent group-commit writers.
	Writers int
	// Serialized: write transactions never overlap, in this process or
	// any other (SQLite's one write lock). A read inside a write
	// transaction is then as good as a lock: ingest dedupes with a lookup
	// of the events' delivery index instead of a delivery record, and
	// gives an event its seq as it inserts it (events.go, seq.go).
	Serialized bool
	// DataVersion is a query whose value, read in a write transaction,
	// changes when another connection has committed since the last one
	// (SQLite's PRAGMA data_version). With Serialized it turns on the
	// delivery filter (seenfilter.go).
	DataVersion string
	// Relax makes the next transaction on conn skip (relaxed=true) or keep
	// the fsync at commit; nil when the backend has no such switch.
	Relax func(ctx context.Context, conn *sql.DB, tx *sql.Tx, relaxed bool) error
	// RelaxInTx is run first in a relaxed transaction (PostgreSQL's
	// SET LOCAL synchronous_commit = off).
	RelaxInTx string
	// Notify, when set, is executed in every transaction that creates due
	// runs, to wake other processes (PostgreSQL NOTIFY).
	Notify string
	// InIDs, when set, is a condition on a column taking one parameter,
	// the list of ids IDList encodes (SQLite: IN (SELECT value FROM
	// json_each(?))): the claim's statements are then fixed text, prepared
	// once, instead of one IN (?, ?, ...) list parsed per claim.
	InIDs  string
	IDList func(ids []string) any
	// Check, when set, is called before and after every write transaction;
	// an error means the database written to is no longer the store (the
	// SQLite file was deleted or replaced): the write fails, and every
	// later one, so nothing is acknowledged into a file that is gone.
	Check func() error
	// Contains is the condition "column col contains the one parameter"
	// (a substring, case-sensitive; text or bytes). Default: SQLite's
	// instr(col, ?) > 0.
	Contains func(col string) string
}

// Options tunes a Store.
type Options struct {
	// MaxBatch caps the writes that share one transaction.
	MaxBatch int
	// OnCommit, when set, is called after each committed batch.
	OnCommit func(n int)
	// Now, when set, is the store's clock (write times, health); tests
	// set it to move time without sleeping. Default time.Now.
	Now func() time.Time
	// SeenFilterBits sizes the delivery filter (a power of two; default
	// 1<<25, 4 MiB). Tests make it small.
	SeenFilterBits int
}

// Store implements store.Store.
type Store struct {
	d     Dialect
	write *sql.DB
	read  *sql.DB
	ops   chan *op
	stop  chan struct{}
	done  chan struct{}
	opt   Options
	q     queries
	// prepared caches statements prepared on the write connection.
	prepared sync.Map
	// seen is the delivery lookup prepared on the read pool.
	seen *sql.Stmt
	// claimEvents reads the events of claimed runs on the read connections.
	claimEvents *sql.Stmt
	writers     sync.WaitGroup
	// loaders is the delivery filter's loads under way: Close waits for
	// them, so no read connection outlives it (one still reading would
	// close, and checkpoint the file, after Close returned).
	loaders sync.WaitGroup
	// relaxedNow is the durability the write connection is set to (only
	// touched by the single SQLite writer).
	relaxedNow bool
	health     health
	// filter is the delivery filter (nil unless the dialect has one).
	filter *seenFilter
}

var _ store.Store = (*Store)(nil)

// New starts a Store on the given connections (they may be the same) and
// applies migrations.
func New(ctx context.Context, d Dialect, write, read *sql.DB, opt Options) (*Store, error) {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if d.Writers <= 0 {
		d.Writers = 1
	}
	s := &Store{d: d, write: write, read: read, ops: make(chan *op, 4096), stop: make(chan struct{}), done: make(chan struct{}), opt: opt}
	s.q = buildQueries(d)
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if d.InIDs != "" {
		st, err := read.PrepareContext(ctx, s.q.claimEventsIn)
		if err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		s.claimEvents = st
	}
	for i := 0; i < d.Writers; i++ {
		s.writers.Add(1)
		go func() { defer s.writers.Done(); s.writer() }()
	}
	if d.Serialized && d.DataVersion != "" {
		s.startFilter()
	}
	go func() {
		<-s.stop
		close(s.done)
	}()
	return s, nil
}

// now is the store's clock.
func (s *Store) now() time.Time { return s.opt.Now() }

// Close stops the writers and closes the connections.
func (s *Store) Close() error {
	select {
	case <-s.stop:
		return nil
	default:
	}
	close(s.stop)
	<-s.done
	s.writers.Wait() // no more filter loads start (the writer starts them)
	s.loaders.Wait() // the ones under way see stop and end
	s.prepared.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	if s.seen != nil {
		s.seen.Close()
	}
	if s.claimEvents != nil {
		s.claimEvents.Close()
	}
	err := s.write.Close()
	if s.read != s.write {
		if e := s.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store closed")
