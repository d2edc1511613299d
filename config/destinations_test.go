package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookrunner/hookrunner/config"
)

func TestDestinations(t *testing.T) {
	tests := []struct {
		name, yaml string
		err        string // a substring of the error; "" for none
		check      func(t *testing.T, c *config.Config)
	}{
		{name: "rate, burst and concurrency", yaml: `
limits:
  api.example.com: { rate: 10/s, burst: 2, concurrency: 4 }
  "10.0.0.5:8443": { rate: 600/m }
  slow.example.com: { rate: 0.5, concurrency: 1 }
breaker: { failures: 5 }`, check: func(t *testing.T, c *config.Config) {
			l := c.Limits["api.example.com"]
			if l.Rate.PerSecond() != 10 || l.Rate.Interval() != 100*time.Millisecond || l.Burst != 2 || l.Concurrency != 4 {
				t.Errorf("api.example.com = %+v", l)
			}
			if r := c.Limits["10.0.0.5:8443"].Rate; r.PerSecond() != 10 {
				t.Errorf("600/m = %v/s", r.PerSecond())
			}
			if r := c.Limits["slow.example.com"].Rate; r.Interval() != 2*time.Second {
				t.Errorf("0.5 = every %v", r.Interval())
			}
			if c.Breaker.Failures != 5 || c.Breaker.Cooldown.D() != 30*time.Second {
				t.Errorf("breaker = %+v (cooldown defaults to 30s)", c.Breaker)
			}
		}},
		{name: "no breaker by default", yaml: ``, check: func(t *testing.T, c *config.Config) {
			if c.Breaker.Failures != 0 || len(c.Limits) != 0 {
				t.Errorf("defaults: %+v %+v", c.Breaker, c.Limits)
			}
		}},
		{name: "bad rate unit", yaml: "limits: { api.example.com: { rate: 10/d } }", err: `invalid rate "10/d"`},
		{name: "zero rate", yaml: "limits: { api.example.com: { rate: 0/s } }", err: `invalid rate`},
		{name: "scheme in the key", yaml: `limits: { "https://api.example.com": { rate: 1/s } }`, err: `limits.https://api.example.com: invalid destination`},
		{name: "upper case key", yaml: `limits: { API.example.com: { rate: 1/s } }`, err: `invalid destination "API.example.com"`},
		{name: "bad port", yaml: `limits: { "api.example.com:99999": { rate: 1/s } }`, err: `invalid destination`},
		{name: "nothing limited", yaml: `limits: { api.example.com: { } }`, err: `limits.api.example.com: set rate, concurrency or both`},
		{name: "burst without rate", yaml: `limits: { api.example.com: { burst: 3, concurrency: 1 } }`, err: `limits.api.example.com.burst: needs rate`},
		{name: "negative concurrency", yaml: `limits: { api.example.com: { concurrency: -1 } }`, err: `limits.api.example.com.concurrency: must not be negative`},
		{name: "negative failures", yaml: `breaker: { failures: -1 }`, err: `breaker.failures: must not be negative`},
		{name: "unknown key", yaml: `breaker: { failure: 3 }`, err: `failure`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("hooks.yaml", []byte(base+tt.yaml+"\n"), env(nil))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if !strings.Contains(err.Error(), "hooks.yaml") {
					t.Errorf("the error does not name the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestAlerts(t *testing.T) {
	tests := []struct {
		name, yaml string
		err        string
	}{
		{name: "ok", yaml: `
alerts:
  - name: dead-letters
    on: [run.dead, rule.failing]
    rules: ["deploy*"]
    actions:
      - http: { url: "http://127.0.0.1:9/x", body: '{"text": "{{ alert.rule }} {{ alert.run_id }}: {{ alert.error }}"}' }`},
		{name: "unknown cause", yaml: `
alerts:
  - name: a
    on: [run.deadd]
    actions: [{ http: { url: "http://127.0.0.1:9/x" } }]`, err: `alerts[0].on[0]: unknown cause "run.deadd"`},
		{name: "no actions", yaml: `
alerts:
  - name: a
    on: [run.dead]`, err: `alerts[0].actions: required`},
		{name: "duplicate name", yaml: `
alerts:
  - { name: a, on: [run.dead], actions: [{ http: { url: "http://127.0.0.1:9/x" } }] }
  - { name: a, on: [run.dead], actions: [{ http: { url: "http://127.0.0.1:9/x" } }] }`, err: `alerts[1].name: duplicate alert name "a"`},
		{name: "bad pattern", yaml: `
alerts:
  - { name: a, on: [run.dead], rules: ["["], actions: [{ http: { url: "http://127.0.0.1:9/x" } }] }`, err: `alerts[0].rules[0]: bad rule pattern`},
		{name: "unknown key", yaml: `
alerts:
  - { name: a, on: [run.dead], repeats: 1h, actions: [{ http: { url: "http://127.0.0.1:9/x" } }] }`, err: `repeats`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("hooks.yaml", []byte(base+tt.yaml+"\n"), env(nil))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				a := c.Alerts[0]
				if a.Failures != config.DefaultAlertFailures || a.Repeat.D() != config.DefaultAlertRepeat || len(a.On) != 2 {
					t.Fatalf("alert = %+v", a)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
		})
	}
}
