package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookrunner/hookrunner/app"
	"github.com/hookrunner/hookrunner/config"
	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/importer"
	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/providers"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/sender"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

func versionString() string {
	v, c, d := version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return fmt.Sprintf("hookrunner %s (commit %s, built %s)", v, c, d)
}

func validate(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	snap, err := ruleset.Load(*path)
	if err != nil {
		return err
	}
	useRedactor(out, snap.Redactor)
	fmt.Fprintf(out, "%s: OK (config hash %s)\n", *path, snap.Hash)
	for _, w := range snap.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", w)
	}
	fmt.Fprintf(out, "  %d sources:\n", len(snap.Sources))
	for _, name := range snap.Config.SourceNames() {
		src := snap.Sources[name]
		fmt.Fprintf(out, "    POST /hooks/%-20s provider %-16s %d rules\n", name, src.Provider, len(src.Rules()))
	}
	fmt.Fprintf(out, "  %d rules:\n", len(snap.Ordered))
	for _, r := range snap.Ordered {
		events := "any event"
		if len(r.Events) > 0 {
			events = strings.Join(r.Events, ", ")
		}
		kinds := make([]string, len(r.Steps))
		for i, s := range r.Steps {
			kinds[i] = s.Kind
		}
		fmt.Fprintf(out, "    %-24s %s on %s -> %s\n", r.Name, r.Source, events, strings.Join(kinds, ", "))
	}
	return nil
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

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

func send(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	path := fs.String("config", "hooks.yaml", "path to hooks.yaml")
	source := fs.String("source", "", "source name")
	event := fs.String("event", "", "event type (sets the provider's event header; picks the sample payload)")
	payload := fs.String("payload", "", "file with the body (default: a built-in sample for the provider and event)")
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
	if *payload != "" {
		if body, err = os.ReadFile(*payload); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	} else {
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
	req, err := sender.BuildSignedRequest(src, *event, body, pu, time.Now())
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
	hreq, err := http.NewRequest(http.MethodPost, pu.String(), bytes.NewReader(req.Body)) // encrypted when the source decrypts
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
	fmt.Fprintf(out, "POST %s (%s, %d bytes)\n%s\n%s\n", pu.Redacted(), src.Provider, len(req.Body), resp.Status, strings.TrimSpace(string(rb)))
	if resp.StatusCode >= 300 {
		return exitCode(1)
	}
	return nil
}

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

func events(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	source := fs.String("source", "", "only this source")
	event := fs.String("event", "", "only this event type")
	sinceF := fs.String("since", "", "only events received within this duration (e.g. 1h)")
	limit := fs.Int("limit", 50, "at most this many")
	c, rest, err := openClient(fs, args)
	if err != nil {
		return err
	}
	defer c.close()
	useRedactor(out, c.red)
	ctx := context.Background()
	if len(rest) == 1 {
		var d server.EventDetail
		if c.server != "" {
			err = c.api("GET", "/api/events/"+url.PathEscape(rest[0]), nil, &d)
		} else {
			d, err = eventDetail(ctx, c, rest[0])
		}
		if err != nil {
			return err
		}
		return printJSON(out, c.red.JSON(d))
	}
	var evs []*store.Event
	if c.server != "" {
		q := url.Values{"source": {*source}, "event": {*event}, "since": {*sinceF}, "limit": {fmt.Sprint(*limit)}}
		err = c.api("GET", "/api/events", q, &evs)
	} else {
		var t time.Time
		if t, err = since(*sinceF); err != nil {
			return err
		}
		evs, err = c.st.ListEvents(ctx, store.EventFilter{Source: *source, Event: *event, Since: t, Limit: *limit})
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tID\tSOURCE\tEVENT\tDELIVERY\tMATCHED")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ReceivedAt.Local().Format("2006-01-02 15:04:05"), e.ID, e.Source, e.Event, e.DeliveryID, strings.Join(e.Matched, ","))
	}
	return tw.Flush()
}

func eventDetail(ctx context.Context, c *client, id string) (server.EventDetail, error) {
	d, err := engine.LoadEventDetail(ctx, c.st, nil, id)
	if err != nil {
		return server.EventDetail{}, err
	}
	return *d, nil
}

func printJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runs(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	rule := fs.String("rule", "", "only this rule")
	state := fs.String("state", "", "only this state: pending, running, retrying, succeeded, dead, replayed")
	eventID := fs.String("event-id", "", "only runs of this event")
	sinceF := fs.String("since", "", "only runs created within this duration")
	limit := fs.Int("limit", 50, "at most this many")
	diff := fs.Bool("diff", false, "with ID: print the diff from the run's config revision to the one in force")
	c, rest, err := openClient(fs, args)
	if err != nil {
		return err
	}
	defer c.close()
	if len(rest) > 1 { // flags after the ID: runs ID --diff
		id := rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append([]string{id}, fs.Args()...)
	}
	useRedactor(out, c.red)
	ctx := context.Background()
	if len(rest) == 1 {
		var d server.RunDetail
		if c.server != "" {
			err = c.api("GET", "/api/runs/"+url.PathEscape(rest[0]), nil, &d)
		} else if d.Run, d.Attempts, err = c.st.GetRun(ctx, rest[0]); err == nil {
			// The config read from --config is the one in force here.
			d.Revision, err = server.RevisionOf(ctx, c.eng, d.Run.ConfigHash)
		}
		if err != nil {
			return err
		}
		return printRun(out, c, d, *diff)
	}
	var rs []*store.Run
	if c.server != "" {
		q := url.Values{"rule": {*rule}, "state": {*state}, "event": {*eventID}, "since": {*sinceF}, "limit": {fmt.Sprint(*limit)}}
		err = c.api("GET", "/api/runs", q, &rs)
	} else {
		var t time.Time
		if t, err = since(*sinceF); err != nil {
			return err
		}
		rs, err = c.st.ListRuns(ctx, store.RunFilter{Rule: *rule, State: store.State(*state), EventID: *eventID, Since: t, Limit: *limit})
	}
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tRUN\tEVENT\tRULE\tSTATE\tATTEMPT\tLAST ERROR")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.CreatedAt.Local().Format("2006-01-02 15:04:05"), r.ID, r.EventID, r.Rule, r.State, r.Attempt, oneLine(r.LastError, 60))
	}
	return tw.Flush()
}

// printRun prints a run's config revision ("config revision H (in
// force)" or "(config changed since)"), the run as JSON, and with --diff
// the diff from its revision to the config in force.
func printRun(out io.Writer, c *client, d server.RunDetail, withDiff bool) error {
	rv := d.Revision
	var diff string
	if rv != nil {
		switch {
		case rv.Hash == "":
			fmt.Fprintf(out, "config revision none (%s)\n", rv.Note)
		case rv.InForce:
			fmt.Fprintf(out, "config revision %s (in force)\n", rv.Hash)
		case rv.Note != "":
			fmt.Fprintf(out, "config revision %s (config changed since: %s; in force: %s)\n", rv.Hash, rv.Note, rv.Current)
		default:
			fmt.Fprintf(out, "config revision %s (config changed since; in force: %s)\n", rv.Hash, rv.Current)
		}
		// The diff is printed as text (--diff), not as an escaped string.
		r := *rv
		diff, r.Diff = r.Diff, ""
		d.Revision = &r
	}
	if err := printJSON(out, c.red.JSON(d)); err != nil {
		return err
	}
	if withDiff && diff != "" {
		_, err := io.WriteString(out, diff)
		return err
	}
	return nil
}

func oneLine(s string, max int) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

func replay(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	rule := fs.String("rule", "", "replay every run of this rule in --state")
	state := fs.String("state", "dead", "with --rule: dead or succeeded")
	eventID := fs.String("event-id", "", "re-match a stored event against today's config")
	c, rest, err := openClient(fs, args)
	if err != nil {
		return err
	}
	defer c.close()
	useRedactor(out, c.red)
	ctx := context.Background()
	var rs []*store.Run
	switch {
	case len(rest) == 1:
		if c.server != "" {
			err = c.api("POST", "/api/runs/"+url.PathEscape(rest[0])+"/replay", nil, &rs)
		} else {
			var r *store.Run
			if r, err = c.eng.ReplayRun(ctx, rest[0]); err == nil {
				rs = []*store.Run{r}
			}
		}
	case *rule != "":
		if c.server != "" {
			err = c.api("POST", "/api/replay", url.Values{"rule": {*rule}, "state": {*state}}, &rs)
		} else {
			rs, err = c.eng.ReplayRule(ctx, *rule, store.State(*state))
		}
	case *eventID != "":
		if c.server != "" {
			err = c.api("POST", "/api/events/"+url.PathEscape(*eventID)+"/replay", nil, &rs)
		} else {
			rs, err = c.eng.ReplayEvent(ctx, *eventID)
		}
	default:
		return fmt.Errorf("replay: give a RUN_ID, --rule R or --event-id ID")
	}
	if err != nil {
		return err
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	for _, r := range rs {
		fmt.Fprintf(out, "queued run %s (rule %s, event %s, replay of %s)\n", r.ID, r.Rule, r.EventID, r.ReplayOf)
	}
	if len(rs) == 0 {
		fmt.Fprintln(out, "nothing to replay")
	}
	return nil
}

func health(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	u := fs.String("url", "http://127.0.0.1:8081/readyz", "admin readiness URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(*u)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s", resp.Status)
	}
	fmt.Fprintln(out, "ready")
	return nil
}

func importCmd(args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	from := fs.String("from", "webhook", "the tool the config comes from: webhook (adnanh/webhook)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from != "webhook" || fs.NArg() != 1 {
		return fmt.Errorf("usage: hookrunner import --from webhook hooks.json|hooks.yaml > hooks.yaml")
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// A refused import writes nothing to out: no partial hooks.yaml that
	// could be redirected into place and loaded.
	res, err := importer.FromWebhook(data)
	if err != nil {
		return fmt.Errorf("import %s: %w", fs.Arg(0), err)
	}
	fmt.Fprint(out, res.YAML)
	loud := map[string]bool{}
	for _, w := range res.Unverified {
		loud[w] = true
	}
	for _, w := range res.Warnings {
		if loud[w] {
			fmt.Fprintln(errOut, "WARNING: UNVERIFIED SOURCE:", w)
		} else {
			fmt.Fprintln(errOut, "warning:", w)
		}
	}
	return nil
}
