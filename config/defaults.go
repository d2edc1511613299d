package config

import "time"

func (c *Config) applyDefaults() {
	s := &c.Server
	if s.Listen == "" {
		s.Listen = ":8080"
	}
	if s.MaxBody == 0 {
		s.MaxBody = 1 << 20
	}
	if s.MaxHeaderBytes == 0 {
		s.MaxHeaderBytes = 64 << 10
	}
	if s.ReadHeaderTimeout == 0 {
		s.ReadHeaderTimeout = Duration(5 * time.Second)
	}
	if s.ReadTimeout == 0 {
		s.ReadTimeout = Duration(30 * time.Second)
	}
	if s.WriteTimeout == 0 {
		s.WriteTimeout = Duration(60 * time.Second)
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = Duration(120 * time.Second)
	}
	if s.ShutdownGrace == 0 {
		s.ShutdownGrace = Duration(30 * time.Second)
	}
	if s.MaxPending == 0 {
		s.MaxPending = 100_000
	}
	if s.MaxConnections == 0 {
		s.MaxConnections = 4096
	}
	if s.MaxConnsPerIP == 0 {
		s.MaxConnsPerIP = 64
	}
	if s.MaxJSONDepth == 0 {
		s.MaxJSONDepth = 128
	}
	if s.MatchBudget == 0 {
		s.MatchBudget = 100_000 // rules.DefaultBudget: a few ms of CPU at worst
	}
	if s.RateLimit.PerIP > 0 && s.RateLimit.PerIPBurst == 0 {
		s.RateLimit.PerIPBurst = int(2*s.RateLimit.PerIP) + 1
	}
	if s.RateLimit.PerSource > 0 && s.RateLimit.PerSourceBurst == 0 {
		s.RateLimit.PerSourceBurst = int(2*s.RateLimit.PerSource) + 1
	}
	st := &c.Store
	if st.Driver == "" {
		st.Driver = "sqlite"
	}
	if st.DSN == "" && st.Driver == "sqlite" {
		st.DSN = "hookrunner.db" // beside hooks.yaml (ResolvePaths)
	}
	if st.Synchronous == "" {
		st.Synchronous = "full"
	}
	if st.DedupeWindow == 0 {
		st.DedupeWindow = Duration(7 * 24 * time.Hour)
	}
	if st.Retention == 0 {
		st.Retention = Duration(30 * 24 * time.Hour)
	}
	if c.Admin.Listen == "" {
		c.Admin.Listen = "127.0.0.1:8081"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	r := &c.Runner
	if r.Workers == 0 {
		r.Workers = 8
	}
	if r.Lease == 0 {
		r.Lease = Duration(30 * time.Second)
	}
	if r.PollInterval == 0 {
		r.PollInterval = Duration(time.Second)
	}
	if r.OutputLimit == 0 {
		r.OutputLimit = 64 << 10
	}
	for i := range c.Rules {
		rt := &c.Rules[i].Retry
		if rt.Attempts == 0 {
			rt.Attempts = 3
		}
		if rt.Backoff == 0 {
			rt.Backoff = Duration(10 * time.Second)
		}
		if rt.MaxBackoff == 0 {
			rt.MaxBackoff = Duration(10 * time.Minute)
		}
		if c.Rules[i].Respond == "" {
			c.Rules[i].Respond = "async"
		}
		if c.Rules[i].SyncTimeout == 0 {
			c.Rules[i].SyncTimeout = Duration(10 * time.Second)
		}
	}
}
