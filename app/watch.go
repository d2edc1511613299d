package app

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long the watcher waits after the last change before it
// reloads, so an editor's burst of writes, renames and chmods becomes one
// reload and a file being written is read once it is whole.
const debounce = 150 * time.Millisecond

// removeSettle is the wait after a config file was removed or renamed away.
const removeSettle = time.Second

// watch reloads when the config file's directory changes. It watches the
// directory, not the file, so every way of saving is seen: in-place writes,
// write-to-temp-and-rename, delete-and-recreate, and Kubernetes ConfigMap
// updates (the ..data symlink swap). Byte-identical content is skipped.
func (r *reloader) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	dir := filepath.Dir(r.path)
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	base := filepath.Base(r.path)
	// The directories of include: globs are watched too; any change there
	// (a file added, removed or edited) reloads.
	incDirs := map[string]bool{}
	addIncludes := func() {
		for _, d := range r.includeDirs() {
			if !incDirs[d] {
				if err := w.Add(d); err == nil {
					incDirs[d] = true
				}
			}
		}
	}
	addIncludes()
	// Logged before Run reports ready, so its absence then means no
	// change to the file can reload (tests rely on it).
	r.log.Info("watching config for changes", "dir", dir)
	go func() {
		defer w.Close()
		var timer *time.Timer
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				name := filepath.Base(ev.Name)
				inInclude := incDirs[filepath.Dir(ev.Name)] && filepath.Dir(ev.Name) != dir
				if !inInclude && name != base && name != "..data" && !isTemp(name, base) && !r.isIncluded(ev.Name) {
					continue
				}
				wait := debounce
				if ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
					// A file on its way out is often on its way back
					// (delete and re-create, rename over): give it time
					// rather than load a config without it.
					wait = removeSettle
				}
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				fire = timer.C
			case <-fire:
				fire = nil
				_ = r.reload(ctx)
				addIncludes()
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				r.log.Error("config watch error", "error", err)
			}
		}
	}()
	return nil
}

// isTemp reports whether name is a file an editor or a ConfigMap update
// writes on the way to replacing base (renamed over it afterwards).
func isTemp(name, base string) bool {
	return len(name) > 2 && name[:2] == ".." || filepath.Ext(name) == ".tmp" || name == base+"~"
}

// includeDirs lists the directories of the include globs in force.
func (r *reloader) includeDirs() []string {
	cfg := r.eng.Snapshot().Config
	var out []string
	for _, p := range cfg.Include {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.Dir, p)
		}
		out = append(out, filepath.Dir(p))
	}
	return out
}

// isIncluded reports whether path matches an include glob in force.
func (r *reloader) isIncluded(path string) bool {
	cfg := r.eng.Snapshot().Config
	for _, p := range cfg.Include {
		if !filepath.IsAbs(p) {
			p = filepath.Join(cfg.Dir, p)
		}
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
	}
	return false
}
