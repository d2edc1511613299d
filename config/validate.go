package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hostName is a DNS name: dot-separated labels of letters, digits and '-'.
var hostName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// validSourcePath accepts source names joined by '/': no empty, "." or
// ".." segment (a segment starts with a letter or digit), no '%', no
// leading or trailing '/', so the path names one URL and nothing climbs.
func validSourcePath(p string) bool {
	if len(p) > 200 {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if !sourceName.MatchString(seg) {
			return false
		}
	}
	return true
}

func (c *Config) validate(errs *Errors) {
	switch c.Store.Driver {
	case "sqlite", "postgres":
	default:
		errs.Add("store.driver", "unknown driver %q (use sqlite or postgres)", c.Store.Driver)
	}
	if c.Store.DSN == "" {
		errs.Add("store.dsn", "required for driver %s", c.Store.Driver)
	}
	switch c.Store.Synchronous {
	case "full", "normal", "extra":
	default:
		errs.Add("store.synchronous", "must be full, normal or extra, got %q", c.Store.Synchronous)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs.Add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs.Add("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if (c.Server.TLS.CertFile == "") != (c.Server.TLS.KeyFile == "") {
		errs.Add("server.tls", "set both cert_file and key_file")
	}
	for i, p := range c.Server.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				errs.Add(fmt.Sprintf("server.trusted_proxies[%d]", i), "invalid IP or CIDR %q", p)
			}
		}
	}
	if c.Server.MaxJSONDepth < 0 || c.Server.MatchBudget < 0 || c.Server.MaxConnections < 0 || c.Server.RateLimit.PerIP < 0 || c.Server.RateLimit.PerSource < 0 {
		errs.Add("server", "limits must not be negative")
	}
	if c.Server.MaxConnsPerIP < -1 {
		errs.Add("server.max_conns_per_ip", "must be a positive number, or -1 for no per-address cap")
	}
	for i, h := range c.Admin.Hosts {
		n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if !hostName.MatchString(n) || len(n) > 253 {
			errs.Add(fmt.Sprintf("admin.hosts[%d]", i), "invalid host name %q (a DNS name without scheme, port or wildcard, e.g. hookrunner.internal)", h)
			continue
		}
		c.Admin.Hosts[i] = n
	}
	c.validateListen(errs)
	c.validateDestinations(errs)
	c.validateAlerts(errs)
	if c.Runner.Workers < 0 || c.Runner.Workers > 1024 {
		errs.Add("runner.workers", "must be between 1 and 1024")
	}
	if len(c.Sources) == 0 {
		errs.Add("sources", "no sources defined (each source is an endpoint POST /hooks/<name>)")
	}
	paths := map[string]string{} // URL path under /hooks/ -> source
	for _, name := range c.SourceNames() {
		if c.Sources[name].Path == "" {
			paths[name] = name
		}
	}
	for _, name := range c.SourceNames() {
		src := c.Sources[name]
		p := "sources." + name
		if !sourceName.MatchString(name) {
			errs.Add(p, "invalid source name (letters, digits, '.', '_' and '-' only)")
		}
		if src.Path != "" {
			if !validSourcePath(src.Path) {
				errs.Add(p+".path", "invalid path %q: segments of letters, digits, '.', '_' and '-' (each starting with a letter or digit) joined by '/', e.g. sendgrid/events", src.Path)
			} else if other, taken := paths[src.Path]; taken {
				errs.Add(p+".path", "/hooks/%s is already the URL of source %q", src.Path, other)
			} else {
				paths[src.Path] = name
			}
		}
		if src.Provider == "" {
			errs.Add(p+".provider", "required (e.g. github, stripe, generic)")
		}
		switch {
		case src.Provider == "poll" && src.Poll == nil:
			errs.Add(p+".poll", "required for provider poll (url, id, every…)")
		case src.Provider != "poll" && src.Poll != nil:
			errs.Add(p+".poll", "only for provider: poll")
		case src.Poll != nil:
			pl := src.Poll
			if pl.URL == "" {
				errs.Add(p+".poll.url", "required")
			}
			if pl.ID == "" {
				errs.Add(p+".poll.id", "required: an expression giving each item's stable id, e.g. payload.id")
			}
			if pl.Every == 0 {
				pl.Every = Duration(time.Minute)
			}
			if pl.Timeout == 0 {
				pl.Timeout = Duration(30 * time.Second)
			}
			if pl.Items == "" {
				pl.Items = "payload"
			}
			if pl.Initial == "" {
				pl.Initial = "emit"
			}
			if pl.Initial != "emit" && pl.Initial != "skip" {
				errs.Add(p+".poll.initial", "must be emit or skip, got %q", pl.Initial)
			}
			if pl.MaxPages == 0 {
				pl.MaxPages = 10
			}
			if pl.Method == "" {
				pl.Method = "GET"
			}
		}
		validateProviderKeys(p, &src, errs)
		for i, s := range src.Secrets {
			if s == "" {
				errs.Add(fmt.Sprintf("%s.secrets[%d]", p, i), "empty secret")
			}
		}
		if src.Decrypt != nil {
			validateDecrypt(p+".decrypt", src, errs)
		}
	}
	for i, t := range c.Tests {
		if strings.TrimSpace(t) == "" {
			errs.Add(fmt.Sprintf("tests[%d]", i), "empty file name")
		} else if _, err := filepath.Match(t, ""); err != nil {
			errs.Add(fmt.Sprintf("tests[%d]", i), "bad pattern %q: %v", t, err)
		}
	}
	seen := map[string]int{}
	for i, r := range c.Rules {
		file, p := c.RulePath(i)
		n := len(*errs)
		if r.Name == "" {
			errs.Add(p+".name", "required")
		} else if j, dup := seen[r.Name]; dup {
			jf, jp := c.RulePath(j)
			if jf == "" {
				jf = filepath.Base(c.Path)
			}
			if line := lineOf(c.trees[jf], jp); line > 0 {
				jf += ":" + strconv.Itoa(line)
			}
			errs.Add(p+".name", "duplicate rule name %q (first used at %s %s)", r.Name, jf, jp)
		} else {
			seen[r.Name] = i
		}

		if r.Source == "" {
			errs.Add(p+".source", "required")
		} else if _, ok := c.Sources[r.Source]; !ok {
			errs.Add(p+".source", "unknown source %q%s", r.Source, Suggest(r.Source, c.SourceNames()))
		}
		if r.Concurrency < 0 {
			errs.Add(p+".concurrency", "must not be negative")
		}
		if r.Retry.Attempts < 0 {
			errs.Add(p+".retry.attempts", "must not be negative")
		}
		if r.Retry.MaxBackoff < r.Retry.Backoff {
			errs.Add(p+".retry.max_backoff", "must be at least retry.backoff")
		}
		switch r.Respond {
		case "async", "sync", "stream":
		default:
			errs.Add(p+".respond", "must be async, sync or stream, got %q", r.Respond)
		}
		if len(r.Actions) == 0 {
			errs.Add(p+".actions", "at least one action is required")
		}
		for j, a := range r.Actions {
			if len(a) != 1 {
				keys := make([]string, 0, len(a))
				for k := range a {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				errs.Add(fmt.Sprintf("%s.actions[%d]", p, j), "each action must have exactly one type key (e.g. shell: or http:), got %v", keys)
			}
		}
		for k := n; k < len(*errs); k++ {
			if (*errs)[k].File == "" {
				(*errs)[k].File = file
			}
		}
	}
}

// providerKeys are the source keys only some providers read: set on
// another provider they would be ignored, so they are refused.
var providerKeys = []struct {
	key       string
	set       func(*Source) bool
	providers []string
}{
	{"verify_token", func(s *Source) bool { return s.VerifyToken != "" }, []string{"meta"}},
	{"app_id", func(s *Source) bool { return s.AppID != "" }, []string{"zalo"}},
	{"audience", func(s *Source) bool { return s.Audience != "" }, []string{"pubsub"}},
	{"service_account", func(s *Source) bool { return s.ServiceAccount != "" }, []string{"pubsub"}},
	{"topics", func(s *Source) bool { return len(s.Topics) > 0 }, []string{"sns"}},
	{"confirm", func(s *Source) bool { return s.Confirm }, []string{"sns"}},
	{"public_key", func(s *Source) bool { return s.PublicKey != "" }, []string{"sendgrid", "discord"}},
}

func validateProviderKeys(path string, src *Source, errs *Errors) {
	for _, k := range providerKeys {
		if k.set(src) && !slices.Contains(k.providers, src.Provider) {
			errs.Add(path+"."+k.key, "only for provider %s (this source is %s: it would be ignored)", strings.Join(k.providers, ", "), src.Provider)
		}
	}
}
