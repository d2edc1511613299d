package ops

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
)

// ExplainOptions is the request to explain: a stored event (EventID), or
// a source, event type, headers ("Name: value") and a payload file.
type ExplainOptions struct {
	EventID string
	Source  string
	Event   string
	Payload string
	Headers []string
}

// ErrNoMatch is Explain's answer when no rule matches (exit status 1,
// nothing more to say).
var ErrNoMatch = fmt.Errorf("no rule matches")

// Explain prints what every rule of the source decides for the request,
// and why; it runs nothing. It returns ErrNoMatch when no rule matches.
func Explain(ctx context.Context, snap *ruleset.Snapshot, o ExplainOptions, w io.Writer) error {
	in, err := explainInput(ctx, snap, o)
	if err != nil {
		return err
	}
	res, err := ruleset.ExplainRequest(snap, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "source %s (provider %s), event %q", res.Source, res.Provider, res.Event)
	if res.DeliveryID != "" {
		fmt.Fprintf(w, ", delivery %s", res.DeliveryID)
	}
	fmt.Fprintln(w)
	if len(res.Decisions) == 0 {
		fmt.Fprintln(w, "  no rules on this source")
	}
	writeDecisions(w, res.Decisions, "", true)
	for _, d := range res.Decisions {
		if d.Matched {
			return nil
		}
	}
	return ErrNoMatch
}

func explainInput(ctx context.Context, snap *ruleset.Snapshot, o ExplainOptions) (*ruleset.ExplainInput, error) {
	if o.EventID != "" {
		st, _, err := app.OpenStore(ctx, snap.Config.Store, nil)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		ev, err := st.GetEvent(ctx, o.EventID)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", o.EventID, err)
		}
		return &ruleset.ExplainInput{Source: ev.Source, Event: ev.Event, DeliveryID: ev.DeliveryID, EventID: ev.ID,
			Headers: ev.Headers, Query: ev.Query, Body: ev.Body, RemoteIP: ev.RemoteIP, ReceivedAt: ev.ReceivedAt}, nil
	}
	if o.Source == "" || o.Payload == "" {
		return nil, fmt.Errorf("explain: --source and --payload are required (or --event-id)")
	}
	body, err := os.ReadFile(o.Payload)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	h, err := sender.ParseHeaders(o.Headers)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	m := map[string]string{}
	for k := range h {
		m[strings.ToLower(k)] = h.Get(k)
	}
	if m["content-type"] == "" {
		m["content-type"] = guessContentType(body)
	}
	return &ruleset.ExplainInput{Source: o.Source, Event: o.Event, Headers: m, Body: body, RemoteIP: "127.0.0.1", ReceivedAt: time.Now()}, nil
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
