// Package engine holds the config snapshot in force (one atomic pointer),
// turns verified requests into stored events and runs, and executes runs
// on a bounded worker pool with leases, retries, dead letters and replay.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/alerts"
	"github.com/hookrunner/hookrunner/destination"
	"github.com/hookrunner/hookrunner/internal/broadcast"
	"github.com/hookrunner/hookrunner/internal/drain"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/metrics"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// Options configure an Engine.
type Options struct {
	Store  store.Store
	Logger *slog.Logger
	// Owner identifies this process in run leases; random when empty.
	Owner string
	// RecoverOnStart makes every running run due at start: right for a
	// store only this process uses (SQLite). Shared stores rely on leases.
	RecoverOnStart bool
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// Build labels the hookrunner_build_info metric.
	Build BuildInfo
}

// Engine is the running core.
type Engine struct {
	snap    atomic.Pointer[ruleset.Snapshot]
	st      store.Store
	log     *slog.Logger
	owner   string
	now     func() time.Time
	metrics *Metrics
	wake    chan struct{}
	recover bool

	outstanding atomic.Int64
	outputLimit atomic.Int64

	mu       sync.Mutex
	inflight map[string]context.CancelFunc

	// host and self identify this process in the records of the process
	// groups its actions start (see killLeftovers).
	host string
	self actions.ProcessGroup

	// recovered is closed once Run has recovered the store (pollers wait
	// for it, so recovery cannot free a lease they just took).
	recovered chan struct{}
	// born is when the engine was made, before any request could reach it:
	// recovery at start touches only runs last written before it (a run a
	// request claimed at birth and executes is this process's own).
	born time.Time

	reloadMu  sync.Mutex
	reloadErr error
	reloadAt  time.Time

	// storeErr is why the store does not take writes (nil pointer: it does).
	storeErr atomic.Pointer[error]
	// revs keeps earlier compiled configs for the runs matched under them.
	revs revisions
	// stored fires when this process stores an event (listen streams).
	stored broadcast.Broadcast
	// dest is the breakers and limits of destinations (destinations.go).
	dest *destination.Gate
	// alerts fires the config's alerts (alerts.go).
	alerts *alerts.Notifier
	// syncs are the runs of respond: sync/stream, drained with the workers'.
	syncs drain.Group
}

// New returns an engine serving snap.
func New(snap *ruleset.Snapshot, o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), store.NewID()[24:])
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := &Engine{st: o.Store, log: o.Logger, owner: o.Owner, now: o.Now, born: o.Now(), wake: make(chan struct{}, 1),
		recover: o.RecoverOnStart, inflight: map[string]context.CancelFunc{}, recovered: make(chan struct{})}
	e.metrics = NewMetrics(o.Store)
	e.metrics.Registry.MustRegister(metrics.BuildInfoCollector(o.Build))
	e.dest = destination.New(destination.Options{Store: o.Store, Owner: o.Owner, Logger: o.Logger, Now: o.Now})
	e.metrics.Registry.MustRegister(e.dest.Collector())
	e.configureDestinations(snap)
	e.alerts = e.newAlerts()
	e.host, _ = os.Hostname()
	e.self = actions.Self()
	e.revs.inForce = e.Snapshot
	e.snap.Store(snap)
	e.reloadAt = snap.LoadedAt
	e.metrics.ConfigInfo.WithLabelValues(snap.Hash).Set(1)
	e.metrics.ReloadSuccess.Set(1)
	e.metrics.ReloadTime.Set(float64(snap.LoadedAt.Unix()))
	return e
}

// Snapshot returns the config in force.
func (e *Engine) Snapshot() *ruleset.Snapshot { return e.snap.Load() }

// Redactor returns the redactor of the config in force (it also knows the
// secrets of the configs replaced since start).
func (e *Engine) Redactor() *redact.Redactor { return e.Snapshot().Redactor }

// Metrics returns the engine's metrics.
func (e *Engine) Metrics() *Metrics { return e.metrics }

// Swap installs a new snapshot atomically and records the reload. The
// new snapshot's redactor keeps the secrets of the one it replaces.
func (e *Engine) Swap(s *ruleset.Snapshot) {
	if cur := e.snap.Load(); cur != nil {
		s.Redactor = s.Redactor.Merge(cur.Redactor)
	}
	e.configureDestinations(s)
	old := e.snap.Swap(s)
	if old != nil {
		e.revs.put(old) // its queued runs still execute under it
	}
	e.reloadMu.Lock()
	e.reloadErr = nil
	e.reloadAt = s.LoadedAt
	e.reloadMu.Unlock()
	if old != nil && old.Hash != s.Hash {
		e.metrics.ConfigInfo.DeleteLabelValues(old.Hash)
	}
	e.metrics.ConfigInfo.WithLabelValues(s.Hash).Set(1)
	e.metrics.Reloads.WithLabelValues("success").Inc()
	e.metrics.ReloadSuccess.Set(1)
	e.metrics.ReloadTime.Set(float64(s.LoadedAt.Unix()))
	e.poke()
}

// ReloadSucceeded records a reload that found the config unchanged.
func (e *Engine) ReloadSucceeded() {
	e.reloadMu.Lock()
	e.reloadErr = nil
	e.reloadMu.Unlock()
	e.metrics.ReloadSuccess.Set(1)
}

// ReloadFailed records a failed reload; the running config stays.
func (e *Engine) ReloadFailed(err error) {
	e.reloadMu.Lock()
	e.reloadErr = err
	e.reloadMu.Unlock()
	e.metrics.Reloads.WithLabelValues("failure").Inc()
	e.metrics.ReloadSuccess.Set(0)
	e.alertReload(err)
}

// ConfigStatus describes the config in force and the last reload.
type ConfigStatus struct {
	Hash        string    `json:"hash"`
	LoadedAt    time.Time `json:"loaded_at"`
	LastError   string    `json:"last_reload_error,omitempty"`
	LastSuccess bool      `json:"last_reload_successful"`
	Owner       string    `json:"replica"`
	Sources     int       `json:"sources"`
	Rules       int       `json:"rules"`
}

// Status returns the config status.
func (e *Engine) Status() ConfigStatus {
	s := e.Snapshot()
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	st := ConfigStatus{Hash: s.Hash, LoadedAt: e.reloadAt, LastSuccess: e.reloadErr == nil, Owner: e.owner, Sources: len(s.Sources), Rules: len(s.Ordered)}
	if e.reloadErr != nil {
		st.LastError = e.reloadErr.Error()
	}
	return st
}

func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Outstanding is the number of unfinished runs known to this process.
func (e *Engine) Outstanding() int64 { return e.outstanding.Load() }
