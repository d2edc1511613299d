package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// Coordinator is the one owner of a config's life after start: load the
// file, validate and build it into S (the compiled snapshot: config cannot
// name the engine's type), check it, skip it when it is what is in force,
// apply it (record the revision, swap), and report the outcome. A failure
// at any step keeps the config in force. Reload is serialised.
//
// Alertmanager's config/coordinator.go is the model.
type Coordinator[S any] struct {
	mu   sync.Mutex
	path string
	o    CoordinatorOptions[S]
}

// CoordinatorOptions are the steps a Coordinator runs, in order.
type CoordinatorOptions[S any] struct {
	// Build compiles a loaded config (ruleset.Build).
	Build func(*Config) (S, error)
	// Check refuses a built config that must not take effect (nil: none).
	Check func(S) error
	// Current returns the config in force; Hash names a built config. A
	// reload whose hash is the one in force (the same main and included
	// files) is a success that changes nothing.
	Current func() S
	Hash    func(S) string
	// Apply makes next the config in force (record its revision, then
	// swap); when it fails, prev stays.
	Apply func(ctx context.Context, next, prev S) error
	// Failed and Unchanged report outcomes (metrics, status); Apply
	// reports a change. Either may be nil.
	Failed    func(error)
	Unchanged func()
	// Notify tells the service manager a reload is under way
	// ("RELOADING=1", then "READY=1"); nil: nobody.
	Notify func(string)
	// Attrs describe a config in the "config reloaded" log line.
	Attrs  func(S) []any
	Logger *slog.Logger
}

// NewCoordinator returns the coordinator of the config file at path.
func NewCoordinator[S any](path string, o CoordinatorOptions[S]) *Coordinator[S] {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Notify == nil {
		o.Notify = func(string) {}
	}
	return &Coordinator[S]{path: path, o: o}
}

// Path is the config file coordinated.
func (c *Coordinator[S]) Path() string { return c.path }

// Load reads, parses, builds and checks the file without applying it: what
// `validate` and a reload both do first.
func (c *Coordinator[S]) Load() (S, error) {
	raw, err := ReadStable(c.path)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("%s: read: %w", c.path, err)
	}
	return c.build(raw)
}

func (c *Coordinator[S]) build(raw []byte) (S, error) {
	s, err := ParseBuilt(c.path, raw, c.o.Build)
	if err == nil && c.o.Check != nil {
		err = c.o.Check(s)
	}
	return s, err
}

// Reload loads the file and, when it differs from the config in force,
// applies it. The error is why the config in force stays.
func (c *Coordinator[S]) Reload(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.o.Current()
	raw, err := ReadStable(c.path)
	if err != nil {
		return c.fail(prev, fmt.Errorf("%s: read: %w", c.path, err))
	}
	c.o.Notify("RELOADING=1")
	defer c.o.Notify("READY=1")
	next, err := c.build(raw)
	if err != nil {
		return c.fail(prev, err)
	}
	if c.o.Hash(next) == c.o.Hash(prev) {
		if c.o.Unchanged != nil {
			c.o.Unchanged()
		}
		return nil
	}
	if err := c.o.Apply(ctx, next, prev); err != nil {
		return c.fail(prev, err)
	}
	attrs := []any{"hash", c.o.Hash(next), "previous", c.o.Hash(prev)}
	if c.o.Attrs != nil {
		attrs = append(attrs, c.o.Attrs(next)...)
	}
	c.o.Logger.Info("config reloaded", attrs...)
	return nil
}

func (c *Coordinator[S]) fail(prev S, err error) error {
	if c.o.Failed != nil {
		c.o.Failed(err)
	}
	c.o.Logger.Error("config reload failed; the running config stays", "hash", c.o.Hash(prev), "error", err)
	return err
}

// LoadBuilt reads the file at path, parses it and builds S from it with
// build: the one path of serve, reload and validate.
func LoadBuilt[S any](path string, build func(*Config) (S, error)) (S, error) {
	cfg, err := Load(path)
	return buildReporting(cfg, err, build)
}

// ParseBuilt is LoadBuilt for bytes already read.
func ParseBuilt[S any](path string, raw []byte, build func(*Config) (S, error)) (S, error) {
	cfg, err := Parse(path, raw, os.LookupEnv)
	return buildReporting(cfg, err, build)
}

// buildReporting builds cfg; when loading already found problems it still
// builds what it can so that every problem is reported in one go.
func buildReporting[S any](cfg *Config, loadErr error, build func(*Config) (S, error)) (S, error) {
	var zero S
	if cfg == nil {
		return zero, loadErr
	}
	s, err := build(cfg)
	if loadErr == nil {
		return s, err
	}
	var all Errors // both already redacted with cfg's secrets
	all.AddErr("", loadErr)
	if err != nil {
		all.AddErr("", err)
	}
	return zero, all
}
