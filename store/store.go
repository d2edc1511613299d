// Package store defines the durable store of events and runs: the Store
// interface every backend implements and the conformance suite (storetest)
// they all pass. It knows nothing of HTTP, providers or rules.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// State is a run's place in its state machine:
//
//	pending -> running -> succeeded
//	                   -> retrying -> running -> ... -> dead
//	                   -> waiting -> running (its destination is not
//	                      taken now: breaker open, limit reached; no
//	                      attempt spent)
//	dead -> replayed (a new run was created from it)
type State string

// Run states.
const (
	Pending   State = "pending"
	Running   State = "running"
	Succeeded State = "succeeded"
	Retrying  State = "retrying"
	// Waiting runs are due again at NextAttemptAt; they did not send
	// (see Store.Wait) and spent no attempt.
	Waiting  State = "waiting"
	Dead     State = "dead"
	Replayed State = "replayed"
)

// States lists every state, in lifecycle order.
var States = []State{Pending, Running, Retrying, Waiting, Succeeded, Dead, Replayed}

// Terminal reports whether a run in state s will not run again by itself.
func (s State) Terminal() bool { return s == Succeeded || s == Dead || s == Replayed }

// Event is one received, verified webhook.
type Event struct {
	ID         string            `json:"id"`
	Source     string            `json:"source"`
	Provider   string            `json:"provider"`
	Event      string            `json:"event"`
	DeliveryID string            `json:"delivery_id,omitempty"`
	Headers    map[string]string `json:"headers"`
	Query      string            `json:"query,omitempty"`
	Body       []byte            `json:"-"`
	RemoteIP   string            `json:"remote_ip"`
	// RemoteAddr is the connection's address, IP and port, as received.
	RemoteAddr   string    `json:"remote_addr,omitempty"`
	ReceivedAt   time.Time `json:"received_at"`
	Verification string    `json:"verification"`
	Matched      []string  `json:"matched"`
	ConfigHash   string    `json:"config_hash"`
	// Seq is the event's place in the store's one sequence of events: it
	// grows in commit order, is never reused, and is the cursor of
	// EventsAfter (0 until the event is stored).
	Seq int64 `json:"seq,omitempty"`
}

// Run is the execution of one rule for one event.
type Run struct {
	ID         string `json:"id"`
	EventID    string `json:"event_id"`
	Rule       string `json:"rule"`
	ConfigHash string `json:"config_hash"`
	State      State  `json:"state"`
	// Attempt counts the attempts started (1 while the first runs).
	Attempt int `json:"attempt"`
	// Step is the index of the next action to run; steps before it
	// succeeded and are not run again.
	Step          int        `json:"step"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	ClaimedBy     string     `json:"claimed_by,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	ExitCode      *int       `json:"exit_code,omitempty"`
	HTTPStatus    int        `json:"http_status,omitempty"`
	Output        string     `json:"output,omitempty"`
	Detail        string     `json:"detail,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	ReplayOf      string     `json:"replay_of,omitempty"`
	// Interrupted counts the attempts that a shutdown interrupted: they
	// do not count against the rule's retry attempts.
	Interrupted int `json:"interrupted,omitempty"`
	// Concurrency is the `concurrency:` of the rule this run was matched
	// with, in its own revision (RunLimit): Claim and a claim at birth
	// count the running runs of the rule's name against it, whatever the
	// config in force says. 0 means not recorded (a run stored before
	// the limit was, or restored from an export without it): the limit in
	// force for the rule's name (ClaimOptions.Concurrency) applies.
	Concurrency int `json:"concurrency,omitempty"`
	// Event is the run's event when Claim loaded it with the run (nil
	// otherwise, or when the event is gone): the executor then needs no
	// read of its own.
	Event *Event `json:"-"`
}

// Unlimited is the Run.Concurrency of a run whose rule has no limit.
const Unlimited = -1

// RunLimit is the Run.Concurrency of a run of a rule whose concurrency is
// n (0: no limit).
func RunLimit(n int) int {
	if n > 0 {
		return n
	}
	return Unlimited
}

// Limit is the concurrency limit a run is held to, given the limits in
// force by rule name for a run that recorded none; 0 means no limit.
func (r *Run) Limit(inForce map[string]int) int {
	switch {
	case r.Concurrency > 0:
		return r.Concurrency
	case r.Concurrency < 0:
		return 0
	}
	return max(inForce[r.Rule], 0)
}

// Spent is the number of attempts that count against the retry limit.
func (r *Run) Spent() int { return r.Attempt - r.Interrupted }

// Attempt records one attempt of a run.
type Attempt struct {
	RunID      string        `json:"run_id"`
	N          int           `json:"n"`
	Step       int           `json:"step"`
	StartedAt  time.Time     `json:"started_at"`
	Duration   time.Duration `json:"duration_ns"`
	OK         bool          `json:"ok"`
	Error      string        `json:"error,omitempty"`
	ExitCode   *int          `json:"exit_code,omitempty"`
	HTTPStatus int           `json:"http_status,omitempty"`
	Output     string        `json:"output,omitempty"`
	Detail     string        `json:"detail,omitempty"`
	// Interrupted marks an attempt cut short by hookrunner's shutdown; it
	// is retried without counting against the retry limit.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Process is a process group an action started for a run, recorded while
// it runs so that a restart after a crash can kill it before the run is
// retried (see actions.ProcessGroup).
type Process struct {
	RunID string `json:"run_id"`
	// PGID, StartTicks and BootID identify the group's leader: its pid,
	// its start time in clock ticks since boot, and the kernel's boot id.
	PGID       int    `json:"pgid"`
	StartTicks uint64 `json:"start_ticks"`
	BootID     string `json:"boot_id"`
	// Host is the machine's hostname; only a process on the same host can
	// check or kill the group.
	Host string `json:"host"`
	// Owner is the lease owner that started it, and OwnerPID and
	// OwnerStartTicks identify that hookrunner process.
	Owner           string    `json:"owner"`
	OwnerPID        int       `json:"owner_pid"`
	OwnerStartTicks uint64    `json:"owner_start_ticks"`
	StartedAt       time.Time `json:"started_at"`
}

// IngestResult tells whether an event was stored or was a duplicate.
type IngestResult struct {
	// EventID is the stored event's id (the earlier one for a duplicate).
	EventID   string
	Duplicate bool
	// Queued are the runs given as Running (claimed at birth: a sync
	// run) whose rule had no room under its concurrency limit: they were
	// stored Pending instead, for a worker to claim when a slot frees.
	Queued []string
}

// ClaimOptions controls a claim of due runs.
type ClaimOptions struct {
	Owner string
	Limit int
	Lease time.Duration
	Now   time.Time
	// Concurrency is the limit in force per rule name, for runs that
	// recorded none (Run.Concurrency 0); every other run is held to its
	// own. Running runs are counted per rule name across every process
	// sharing the store.
	Concurrency map[string]int
}

// Outcome is the result of an attempt, written by Finish.
type Outcome struct {
	Attempt Attempt
	// State is the run's next state: Succeeded, Retrying or Dead; or
	// Pending for an attempt interrupted by shutdown (Attempt.Interrupted).
	State State
	// NextAttemptAt is when a Retrying run is due.
	NextAttemptAt time.Time
	Step          int
	// Forget are records of the attempt's process groups that are gone:
	// Finish deletes them in the same transaction (ForgetProcess each).
	Forget []Process
}

// EventFilter selects events, newest first.
type EventFilter struct {
	Source string
	Event  string
	// DeliveryID keeps the events of this delivery id (exact; indexed).
	DeliveryID string
	Since      time.Time
	Before     time.Time
	// State keeps events with at least one run in this state, or, for
	// NoRuns, the events that matched no rule.
	State State
	// Search keeps events whose delivery id or raw body contains it
	// (case-sensitive), or whose id is it or ends with it (a short id).
	Search string
	// IDSuffix keeps events whose id ends with it (a short id, any case;
	// nothing matches one that is not hex digits and dashes).
	IDSuffix string
	// After is a page cursor: only events older than it in list order
	// (received_at, then id, descending). Keyset pagination: a page costs
	// the same however deep it is.
	After *Cursor
	Limit int
}

// NoRuns is the EventFilter.State of events that matched no rule.
const NoRuns State = "none"

// Cursor is a position in the events list: the last event of a page.
type Cursor struct {
	ReceivedAt time.Time
	ID         string
}

// RunFilter selects runs, newest first.
type RunFilter struct {
	EventID string
	// EventIDs keeps the runs of any of these events (with EventID, both apply).
	EventIDs []string
	Rule     string
	State    State
	Since    time.Time
	// Before keeps runs created before it.
	Before time.Time
	// IDSuffix keeps runs whose id ends with it (a short id, as for
	// events).
	IDSuffix string
	Limit    int
}

// ReplayFilter selects the runs a bulk replay queues again: the runs of
// Rule in State (Dead when empty; Dead or Succeeded), created in
// [Since, Until) when those are set.
type ReplayFilter struct {
	Rule  string
	State State
	Since time.Time
	Until time.Time
}

// Config is the config a replayed run runs under: its hash, and the
// concurrency limit of each of its rules that has one (a rule not listed
// has none), which the new run records (Run.Concurrency).
type Config struct {
	Hash        string
	Concurrency map[string]int
}

// MaxReplay is the most runs one bulk replay queues; a larger selection
// is replayed by repeating it (dead runs replayed become replayed and
// leave the selection).
const MaxReplay = 10000

// RuleCount is the number of runs of a rule in a state.
type RuleCount struct {
	Source string `json:"source"`
	Rule   string `json:"rule"`
	State  State  `json:"state"`
	Count  int    `json:"count"`
}

// Revision is a config as it was loaded: the text of each file (the main
// file under its base name, includes by their path relative to it), with
// ${VAR} references as written, never resolved secrets.
type Revision struct {
	Hash      string            `json:"hash"`
	Path      string            `json:"path"`
	Files     map[string]string `json:"files,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
}

// Errors the store returns.
var (
	ErrNotFound = errors.New("not found")
	// ErrLeaseLost means the run was taken over by another owner (its lease
	// expired); the result of this attempt is dropped.
	ErrLeaseLost = errors.New("lease lost")
	// ErrNotReplayable is returned when replaying a run that is not dead.
	ErrNotReplayable = errors.New("only dead or succeeded runs can be replayed")
	// ErrAmbiguous is a short id that more than one event ends with.
	ErrAmbiguous = errors.New("more than one event has this short id")
)

// PollState is what the store keeps for a poll source.
type PollState struct {
	Source      string    `json:"source"`
	Cursor      string    `json:"cursor"`
	Initialized bool      `json:"initialized"`
	LeaseOwner  string    `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time `json:"lease_until"`
	LastPollAt  time.Time `json:"last_poll_at"`
	LastError   string    `json:"last_error,omitempty"`
}

// PollItem is one new item of a poll: its event and runs.
type PollItem struct {
	Event *Event
	Runs  []*Run
}

// PollBatch is what one poll stores, in one transaction.
type PollBatch struct {
	Source string
	Owner  string
	Items  []PollItem
	// SeenOnly are delivery ids recorded without events (initial: skip).
	SeenOnly []string
	// Cursor, when not nil, becomes the stored cursor.
	Cursor *string
	// Initialize marks the first poll done.
	Initialize  bool
	Now         time.Time
	DedupeSince time.Time
}

// Store is the durable store. Every method is safe for concurrent use.
type Store interface {
	// Ingest stores the event and its runs atomically, unless a delivery
	// with the same (source, delivery id) was stored since dedupeSince.
	// It returns only once the write is durable. A run given as Running
	// (claimed at birth) is held to its concurrency limit in the same
	// transaction, as Claim would hold it: without room it is stored
	// Pending and listed in IngestResult.Queued.
	Ingest(ctx context.Context, ev *Event, runs []*Run, dedupeSince time.Time) (IngestResult, error)
	// Seen reports whether a delivery with (source, deliveryID) was
	// recorded since `since`, and the id of the event stored for it (empty
	// for a delivery a poll recorded without an event). It is a cheap read
	// the ingress does before matching, so a replayed delivery costs no
	// rule evaluation; Ingest still dedupes (two concurrent first
	// deliveries). An empty deliveryID is never seen.
	Seen(ctx context.Context, source, deliveryID string, since time.Time) (eventID string, ok bool, err error)
	// AddRuns stores new runs for an already stored event (event replay).
	AddRuns(ctx context.Context, runs []*Run) error
	// Claim marks up to Limit due runs as running for Owner until
	// Now+Lease and returns them with Attempt incremented. Runs whose
	// lease expired are due again.
	Claim(ctx context.Context, o ClaimOptions) ([]*Run, error)
	// Extend renews the lease of runs still held by owner.
	Extend(ctx context.Context, owner string, ids []string, until time.Time) error
	// Progress records that the steps before step succeeded.
	Progress(ctx context.Context, owner, runID string, step int) error
	// Finish records an attempt and moves the run to its next state. It
	// fails with ErrLeaseLost when owner no longer holds the run.
	Finish(ctx context.Context, owner, runID string, o Outcome) error
	// Release puts runs held by owner back to pending without counting an
	// attempt (graceful shutdown before they started).
	Release(ctx context.Context, owner string, ids []string) error
	// RecoverAll makes every run left running, last written before
	// before (by a process that is gone), due now, and frees every poll
	// lease (single-process start). A run written since is this process's
	// own (a synchronous run claimed at birth).
	RecoverAll(ctx context.Context, now, before time.Time) (int, error)
	// Replay creates a pending run from a dead (or succeeded) run, to run
	// under the config c (recording its rule's limit there), and marks
	// a dead original as replayed.
	Replay(ctx context.Context, runID string, c Config, now time.Time) (*Run, error)
	// ReplayRule replays the runs f selects (at most MaxReplay, oldest
	// first), in one transaction.
	ReplayRule(ctx context.Context, f ReplayFilter, c Config, now time.Time) ([]*Run, error)

	GetEvent(ctx context.Context, id string) (*Event, error)
	// EventsAfter returns up to limit events (a default when <= 0) whose
	// Seq is greater than cursor, in Seq order, of the named sources (every
	// source when sources is empty). An event is visible here only once
	// every event with a smaller Seq is: a reader that advances its cursor
	// to the last Seq it got never skips one (listen).
	EventsAfter(ctx context.Context, cursor int64, sources []string, limit int) ([]*Event, error)
	// EventCursor returns the cursor from which EventsAfter returns the
	// events received at or after since; the zero time returns the head
	// (after every event stored so far).
	EventCursor(ctx context.Context, since time.Time) (int64, error)
	ListEvents(ctx context.Context, f EventFilter) ([]*Event, error)
	GetRun(ctx context.Context, id string) (*Run, []*Attempt, error)
	ListRuns(ctx context.Context, f RunFilter) ([]*Run, error)
	// CountStates returns the number of runs in each state.
	CountStates(ctx context.Context) (map[State]int, error)
	// CountReplay is the number of runs ReplayRule(f) would queue now
	// (before the MaxReplay cap).
	CountReplay(ctx context.Context, f ReplayFilter) (int, error)
	// SaveRevision durably records a config revision (idempotent by hash).
	SaveRevision(ctx context.Context, rev *Revision) error
	// GetRevision returns the revision with hash, or ErrNotFound.
	GetRevision(ctx context.Context, hash string) (*Revision, error)
	// ListRevisions returns up to limit revisions (a default when <= 0),
	// newest first, without their files (Hash, Path and CreatedAt only).
	ListRevisions(ctx context.Context, limit int) ([]*Revision, error)
	// Writable reports whether a durable write succeeds right now (nil),
	// or why not: the last write failed (disk full, database down), or the
	// database is no longer the store's (its file deleted or replaced).
	Writable(ctx context.Context) error
	// CountRules returns run counts per source, rule and state for runs
	// created since.
	CountRules(ctx context.Context, since time.Time) ([]RuleCount, error)
	// AcquirePoll takes (or renews) the lease of a poll source for owner
	// until `until`; it fails (false) while another owner holds it.
	AcquirePoll(ctx context.Context, source, owner string, now, until time.Time) (bool, error)
	// GetPoll returns a poll source's state (zero value when never polled).
	GetPoll(ctx context.Context, source string) (PollState, error)
	// IngestPoll stores a poll's new items (skipping delivery ids already
	// seen), its cursor and its first-poll mark in one transaction, if owner
	// still holds the lease; it returns the events stored, in order.
	IngestPoll(ctx context.Context, b PollBatch) ([]*Event, error)
	// ReleasePoll gives up owner's lease (clean shutdown).
	ReleasePoll(ctx context.Context, source, owner string) error
	// PollFailed records a failed poll (kept for the console and metrics).
	PollFailed(ctx context.Context, source, msg string, at time.Time) error
	// RecordProcess records a process group started for a run (replacing a
	// record of the same group).
	RecordProcess(ctx context.Context, p Process) error
	// ForgetProcess deletes the record of a process group that is gone.
	ForgetProcess(ctx context.Context, p Process) error
	// Processes lists every recorded process group, oldest first.
	Processes(ctx context.Context) ([]Process, error)
	// Prune deletes events received before olderThan whose runs all
	// finished (succeeded or replayed; or that matched nothing), with their
	// runs and attempts, and delivery records older than dedupeBefore.
	// Events with a dead, pending, retrying or running run are kept (a dead
	// run stays until it is replayed). It deletes in batches of PruneBatch
	// events, each its own short transaction, pausing between them, so
	// ingest is never held behind one long delete.
	Prune(ctx context.Context, olderThan, dedupeBefore time.Time) (int, error)
	// Destinations: waiting runs and the shared limits of destinations.
	Destinations
	// Restore stores exported events with their runs and attempts as they
	// were (ids, states, times kept), skipping an event whose id is
	// already stored or whose (source, delivery id) already names another
	// event: restoring twice adds nothing. It returns how many events it
	// added.
	Restore(ctx context.Context, items []Restored) (int, error)
	Close() error
}

// PruneBatch is the most events (with their runs and attempts), or
// delivery records, one Prune transaction deletes.
const PruneBatch = 200

// Restored is an exported event with its runs and their attempts.
type Restored struct {
	Event    *Event
	Runs     []*Run
	Attempts []*Attempt
}

// NewID returns a new unique, time-ordered id (UUIDv7).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
