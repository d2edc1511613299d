package main

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/hookrunner/hookrunner/ruleset"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/sender"
)

func send(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	source := fs.String("source", "", "source name")
	event := fs.String("event", "", "event type (sets the provider's event header; picks the sample payload)")
	payload := fs.String("payload", "", "file with the body (default: a built-in sample for the provider and event)")
	handshake := fs.Bool("handshake", false, "send the provider's handshake request instead of an event (hub.challenge, url_validation, …)")
	target := fs.String("url", "", "URL to send to (default: http://127.0.0.1:<server port>/hooks/<source>)")
	var headers headerFlags
	fs.Var(&headers, "header", "extra header K:V (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	snap, err := ruleset.Load(*path)
	if err != nil {
		return err
	}
	useRedactor(out, snap.Redactor)
	src := snap.Sources[*source]
	if src == nil {
		return fmt.Errorf("send: unknown source %q%s", *source, config.Suggest(*source, snap.Config.SourceNames()))
	}
	var body []byte
	switch {
	case *handshake: // the provider builds the whole request
	case *payload != "":
		if body, err = os.ReadFile(*payload); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	default:
		if body, err = providers.Sample(src.Provider, *event); err != nil {
			return fmt.Errorf("send: %w (use --payload)", err)
		}
	}
	u := *target
	if u == "" {
		_, port, _ := net.SplitHostPort(snap.Config.Server.Listen)
		u = "http://127.0.0.1:" + port + "/hooks/" + *source
	}
	pu, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("send: --url: %w", err)
	}
	var req *providers.Request
	if *handshake {
		req, err = sender.BuildHandshakeRequest(src, pu, time.Now())
	} else {
		req, err = sender.BuildSignedRequest(src, *event, body, pu, time.Now())
	}
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if req.URL != nil && req.URL.RawQuery != "" {
		pu.RawQuery = req.URL.RawQuery // what the provider signed (Twilio's bodySHA256, a query token)
	}
	hreq, err := http.NewRequest(req.Method, pu.String(), bytes.NewReader(req.Body)) // encrypted when the source decrypts
	if err != nil {
		return err
	}
	hreq.Header = req.Header
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(hreq)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	fmt.Fprintf(out, "%s %s (%s, %d bytes)\n%s\n%s\n", req.Method, pu.Redacted(), src.Provider, len(req.Body), resp.Status, strings.TrimSpace(string(rb)))
	if resp.StatusCode >= 300 {
		return exitCode(1)
	}
	return nil
}
