package main

import (
	"context"
	"flag"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
)

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	watch := fs.Bool("watch", true, "reload when the config file changes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reload := make(chan struct{}, 1)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	return app.Run(ctx, app.Options{
		ConfigPath: *cfg, Watch: *watch, Reload: reload, LogOutput: stderr,
		Listener: app.SocketActivated(), Notify: app.SdNotify,
		Build: engine.BuildInfo{Version: version, Revision: commit},
	})
}
