// Package ruleset is the compiled config: hooks.yaml (config) built into
// an immutable Snapshot of sources (provider, allow list, decrypt, poll)
// and rules (condition, actions), with the rule index that picks an
// event's candidate rules and Explain that says why each rule does or
// does not match. It runs nothing and stores nothing: the engine does.
package ruleset

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/actions"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/expression"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/providers/decrypt"
)

// Snapshot is an immutable, fully compiled config: every provider built,
// every expression compiled, every action constructed. The engine swaps
// whole snapshots atomically; a request sees one or the other, never a mix.
type Snapshot struct {
	Config   *config.Config
	Hash     string
	LoadedAt time.Time
	Sources  map[string]*Source
	// ByPath finds a source by its URL path under /hooks/ (its path:, or
	// its name).
	ByPath map[string]*Source
	Rules  map[string]*Rule
	// Ordered lists the rules in file order.
	Ordered []*Rule
	// Alerts are the compiled alerts (alerts.go).
	Alerts []*Alert
	// Warnings are what loading found risky but allowed (a source of an
	// unsigned sender without allow_ips), each prefixed with its path.
	Warnings []string
	// Redactor knows every secret of the config (and, once swapped in by
	// the engine, those of the configs it replaced): every way out passes
	// through it.
	Redactor *redact.Redactor
}

// Source is a compiled source with its rule index.
type Source struct {
	Name string
	// Path is the source's URL path under /hooks/: its path: or its name.
	Path      string
	Provider  string
	P         providers.Provider
	AllowIPs  []netip.Prefix
	MaxBody   int64
	PublicURL *url.URL
	// NoVerify is true for a source that explicitly accepts unsigned
	// requests (verify: none).
	NoVerify bool
	// Poll is set for a polled source.
	Poll *Poll
	// MatchBudget is the steps the conditions of one event share
	// (server.match_budget; expression.DefaultBudget when 0).
	MatchBudget int64
	// Decrypt opens the body after verification (decrypt:); nil when the
	// source's bodies are plain.
	Decrypt *decrypt.Opener

	rules   []*Rule            // every rule of the source, file order
	byEvent map[string][]*Rule // exact event names
	buckets map[string]*bucket // byEvent, indexed by equalities
	globs   []*Rule            // rules with a glob in events
	any     []*Rule            // rules without events
}

// Rule is a compiled rule.
type Rule struct {
	Name        string
	Index       int
	Source      string
	Events      []string
	Cond        *expression.Condition
	Steps       []Step
	Concurrency int
	Retry       config.Retry
	Sync        bool
	// Stream: the request gets standard output as it is produced.
	Stream      bool
	SyncTimeout time.Duration
}

// Step is one action of a rule.
type Step struct {
	Kind   string
	Action actions.Action
}

// Build compiles a loaded config into a snapshot, collecting every problem
// with its path.
func Build(cfg *config.Config) (*Snapshot, error) {
	var errs config.Errors
	s := &Snapshot{Config: cfg, Hash: cfg.Hash, LoadedAt: time.Now(), Sources: map[string]*Source{}, ByPath: map[string]*Source{}, Rules: map[string]*Rule{},
		Redactor: cfg.Redactor()}
	for _, name := range cfg.SourceNames() {
		sc := cfg.Sources[name]
		path := "sources." + name
		src := &Source{Name: name, Provider: sc.Provider, MaxBody: int64(sc.MaxBody), byEvent: map[string][]*Rule{},
			MatchBudget: int64(cfg.Server.MatchBudget)}
		if src.MaxBody == 0 {
			src.MaxBody = int64(cfg.Server.MaxBody)
		}
		settings := providers.Settings{
			Secrets: sc.SecretValues(), Tolerance: sc.Tolerance.D(), Bearer: sc.Bearer.Reveal(),
			Username: sc.Username, Password: sc.Password.Reveal(), Verify: sc.Verify, Header: sc.Header,
			QueryParam: sc.QueryParam, Algorithm: sc.Algorithm, Encoding: sc.Encoding, Prefix: sc.Prefix, PrefixOptional: sc.PrefixOptional,
			EventHeader: sc.EventHeader, IDHeader: sc.IDHeader, TimestampHeader: sc.TimestampHeader, PublicURL: sc.PublicURL, SigningToken: sc.SigningToken.Reveal(),
			OrganizationID: sc.OrganizationID, VerifyToken: sc.VerifyToken.Reveal(), AppID: sc.AppID,
			Audience: sc.Audience, ServiceAccount: sc.ServiceAccount, Topics: sc.Topics, Confirm: sc.Confirm,
		}
		p, err := providers.New(sc.Provider, settings)
		if err != nil {
			var fe *providers.FieldError
			if ok := asFieldError(err, &fe); ok {
				errs.Add(path+"."+fe.Field, "%s", fe.Msg)
			} else if strings.HasPrefix(err.Error(), "unknown provider") {
				errs.Add(path+".provider", "unknown provider %q%s", sc.Provider, config.Suggest(sc.Provider, providers.Names()))
			} else {
				errs.Add(path, "%v", err)
			}
		}
		src.P = p
		src.NoVerify = sc.Verify == "none"
		if sc.Decrypt != nil {
			o, err := decrypt.New(sc.Decrypt.Spec())
			if err != nil {
				errs.Add(path+".decrypt", "%v", err)
			}
			src.Decrypt = o
		}
		if u, ok := p.(providers.Unsigned); ok && (len(sc.AllowIPs) == 0 || anyAddress(p)) {
			s.Warnings = append(s.Warnings, path+": "+u.UnsignedReason())
		}
		if sc.Poll != nil {
			ps, err := compilePoll(sc.Poll)
			if err != nil {
				errs.AddErr(path+".poll", err)
			}
			src.Poll = ps
		}
		for i, cidr := range sc.AllowIPs {
			pfx, err := parsePrefix(cidr)
			if err != nil {
				errs.Add(fmt.Sprintf("%s.allow_ips[%d]", path, i), "%v", err)
				continue
			}
			src.AllowIPs = append(src.AllowIPs, pfx)
		}
		if sc.PublicURL != "" {
			u, err := url.Parse(sc.PublicURL)
			if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				errs.Add(path+".public_url", "must be an absolute http(s) URL")
			} else {
				src.PublicURL = u
			}
		}
		s.Sources[name] = src
		src.Path = name
		if sc.Path != "" {
			src.Path = sc.Path
		}
		s.ByPath[src.Path] = src
	}
	for i, rc := range cfg.Rules {
		file, path := cfg.RulePath(i)
		n := len(errs)
		r := &Rule{Name: rc.Name, Index: i, Source: rc.Source, Events: rc.Events, Concurrency: rc.Concurrency,
			Retry: rc.Retry, Sync: rc.Respond == "sync" || rc.Respond == "stream", Stream: rc.Respond == "stream", SyncTimeout: rc.SyncTimeout.D()}
		cond, err := expression.CompileCondition(rc.If)
		if err != nil {
			errs.Add(path+".if", "%v", err)
		}
		r.Cond = cond
		for j, ev := range rc.Events {
			if strings.TrimSpace(ev) == "" {
				errs.Add(fmt.Sprintf("%s.events[%d]", path, j), "empty event name")
			}
		}
		for j, a := range rc.Actions {
			for kind, raw := range a {
				// config.Locate names the rule beside its index: "rules[2] (deploy).actions[0].shell.command[3]".
				apath := fmt.Sprintf("%s.actions[%d].%s", path, j, kind)
				act, err := actions.Build(kind, actions.BuildContext{
					Decode: func(target any) error { return config.DecodeIn(raw, target, cfg.Dir) },
					Dir:    cfg.Dir, Rule: rc.Name,
				})
				if err != nil {
					if strings.HasPrefix(err.Error(), "unknown action type") {
						errs.Add(fmt.Sprintf("%s.actions[%d]", path, j), "unknown action type %q%s", kind, config.Suggest(kind, actions.Names()))
					} else {
						errs.AddErr(apath, err)
					}
					continue
				}
				r.Steps = append(r.Steps, Step{Kind: kind, Action: act})
			}
		}
		for k := n; k < len(errs); k++ {
			if errs[k].File == "" {
				errs[k].File = file
			}
		}
		s.Rules[r.Name] = r
		s.Ordered = append(s.Ordered, r)
		if src := s.Sources[rc.Source]; src != nil {
			if _, acks := src.P.(providers.Acknowledger); acks && r.Sync {
				errs.Add(path+".respond", "%s: provider %s answers with its own acknowledgement once the event is stored; use respond: async", rc.Respond, src.Provider)
			}
			src.add(r)
		}
	}
	s.Alerts = buildAlerts(cfg, &errs)
	if len(errs) > 0 {
		_ = s.Close() // the actions built before the problems were found
		return nil, cfg.Locate(errs.WithFile(displayName(cfg))).Redacted(s.Redactor)
	}
	for _, src := range s.Sources {
		src.buckets = make(map[string]*bucket, len(src.byEvent))
		for ev, rs := range src.byEvent {
			src.buckets[ev] = newBucket(rs)
		}
	}
	return s, nil
}

// Close closes every action of the snapshot (database pools, idle
// connections). Call it once the snapshot is no longer used: when it is
// evicted from the kept revisions, when a built snapshot is not swapped in,
// and at shutdown.
func (s *Snapshot) Close() error {
	var errs []error
	for _, r := range s.Ordered {
		for i, st := range r.Steps {
			if err := st.Action.Close(); err != nil {
				errs = append(errs, fmt.Errorf("rule %s: actions[%d] (%s): close: %w", r.Name, i, st.Kind, err))
			}
		}
	}
	for _, a := range s.Alerts {
		for i, st := range a.Steps {
			if err := st.Action.Close(); err != nil {
				errs = append(errs, fmt.Errorf("alert %s: actions[%d] (%s): close: %w", a.Name, i, st.Kind, err))
			}
		}
	}
	return errors.Join(errs...)
}

func displayName(cfg *config.Config) string {
	if cfg.Path == "" {
		return "hooks.yaml"
	}
	return cfg.Path[strings.LastIndex(cfg.Path, "/")+1:]
}

func asFieldError(err error, fe **providers.FieldError) bool {
	e, ok := err.(*providers.FieldError)
	if ok {
		*fe = e
	}
	return ok
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("invalid CIDR %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid IP %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowsIP reports whether ip may call the source.
func (src *Source) AllowsIP(ip netip.Addr) bool {
	if len(src.AllowIPs) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range src.AllowIPs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ConcurrencyLimits lists rules with a concurrency limit. Each run records
// its own rule's limit when it is created (store.Run.Concurrency); this is
// what a claim applies to runs that recorded none, and what a replay under
// this snapshot records.
func (s *Snapshot) ConcurrencyLimits() map[string]int {
	out := map[string]int{}
	for _, r := range s.Ordered {
		if r.Concurrency > 0 {
			out[r.Name] = r.Concurrency
		}
	}
	return out
}

// Load loads and compiles a config file: the one path used by serve,
// reload (config.Coordinator) and validate.
func Load(path string) (*Snapshot, error) { return config.LoadBuilt(path, Build) }

// Parse is Load for bytes already read.
func Parse(path string, raw []byte) (*Snapshot, error) {
	return config.ParseBuilt(path, raw, Build)
}

// anyAddress reports whether p's Unsigned gap stays open whatever
// allow_ips says (providers.UnsignedAnyAddress).
func anyAddress(p providers.Provider) bool {
	_, ok := p.(providers.UnsignedAnyAddress)
	return ok
}
