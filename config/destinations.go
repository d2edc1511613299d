package config

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Breaker configures the circuit breaker each destination host has (see
// README "Circuit breakers and destination limits"): after Failures
// consecutive failed requests (connection error, 5xx, 429) it opens and
// runs to that host wait, spending no attempt; after Cooldown one probe
// request goes, and its success closes it. Failures 0 (the default): no
// breaker.
type Breaker struct {
	Failures int      `koanf:"failures" json:"failures,omitempty"`
	Cooldown Duration `koanf:"cooldown" json:"cooldown,omitempty"`
}

// DefaultBreakerCooldown is the cooldown of a breaker that sets none.
const DefaultBreakerCooldown = 30 * time.Second

// Limit caps what hookrunner sends to one destination, across rules and
// across every replica sharing the store.
type Limit struct {
	// Rate is the most requests in any one second, spread evenly (one
	// every 1/rate) unless Burst allows more at once.
	Rate Rate `koanf:"rate" json:"rate,omitempty"`
	// Burst is how many requests may go at once (default 1).
	Burst int `koanf:"burst" json:"burst,omitempty"`
	// Concurrency is the most requests in flight at once.
	Concurrency int `koanf:"concurrency" json:"concurrency,omitempty"`
}

// Rate is requests per second, written "10/s", "600/m", "100/h" or as a
// number (per second).
type Rate float64

// PerSecond returns the rate in requests per second.
func (r Rate) PerSecond() float64 { return float64(r) }

// Interval is the spacing of requests at this rate (0 for no rate).
func (r Rate) Interval() time.Duration {
	if r <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(r))
}

// UnmarshalText parses "N/s", "N/m", "N/h" or "N".
func (r *Rate) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	num, unit, found := strings.Cut(s, "/")
	per := 1.0
	if found {
		switch strings.TrimSpace(unit) {
		case "s":
		case "m":
			per = 60
		case "h":
			per = 3600
		default:
			return fmt.Errorf("invalid rate %q (use e.g. 10/s, 600/m, 100/h)", s)
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n <= 0 || n > 1e6 {
		return fmt.Errorf("invalid rate %q (use e.g. 10/s, 600/m, 100/h)", s)
	}
	*r = Rate(n / per)
	return nil
}

// MarshalText prints the rate per second.
func (r Rate) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(r), 'g', -1, 64) + "/s"), nil
}

// destination is a limit's key: a host name or IP, with an optional port.
func validDestination(key string) bool {
	if key == "" || key != strings.ToLower(key) || strings.ContainsAny(key, "/@?#* ") {
		return false
	}
	host := key
	if h, p, err := net.SplitHostPort(key); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = h
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return hostName.MatchString(host) && len(host) <= 253
}

func (c *Config) validateDestinations(errs *Errors) {
	if c.Breaker.Failures < 0 {
		errs.Add("breaker.failures", "must not be negative (0: no breaker)")
	}
	if c.Breaker.Failures > 0 && c.Breaker.Cooldown == 0 {
		c.Breaker.Cooldown = Duration(DefaultBreakerCooldown)
	}
	keys := make([]string, 0, len(c.Limits))
	for k := range c.Limits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		l := c.Limits[k]
		p := "limits." + k
		if !validDestination(k) {
			errs.Add(p, "invalid destination %q: a lower-case host name or IP, with :port when the URLs name one (e.g. api.example.com or 10.0.0.5:8443)", k)
		}
		if l.Rate < 0 {
			errs.Add(p+".rate", "must be positive")
		}
		if l.Burst < 0 {
			errs.Add(p+".burst", "must not be negative")
		}
		if l.Burst > 0 && l.Rate == 0 {
			errs.Add(p+".burst", "needs rate")
		}
		if l.Concurrency < 0 {
			errs.Add(p+".concurrency", "must not be negative")
		}
		if l.Rate == 0 && l.Concurrency == 0 {
			errs.Add(p, "set rate, concurrency or both")
		}
	}
}
