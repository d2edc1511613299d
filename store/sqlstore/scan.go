package sqlstore

import (
	"database/sql"
	"encoding/json"
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
		&exit, &r.HTTPStatus, &r.Output, &r.Detail, &created, &updated, &finished, &r.ReplayOf, &r.Interrupted); err != nil {
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
		nanos(r.CreatedAt), nanos(r.UpdatedAt), nullTime(r.FinishedAt), r.ReplayOf, r.Interrupted}
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
	headers, _ := json.Marshal(ev.Headers)
	matched, _ := json.Marshal(ev.Matched)
	if ev.Matched == nil {
		matched = []byte("[]")
	}
	return []any{ev.ID, ev.Source, ev.Provider, ev.Event, ev.DeliveryID, string(headers), ev.Query,
		ev.Body, ev.RemoteIP, nanos(ev.ReceivedAt), ev.Verification, string(matched), ev.ConfigHash, ev.RemoteAddr}
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
