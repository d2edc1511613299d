package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/hookrunner/hookrunner/app"
)

type serveCmd struct {
	configFlag
	Watch bool `default:"true" negatable:"" help:"Reload when the config file changes (--no-watch or --watch=false: only on SIGHUP or POST /-/reload)."`
}

func (c *serveCmd) Run(e *env) error {
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
	})
}
