package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"github.com/hookrunner/hookrunner/ruleset"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/app"
)

func explain(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	source := fs.String("source", "", "source name")
	event := fs.String("event", "", "event type (default: what the provider reads from the headers/body)")
	payload := fs.String("payload", "", "file with the request body")
	eventID := fs.String("event-id", "", "explain a stored event instead")
	var headers headerFlags
	fs.Var(&headers, "header", "request header K:V (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	snap, err := ruleset.Load(*path)
	if err != nil {
		return err
	}
	useRedactor(out, snap.Redactor)
	var env *ruleset.ExplainInput
	if *eventID != "" {
		st, _, err := app.OpenStore(context.Background(), snap.Config.Store, nil)
		if err != nil {
			return err
		}
		defer st.Close()
		ev, err := st.GetEvent(context.Background(), *eventID)
		if err != nil {
			return err
		}
		env = &ruleset.ExplainInput{Source: ev.Source, Event: ev.Event, DeliveryID: ev.DeliveryID, EventID: ev.ID,
			Headers: ev.Headers, Query: ev.Query, Body: ev.Body, RemoteIP: ev.RemoteIP, ReceivedAt: ev.ReceivedAt}
	} else {
		if *source == "" || *payload == "" {
			return fmt.Errorf("explain: --source and --payload are required (or --event-id)")
		}
		body, err := os.ReadFile(*payload)
		if err != nil {
			return fmt.Errorf("explain: %w", err)
		}
		h := map[string]string{}
		for _, kv := range headers {
			k, v, ok := strings.Cut(kv, ":")
			if !ok {
				return fmt.Errorf("explain: --header %q: use Name:value", kv)
			}
			h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
		if h["content-type"] == "" {
			h["content-type"] = guessContentType(body)
		}
		env = &ruleset.ExplainInput{Source: *source, Event: *event, Headers: h, Body: body, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}
	}
	res, err := ruleset.ExplainRequest(snap, env)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "source %s (provider %s), event %q", res.Source, res.Provider, res.Event)
	if res.DeliveryID != "" {
		fmt.Fprintf(out, ", delivery %s", res.DeliveryID)
	}
	fmt.Fprintln(out)
	if len(res.Decisions) == 0 {
		fmt.Fprintln(out, "  no rules on this source")
	}
	any := false
	for _, d := range res.Decisions {
		if d.Matched {
			any = true
			fmt.Fprintf(out, "\nMATCH     %s — %s\n", d.Rule, d.Reason)
			for _, a := range d.Actions {
				fmt.Fprintf(out, "  would run %s\n", a)
			}
			continue
		}
		fmt.Fprintf(out, "\nNO MATCH  %s — %s\n", d.Rule, d.Reason)
		for _, t := range d.Terms {
			fmt.Fprintf(out, "    %s\n", t)
		}
	}
	if !any {
		return exitCode(1)
	}
	return nil
}

func guessContentType(body []byte) string {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return "application/json"
	}
	if bytes.Contains(t, []byte("=")) && !bytes.ContainsAny(t, " \n{") {
		return "application/x-www-form-urlencoded"
	}
	return "text/plain"
}
