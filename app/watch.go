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
				if name != base && name != "..data" && !isTemp(name, base) {
					continue
				}
				if timer == nil {
					timer = time.NewTimer(debounce)
				} else {
					timer.Reset(debounce)
				}
				fire = timer.C
			case <-fire:
				fire = nil
				_ = r.reload(ctx)
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
