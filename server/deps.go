package server

import (
	"context"
	"io"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// The server declares here the few things it needs of the engine; the
// engine implements them (*engine.Engine), the tests use fakes. The server
// never holds the store.

// Ingester is what the ingress needs: the config in force, admission
// checks, Accept, and the synchronous runs of `respond: sync|stream`.
type Ingester interface {
	Snapshot() *ruleset.Snapshot
	Metrics() *engine.Metrics
	// StoreWritable is nil while the store takes durable writes.
	StoreWritable() error
	// Outstanding is the number of unfinished runs (server.max_pending).
	Outstanding() int64
	Accept(ctx context.Context, rc *engine.Received) (*engine.Accepted, error)
	RunSync(ctx context.Context, run *store.Run, r *ruleset.Rule) engine.SyncResult
	RunStream(ctx context.Context, run *store.Run, r *ruleset.Rule, w io.Writer) engine.SyncResult
	// Refused counts a refused request of a source (alerts: source.rejected).
	Refused(source, reason string)
}

// ConfigState is the config in force and the outcome of the last reload.
type ConfigState interface {
	Snapshot() *ruleset.Snapshot
	// Redactor knows the secrets of the config in force and of those it
	// replaced: everything the admin listener shows passes through it.
	Redactor() *redact.Redactor
	Status() engine.ConfigStatus
}

// Health is what /readyz and /metrics read.
type Health interface {
	CheckStore(ctx context.Context) error
	Metrics() *engine.Metrics
}

// History reads stored events and runs.
type History interface {
	EventDetail(ctx context.Context, id string) (*engine.EventDetail, error)
	ListEvents(ctx context.Context, f store.EventFilter) ([]*store.Event, error)
	GetRun(ctx context.Context, id string) (*store.Run, []*store.Attempt, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]*store.Run, error)
	CountStates(ctx context.Context) (map[store.State]int, error)
	CountRules(ctx context.Context, since time.Time) ([]store.RuleCount, error)
}

// Replayer queues runs again.
type Replayer interface {
	ReplayRun(ctx context.Context, runID string) (*store.Run, error)
	// ReplayRule replays the runs f selects; CountReplay counts them first
	// (the console's confirmation).
	ReplayRule(ctx context.Context, f store.ReplayFilter) ([]*store.Run, error)
	CountReplay(ctx context.Context, f store.ReplayFilter) (int, error)
	ReplayEvent(ctx context.Context, eventID string) ([]*store.Run, error)
}

// Revisions reads recorded config revisions.
type Revisions interface {
	GetRevision(ctx context.Context, hash string) (*store.Revision, error)
	ListRevisions(ctx context.Context, limit int) ([]*store.Revision, error)
}

// Destinations shows the circuit breakers and limits of the hosts
// actions send to.
type Destinations interface {
	DestinationStatus() engine.DestinationStatus
}

// Alerting lists the alerts fired.
type Alerting interface {
	FiredAlerts() []engine.Fired
}

// RevisionSource is what a run's revision view needs.
type RevisionSource interface {
	ConfigState
	Revisions
}

// Core is everything the admin listener (API and console) needs.
type Core interface {
	ConfigState
	Health
	History
	Replayer
	Revisions
	Destinations
	Alerting
}

var (
	_ Ingester    = (*engine.Engine)(nil)
	_ Core        = (*engine.Engine)(nil)
	_ EventStream = (*engine.Engine)(nil)
)
