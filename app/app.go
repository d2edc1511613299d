// Package app wires hookrunner together for `hookrunner serve`: config,
// store, engine, listeners, reload (file watch, SIGHUP, admin endpoint) and
// an orderly shutdown. main stays thin so tests embed the whole app.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
	"github.com/hookrunner/hookrunner/store/postgres"
	"github.com/hookrunner/hookrunner/store/sqlite"
)

// Options for Run.
type Options struct {
	ConfigPath string
	// Watch reloads when the config file changes.
	Watch bool
	// Reload receives a value for each reload request (SIGHUP).
	Reload <-chan struct{}
	// LogOutput receives the logs (stderr when nil).
	LogOutput io.Writer
	// Ready, when set, is called with the bound addresses once serving.
	Ready func(public, admin string)
	// Listener, when set, is used for the public server instead of
	// listening on server.listen (socket activation, tests).
	Listener net.Listener
	// Notify receives lifecycle states: "READY=1", "RELOADING=1",
	// "STOPPING=1" (sd_notify).
	Notify func(state string)
	// Build names the binary (version and revision from -ldflags) in the
	// hookrunner_build_info metric; empty fields come from the module's
	// build information.
	Build engine.BuildInfo
	// WrapStore, when set, wraps the opened store (fault-injection tests).
	WrapStore func(store.Store) store.Store
}

// NewLogger builds the slog logger the config asks for. Every record
// passes through the redactor red returns at the time (the one of the
// config in force), so no log line carries a secret.
func NewLogger(c config.Log, w io.Writer, red func() *redact.Redactor) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.Level))
	o := &slog.HandlerOptions{Level: lvl, ReplaceAttr: durationSeconds}
	var h slog.Handler = slog.NewTextHandler(w, o)
	if c.Format == "json" {
		h = slog.NewJSONHandler(w, o)
	}
	return slog.New(redact.NewHandler(h, red))
}

// durationSeconds writes every duration attribute as seconds (a float)
// under its key with "_s" appended, in text and JSON alike: slog's JSON
// handler would otherwise print a time.Duration as integer nanoseconds.
// Call sites log "duration_s" and the like themselves; this catches the
// rest.
func durationSeconds(_ []string, a slog.Attr) slog.Attr {
	var d time.Duration
	switch v := a.Value; {
	case v.Kind() == slog.KindDuration:
		d = v.Duration()
	case v.Kind() == slog.KindAny:
		cd, ok := v.Any().(config.Duration)
		if !ok {
			return a
		}
		d = cd.D()
	default:
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_s") {
		key += "_s"
	}
	return slog.Float64(key, d.Seconds())
}

// OpenStore opens the store the config names; singleNode is true for a
// store only this process uses (SQLite).
func OpenStore(ctx context.Context, c config.Store, log *slog.Logger) (st store.Store, singleNode bool, err error) {
	switch c.Driver {
	case "sqlite":
		s, err := sqlite.Open(ctx, c.DSN, sqlite.Options{Synchronous: c.Synchronous})
		if err != nil {
			return nil, false, err
		}
		return s, true, nil
	case "postgres":
		s, err := postgres.Open(ctx, c.DSN, log)
		if err != nil {
			return nil, false, err
		}
		return s, false, nil
	}
	return nil, false, fmt.Errorf("store.driver %q is not supported by this build", c.Driver)
}

// Run serves until ctx is cancelled, then shuts down in order: stop
// accepting, finish requests, drain running actions, close the store.
func Run(ctx context.Context, o Options) (err error) {
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	if o.Notify == nil {
		o.Notify = func(string) {}
	}
	snap, err := ruleset.Load(o.ConfigPath)
	if err != nil {
		return err
	}
	tuneGC(os.Getenv)
	cfg := snap.Config
	defer func() { err = snap.Redactor.Error(err) }() // a store or listener error may quote the DSN
	var engRef atomic.Pointer[engine.Engine]
	log := NewLogger(cfg.Log, o.LogOutput, func() *redact.Redactor {
		if e := engRef.Load(); e != nil {
			return e.Redactor()
		}
		return snap.Redactor
	})
	if !server.IsLoopback(cfg.Admin.Listen) && cfg.Admin.Token == "" {
		return fmt.Errorf("%s: admin.token: required when admin.listen (%s) is not a loopback address", o.ConfigPath, cfg.Admin.Listen)
	}
	for _, w := range snap.Warnings {
		log.Warn("config warning", "warning", w)
	}

	st, singleNode, err := OpenStore(ctx, cfg.Store, log)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	if o.WrapStore != nil {
		st = o.WrapStore(st)
	}
	eng := engine.New(snap, engine.Options{Store: st, Logger: log, RecoverOnStart: singleNode, Build: o.Build})
	engRef.Store(eng)
	defer func() {
		// The actions' database pools (crm) go with the engine.
		if err := eng.CloseSnapshots(); err != nil {
			log.Warn("closing actions", "error", err)
		}
	}()
	if err := eng.RecordRevision(ctx, snap); err != nil {
		return err
	}

	r := newReloader(o.ConfigPath, eng, log, o.Notify, cfg.Admin.Listen)

	pubLn := o.Listener
	if pubLn == nil {
		if pubLn, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			return fmt.Errorf("listen %s: %w", cfg.Server.Listen, err)
		}
	}
	admLn, err := net.Listen("tcp", cfg.Admin.Listen)
	if err != nil {
		pubLn.Close()
		return fmt.Errorf("admin listen %s: %w", cfg.Admin.Listen, err)
	}
	in := server.NewIngress(eng, log, cfg.Server)
	// Refused requests, kept in memory for the console's Rejected page.
	in.Rejected = server.NewRejected(0)
	in.Stream = eng
	trusted := server.ParsePrefixes(cfg.Server.TrustedProxies)
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hookrunner_connections_refused_total",
		Help: "Connections closed at accept on the public listener, by reason (per_ip: server.max_conns_per_ip).",
	}, []string{"reason"})
	if err := eng.Metrics().Registry.Register(refused); err != nil {
		pubLn.Close()
		admLn.Close()
		return fmt.Errorf("register metrics: %w", err)
	}
	pubLn = server.LimitListener(pubLn, cfg.Server.MaxConnections)
	pubLn = server.PerIPListener(pubLn, cfg.Server.MaxConnsPerIP, trusted, refused.WithLabelValues("per_ip").Inc)
	if cfg.Server.TLS.CertFile != "" {
		certs, err := newCertReloader(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile)
		if err != nil {
			pubLn.Close()
			admLn.Close()
			return err
		}
		pubLn = tls.NewListener(pubLn, tlsConfig(certs))
	}
	pub := &http.Server{
		Handler:           in.Handler(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		ReadTimeout:       cfg.Server.ReadTimeout.D(),
		WriteTimeout:      cfg.Server.WriteTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		MaxHeaderBytes:    int(cfg.Server.MaxHeaderBytes),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	pub.RegisterOnShutdown(in.CloseStreams) // listen streams end, Shutdown need not wait
	adm := &http.Server{
		Handler:           (&server.Admin{Engine: eng, Reload: r.reload, Trusted: trusted, Rejected: in.Rejected}).Handler(),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}

	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRunner()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := eng.Run(runCtx, engine.RunOptions{
			Workers: cfg.Runner.Workers, Lease: cfg.Runner.Lease.D(), PollInterval: cfg.Runner.PollInterval.D(),
			Grace: cfg.Server.ShutdownGrace.D(), OutputLimit: int(cfg.Runner.OutputLimit),
			Retention: cfg.Store.Retention.D(), DedupeWindow: cfg.Store.DedupeWindow.D(),
		})
		if err != nil {
			log.Error("runner stopped", "error", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		eng.RunPollers(runCtx)
	}()
	errc := make(chan error, 2)
	go func() { errc <- serve(pub, pubLn) }()
	go func() { errc <- serve(adm, admLn) }()

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if o.Watch {
		if err := r.watch(watchCtx); err != nil {
			log.Error("config watch disabled", "error", err)
		}
	}
	go func() {
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-o.Reload:
				_ = r.reload(watchCtx)
			}
		}
	}()

	log.Info("hookrunner serving", "listen", pubLn.Addr().String(), "admin", admLn.Addr().String(),
		"sources", len(snap.Sources), "rules", len(snap.Ordered), "config_hash", snap.Hash, "store", cfg.Store.Driver)
	if o.Ready != nil {
		o.Ready(pubLn.Addr().String(), admLn.Addr().String())
	}
	o.Notify("READY=1")

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		log.Error("listener failed", "error", serveErr)
	}
	o.Notify("STOPPING=1")
	log.Info("shutting down: no new requests; running actions get the grace period", "grace_s", cfg.Server.ShutdownGrace.D().Seconds())
	stopWatch()
	// The listener closes at once; the engine's drain gives every running
	// action, respond: sync/stream ones too, the grace, then cancels and
	// records them; their handlers then have a second to answer. So the
	// server's wait is bounded by the grace, not by a slow action.
	shCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shut := make(chan struct{})
	go func() { _ = pub.Shutdown(shCtx); close(shut) }()
	stopRunner()
	wg.Wait()
	answered := time.NewTimer(time.Second)
	select {
	case <-shut:
	case <-answered.C:
	}
	cancel()
	admCtx, cancelAdm := context.WithTimeout(context.Background(), time.Second)
	defer cancelAdm()
	_ = adm.Shutdown(admCtx)
	log.Info("stopped")
	return serveErr
}

func serve(s *http.Server, ln net.Listener) error {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// reloader is the config.Coordinator of the engine's snapshot, plus what
// the watcher needs of the config in force.
type reloader struct {
	path  string
	eng   *engine.Engine
	log   *slog.Logger
	coord *config.Coordinator[*ruleset.Snapshot]
}

// newReloader coordinates reloads of path into eng. adminListen is the
// admin address bound at start (admin.listen changes wait for a restart;
// admin.token and admin.hosts do not).
func newReloader(path string, eng *engine.Engine, log *slog.Logger, notify func(string), adminListen string) *reloader {
	r := &reloader{path: path, eng: eng, log: log}
	r.coord = config.NewCoordinator(path, config.CoordinatorOptions[*ruleset.Snapshot]{
		Build: ruleset.Build,
		Check: func(snap *ruleset.Snapshot) error {
			if !server.IsLoopback(adminListen) && snap.Config.Admin.Token == "" {
				// The token follows reloads: never let one open a non-loopback admin.
				return fmt.Errorf("%s: admin.token: required when admin.listen (%s) is not a loopback address", path, adminListen)
			}
			return nil
		},
		Current:   eng.Snapshot,
		Hash:      func(s *ruleset.Snapshot) string { return s.Hash },
		Apply:     r.apply,
		Failed:    eng.ReloadFailed,
		Unchanged: eng.ReloadSucceeded,
		Notify:    notify,
		Attrs:     func(s *ruleset.Snapshot) []any { return []any{"sources", len(s.Sources), "rules", len(s.Ordered)} },
		Logger:    log,
	})
	return r
}

func (r *reloader) reload(ctx context.Context) error { return r.coord.Reload(ctx) }

// apply records snap's revision, then swaps it in.
func (r *reloader) apply(ctx context.Context, snap, old *ruleset.Snapshot) error {
	if cfg := snap.Config; old.Config.Store != cfg.Store || !reflect.DeepEqual(old.Config.Server, cfg.Server) || old.Config.Admin.Listen != cfg.Admin.Listen {
		r.log.Warn("server, admin.listen and store settings take effect at the next restart")
	}
	if old.Config.Admin.Token != snap.Config.Admin.Token {
		r.log.Info("admin token changed: console sessions opened under the old one are signed out")
	}
	if err := r.eng.RecordRevision(ctx, snap); err != nil {
		return err
	}
	for _, w := range snap.Warnings {
		r.log.Warn("config warning", "warning", w)
	}
	r.eng.Swap(snap)
	return nil
}
