package sqlstore

import (
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Rows to values and values to columns. Times are stored as unix
// nanoseconds, 0 for the zero time; optional values as NULL.

type scanner interface{ Scan(dest ...any) error }

// scanRun reads runCols.
func scanRun(sc scanner) (*store.Run, error) {
	var r store.Run
	var state string
	var next, created, updated int64
	var exit, finished sql.NullInt64
	if err := sc.Scan(&r.ID, &r.EventID, &r.Rule, &r.ConfigHash, &state, &r.Attempt, &r.Step, &next, &r.ClaimedBy, &r.LastError,
		&exit, &r.HTTPStatus, &r.Output, &r.Detail, &created, &updated, &finished, &r.ReplayOf, &r.Interrupted, &r.Concurrency); err != nil {
		return nil, err
	}
	r.State = store.State(state)
	r.NextAttemptAt, r.CreatedAt, r.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	r.ExitCode = intPtr(exit)
	if finished.Valid {
		t := fromNanos(finished.Int64)
		r.FinishedAt = &t
	}
	return &r, nil
}

// runArgs are the values of runCols.
func runArgs(r *store.Run) []any {
	return []any{r.ID, r.EventID, r.Rule, r.ConfigHash, string(r.State), r.Attempt, r.Step,
		nanos(r.NextAttemptAt), r.ClaimedBy, r.LastError, nullInt(r.ExitCode), r.HTTPStatus, r.Output, r.Detail,
		nanos(r.CreatedAt), nanos(r.UpdatedAt), nullTime(r.FinishedAt), r.ReplayOf, r.Interrupted, r.Concurrency}
}

// scanEvent reads eventCols.
func scanEvent(sc scanner) (*store.Event, error) {
	var e store.Event
	var headers, matched string
	var received int64
	var seq sql.NullInt64
	if err := sc.Scan(&e.ID, &e.Source, &e.Provider, &e.Event, &e.DeliveryID, &headers, &e.Query, &e.Body, &e.RemoteIP, &received,
		&e.Verification, &matched, &e.ConfigHash, &e.RemoteAddr, &seq); err != nil {
		return nil, err
	}
	e.Seq = seq.Int64
	e.ReceivedAt = fromNanos(received)
	_ = json.Unmarshal([]byte(headers), &e.Headers)
	_ = json.Unmarshal([]byte(matched), &e.Matched)
	return &e, nil
}

// eventArgs are the values of eventInsertCols.
func eventArgs(ev *store.Event) []any {
	matched := "[]"
	if len(ev.Matched) > 0 {
		matched = jsonStrings(ev.Matched)
	}
	return []any{ev.ID, ev.Source, ev.Provider, ev.Event, ev.DeliveryID, jsonHeaders(ev.Headers), ev.Query,
		ev.Body, ev.RemoteIP, nanos(ev.ReceivedAt), ev.Verification, matched, ev.ConfigHash, ev.RemoteAddr}
}

// jsonHeaders is json.Marshal(h) as text, byte for byte: keys sorted, and
// strings of printable ASCII that json.Marshal writes as they are (no
// quote, backslash or HTML character) written directly. Anything else
// goes through json.Marshal. Every event pays this, and the reflection
// of json.Marshal cost more than the rest of the event's encoding.
func jsonHeaders(h map[string]string) string {
	if h == nil {
		return "null"
	}
	keys := make([]string, 0, len(h))
	size := 2
	for k, v := range h {
		if !plainJSON(k) || !plainJSON(v) {
			b, _ := json.Marshal(h)
			return string(b)
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':', '"')
		b = append(b, h[k]...)
		b = append(b, '"')
	}
	b = append(b, '}')
	return string(b)
}

// jsonStrings is json.Marshal(list) as text, the same way.
func jsonStrings(list []string) string {
	for _, v := range list {
		if !plainJSON(v) {
			b, _ := json.Marshal(list)
			return string(b)
		}
	}
	return `["` + strings.Join(list, `","`) + `"]`
}

// plainJSON reports whether json.Marshal writes s between quotes as it is.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// scanAttempt reads attemptCols.
func scanAttempt(sc scanner) (*store.Attempt, error) {
	var a store.Attempt
	var started, dur int64
	var exit sql.NullInt64
	if err := sc.Scan(&a.RunID, &a.N, &a.Step, &started, &dur, &a.OK, &a.Error, &exit, &a.HTTPStatus, &a.Output, &a.Detail, &a.Interrupted); err != nil {
		return nil, err
	}
	a.StartedAt, a.Duration = fromNanos(started), time.Duration(dur)
	a.ExitCode = intPtr(exit)
	return &a, nil
}

// attemptArgs are the values of attemptCols for run runID.
func attemptArgs(runID string, a store.Attempt) []any {
	return []any{runID, a.N, a.Step, nanos(a.StartedAt), int64(a.Duration), a.OK, a.Error,
		nullInt(a.ExitCode), a.HTTPStatus, a.Output, a.Detail, a.Interrupted}
}

// scanProcess reads processCols.
func scanProcess(sc scanner) (store.Process, error) {
	var p store.Process
	var start, ownerStart, at int64
	if err := sc.Scan(&p.BootID, &p.PGID, &start, &p.RunID, &p.Host, &p.Owner, &p.OwnerPID, &ownerStart, &at); err != nil {
		return p, err
	}
	p.StartTicks, p.OwnerStartTicks, p.StartedAt = uint64(start), uint64(ownerStart), fromNanos(at)
	return p, nil
}

// processArgs are the values of processCols.
func processArgs(p store.Process) []any {
	return []any{p.BootID, p.PGID, int64(p.StartTicks), p.RunID, p.Host, p.Owner, p.OwnerPID, int64(p.OwnerStartTicks), nanos(p.StartedAt)}
}

// scanAll reads every row with scan.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}
