package sqlstore

// Migrations returns the schema, step by step, with blobType as the type
// of raw bodies (BLOB in SQLite, BYTEA in PostgreSQL); times are BIGINT
// unix nanoseconds in both. embedded is true for SQLite, whose UPDATE
// rewrites only the index entries whose columns change and which can keep
// a table in its primary key's B-tree (WITHOUT ROWID); PostgreSQL writes a
// new entry in every index of a row whose indexed columns change, so there
// an index costs every claim and finish whatever its columns (migration 6).
func Migrations(blobType string, embedded bool) []string {
	return []string{
		`CREATE TABLE events (
		id TEXT PRIMARY KEY,
		source TEXT NOT NULL,
		provider TEXT NOT NULL,
		event TEXT NOT NULL,
		delivery_id TEXT NOT NULL DEFAULT '',
		headers TEXT NOT NULL,
		query TEXT NOT NULL DEFAULT '',
		body ` + blobType + ` NOT NULL,
		remote_ip TEXT NOT NULL,
		received_at BIGINT NOT NULL,
		verification TEXT NOT NULL,
		matched TEXT NOT NULL,
		config_hash TEXT NOT NULL
	);
	CREATE INDEX events_received ON events (received_at);
	CREATE INDEX events_source ON events (source, received_at);
	CREATE TABLE deliveries (
		source TEXT NOT NULL,
		delivery_id TEXT NOT NULL,
		event_id TEXT NOT NULL,
		received_at BIGINT NOT NULL,
		PRIMARY KEY (source, delivery_id)
	);
	CREATE INDEX deliveries_received ON deliveries (received_at);
	CREATE TABLE runs (
		id TEXT PRIMARY KEY,
		event_id TEXT NOT NULL,
		rule TEXT NOT NULL,
		config_hash TEXT NOT NULL,
		state TEXT NOT NULL,
		attempt INTEGER NOT NULL DEFAULT 0,
		step INTEGER NOT NULL DEFAULT 0,
		next_attempt_at BIGINT NOT NULL,
		claimed_by TEXT NOT NULL DEFAULT '',
		last_error TEXT NOT NULL DEFAULT '',
		exit_code INTEGER,
		http_status INTEGER NOT NULL DEFAULT 0,
		output TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL,
		updated_at BIGINT NOT NULL,
		finished_at BIGINT,
		replay_of TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX runs_due ON runs (state, next_attempt_at);
	CREATE INDEX runs_event ON runs (event_id);
	CREATE INDEX runs_rule ON runs (rule, state);
	CREATE INDEX runs_created ON runs (created_at);
	CREATE TABLE attempts (
		run_id TEXT NOT NULL,
		n INTEGER NOT NULL,
		step INTEGER NOT NULL,
		started_at BIGINT NOT NULL,
		duration_ns BIGINT NOT NULL,
		ok BOOLEAN NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		exit_code INTEGER,
		http_status INTEGER NOT NULL DEFAULT 0,
		output TEXT NOT NULL DEFAULT '',
		detail TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (run_id, n)
	)`,
		`CREATE TABLE poll_state (
		source TEXT PRIMARY KEY,
		cursor TEXT NOT NULL DEFAULT '',
		initialized BOOLEAN NOT NULL DEFAULT FALSE,
		lease_owner TEXT NOT NULL DEFAULT '',
		lease_until BIGINT NOT NULL DEFAULT 0,
		last_poll_at BIGINT NOT NULL DEFAULT 0,
		last_error TEXT NOT NULL DEFAULT ''
	)`,
		// 3: config revisions, so a run always executes under the rule it
		// was matched with, across reloads and restarts.
		`CREATE TABLE revisions (
		hash TEXT PRIMARY KEY,
		path TEXT NOT NULL,
		files TEXT NOT NULL,
		created_at BIGINT NOT NULL
	)`,
		// 4: process groups of running actions (killed at the next start if a
		// crash left them behind) and attempts interrupted by shutdown.
		`CREATE TABLE processes (
		boot_id TEXT NOT NULL,
		pgid INTEGER NOT NULL,
		start_ticks BIGINT NOT NULL,
		run_id TEXT NOT NULL,
		host TEXT NOT NULL,
		owner TEXT NOT NULL,
		owner_pid INTEGER NOT NULL,
		owner_start_ticks BIGINT NOT NULL,
		started_at BIGINT NOT NULL,
		PRIMARY KEY (boot_id, pgid, start_ticks)
	);
	CREATE INDEX processes_run ON processes (run_id);
	ALTER TABLE runs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE attempts ADD COLUMN interrupted BOOLEAN NOT NULL DEFAULT FALSE`,
		// 5: the claim query served in order by an index (issue 22).
		// runs_due (state, next_attempt_at) made every claim gather all due
		// runs of three states and sort them; runs_queue holds only runs
		// that are queued or leased, in claim order, and covers the query
		// (id, rule, state), so a claim reads the first few entries however
		// deep the queue. runs_running serves the per-rule running counts
		// and recovery. runs_due goes: a state-leading index tempts the
		// planner back into the sort.
		`DROP INDEX runs_due;
	CREATE INDEX runs_queue ON runs (next_attempt_at, id, rule, state) WHERE state IN ('pending', 'retrying', 'running');
	CREATE INDEX runs_running ON runs (rule, next_attempt_at) WHERE state = 'running'`,
		// 6: the sender's address with its port, for templates
		// ({{ remote_addr }}, adnanh/webhook's request remote-addr).
		`ALTER TABLE events ADD COLUMN remote_addr TEXT NOT NULL DEFAULT ''`,
		// 7: indexes that serve a deep queue (see migration7).
		migration7(embedded),
		// 8: the event sequence (listen's cursor). events.seq is given at
		// the end of the writing transaction from the one-row counter
		// event_seq, whose row lock orders it by commit across replicas:
		// an event becomes visible only after every smaller seq. A counter
		// (not MAX(seq)+1) so a pruned newest event's seq is never reused.
		`ALTER TABLE events ADD COLUMN seq BIGINT;
	UPDATE events SET seq = o.n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY received_at, id) AS n FROM events) AS o WHERE events.id = o.id;
	CREATE UNIQUE INDEX events_seq ON events (seq);
	CREATE TABLE event_seq (one INTEGER PRIMARY KEY, n BIGINT NOT NULL);
	INSERT INTO event_seq (one, n) SELECT 1, COALESCE(MAX(seq), 0) FROM events`,
		// 9 (6, 7 and 8 are other branches'; IF NOT EXISTS makes the
		// order harmless): a delivery id looked up across sources (search,
		// issue 27) scanned the events table: 670 ms on a million events,
		// 0.05 ms with this index (bench/RESULTS.md). Source, event type
		// and time range need none: events_source serves them (0.6 ms).
		`CREATE INDEX IF NOT EXISTS events_delivery ON events (delivery_id)`,
		// 10: runs waiting for their destination (circuit breaker open,
		// limit reached) are queued too; the shared state of destination
		// limits: the theoretical arrival time of each rate limit (GCRA)
		// and the leased slots of each concurrency limit.
		`DROP INDEX runs_queue;
	CREATE INDEX runs_queue ON runs (next_attempt_at, id, rule, state) WHERE state IN ('pending', 'retrying', 'waiting', 'running');
	CREATE TABLE dest_rates (
		dest TEXT PRIMARY KEY,
		tat BIGINT NOT NULL
	);
	CREATE TABLE dest_slots (
		dest TEXT NOT NULL,
		slot INTEGER NOT NULL,
		holder TEXT NOT NULL,
		lease_until BIGINT NOT NULL,
		PRIMARY KEY (dest, slot)
	)`,
		// 11: each run's concurrency limit, from the rule of its own
		// revision (store.Run.Concurrency), so a reload that renames or
		// drops a rule cannot free its queued runs from the limit. Rows
		// stored before hold 0: the limit in force for their rule's name
		// applies, as it did. The queue's two indexes carry it so the
		// claim and the running counts still read no table row.
		`ALTER TABLE runs ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 0;
	DROP INDEX runs_queue;
	CREATE INDEX runs_queue ON runs (next_attempt_at, id, rule, state, concurrency) WHERE state IN ('pending', 'retrying', 'waiting', 'running');
	DROP INDEX runs_running;
	CREATE INDEX runs_running ON runs (rule, next_attempt_at, concurrency) WHERE state = 'running'`,
	}
}

// migration7 (issue 22) takes index work off claims and finishes, whose
// cost grew with the backlog. runs_rule (rule, state) moved two entries of
// every claimed and every finished run between (rule, state) groups: with
// a deep queue the 50 rules' groups sit on 50 different leaf pages, so
// each commit dirtied (and wrote to the WAL) pages all over the index.
// Its uses (runs of a rule, newest first; a rule's dead runs to replay,
// oldest first) are served by (rule, created_at), which never changes
// after the insert. On SQLite (embedded) the run counts by state (metrics,
// console, start) read runs_state (state), whose entries move too but stay
// in order of insertion within a state: a claim takes the head of
// 'pending' and appends to 'running', so the pages it touches stay few
// however deep the queue; PostgreSQL, which would pay an entry in it on
// every claim and finish, counts with a sequential scan. Also on SQLite,
// deliveries (small rows, only ever looked up by their key) become WITHOUT
// ROWID: the primary key is the table, one B-tree insert less per event.
func migration7(embedded bool) string {
	m := `DROP INDEX runs_rule;
	CREATE INDEX runs_rule ON runs (rule, created_at, id)`
	if embedded {
		m += `;
	CREATE INDEX runs_state ON runs (state);
	CREATE TABLE deliveries_v7 (
		source TEXT NOT NULL,
		delivery_id TEXT NOT NULL,
		event_id TEXT NOT NULL,
		received_at BIGINT NOT NULL,
		PRIMARY KEY (source, delivery_id)
	) WITHOUT ROWID;
	INSERT INTO deliveries_v7 (` + deliveryCols + `) SELECT ` + deliveryCols + ` FROM deliveries;
	DROP TABLE deliveries;
	ALTER TABLE deliveries_v7 RENAME TO deliveries;
	CREATE INDEX deliveries_received ON deliveries (received_at)`
	}
	return m
}
