package sender

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
)

// SendOptions is what `hookrunner send` posts.
type SendOptions struct {
	Source string
	// Event is the event type ("": the provider's DefaultEvent); it also
	// picks the sample payload.
	Event string
	// Payload is a file with the body ("": the provider's sample).
	Payload string
	// URL is posted to ("": http://127.0.0.1:<server port>/hooks/<source>).
	URL string
	// Headers are extra "Name: value" headers, set after signing.
	Headers []string
	// SigningKeyFile holds the private key of a provider that signs with
	// one the config does not hold (Discord).
	SigningKeyFile string
	// Handshake sends the provider's handshake request (Meta's GET
	// hub.challenge, Zoom's url_validation, …) instead of an event.
	Handshake bool
}

// Result is what a send posted and what the server answered.
type Result struct {
	Method     string
	URL        string // redacted
	Provider   string
	Event      string
	Bytes      int
	Status     string
	StatusCode int
	Body       string
}

// Write prints the result: the request in one line, then the answer.
func (r *Result) Write(w io.Writer) {
	ev := ""
	if r.Event != "" {
		ev = ", event " + r.Event
	}
	fmt.Fprintf(w, "%s %s (%s%s, %d bytes)\n%s\n%s\n", r.Method, r.URL, r.Provider, ev, r.Bytes, r.Status, r.Body)
}

// Send posts a request signed as the source's provider signs to a running
// hookrunner.
func Send(ctx context.Context, snap *ruleset.Snapshot, o SendOptions) (*Result, error) {
	src := snap.Sources[o.Source]
	if src == nil {
		return nil, fmt.Errorf("send: unknown source %q%s", o.Source, config.Suggest(o.Source, snap.Config.SourceNames()))
	}
	event := o.Event
	if event == "" {
		if info, ok := providers.Lookup(src.Provider); ok {
			event = info.DefaultEvent
		}
	}
	var body []byte
	var err error
	if o.Handshake {
		event = "" // the provider builds the whole request
	} else if o.Payload != "" {
		if body, err = os.ReadFile(o.Payload); err != nil {
			return nil, fmt.Errorf("send: %w", err)
		}
	} else if body, err = providers.Sample(src.Provider, event); err != nil {
		return nil, fmt.Errorf("send: %w (use --payload)", err)
	}
	var key []byte
	if o.SigningKeyFile != "" {
		if key, err = os.ReadFile(o.SigningKeyFile); err != nil {
			return nil, fmt.Errorf("send: --signing-key: %w", err)
		}
	}
	extra, err := ParseHeaders(o.Headers)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	u := o.URL
	if u == "" {
		_, port, _ := net.SplitHostPort(snap.Config.Server.Listen)
		u = "http://127.0.0.1:" + port + "/hooks/" + src.Path
	}
	target, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("send: --url: %w", err)
	}
	var req *providers.Request
	if o.Handshake {
		req, err = BuildHandshakeRequest(src, target, time.Now())
	} else {
		req, err = Build(src, body, Options{Event: event, SigningKey: key, Target: target, Now: time.Now()})
	}
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	if req.URL != nil && req.URL.RawQuery != "" {
		target.RawQuery = req.URL.RawQuery // what the provider signed (Twilio's bodySHA256, a query token)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, target.String(), bytes.NewReader(req.Body)) // encrypted when the source decrypts
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	hreq.Header = req.Header
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return &Result{Method: req.Method, URL: target.Redacted(), Provider: src.Provider, Event: event, Bytes: len(req.Body),
		Status: resp.Status, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(rb))}, nil
}

// ParseHeaders reads "Name: value" headers (repeatable flags).
func ParseHeaders(kvs []string) (http.Header, error) {
	h := http.Header{}
	for _, kv := range kvs {
		k, v, err := ParseHeader(kv)
		if err != nil {
			return nil, fmt.Errorf("--header %w", err)
		}
		h.Set(k, v)
	}
	return h, nil
}

// ParseHeader reads one "Name: value" header.
func ParseHeader(kv string) (name, value string, err error) {
	k, v, ok := strings.Cut(kv, ":")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") || strings.ContainsAny(v, "\r\n") {
		return "", "", fmt.Errorf("%q: use Name:value", kv)
	}
	return k, v, nil
}
