package engine

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/destination"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// Destinations returns the circuit breakers and limits of the hosts
// actions send to.
func (e *Engine) Destinations() *destination.Gate { return e.dest }

// configureDestinations installs the breaker and limits of snap.
func (e *Engine) configureDestinations(snap *ruleset.Snapshot) {
	if snap.Config == nil {
		return
	}
	e.dest.Configure(snap.Config.Breaker, snap.Config.Limits)
}

// wait puts a run whose destination cannot be sent to now back in the
// queue, state waiting, due at w.Until: the attempt is not spent.
func (e *Engine) wait(ctx context.Context, run *store.Run, step int, w *actions.Wait, log *slog.Logger) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	reason := e.Redactor().String(w.Error())
	if err := e.st.Wait(fctx, e.owner, run.ID, step, w.Until, reason); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			log.Warn("run was taken over by another worker; wait dropped")
		} else {
			log.Error("record a waiting run", "error", err)
		}
		return
	}
	e.metrics.RunOutcomes.WithLabelValues(run.Rule, string(store.Waiting)).Inc()
	log.Info("run waits for its destination: no attempt spent", "until", w.Until.Format(time.RFC3339Nano), "reason", reason)
}

// Breaker is a destination's circuit breaker as the console and API show it.
type Breaker = destination.Breaker

// DestinationLimit is a configured limit as the console and API show it.
type DestinationLimit = destination.Limit

// DestinationStatus is the breakers and limits of destinations.
type DestinationStatus = destination.Status

// DestinationStatus returns the state of destinations.
func (e *Engine) DestinationStatus() DestinationStatus { return e.dest.Status() }
