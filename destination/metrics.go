package destination

import "github.com/prometheus/client_golang/prometheus"

var breakerDesc = prometheus.NewDesc("hookrunner_breaker_state",
	"Circuit breaker of each destination host: 0 closed, 1 half-open (the next request is a probe), 2 open (runs to it wait).",
	[]string{"destination"}, nil)

// Collector returns the breakers as a Prometheus collector, read at
// scrape time.
func (g *Gate) Collector() prometheus.Collector { return collector{g} }

type collector struct{ g *Gate }

func (c collector) Describe(ch chan<- *prometheus.Desc) { ch <- breakerDesc }

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, b := range c.g.Breakers() {
		v := 0.0
		switch b.State {
		case HalfOpen:
			v = 1
		case Open:
			v = 2
		}
		ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, v, b.Destination)
	}
}
