package ops

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookrunner/hookrunner/engine"
	"github.com/hookrunner/hookrunner/ruleset"
	"github.com/hookrunner/hookrunner/server"
	"github.com/hookrunner/hookrunner/store"
)

// WriteJSON prints v as indented JSON (for machines: --json).
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteEvents prints events as a table.
func WriteEvents(w io.Writer, evs []*store.Event) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tID\tSOURCE\tEVENT\tDELIVERY\tMATCHED")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", when(e.ReceivedAt), e.ID, e.Source, e.Event, e.DeliveryID, strings.Join(e.Matched, ","))
	}
	return tw.Flush()
}

// WriteRuns prints runs as a table.
func WriteRuns(w io.Writer, rs []*store.Run) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tRUN\tEVENT\tRULE\tSTATE\tATTEMPT\tLAST ERROR")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", when(r.CreatedAt), r.ID, r.EventID, r.Rule, r.State, r.Attempt, oneLine(r.LastError, 60))
	}
	return tw.Flush()
}

// WriteReplayed prints the runs a replay queued.
func WriteReplayed(w io.Writer, rs []*store.Run) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	for _, r := range rs {
		fmt.Fprintf(w, "queued run %s (rule %s, event %s, replay of %s)\n", r.ID, r.Rule, r.EventID, r.ReplayOf)
	}
	if len(rs) == 0 {
		fmt.Fprintln(w, "nothing to replay")
	}
}

// kv writes aligned "key: value" lines, skipping empty values; a
// multi-line value continues indented under its key.
type kv struct {
	tw *tabwriter.Writer
}

func newKV(w io.Writer) *kv { return &kv{tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)} }

func (k *kv) add(key, val string) {
	if val = strings.TrimRight(val, "\n"); val == "" {
		return
	}
	lines := strings.Split(val, "\n")
	fmt.Fprintf(k.tw, "%s:\t%s\n", key, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(k.tw, "\t%s\n", l)
	}
}

func (k *kv) flush() error { return k.tw.Flush() }

// when shows a time as everywhere else (console, API detail): local, with
// its zone.
func when(t time.Time) string { return server.FormatTime(t) }

// WriteEvent prints an event's detail: its fields, headers, payload, runs
// and what each rule of its source decides under the config in force.
func WriteEvent(w io.Writer, d *engine.EventDetail) error {
	e := d.Event
	k := newKV(w)
	k.add("id", e.ID)
	k.add("received", when(e.ReceivedAt))
	k.add("source", e.Source+" (provider "+e.Provider+")")
	k.add("event", e.Event)
	k.add("delivery", e.DeliveryID)
	k.add("remote ip", e.RemoteIP)
	k.add("verification", e.Verification)
	k.add("matched", orNone(strings.Join(e.Matched, ", ")))
	k.add("config", e.ConfigHash)
	k.add("query", e.Query)
	if err := k.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "headers:")
	names := make([]string, 0, len(e.Headers))
	for n := range e.Headers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %s: %s\n", n, e.Headers[n])
	}
	fmt.Fprintln(w, "payload:")
	if b, err := json.MarshalIndent(d.Payload, "  ", "  "); err == nil {
		fmt.Fprintf(w, "  %s\n", b)
	}
	fmt.Fprintln(w, "runs:")
	if len(d.Runs) == 0 {
		fmt.Fprintln(w, "  none")
	} else {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, r := range d.Runs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\tattempt %d\t%s\n", r.ID, r.Rule, r.State, r.Attempt, oneLine(r.LastError, 60))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(d.Decisions) > 0 {
		fmt.Fprintln(w, "rules (config in force):")
		writeDecisions(w, d.Decisions, "  ", false)
	}
	return nil
}

// WriteRun prints a run's detail: its fields, its config revision against
// the one in force, and every attempt; with diff, the diff of the config
// from its revision to the one in force.
func WriteRun(w io.Writer, d *server.RunDetail, diff bool) error {
	r := d.Run
	k := newKV(w)
	k.add("id", r.ID)
	k.add("rule", r.Rule)
	k.add("event", r.EventID)
	k.add("state", string(r.State))
	attempt := fmt.Sprint(r.Attempt)
	if r.Interrupted > 0 {
		attempt += fmt.Sprintf(" (%d interrupted by a shutdown, not counted)", r.Interrupted)
	}
	k.add("attempt", attempt)
	k.add("next step", fmt.Sprint(r.Step))
	k.add("created", when(r.CreatedAt))
	k.add("updated", when(r.UpdatedAt))
	if !r.State.Terminal() {
		k.add("next attempt", when(r.NextAttemptAt))
	}
	if r.FinishedAt != nil {
		k.add("finished", when(*r.FinishedAt))
	}
	k.add("replay of", r.ReplayOf)
	k.add("claimed by", r.ClaimedBy)
	if r.ExitCode != nil {
		k.add("exit code", fmt.Sprint(*r.ExitCode))
	}
	if r.HTTPStatus != 0 {
		k.add("http status", fmt.Sprint(r.HTTPStatus))
	}
	k.add("last error", r.LastError)
	k.add("output", r.Output)
	k.add("detail", r.Detail)
	k.add("config revision", revisionLine(d.Revision))
	if err := k.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "attempts:")
	if len(d.Attempts) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, a := range d.Attempts {
		outcome := "ok"
		switch {
		case a.Interrupted:
			outcome = "interrupted"
		case !a.OK:
			outcome = "failed"
		}
		fmt.Fprintf(w, "  #%d step %d  %s  %s  %s", a.N, a.Step, when(a.StartedAt), a.Duration.Round(time.Millisecond), outcome)
		if a.ExitCode != nil {
			fmt.Fprintf(w, "  exit %d", *a.ExitCode)
		}
		if a.HTTPStatus != 0 {
			fmt.Fprintf(w, "  http %d", a.HTTPStatus)
		}
		fmt.Fprintln(w)
		for _, part := range []struct{ name, text string }{{"error", a.Error}, {"output", a.Output}, {"detail", a.Detail}} {
			if t := strings.TrimRight(part.text, "\n"); t != "" {
				fmt.Fprintf(w, "     %s: %s\n", part.name, strings.ReplaceAll(t, "\n", "\n"+strings.Repeat(" ", 7+len(part.name))))
			}
		}
	}
	if diff && d.Revision != nil && d.Revision.Diff != "" {
		_, err := io.WriteString(w, d.Revision.Diff)
		return err
	}
	return nil
}

// revisionLine says which config revision a run was matched under and
// whether it is still in force.
func revisionLine(rv *server.RunRevision) string {
	switch {
	case rv == nil:
		return ""
	case rv.Hash == "":
		return "none (" + rv.Note + ")"
	case rv.InForce:
		return rv.Hash + " (in force)"
	case rv.Note != "":
		return fmt.Sprintf("%s (config changed since: %s; in force: %s)", rv.Hash, rv.Note, rv.Current)
	}
	return fmt.Sprintf("%s (config changed since; in force: %s)", rv.Hash, rv.Current)
}

// writeDecisions prints MATCH / NO MATCH per rule, with the actions a
// match would run and the terms that decided a miss.
func writeDecisions(w io.Writer, ds []ruleset.Decision, indent string, spaced bool) {
	for _, d := range ds {
		if spaced {
			fmt.Fprintln(w)
		}
		if d.Matched {
			fmt.Fprintf(w, "%sMATCH     %s — %s\n", indent, d.Rule, d.Reason)
			for _, a := range d.Actions {
				fmt.Fprintf(w, "%s  would run %s\n", indent, a)
			}
			continue
		}
		fmt.Fprintf(w, "%sNO MATCH  %s — %s\n", indent, d.Rule, d.Reason)
		for _, t := range d.Terms {
			fmt.Fprintf(w, "%s    %s\n", indent, t)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func oneLine(s string, max int) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", " ")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
