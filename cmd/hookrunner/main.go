// Command hookrunner receives webhooks, verifies them, stores them durably,
// matches them against the rules of hooks.yaml and runs their actions.
//
// The CLI is declared as structs for github.com/alecthomas/kong: one
// struct per verb, its flags as tagged fields, its Run method mapping
// them onto the packages that do the work (app, ops, sender, importer).
// Exit status: 0 ok, 1 the command failed, 2 usage error.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ops"
)

type cli struct {
	Serve      serveCmd      `cmd:"" help:"Run the server: receive webhooks, store them, run the actions of the rules they match."`
	Validate   validateCmd   `cmd:"" help:"Check hooks.yaml; list its sources and rules."`
	Test       testCmd       `cmd:"" help:"Run the rule tests beside the config (hooks.test.yaml); runs nothing."`
	Explain    explainCmd    `cmd:"" help:"Say what every rule decides for a request, and why (runs nothing)."`
	Send       sendCmd       `cmd:"" help:"Post a signed sample (or --payload) to a running hookrunner."`
	Events     eventsCmd     `cmd:"" help:"List received events, or show one."`
	Runs       runsCmd       `cmd:"" help:"List runs, or show one with its attempts."`
	Replay     replayCmd     `cmd:"" help:"Run a run, a rule's runs or an event again, under the config in force."`
	Listen     listenCmd     `cmd:"" help:"Relay a server's stored events of some sources to a local URL as they arrive, in order (local development)."`
	Import     importCmd     `cmd:"" help:"Convert an adnanh/webhook config (hooks.yaml to stdout), or load an export into the store of --config."`
	Export     exportCmd     `cmd:"" help:"Write stored events with their runs as JSON Lines to stdout (redacted; for import)."`
	Health     healthCmd     `cmd:"" help:"Exit 0 when the server is ready (for a container HEALTHCHECK)."`
	Schema     schemaCmd     `cmd:"" help:"Print the JSON Schema of hooks.yaml."`
	Providers  providersCmd  `cmd:"" help:"What each provider checks, and where event type and delivery id come from."`
	Completion completionCmd `cmd:"" help:"Print a shell completion script: bash, zsh or fish."`
	Version    versionCmd    `cmd:"" help:"Print the version."`
	Help       helpCmd       `cmd:"" hidden:"" help:"Show help for a command."`

	VersionFlag kong.VersionFlag `name:"version" short:"v" hidden:"" help:"Print the version."`
}

const description = `Receive, verify, store and act on webhooks.

events, runs and replay open the store of --config, or talk to a running
server with --server http://127.0.0.1:8081 [--token T] (or
HOOKRUNNER_ADMIN_TOKEN). Exit status: 0 ok, 1 failure, 2 usage error.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command's Run is given.
type env struct {
	ctx context.Context
	// out is stdout through the redactor of the config the command loaded
	// (out.use); without one the structural rules still apply.
	out    *redactedOutput
	stdout io.Writer // unredacted: import and schema load no config
	stderr io.Writer
	parser *kong.Kong
}

// exitCode ends a command with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func newParser(stdout, stderr io.Writer) (*kong.Kong, error) {
	return kong.New(&cli{}, kong.Name("hookrunner"), kong.Description(description),
		kong.Writers(stdout, stderr), kong.Vars{"version": versionString(), "default_health": ops.DefaultHealthURL},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		// Help and --version end the parse through Exit: unwind to run.
		kong.Exit(func(code int) { panic(exitCode(code)) }))
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	parser, err := newParser(stdout, stderr)
	if err != nil {
		panic(err) // the CLI's own declaration is wrong
	}
	if len(args) == 0 {
		parser.Stdout = stderr
		catchExit(func() { _, _ = parser.Parse([]string{"--help"}) })
		return 2
	}
	var kctx *kong.Context
	if code, exited := catchExit(func() { kctx, err = parser.Parse(legacyFlags(args, parser.Model)) }); exited {
		return code
	}
	if err != nil {
		usage(stderr, err)
		return 2
	}
	out := &redactedOutput{w: stdout}
	code, exited := catchExit(func() { err = kctx.Run(&env{ctx: ctx, out: out, stdout: stdout, stderr: stderr, parser: parser}) })
	out.flush()
	var ec exitCode
	switch {
	case exited:
		return code
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	case errors.Is(err, ops.ErrNoMatch):
		return 1
	}
	fmt.Fprintln(stderr, "hookrunner: "+out.red.String(err.Error()))
	return 1
}

// catchExit runs fn, catching the kong Exit (help, --version) it ends with.
func catchExit(fn func()) (code int, exited bool) {
	defer func() {
		if r := recover(); r != nil {
			ec, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			code, exited = int(ec), true
		}
	}()
	fn()
	return 0, false
}

// usage reports a usage error: what was wrong and where the help is.
func usage(w io.Writer, err error) {
	help := "hookrunner --help"
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil {
		for _, p := range pe.Context.Path {
			if p.Command != nil {
				help = "hookrunner " + p.Command.Name + " --help"
			}
		}
	}
	fmt.Fprintf(w, "hookrunner: %s\nRun %q for usage.\n", err, help)
}

// legacyFlags accepts the single-dash long flags of the CLI before kong
// (-config hooks.yaml, as Go's flag package took them): a "-name" or
// "-name=value" whose name is a long flag is read as "--name".
func legacyFlags(args []string, app *kong.Application) []string {
	long := map[string]bool{}
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, f := range n.Flags {
			long[f.Name] = true
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(app.Node)
	out := make([]string, len(args))
	for i, a := range args {
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 && long[name] {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

// redactedOutput holds a command's output until it ends, then writes it
// with every secret of the config replaced; commands hand it their
// config's redactor with use. Without one the structural rules still
// apply (URL credentials, credential query values and headers).
type redactedOutput struct {
	w   io.Writer
	buf bytes.Buffer
	red *redact.Redactor
}

func (o *redactedOutput) Write(p []byte) (int, error) { return o.buf.Write(p) }

func (o *redactedOutput) flush() {
	if o.buf.Len() > 0 {
		_, _ = io.WriteString(o.w, o.red.String(o.buf.String()))
		o.buf.Reset()
	}
}

// use adds the redactor of the config a command loaded.
func (o *redactedOutput) use(r *redact.Redactor) {
	if r != nil {
		o.red = r.Merge(o.red)
	}
}
