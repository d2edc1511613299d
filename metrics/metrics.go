// Package metrics holds the Prometheus metrics of the engine and the
// ingress, on their own registry (served at /metrics on the admin
// listener), and the collectors read at scrape time.
package metrics

import (
	"context"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookrunner/hookrunner/store"
)

// Metrics are the Prometheus metrics of the engine and the ingress. They
// live on their own registry, served at /metrics on the admin listener.
type Metrics struct {
	Registry        *prometheus.Registry
	Received        *prometheus.CounterVec
	RuleMatches     *prometheus.CounterVec
	RunOutcomes     *prometheus.CounterVec
	AttemptDuration *prometheus.HistogramVec
	Reloads         *prometheus.CounterVec
	ReloadSuccess   prometheus.Gauge
	ReloadTime      prometheus.Gauge
	ConfigInfo      *prometheus.GaugeVec
	Polls           *prometheus.CounterVec
	StoreWritable   prometheus.Gauge
	StoreFaults     prometheus.Counter
}

// StateCounter counts runs by state (the hookrunner_runs gauge, read at
// scrape time).
type StateCounter interface {
	CountStates(ctx context.Context) (map[store.State]int, error)
}

// NewMetrics returns the metrics on a new registry; st is read at scrape
// time.
func NewMetrics(st StateCounter) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookrunner_events_received_total",
			Help: "Webhook requests received, by source, provider and result (accepted, duplicate, unauthorized, too_large, forbidden, bad_request, unavailable, handshake).",
		}, []string{"source", "provider", "result"}),
		RuleMatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookrunner_rule_matches_total", Help: "Events matched, by rule.",
		}, []string{"rule"}),
		RunOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookrunner_run_attempts_total", Help: "Finished attempts, by rule and resulting state (succeeded, retrying, dead).",
		}, []string{"rule", "state"}),
		AttemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookrunner_attempt_duration_seconds", Help: "Duration of run attempts, by rule.",
			Buckets: []float64{.005, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"rule"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookrunner_config_reloads_total", Help: "Config reloads, by result (success, failure).",
		}, []string{"result"}),
		ReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookrunner_config_last_reload_successful", Help: "1 if the last reload succeeded, 0 if it failed (the previous config stays).",
		}),
		ReloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookrunner_config_last_reload_success_timestamp_seconds", Help: "Time of the last successful config load.",
		}),
		ConfigInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookrunner_config_info", Help: "The config in force (value 1), labelled with its hash.",
		}, []string{"hash"}),
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookrunner_polls_total", Help: "Polls of poll sources, by source and result (ok, error).",
		}, []string{"source", "result"}),
		StoreWritable: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookrunner_store_writable", Help: "1 while the store takes durable writes; 0 while it does not (webhooks are refused with 503).",
		}),
		StoreFaults: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookrunner_store_unwritable_total", Help: "Times the store stopped taking durable writes.",
		}),
	}
	m.StoreWritable.Set(1)
	m.Registry.MustRegister(m.StoreWritable, m.StoreFaults, m.Received, m.RuleMatches, m.RunOutcomes, m.AttemptDuration, m.Reloads, m.ReloadSuccess, m.ReloadTime, m.ConfigInfo, m.Polls,
		&queueCollector{st: st, desc: prometheus.NewDesc("hookrunner_runs", "Runs in the store, by state.", []string{"state"}, nil)},
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// BuildInfo names the running binary: Version and Revision as the build
// stamped them (-ldflags -X); empty ones are taken from the module's
// build information ("dev" and "unknown" when it has none).
type BuildInfo struct{ Version, Revision string }

// BuildInfoCollector is the hookrunner_build_info gauge: always 1, labelled with
// version, Go version and revision.
func BuildInfoCollector(b BuildInfo) prometheus.Collector {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && b.Revision == "" {
				b.Revision = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hookrunner_build_info", Help: "The running binary (value 1), labelled with its version, Go version and VCS revision.",
	}, []string{"version", "goversion", "revision"})
	g.WithLabelValues(b.Version, runtime.Version(), b.Revision).Set(1)
	return g
}

// queueCollector reads run counts from the store at scrape time.
type queueCollector struct {
	st   StateCounter
	desc *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.st.CountStates(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, s := range store.States {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
