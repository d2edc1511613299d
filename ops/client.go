// Package ops is what the CLI does apart from parsing its flags: read
// events and runs, replay them (from the store a config names, or from a
// running server's admin API), explain a request, check a running
// server's health, and print all of it for people (tables, key: value
// detail) or machines (JSON). cmd/hookrunner only maps flags onto it.
package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/search"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

// Client reads and replays events and runs: from the store of a config
// (Open with a config path), or from a running server's admin API (Open
// with a server URL; the server redacts what it answers).
type Client struct {
	// Redactor is the config's redactor in store mode (nil in server mode:
	// the structural rules still apply).
	Redactor *redact.Redactor
	st       store.Store
	snap     *ruleset.Snapshot
	eng      *engine.Engine
	server   string
	token    string
}

// Open opens the store of the config at configPath, or, when serverURL is
// set, a client of that server's admin API with token (may be empty).
func Open(ctx context.Context, configPath, serverURL, token string) (*Client, error) {
	if serverURL != "" {
		u, err := url.Parse(serverURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--server %q: give the admin URL, e.g. http://127.0.0.1:8081", serverURL)
		}
		return &Client{server: strings.TrimRight(serverURL, "/"), token: token}, nil
	}
	snap, err := ruleset.Load(configPath)
	if err != nil {
		return nil, err
	}
	st, _, err := app.OpenStore(ctx, snap.Config.Store, nil)
	if err != nil {
		return nil, err
	}
	return &Client{Redactor: snap.Redactor, st: st, snap: snap, eng: engine.New(snap, engine.Options{Store: st})}, nil
}

// Close closes the store (nothing in server mode).
func (c *Client) Close() {
	if c.st != nil {
		c.st.Close()
	}
}

// EventQuery selects events to list.
type EventQuery struct {
	Source, Event string
	DeliveryID    string
	State         string
	Since         string // a duration (1h, 7d) or an RFC 3339 time
	// Where is an expr filter over each event's environment, applied after
	// the other filters narrowed the events in the store.
	Where string
	Limit int
}

// Events lists events, newest first; redacted. With Where it searches
// page after page (each a bounded scan, see package search) until Limit
// events matched or the selection ends.
func (c *Client) Events(ctx context.Context, q EventQuery) ([]*store.Event, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var evs []*store.Event
	var after string
	for {
		page, next, err := c.eventsPage(ctx, q, after, q.Limit-len(evs))
		if err != nil {
			return nil, err
		}
		evs = append(evs, page...)
		if q.Where == "" || next == "" || len(evs) >= q.Limit {
			break
		}
		after = next
	}
	out, err := redacted(c.Redactor, &evs)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// eventsPage reads one page of up to n events after the cursor after,
// and the cursor of the next ("" at the end).
func (c *Client) eventsPage(ctx context.Context, q EventQuery, after string, n int) ([]*store.Event, string, error) {
	var evs []*store.Event
	if c.server != "" {
		v := url.Values{"source": {q.Source}, "event": {q.Event}, "delivery": {q.DeliveryID}, "state": {q.State}, "since": {q.Since},
			"where": {q.Where}, "after": {after}, "limit": {fmt.Sprint(n)}}
		h, err := c.apiHeader(ctx, http.MethodGet, "/api/events", v, &evs)
		if err != nil {
			return nil, "", err
		}
		return evs, h.Get("Hookrunner-Next"), nil
	}
	t, err := since(q.Since)
	if err != nil {
		return nil, "", err
	}
	f := store.EventFilter{Source: q.Source, Event: q.Event, DeliveryID: q.DeliveryID, State: store.State(q.State), Since: t, Limit: n}
	if after != "" {
		if f.After, err = server.ParseCursor(after); err != nil {
			return nil, "", err
		}
	}
	page, err := search.Run(ctx, c.st, search.Query{Filter: f, Where: q.Where, Budget: int64(c.snap.Config.Server.MatchBudget)})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if page.Next != nil {
		next = server.CursorString(*page.Next)
	}
	return page.Events, next, nil
}

// Event reads one event with its payload, runs, and the decisions of the
// config in force; redacted.
func (c *Client) Event(ctx context.Context, id string) (*engine.EventDetail, error) {
	var d engine.EventDetail
	if c.server != "" {
		if err := c.api(ctx, http.MethodGet, "/api/events/"+url.PathEscape(id), nil, &d); err != nil {
			return nil, err
		}
	} else {
		full, err := store.ResolveEventID(ctx, c.st, id)
		if err != nil {
			return nil, err
		}
		p, err := engine.LoadEventDetail(ctx, c.st, c.snap, full)
		if err != nil {
			return nil, err
		}
		d = *p
	}
	return redacted(c.Redactor, &d)
}

// RunQuery selects runs to list.
type RunQuery struct {
	Rule, State, EventID string
	Since                string
	Limit                int
}

// Runs lists runs, newest first; redacted.
func (c *Client) Runs(ctx context.Context, q RunQuery) ([]*store.Run, error) {
	var rs []*store.Run
	if c.server != "" {
		v := url.Values{"rule": {q.Rule}, "state": {q.State}, "event": {q.EventID}, "since": {q.Since}, "limit": {fmt.Sprint(q.Limit)}}
		if err := c.api(ctx, http.MethodGet, "/api/runs", v, &rs); err != nil {
			return nil, err
		}
	} else {
		t, err := since(q.Since)
		if err != nil {
			return nil, err
		}
		if rs, err = c.st.ListRuns(ctx, store.RunFilter{Rule: q.Rule, State: store.State(q.State), EventID: q.EventID, Since: t, Limit: q.Limit}); err != nil {
			return nil, err
		}
	}
	out, err := redacted(c.Redactor, &rs)
	if err != nil {
		return nil, err
	}
	return *out, nil
}

// Run reads one run with its attempts and its config revision against the
// config in force (here, the one --config names); redacted.
func (c *Client) Run(ctx context.Context, id string) (*server.RunDetail, error) {
	var d server.RunDetail
	if c.server != "" {
		if err := c.api(ctx, http.MethodGet, "/api/runs/"+url.PathEscape(id), nil, &d); err != nil {
			return nil, err
		}
	} else {
		full, err := store.ResolveRunID(ctx, c.st, id)
		if err != nil {
			return nil, err
		}
		if d.Run, d.Attempts, err = c.st.GetRun(ctx, full); err != nil {
			return nil, err
		}
		if d.Revision, err = server.RevisionOf(ctx, c.eng, d.Run.ConfigHash); err != nil {
			return nil, err
		}
	}
	return redacted(c.Redactor, &d)
}

// ReplayRun replays one dead or succeeded run under the config in force.
func (c *Client) ReplayRun(ctx context.Context, id string) ([]*store.Run, error) {
	var rs []*store.Run
	if c.server != "" {
		return rs, c.api(ctx, http.MethodPost, "/api/runs/"+url.PathEscape(id)+"/replay", nil, &rs)
	}
	full, err := store.ResolveRunID(ctx, c.st, id)
	if err != nil {
		return nil, err
	}
	r, err := c.eng.ReplayRun(ctx, full)
	if err != nil {
		return nil, err
	}
	return []*store.Run{r}, nil
}

// ReplayRule replays every run of rule in state, created since sinceArg
// (a duration or an RFC 3339 time; empty: any time), at most
// store.MaxReplay at once; a rule the config in force does not have is an
// error naming the ones it has.
func (c *Client) ReplayRule(ctx context.Context, rule, state, sinceArg string) ([]*store.Run, error) {
	var rs []*store.Run
	if c.server != "" {
		return rs, c.api(ctx, http.MethodPost, "/api/replay", url.Values{"rule": {rule}, "state": {state}, "since": {sinceArg}}, &rs)
	}
	t, err := since(sinceArg)
	if err != nil {
		return nil, err
	}
	return c.eng.ReplayRule(ctx, store.ReplayFilter{Rule: rule, State: store.State(state), Since: t})
}

// ReplayEvent matches a stored event against the config in force again.
func (c *Client) ReplayEvent(ctx context.Context, id string) ([]*store.Run, error) {
	var rs []*store.Run
	if c.server != "" {
		return rs, c.api(ctx, http.MethodPost, "/api/events/"+url.PathEscape(id)+"/replay", nil, &rs)
	}
	return c.eng.ReplayEvent(ctx, id)
}

func (c *Client) api(ctx context.Context, method, path string, q url.Values, v any) error {
	_, err := c.apiHeader(ctx, method, path, q, v)
	return err
}

// apiHeader is api returning the answer's header too.
func (c *Client) apiHeader(ctx context.Context, method, path string, q url.Values, v any) (http.Header, error) {
	u := c.server + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	return resp.Header, json.Unmarshal(b, v)
}

func since(s string) (time.Time, error) {
	t, err := server.ParseSince(s, time.Now())
	if err != nil {
		return time.Time{}, fmt.Errorf("--%w", err)
	}
	return t, nil
}

// redacted passes v through r's JSON redaction (secret-named keys masked,
// known secret values replaced) and back into its type: what the client
// returns is what may be printed, in store mode as the admin API answers.
func redacted[T any](r *redact.Redactor, v *T) (*T, error) {
	b, err := json.Marshal(r.JSON(v))
	if err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return &out, nil
}
