// Command hookrunner receives webhooks, verifies them, stores them durably,
// matches them against the rules of hooks.yaml and runs their actions.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `hookrunner — receive, verify, store and act on webhooks

Usage:
  hookrunner serve    --config hooks.yaml [--watch=true]
  hookrunner validate --config hooks.yaml
  hookrunner test     --config hooks.yaml [--update] [-v] [TEST_FILE...]   (rule tests: hooks.test.yaml)
  hookrunner explain  --config hooks.yaml --source S [--event E] --payload P.json [--header K:V]... | --event-id ID
  hookrunner send     --config hooks.yaml --source S [--event E] [--payload P.json] [--url URL]
  hookrunner events   --config hooks.yaml [--source S] [--event E] [--since 1h] [--limit N] [ID]
  hookrunner runs     --config hooks.yaml [--rule R] [--state dead] [--event-id ID] [--since 1h] [ID [--diff]]
  hookrunner replay   --config hooks.yaml RUN_ID | --rule R [--state dead] | --event-id ID
  hookrunner listen   --server URL --source S[,S] --forward http://localhost:3000/webhook [--token T] [--state FILE] [--since 1h] [--print]
  hookrunner import   --from webhook hooks.json > hooks.yaml   (convert an adnanh/webhook config)
  hookrunner health   [--url http://127.0.0.1:8081/readyz]   (exit 0 when ready; for HEALTHCHECK)
  hookrunner schema   (the JSON Schema of hooks.yaml)
  hookrunner providers [--markdown]   (what each provider checks, and where event type and delivery id come from)
  hookrunner version

events, runs and replay open the store directly, or talk to a running
server with --server http://127.0.0.1:8081 [--token T] (or
HOOKRUNNER_ADMIN_TOKEN). Run "hookrunner <command> -h" for its flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	// What the commands that read the config or the store print passes
	// through the config's redactor (see redactedOutput).
	out := &redactedOutput{w: stdout}
	defer out.flush()
	switch cmd {
	case "serve":
		err = serve(rest, stderr)
	case "validate":
		err = validate(rest, out)
	case "test":
		err = test(rest, out, stderr)
	case "explain":
		err = explain(rest, out)
	case "send":
		err = send(rest, out)
	case "events":
		err = events(rest, out)
	case "runs":
		err = runs(rest, out)
	case "replay":
		err = replay(rest, out)
	case "listen":
		err = listenCmd(rest, stdout)
	case "import":
		err = importCmd(rest, stdout, stderr)
	case "health":
		err = health(rest, stdout)
	case "schema":
		err = schema(rest, stdout)
	case "providers":
		err = providersCmd(rest, stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hookrunner: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec)
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	out.flush()
	fmt.Fprintln(stderr, out.red.String(err.Error()))
	return 1
}

// exitCode ends a command with a status and no further message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }
