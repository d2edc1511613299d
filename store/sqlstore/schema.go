package sqlstore

// Migrations returns the schema, step by step, with blobType as the type
// of raw bodies (BLOB in SQLite, BYTEA in PostgreSQL); times are BIGINT
// unix nanoseconds in both.
func Migrations(blobType string) []string {
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
		// 9 (6, 7 and 8 are other branches'; IF NOT EXISTS makes the
		// order harmless): a delivery id looked up across sources (search,
		// issue 27) scanned the events table: 670 ms on a million events,
		// 0.05 ms with this index (bench/RESULTS.md). Source, event type
		// and time range need none: events_source serves them (0.6 ms).
		`CREATE INDEX IF NOT EXISTS events_delivery ON events (delivery_id)`,
	}
}
