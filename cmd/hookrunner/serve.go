package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
)

type serveCmd struct {
	configFlag
	Watch bool `default:"true" negatable:"" help:"Reload when the config file changes (--no-watch or --watch=false: only on SIGHUP or POST /-/reload)."`
}

func (c *serveCmd) Run(e *env) error {
	if _, err := os.Stat(c.Config); errors.Is(err, fs.ErrNotExist) {
		// The first thing a new user (or a container started without its
		// mount) meets: say what to do, not just ENOENT.
		return fmt.Errorf("no config file at %s: write one (the repository's hooks.yaml is a start; see the README's quick start) "+
			"or give its path with --config; in a container, mount it: -v $PWD/hooks.yaml:%s:ro", c.Config, c.Config)
	}
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	return app.Run(e.ctx, app.Options{
		ConfigPath: c.Config, Watch: c.Watch, Reload: reload, LogOutput: e.stderr,
		Listener: app.SocketActivated(), Notify: app.SdNotify,
		Build: engine.BuildInfo{Version: version, Revision: commit},
	})
}
