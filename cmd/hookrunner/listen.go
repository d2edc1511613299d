package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hookrunner/hookrunner/listen"
)

// listenCmd is `hookrunner listen`: relay a server's stored events of some
// sources to a local URL as they arrive (package listen).
func listenCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	serverF := fs.String("server", "", "URL of the hookrunner server (its public listener), e.g. https://hooks.example.com")
	token := fs.String("token", "", "a token of the server's listen: section (default $HOOKRUNNER_LISTEN_TOKEN)")
	source := fs.String("source", "", "sources to receive, comma-separated (default: every source of the token)")
	forward := fs.String("forward", "", "local URL to relay each event to, e.g. http://localhost:3000/webhook")
	print := fs.Bool("print", false, "print the events instead of forwarding them (keeps no state)")
	state := fs.String("state", "", "file keeping the cursor (default: <user config dir>/hookrunner/listen-<server hash>.json)")
	sinceF := fs.Duration("since", 0, "replay the events received within this duration (e.g. 1h) instead of resuming")
	retry := fs.Duration("retry", time.Second, "first wait after a failed local delivery (doubles up to 30s)")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on one local delivery")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("listen: unexpected argument %q", fs.Arg(0))
	}
	if *token == "" {
		*token = os.Getenv("HOOKRUNNER_LISTEN_TOKEN")
	}
	var sources []string
	for _, s := range strings.Split(*source, ",") {
		if s = strings.TrimSpace(s); s != "" {
			sources = append(sources, s)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return listen.Run(ctx, listen.Options{
		Server: *serverF, Token: *token, Sources: sources, Forward: *forward, Print: *print, State: *state,
		Since: *sinceF, Out: stdout, Color: colorOutput(stdout), RetryWait: *retry, Timeout: *timeout,
	})
}

// colorOutput reports whether w is a terminal that wants colour (NO_COLOR
// unset, TERM not dumb).
func colorOutput(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
