package ops

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/hookrunner/hookrunner/internal/redact"
	"github.com/hookrunner/hookrunner/store"
)

// An export is JSON Lines: one ExportLine per event, newest first, with
// the event's runs and their attempts, redacted as the admin API shows
// them (the config's redactor: secret-named headers and query parameters
// masked, known secret values replaced). The body is kept byte-exact
// (base64): it is the verified payload the rules decide on, and a restored
// event replays only with its body; the export is a backup and is as
// sensitive as the store. Only a body holding one of the config's secret
// values is redacted, and marked so (body_redacted).

// ExportVersion is the format of an export line.
const ExportVersion = 1

// ExportLine is one event of an export.
type ExportLine struct {
	Version      int              `json:"hookrunner_export"`
	Event        *store.Event     `json:"event"`
	Body         []byte           `json:"body"`
	BodyRedacted bool             `json:"body_redacted,omitempty"`
	Runs         []*store.Run     `json:"runs"`
	Attempts     []*store.Attempt `json:"attempts"`
}

// exportPage is the events one store read brings.
const exportPage = 200

// Export writes the events received since `since` (zero: all), newest
// first, one line each, page by page (keyset pages: nothing is held but a
// page); it returns the number written.
func Export(ctx context.Context, st store.Store, red *redact.Redactor, since time.Time, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	f := store.EventFilter{Since: since, Limit: exportPage}
	n := 0
	for {
		evs, err := st.ListEvents(ctx, f)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		byEvent := map[string][]*store.Run{}
		if len(ids) > 0 {
			runs, err := st.ListRuns(ctx, store.RunFilter{EventIDs: ids, Limit: 10000})
			if err != nil {
				return n, fmt.Errorf("export: runs: %w", err)
			}
			for _, r := range slices.Backward(runs) { // oldest first
				byEvent[r.EventID] = append(byEvent[r.EventID], r)
			}
		}
		for _, ev := range evs {
			line, err := exportLine(ctx, st, red, ev, byEvent[ev.ID])
			if err != nil {
				return n, err
			}
			if err := enc.Encode(line); err != nil {
				return n, fmt.Errorf("export: write: %w", err)
			}
			n++
		}
		if len(evs) < exportPage {
			return n, bw.Flush()
		}
		last := evs[len(evs)-1]
		f.After = &store.Cursor{ReceivedAt: last.ReceivedAt, ID: last.ID}
	}
}

func exportLine(ctx context.Context, st store.Store, red *redact.Redactor, ev *store.Event, runs []*store.Run) (*ExportLine, error) {
	line := &ExportLine{Version: ExportVersion, Event: ev, Body: ev.Body, Runs: runs, Attempts: []*store.Attempt{}}
	if line.Runs == nil {
		line.Runs = []*store.Run{}
	}
	for _, r := range runs {
		_, atts, err := st.GetRun(ctx, r.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("export: attempts of run %s: %w", r.ID, err)
		}
		line.Attempts = append(line.Attempts, atts...)
	}
	if s := string(ev.Body); red.String(s) != s {
		line.Body, line.BodyRedacted = []byte(red.String(s)), true
	}
	out, err := redacted(red, line) // the body ([]byte) is base64 text: untouched
	if err != nil {
		return nil, err
	}
	out.Body, out.BodyRedacted = line.Body, line.BodyRedacted
	return out, nil
}

// ImportStats counts what an import did.
type ImportStats struct {
	Read, Added int
}

// importBatch is the lines stored in one transaction.
const importBatch = 500

// Import reads an export from r and restores it into st, keeping ids,
// states and times; events already there (same id, or same source and
// delivery id) are skipped, so importing twice adds nothing. A bad line
// stops the import with its number; the batches before it are stored
// (importing again after fixing it adds only the rest).
func Import(ctx context.Context, st store.Store, r io.Reader) (ImportStats, error) {
	var stats ImportStats
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.DisallowUnknownFields()
	var batch []store.Restored
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := st.Restore(ctx, batch)
		stats.Added += n
		batch = batch[:0]
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return nil
	}
	for {
		var line ExportLine
		err := dec.Decode(&line)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return stats, fmt.Errorf("import: event %d: %w", stats.Read+1, err)
		}
		stats.Read++
		if err := checkLine(&line); err != nil {
			return stats, fmt.Errorf("import: event %d: %w", stats.Read, err)
		}
		line.Event.Body = line.Body
		batch = append(batch, store.Restored{Event: line.Event, Runs: line.Runs, Attempts: line.Attempts})
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return stats, err
			}
		}
	}
	return stats, flush()
}

// checkLine refuses a line that is not an export of this version, or whose
// ids do not hold together.
func checkLine(l *ExportLine) error {
	if l.Version != ExportVersion {
		return fmt.Errorf("not a hookrunner export line (hookrunner_export: %d, want %d)", l.Version, ExportVersion)
	}
	if l.Event == nil || !validID(l.Event.ID) || l.Event.Source == "" || l.Event.ReceivedAt.IsZero() {
		return errors.New("an event needs an id, a source and received_at")
	}
	runs := map[string]bool{}
	for _, r := range l.Runs {
		if r == nil || !validID(r.ID) || r.EventID != l.Event.ID || !slices.Contains(store.States, r.State) {
			return fmt.Errorf("event %s: a run needs an id, the event's id and a state", l.Event.ID)
		}
		runs[r.ID] = true
	}
	for _, a := range l.Attempts {
		if a == nil || !runs[a.RunID] {
			return fmt.Errorf("event %s: an attempt of a run not in the line", l.Event.ID)
		}
	}
	return nil
}

// validID: an id as the store makes them (a UUID: hex digits and dashes).
func validID(s string) bool { return len(s) == 36 && store.IsIDPart(s) }

// Export writes the export of the store of the config (store mode only:
// an export reads the store, not a server).
func (c *Client) Export(ctx context.Context, sinceArg string, w io.Writer) (int, error) {
	if c.st == nil {
		return 0, errors.New("export reads the store of --config (not --server)")
	}
	t, err := since(sinceArg)
	if err != nil {
		return 0, err
	}
	return Export(ctx, c.st, c.Redactor, t, w)
}

// Import restores an export into the store of the config.
func (c *Client) Import(ctx context.Context, r io.Reader) (ImportStats, error) {
	if c.st == nil {
		return ImportStats{}, errors.New("import writes the store of --config (not --server)")
	}
	return Import(ctx, c.st, r)
}
