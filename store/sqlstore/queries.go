package sqlstore

import (
	"strconv"
	"strings"
	"time"

	"github.com/hookrunner/hookrunner/store"
)

// Every SQL statement the store runs is written here, once, with ?
// placeholders. buildQueries rebinds the fixed ones for the dialect when
// the store opens; the few whose text depends on the arguments (an IN list,
// optional filters) are built by the methods below from the same pieces.

// Column lists, in the order scan.go reads them.
const (
	runCols   = `id, event_id, rule, config_hash, state, attempt, step, next_attempt_at, claimed_by, last_error, exit_code, http_status, output, detail, created_at, updated_at, finished_at, replay_of, interrupted, concurrency`
	eventCols = `id, source, provider, event, delivery_id, headers, query, body, remote_ip, received_at, verification, matched, config_hash, remote_addr, seq`
	// eventInsertCols are eventCols without seq, given at commit (seq.go).
	eventInsertCols = `id, source, provider, event, delivery_id, headers, query, body, remote_ip, received_at, verification, matched, config_hash, remote_addr`
	attemptCols     = `run_id, n, step, started_at, duration_ns, ok, error, exit_code, http_status, output, detail, interrupted`
	processCols     = `boot_id, pgid, start_ticks, run_id, host, owner, owner_pid, owner_start_ticks, started_at`
	deliveryCols    = `source, delivery_id, event_id, received_at`
	pollCols        = `cursor, initialized, lease_owner, lease_until, last_poll_at, last_error`
)

const (
	// dueRuns are runs a worker may claim: waiting, or running with an
	// expired lease (indexedBy goes between its two parts).
	// dueOrder follows the optional rule filter.
	dueRuns, dueWhere = `SELECT id, rule, concurrency FROM runs `, ` WHERE state IN ('pending', 'retrying', 'waiting', 'running') AND next_attempt_at <= ?`
	dueOrder          = ` ORDER BY next_attempt_at, id LIMIT ?`
	// prunable is the condition on events old enough to prune whose runs
	// have all finished (succeeded or replayed); dead and waiting runs
	// keep their event.
	prunable = `received_at < ? AND NOT EXISTS (
			SELECT 1 FROM runs r WHERE r.event_id = events.id AND r.state NOT IN ('succeeded', 'replayed'))`
	// deliveryEvent is the event a delivery id of a source was stored as.
	deliveryEvent = `SELECT event_id FROM deliveries WHERE source = ? AND delivery_id = ?`
	// clearPollLease frees poll leases (all of them, or one with a WHERE).
	clearPollLease = `UPDATE poll_state SET lease_owner = '', lease_until = 0`
)

type queries struct {
	rebind   func(string) string
	contains func(col string) string
	// inIDs: the dialect takes id lists as one parameter (claimRunsIn).
	inIDs bool
	// indexedBy: queue queries name their index (Dialect.IndexedBy).
	indexedBy bool

	// migrate.go
	createMigrations, migrationApplied, recordMigration, schemaVersion string
	// events.go
	insertDelivery, existingDelivery, seenDelivery, probe, insertEvent, getEvent string
	// Serialized dialects: dedupe by the events' delivery index, seq at insert.
	insertEventSeq, dataVersion string
	pruneIDs, pruneDeliveries   string
	// seq.go
	bumpSeq, setSeq, headSeq, firstSeqSince, putSeq           string
	restoreDelivery, restoreEvent, restoreRun, restoreAttempt string
	// queue.go
	insertRun, due, runningCounts, runningRule, extend, progress, finish, insertAttempt, release string
	// claimRunsIn and claimEventsIn take the ids as one list (Dialect.InIDs).
	claimRunsIn, claimEventsIn string
	recover, recoverPolls      string
	// runs.go
	getRun, attempts, markReplayed, countStates, countRules string
	// poll.go
	createPoll, acquirePoll, getPoll, pollOwner, seenOnly, releasePoll, pollFailed string
	// processes.go
	recordProcess, forgetProcess, processes string
	// revisions.go
	saveRevision, getRevision string
}

func buildQueries(d Dialect) queries {
	r, ix := d.Rebind, d.IndexedBy
	if d.Contains == nil {
		d.Contains = func(col string) string { return "instr(" + col + ", ?) > 0" }
	}
	return queries{
		rebind:    r,
		contains:  d.Contains,
		inIDs:     d.InIDs != "",
		indexedBy: d.IndexedBy,

		createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`,
		migrationApplied: r(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`),
		recordMigration:  r(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
		schemaVersion:    `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`,

		insertDelivery: r(`INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?)
			ON CONFLICT (source, delivery_id) DO UPDATE SET event_id = excluded.event_id, received_at = excluded.received_at
			WHERE deliveries.received_at < ? RETURNING event_id`),
		existingDelivery: r(deliveryEvent),
		// The event a delivery id was stored as within the dedupe window.
		seenDelivery: seenQuery(d, ix),
		// The probe row (source '' is no source's name) proves a durable write.
		probe: r(`INSERT INTO deliveries (` + deliveryCols + `) VALUES ('', 'hookrunner-write-probe', '', ?)
			ON CONFLICT (source, delivery_id) DO UPDATE SET received_at = excluded.received_at`),
		insertEvent:    r(`INSERT INTO events (` + eventInsertCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		dataVersion:    d.DataVersion,
		insertEventSeq: r(`INSERT INTO events (` + eventInsertCols + `, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		getEvent:       r(`SELECT ` + eventCols + ` FROM events WHERE id = ?`),
		// A batch of prune: the oldest prunable events (events_received
		// serves the order), then their attempts, runs and themselves by id.
		pruneIDs: r(`SELECT id FROM events WHERE ` + prunable + ` ORDER BY received_at LIMIT ?`),
		pruneDeliveries: r(`DELETE FROM deliveries WHERE (source, delivery_id) IN (
			SELECT source, delivery_id FROM deliveries WHERE received_at < ? ORDER BY received_at LIMIT ?)`),
		// Restore keeps what is there: an id or a delivery already stored wins.
		restoreDelivery: r(`INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?) ON CONFLICT (source, delivery_id) DO NOTHING`),
		restoreEvent:    r(`INSERT INTO events (` + eventInsertCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		restoreRun:      r(`INSERT INTO runs (` + runCols + `) VALUES (` + marks(runColCount) + `) ON CONFLICT (id) DO NOTHING`),
		restoreAttempt:  r(`INSERT INTO attempts (` + attemptCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, n) DO NOTHING`),

		bumpSeq:       r(`UPDATE event_seq SET n = n + ? WHERE one = 1 RETURNING n`),
		setSeq:        r(`UPDATE events SET seq = ? WHERE id = ?`),
		headSeq:       `SELECT n FROM event_seq WHERE one = 1`,
		putSeq:        r(`UPDATE event_seq SET n = ? WHERE one = 1`),
		firstSeqSince: r(`SELECT MIN(seq) FROM events WHERE received_at >= ?`),

		insertRun: r(`INSERT INTO runs (` + runCols + `) VALUES (` + marks(runColCount) + `)`),
		due:       r(dueRuns+indexedBy(d.IndexedBy, "runs_queue")+dueWhere+dueOrder) + " " + d.ForUpdate,
		// Per rule name: the running runs (lease not expired) and the
		// smallest limit among them (NULL: none recorded one).
		runningCounts: r(`SELECT rule, COUNT(*), MIN(CASE WHEN concurrency > 0 THEN concurrency END) FROM runs ` + indexedBy(d.IndexedBy, "runs_running") +
			` WHERE state = 'running' AND next_attempt_at > ? GROUP BY rule`),
		runningRule: r(`SELECT COUNT(*) FROM runs ` + indexedBy(d.IndexedBy, "runs_running") + ` WHERE rule = ? AND state = 'running' AND next_attempt_at > ?`),
		extend:      r(`UPDATE runs SET next_attempt_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		progress:    r(`UPDATE runs SET step = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		finish: r(`UPDATE runs SET state = ?, step = ?, next_attempt_at = ?, last_error = ?, exit_code = ?, http_status = ?, output = ?, detail = ?,
			updated_at = ?, finished_at = ?, claimed_by = '', interrupted = interrupted + ?
			WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		insertAttempt: r(`INSERT INTO attempts (` + attemptCols + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (run_id, n) DO UPDATE SET step = excluded.step, started_at = excluded.started_at, duration_ns = excluded.duration_ns,
			ok = excluded.ok, error = excluded.error, exit_code = excluded.exit_code, http_status = excluded.http_status,
			output = excluded.output, detail = excluded.detail, interrupted = excluded.interrupted`),
		release:       r(`UPDATE runs SET state = 'pending', attempt = attempt - 1, claimed_by = '', next_attempt_at = ?, updated_at = ? WHERE id = ? AND claimed_by = ? AND state = 'running'`),
		recover:       r(`UPDATE runs SET next_attempt_at = ?, updated_at = ? WHERE state = 'running' AND updated_at < ?`),
		claimRunsIn:   r(claimSet + `WHERE id ` + d.InIDs + ` RETURNING ` + runCols),
		claimEventsIn: r(`SELECT ` + eventCols + ` FROM events WHERE id ` + d.InIDs),
		recoverPolls:  clearPollLease,

		getRun:       r(`SELECT ` + runCols + ` FROM runs WHERE id = ?`),
		attempts:     r(`SELECT ` + attemptCols + ` FROM attempts WHERE run_id = ? ORDER BY n`),
		markReplayed: r(`UPDATE runs SET state = 'replayed', updated_at = ? WHERE id = ? AND state = 'dead'`),
		countStates:  `SELECT state, COUNT(*) FROM runs GROUP BY state`,
		countRules: r(`SELECT e.source, r.rule, r.state, COUNT(*) FROM runs r JOIN events e ON e.id = r.event_id
			WHERE r.created_at >= ? GROUP BY e.source, r.rule, r.state`),

		createPoll: r(`INSERT INTO poll_state (source) VALUES (?) ON CONFLICT (source) DO NOTHING`),
		acquirePoll: r(`UPDATE poll_state SET lease_owner = ?, lease_until = ?
			WHERE source = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?)`),
		getPoll:   r(`SELECT ` + pollCols + ` FROM poll_state WHERE source = ?`),
		pollOwner: r(`SELECT lease_owner FROM poll_state WHERE source = ?`),
		seenOnly: r(`INSERT INTO deliveries (` + deliveryCols + `) VALUES (?, ?, '', ?)
			ON CONFLICT (source, delivery_id) DO NOTHING`),
		releasePoll: r(clearPollLease + ` WHERE source = ? AND lease_owner = ?`),
		pollFailed:  r(`UPDATE poll_state SET last_error = ?, last_poll_at = ? WHERE source = ?`),

		recordProcess: r(`INSERT INTO processes (` + processCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (boot_id, pgid, start_ticks) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, owner = excluded.owner,
			owner_pid = excluded.owner_pid, owner_start_ticks = excluded.owner_start_ticks, started_at = excluded.started_at`),
		forgetProcess: r(`DELETE FROM processes WHERE boot_id = ? AND pgid = ? AND start_ticks = ?`),
		processes:     `SELECT ` + processCols + ` FROM processes ORDER BY started_at, pgid`,

		saveRevision: r(`INSERT INTO revisions (hash, path, files, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO NOTHING`),
		getRevision: r(`SELECT path, files, created_at FROM revisions WHERE hash = ?`),
	}
}

// seenQuery is the lookup of the event a delivery id was stored as within
// the dedupe window (its arguments: seenArgs). Where ingest writes a
// delivery record for every event, the records are all there is to read;
// on a Dialect.Serialized store the event is its own record (events.go),
// so the lookup reads the events still stored (events_delivery) and the
// records prune left of those deleted within the window.
func seenQuery(d Dialect, ix bool) string {
	if !d.Serialized {
		return d.Rebind(deliveryEvent + ` AND received_at >= ?`)
	}
	return d.Rebind(`SELECT id FROM events ` + indexedBy(ix, "events_delivery") + ` WHERE delivery_id = ? AND source = ? AND received_at >= ?
			UNION ALL ` + deliveryEvent + ` AND received_at >= ? LIMIT 1`)
}

// seenArgs are the arguments of seenQuery.
func (s *Store) seenArgs(source, deliveryID string, since time.Time) []any {
	if !s.d.Serialized {
		return []any{source, deliveryID, nanos(since)}
	}
	return []any{deliveryID, source, nanos(since), source, deliveryID, nanos(since)}
}

// indexedBy names the index a run-queue query must read, where the dialect
// wants it named.
func indexedBy(named bool, index string) string {
	if !named {
		return ""
	}
	return "INDEXED BY " + index
}

// hot are the statements prepared once on the write connection.
func (q *queries) hot() []string {
	hot := []string{q.insertDelivery, q.existingDelivery, q.insertEvent, q.insertRun, q.finish, q.insertAttempt, q.progress, q.extend,
		q.due, q.runningCounts, q.runningRule, q.recordProcess, q.forgetProcess, q.bumpSeq, q.setSeq, q.putSeq, q.headSeq, q.insertEventSeq, q.seenDelivery, q.restoreDelivery, q.restoreEvent, q.restoreRun}
	if q.inIDs {
		hot = append(hot, q.claimRunsIn)
	}
	if q.dataVersion != "" {
		hot = append(hot, q.dataVersion)
	}
	return hot
}

// deleteIn deletes from table the rows whose col is one of n values.
func (q *queries) deleteIn(table, col string, n int) string {
	return q.rebind(`DELETE FROM ` + table + ` WHERE ` + col + ` IN (` + marks(n) + `)`)
}

// marks is n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// dueExcept is the due query leaving out the runs of n rules whose limit
// the rule's running runs already reach (each a rule name and a range of
// run limits: blocked.args), so one blocked rule's queue does not starve
// the others.
func (q *queries) dueExcept(n int, forUpdate string) string {
	one := `(rule = ? AND concurrency BETWEEN ? AND ?)`
	return q.rebind(dueRuns+indexedBy(q.indexedBy, "runs_queue")+dueWhere+` AND NOT (`+strings.TrimSuffix(strings.Repeat(one+" OR ", n), " OR ")+`)`+dueOrder) + " " + forUpdate
}

// runColCount is the number of columns in runCols.
var runColCount = strings.Count(runCols, ",") + 1

// insertRuns is one INSERT of n runs.
func (q *queries) insertRuns(n int) string {
	row := "(" + marks(runColCount) + ")"
	return q.rebind(`INSERT INTO runs (` + runCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", "))
}

// claimSet leases runs (owner, lease end, now); the WHERE follows.
const claimSet = `UPDATE runs SET state = 'running', claimed_by = ?, next_attempt_at = ?, attempt = attempt + 1, updated_at = ? `

// claimRuns leases n runs by id and returns them.
func (q *queries) claimRuns(n int) string {
	return q.rebind(claimSet + `WHERE id IN (` + marks(n) + `) RETURNING ` + runCols)
}

// filter collects the WHERE conditions of a list query.
type filter struct {
	where []string
	args  []any
}

func (f *filter) add(cond string, arg any) {
	f.where, f.args = append(f.where, cond), append(f.args, arg)
}

// list is a SELECT of cols from table with the filter, newest first.
func (q *queries) list(cols, table string, f filter, order string, n int) string {
	s := `SELECT ` + cols + ` FROM ` + table
	if len(f.where) > 0 {
		s += " WHERE " + strings.Join(f.where, " AND ")
	}
	return q.rebind(s + " ORDER BY " + order + " LIMIT " + strconv.Itoa(limit(n)))
}

func (f *filter) addN(cond string, args ...any) {
	f.where, f.args = append(f.where, cond), append(f.args, args...)
}

// idSuffix keeps the rows whose id ends with suffix (a short id); none
// when suffix cannot be the tail of an id (so it holds no LIKE wildcard).
func (f *filter) idSuffix(suffix string) {
	switch {
	case suffix == "":
	case !store.IsIDPart(suffix):
		f.addN("1 = 0")
	default:
		f.add("id LIKE ?", "%"+strings.ToLower(suffix))
	}
}

func (q *queries) listEvents(f store.EventFilter) (string, []any) {
	var w filter
	if f.Source != "" {
		w.add("source = ?", f.Source)
	}
	if f.Event != "" {
		w.add("event = ?", f.Event)
	}
	if f.DeliveryID != "" {
		w.add("delivery_id = ?", f.DeliveryID)
	}
	if !f.Since.IsZero() {
		w.add("received_at >= ?", nanos(f.Since))
	}
	if !f.Before.IsZero() {
		w.add("received_at < ?", nanos(f.Before))
	}
	switch f.State {
	case "":
	case store.NoRuns:
		w.addN("NOT EXISTS (SELECT 1 FROM runs r WHERE r.event_id = events.id)")
	default:
		w.add("EXISTS (SELECT 1 FROM runs r WHERE r.event_id = events.id AND r.state = ?)", string(f.State))
	}
	if f.Search != "" {
		// Values only, never SQL: the id pattern holds hex digits and
		// dashes alone (no LIKE wildcard), the rest are parameters.
		conds := []string{q.contains("delivery_id"), q.contains("body")}
		args := []any{f.Search, []byte(f.Search)}
		if store.IsIDPart(f.Search) {
			conds = append(conds, "id LIKE ?")
			args = append(args, "%"+strings.ToLower(f.Search))
		}
		w.addN("("+strings.Join(conds, " OR ")+")", args...)
	}
	w.idSuffix(f.IDSuffix)
	if c := f.After; c != nil {
		at := nanos(c.ReceivedAt)
		w.addN("(received_at < ? OR (received_at = ? AND id < ?))", at, at, c.ID)
	}
	return q.list(eventCols, "events", w, "received_at DESC, id DESC", f.Limit), w.args
}

// replayWhere is the selection of a bulk replay (state already defaulted).
func replayWhere(f store.ReplayFilter) filter {
	var w filter
	w.add("rule = ?", f.Rule)
	w.add("state = ?", string(f.State))
	if !f.Since.IsZero() {
		w.add("created_at >= ?", nanos(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("created_at < ?", nanos(f.Until))
	}
	return w
}

// replaySources are the runs a bulk replay queues, oldest first.
func (q *queries) replaySources(f store.ReplayFilter) (string, []any) {
	w := replayWhere(f)
	return q.rebind(`SELECT ` + runCols + ` FROM runs WHERE ` + strings.Join(w.where, " AND ") +
		` ORDER BY created_at, id LIMIT ` + strconv.Itoa(store.MaxReplay)), w.args
}

// countReplay counts them.
func (q *queries) countReplay(f store.ReplayFilter) (string, []any) {
	w := replayWhere(f)
	return q.rebind(`SELECT COUNT(*) FROM runs WHERE ` + strings.Join(w.where, " AND ")), w.args
}

// eventsAfter pages events by seq, of n sources (all when n is 0).
func (q *queries) eventsAfter(n, lim int) string {
	s := `SELECT ` + eventCols + ` FROM events WHERE seq > ?`
	if n > 0 {
		s += ` AND source IN (` + marks(n) + `)`
	}
	return q.rebind(s + ` ORDER BY seq LIMIT ` + strconv.Itoa(limit(lim)))
}

func (q *queries) listRuns(f store.RunFilter) (string, []any) {
	var w filter
	if f.EventID != "" {
		w.add("event_id = ?", f.EventID)
	}
	if len(f.EventIDs) > 0 {
		args := make([]any, len(f.EventIDs))
		for i, id := range f.EventIDs {
			args[i] = id
		}
		w.addN("event_id IN ("+marks(len(args))+")", args...)
	}
	if f.Rule != "" {
		w.add("rule = ?", f.Rule)
	}
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	if !f.Since.IsZero() {
		w.add("created_at >= ?", nanos(f.Since))
	}
	if !f.Before.IsZero() {
		w.add("created_at < ?", nanos(f.Before))
	}
	w.idSuffix(f.IDSuffix)
	return q.list(runCols, "runs", w, "created_at DESC, id DESC", f.Limit), w.args
}

func (q *queries) listRevisions(n int) string {
	return q.list("hash, path, created_at", "revisions", filter{}, "created_at DESC, hash", n)
}

// savePoll records a finished poll: its time, and the cursor and the
// initialized flag when they change.
func (q *queries) savePoll(cursor, initialize bool) string {
	s := `UPDATE poll_state SET last_poll_at = ?, last_error = ''`
	if cursor {
		s += `, cursor = ?`
	}
	if initialize {
		s += `, initialized = TRUE`
	}
	return q.rebind(s + ` WHERE source = ?`)
}

// limit is a list size: n, or 100 when n is unset or over 10,000.
func limit(n int) int {
	// At most a page of 10,000 and the one row more that says a next page
	// exists (the lists ask for size+1).
	if n <= 0 || n > 10001 {
		return 100
	}
	return n
}
