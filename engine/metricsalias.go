package engine

import "github.com/hookrunner/hookrunner/metrics"

// The engine's metrics live in package metrics; these names keep the
// engine's API.
type (
	Metrics      = metrics.Metrics
	StateCounter = metrics.StateCounter
	BuildInfo    = metrics.BuildInfo
)

// NewMetrics returns the metrics on a new registry (metrics.NewMetrics).
func NewMetrics(st StateCounter) *Metrics { return metrics.NewMetrics(st) }
