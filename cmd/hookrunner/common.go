package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/hookrunner/hookrunner/ruleset"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

// Helpers shared by the verbs: the redacting output writer, repeatable
// --header flags, and the client of events, runs and replay (the store
// opened from --config, or a running server's admin API with --server).

// redactedOutput holds a command's output until it ends, then writes it
// with every secret of the config replaced; commands hand it their
// config's redactor with useRedactor. Without one the structural rules
// still apply (URL credentials, credential query values and headers).
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

// useRedactor gives out (when it is a redactedOutput) the redactor of the
// config a command loaded.
func useRedactor(out io.Writer, r *redact.Redactor) {
	if o, ok := out.(*redactedOutput); ok && r != nil {
		o.red = r.Merge(o.red)
	}
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// --- events, runs, replay: direct store or admin API ---

type client struct {
	red    *redact.Redactor
	st     store.Store
	server string
	token  string
	eng    *engine.Engine
}

func openClient(fs *flag.FlagSet, args []string) (*client, []string, error) {
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml (to open the store)")
	srv := fs.String("server", "", "admin URL of a running hookrunner, e.g. http://127.0.0.1:8081")
	token := fs.String("token", os.Getenv("HOOKRUNNER_ADMIN_TOKEN"), "admin token (default $HOOKRUNNER_ADMIN_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c := &client{server: strings.TrimRight(*srv, "/"), token: *token}
	if c.server != "" {
		return c, fs.Args(), nil
	}
	snap, err := ruleset.Load(*path)
	if err != nil {
		return nil, nil, err
	}
	st, _, err := app.OpenStore(context.Background(), snap.Config.Store, nil)
	if err != nil {
		return nil, nil, err
	}
	c.st = st
	c.red = snap.Redactor
	c.eng = engine.New(snap, engine.Options{Store: st})
	return c, fs.Args(), nil
}

func (c *client) close() {
	if c.st != nil {
		c.st.Close()
	}
}

func (c *client) api(method, path string, q url.Values, v any) error {
	u := c.server + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	return json.Unmarshal(b, v)
}

func since(s string) (time.Time, error) {
	t, err := server.ParseSince(s, time.Now())
	if err != nil {
		return time.Time{}, fmt.Errorf("--%w", err)
	}
	return t, nil
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
