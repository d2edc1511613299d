package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

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
