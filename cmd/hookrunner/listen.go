package main

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/listen"
)

// listenCmd is `hookrunner listen`: relay a server's stored events of some
// sources to a local URL as they arrive (package listen).
type listenCmd struct {
	Server  string        `required:"" placeholder:"URL" help:"URL of the hookrunner server (its public listener), e.g. https://hooks.example.com."`
	Token   string        `env:"HOOKRUNNER_LISTEN_TOKEN" placeholder:"TOKEN" help:"A token of the server's listen: section."`
	Source  string        `placeholder:"S[,S]" help:"Sources to receive, comma-separated (default: every source of the token)."`
	Forward string        `placeholder:"URL" help:"Local URL to relay each event to, e.g. http://localhost:3000/webhook."`
	Print   bool          `help:"Print the events instead of forwarding them (keeps no state)."`
	State   string        `placeholder:"FILE" complete:"file" help:"File keeping the cursor (default: <user config dir>/hookrunner/listen-<server hash>.json)."`
	Since   time.Duration `placeholder:"DURATION" help:"Replay the events received within this duration (e.g. 1h) instead of resuming."`
	Retry   time.Duration `default:"1s" help:"First wait after a failed local delivery (doubles up to 30s)."`
	Timeout time.Duration `default:"30s" help:"Bound on one local delivery."`
}

func (c *listenCmd) Run(e *env) error {
	var sources []string
	for _, s := range strings.Split(c.Source, ",") {
		if s = strings.TrimSpace(s); s != "" {
			sources = append(sources, s)
		}
	}
	return listen.Run(e.ctx, listen.Options{
		Server: c.Server, Token: c.Token, Sources: sources, Forward: c.Forward, Print: c.Print, State: c.State,
		Since: c.Since, Out: e.stdout, Color: colorOutput(e.stdout), RetryWait: c.Retry, Timeout: c.Timeout,
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
