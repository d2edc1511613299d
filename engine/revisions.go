package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/internal/yamlsecret"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/store"
)

// maxKeptRevisions bounds the compiled old snapshots kept in memory; older
// ones are rebuilt from the store when a run still needs them.
const maxKeptRevisions = 16

// revisions keeps the compiled snapshots of earlier configs, so a run
// executes under the rule definition it was matched with, whatever was
// reloaded since. A snapshot it drops (evicted, or replaced by another
// object of the same hash) is closed, unless it is the one in force.
type revisions struct {
	mu    sync.Mutex
	snaps map[string]*ruleset.Snapshot
	order []string // oldest first
	// inForce returns the snapshot in force (never closed here).
	inForce func() *ruleset.Snapshot
}

func (r *revisions) get(hash string) *ruleset.Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snaps[hash]
}

func (r *revisions) put(s *ruleset.Snapshot) {
	var dropped []*ruleset.Snapshot
	r.mu.Lock()
	if r.snaps == nil {
		r.snaps = map[string]*ruleset.Snapshot{}
	}
	switch kept, ok := r.snaps[s.Hash]; {
	case kept == s:
	case ok:
		// The newer object of the same config replaces the kept one (a
		// config reloaded back: the kept one was out of service longer).
		r.snaps[s.Hash] = s
		dropped = append(dropped, kept)
	default:
		r.snaps[s.Hash] = s
		r.order = append(r.order, s.Hash)
		if len(r.order) > maxKeptRevisions {
			dropped = append(dropped, r.snaps[r.order[0]])
			delete(r.snaps, r.order[0])
			r.order = r.order[1:]
		}
	}
	r.mu.Unlock()
	for _, d := range dropped {
		r.close(d)
	}
}

// close closes a dropped snapshot unless it is in force. A run still in
// flight on it completes (an action's Close does not break a run in
// progress; see actions.Action).
func (r *revisions) close(s *ruleset.Snapshot) {
	if r.inForce != nil && r.inForce() == s {
		return
	}
	_ = s.Close()
}

// CloseSnapshots closes the snapshot in force and every kept revision
// (their actions' database pools). Call it at shutdown, once Run has
// returned.
func (e *Engine) CloseSnapshots() error {
	e.revs.mu.Lock()
	all := map[*ruleset.Snapshot]bool{e.Snapshot(): true}
	for _, s := range e.revs.snaps {
		all[s] = true
	}
	e.revs.snaps, e.revs.order = nil, nil
	e.revs.mu.Unlock()
	var errs []error
	for s := range all {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Revision is the store record of snap's config: the text of its files as
// written (${VAR} references stay references), with every secret value
// written literally in them replaced by a placeholder naming its hash, so
// the store never holds a secret. Secrets are found by position in the
// parsed file, however YAML spells them (internal/yamlsecret). A file
// whose secrets cannot all be located is recorded as a comment saying so
// (RecordRevision refuses such a config). Rebuilding puts the values back
// from the secrets the config in force knows.
func Revision(snap *ruleset.Snapshot) *store.Revision {
	rev, _ := revision(snap)
	return rev
}

func revision(snap *ruleset.Snapshot) (*store.Revision, error) {
	files := make(map[string]string, len(snap.Config.Files))
	var errs []error
	for name, b := range snap.Config.Files {
		text, err := yamlsecret.Hide(string(b), snap.Config.Secrets)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w: write the value on one line, plainly or quoted, or use ${VAR}", name, err))
			text = "# not stored: its secrets could not all be located\n"
		}
		files[name] = text
	}
	return &store.Revision{Hash: snap.Hash, Path: snap.Config.Path, Files: files, CreatedAt: snap.LoadedAt}, errors.Join(errs...)
}

// RecordRevision durably stores snap's revision. It is called before snap
// takes effect (at start and on every reload), so every run refers to a
// revision the store holds.
func (e *Engine) RecordRevision(ctx context.Context, snap *ruleset.Snapshot) error {
	rev, err := revision(snap)
	if err != nil {
		return fmt.Errorf("config revision %s: a secret cannot be kept out of the store: %w", snap.Hash, err)
	}
	if err := e.st.SaveRevision(ctx, rev); err != nil {
		return fmt.Errorf("record config revision %s: %w", snap.Hash, err)
	}
	e.revs.put(snap)
	return nil
}

// snapshotFor returns the snapshot with hash: the one in force, one kept in
// memory, or one rebuilt from its stored revision (after a restart; again
// once a minute while rule is left out of it for a missing secret).
func (e *Engine) snapshotFor(ctx context.Context, hash, rule string) (*ruleset.Snapshot, error) {
	if cur := e.Snapshot(); cur.Hash == hash || hash == "" {
		return cur, nil
	}
	if s := e.revs.get(hash); s != nil && (s.Config.Unavailable[rule] == "" || e.now().Sub(s.LoadedAt) < time.Minute) {
		return s, nil
	}
	rev, err := e.st.GetRevision(ctx, hash)
	if err != nil {
		return nil, err
	}
	// Tolerant: a secret gone since leaves out only the rules using it.
	cfg, err := config.RebuildRevision(rev.Path, rev.Files, e.Snapshot().Config.Secrets, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("config revision %s no longer loads: %w", hash, err)
	}
	s, err := ruleset.Build(cfg)
	if err != nil {
		return nil, fmt.Errorf("config revision %s no longer builds: %w", hash, err)
	}
	// Keep it under the hash the runs carry (secret files may have changed
	// since, which changes the hash of the rebuilt config).
	s.Hash = hash
	e.revs.put(s)
	e.log.Info("rebuilt an earlier config revision for its runs", "hash", hash)
	return s, nil
}

// errNoRule is a run whose rule cannot be found in any config.
var errNoRule = errors.New("rule not found")

// ruleFor returns the rule a run executes under: the one of the config
// revision it was matched (or replayed) under. A run from before revisions
// were kept falls back to the rule of that name in force.
func (e *Engine) ruleFor(ctx context.Context, run *store.Run) (*ruleset.Snapshot, *ruleset.Rule, error) {
	snap, err := e.snapshotFor(ctx, run.ConfigHash, run.Rule)
	switch {
	case errors.Is(err, store.ErrNotFound):
		snap = e.Snapshot()
	case err != nil:
		return nil, nil, err
	}
	if r := snap.Rules[run.Rule]; r != nil {
		return snap, r, nil
	}
	if why := snap.Config.Unavailable[run.Rule]; why != "" {
		return nil, nil, fmt.Errorf("config revision %s: rule %q cannot run: a secret it needs is unavailable: %s", run.ConfigHash, run.Rule, why)
	}
	return nil, nil, fmt.Errorf("%w: rule %q is in neither config revision %s nor the one in force", errNoRule, run.Rule, run.ConfigHash)
}
