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

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

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
