package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

func replay(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	rule := fs.String("rule", "", "replay every run of this rule in --state")
	state := fs.String("state", "dead", "with --rule: dead or succeeded")
	sinceF := fs.String("since", "", "with --rule: only runs created within this duration (1h) or since this time")
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
			err = c.api("POST", "/api/replay", url.Values{"rule": {*rule}, "state": {*state}, "since": {*sinceF}}, &rs)
		} else {
			var t time.Time
			if t, err = since(*sinceF); err != nil {
				return err
			}
			rs, err = c.eng.ReplayRule(ctx, store.ReplayFilter{Rule: *rule, State: store.State(*state), Since: t})
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
