package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// migration is one versioned schema change. Statements use {{id}} (an
// auto-increment primary key), {{int}} (a 64-bit integer) and {{blob}};
// each dialect fills them in. Move, when set, runs after the statements in
// the same transaction, for data a statement cannot rewrite; q fills in a
// query's table names, types and placeholders.
type migration struct {
	Version int
	Name    string
	Stmts   []string
	Move    func(ctx context.Context, tx *sql.Tx, q func(string) string) error
}

// migrations are applied in order, each once, each in its own transaction.
// Never edit a released migration: add a new one.
var migrations = []migration{
	{1, "initial schema", []string{
		`CREATE TABLE #rule_state (
			id {{int}} PRIMARY KEY CHECK (id = 1),
			state {{blob}} NOT NULL,
			saved_ns {{int}} NOT NULL)`,
		`CREATE TABLE #ledger (
			fingerprint TEXT PRIMARY KEY,
			milestone_key TEXT NOT NULL,
			purpose TEXT NOT NULL,
			target TEXT NOT NULL,
			state TEXT NOT NULL,
			ref TEXT NOT NULL,
			digest TEXT NOT NULL,
			created_ns {{int}},
			updated_ns {{int}},
			first_fired_ns {{int}},
			written_ns {{int}} NOT NULL)`,
		`CREATE INDEX #ledger_milestone ON #ledger (milestone_key)`,
		`CREATE TABLE #forecasts (
			milestone_key TEXT NOT NULL,
			as_of_ns {{int}} NOT NULL,
			record TEXT NOT NULL,
			PRIMARY KEY (milestone_key, as_of_ns))`,
		`CREATE TABLE #snapshots (
			milestone_key TEXT NOT NULL,
			day_ns {{int}} NOT NULL,
			taken_ns {{int}} NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (milestone_key, day_ns))`,
		`CREATE TABLE #http_cache (
			key TEXT PRIMARY KEY,
			etag TEXT NOT NULL,
			last_modified TEXT NOT NULL,
			header TEXT,
			body {{blob}} NOT NULL,
			stored_ns {{int}} NOT NULL)`,
		`CREATE TABLE #runs (
			id {{id}},
			mode TEXT NOT NULL,
			started_ns {{int}} NOT NULL,
			ended_ns {{int}},
			outcome TEXT NOT NULL,
			counts TEXT,
			error TEXT)`,
		`CREATE INDEX #runs_outcome ON #runs (outcome)`,
	}, nil},
	// The ledger's states became pending → created → complete: what
	// version 1 called "created" is a ticket written in full, now
	// "complete"; "created" now means found but not yet written in full.
	{2, "ledger state complete", []string{
		`UPDATE #ledger SET state = 'complete' WHERE state = 'created'`,
	}, nil},
	{3, "rule state and run log per scope (shards)", []string{
		`CREATE TABLE #scope_rule_state (
			scope TEXT PRIMARY KEY,
			state {{blob}} NOT NULL,
			saved_ns {{int}} NOT NULL)`,
		`ALTER TABLE #runs ADD COLUMN scope TEXT NOT NULL DEFAULT ''`,
	}, nil},
	// The connectors' sync state (cursors, snapshots, marks) lived in the
	// HTTP cache, where a lost entry silently lost it; it moves to a table
	// of its own, a namespace per source.
	{4, "connector sync state apart from the HTTP cache", []string{
		`CREATE TABLE #sync_state (
			namespace TEXT NOT NULL,
			key TEXT NOT NULL,
			value {{blob}} NOT NULL,
			saved_ns {{int}} NOT NULL,
			PRIMARY KEY (namespace, key))`,
	}, moveSyncState},
	// The daily milestone snapshots were written every run and never read:
	// the drafts take their history from the forecast records, the agreed
	// dates and the trackers' own item history. They stop, and so does the
	// table.
	{5, "no milestone snapshots", []string{
		`DROP TABLE #snapshots`,
	}, nil},
	// Cached bodies are kept compressed (see packBody); codec says how a
	// row's body is stored, '' as it came (every row written before).
	{6, "compressed HTTP cache bodies", []string{
		`ALTER TABLE #http_cache ADD COLUMN codec TEXT NOT NULL DEFAULT ''`,
	}, nil},
	// Every due date seen on a milestone, with when it was first seen: a
	// closed milestone whose date the tracker moved later is judged in the
	// team's record by the date it had when work started.
	{7, "due dates seen", []string{
		`CREATE TABLE #due_dates (
			milestone_key TEXT NOT NULL,
			due_ns {{int}} NOT NULL,
			seen_ns {{int}} NOT NULL,
			PRIMARY KEY (milestone_key, due_ns))`,
	}, nil},
}

// moveSyncState moves the sync state that version 3 kept in the HTTP cache
// into sync_state, so an upgrade keeps every source's cursor, snapshot and
// marks.
func moveSyncState(ctx context.Context, tx *sql.Tx, q func(string) string) error {
	rows, err := tx.QueryContext(ctx, q(`SELECT key, body, stored_ns FROM #http_cache`))
	if err != nil {
		return err
	}
	type row struct {
		old, ns, key string
		value        []byte
		at           int64
	}
	var moved []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.old, &r.value, &r.at); err != nil {
			rows.Close()
			return err
		}
		var ok bool
		if r.ns, r.key, ok = legacyState(r.old); ok {
			moved = append(moved, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range moved {
		if r.value == nil {
			r.value = []byte{}
		}
		if _, err := tx.ExecContext(ctx, q(`INSERT INTO #sync_state (namespace, key, value, saved_ns) VALUES (?, ?, ?, ?)`),
			r.ns, r.key, r.value, r.at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q(`DELETE FROM #http_cache WHERE key = ?`), r.old); err != nil {
			return err
		}
	}
	return nil
}

// legacyState maps a version 3 cache key that held sync state to its
// namespace and key (the ones internal/app and the connectors use now):
//
//	[shard i/n|]github:cursor:<source>           → [shard i/n|]source:<source>  cursor
//	[shard i/n|]github:joined:v1:<source>        → [shard i/n|]source:<source>  joined:v1
//	[shard i/n|]jira:snapshot:v1:<host>:<source> → [shard i/n|]source:<source>  snapshot:v1:<host>
//	[shard i/n|]github:nolabel:<owner/repo>      → [shard i/n|]target           nolabel:<owner/repo>
//
// Source names hold no colon (config refuses one), so the last colon ends
// a Jira host (which may carry a port). Any other key is a cached response.
func legacyState(old string) (namespace, key string, ok bool) {
	shard, rest := "", old
	if strings.HasPrefix(old, "shard ") {
		i := strings.IndexByte(old, '|')
		if i < 0 {
			return "", "", false
		}
		shard, rest = old[:i+1], old[i+1:]
	}
	if name, ok := strings.CutPrefix(rest, "github:cursor:"); ok && name != "" {
		return shard + "source:" + name, "cursor", true
	}
	if name, ok := strings.CutPrefix(rest, "github:joined:v1:"); ok && name != "" {
		return shard + "source:" + name, "joined:v1", true
	}
	if hn, ok := strings.CutPrefix(rest, "jira:snapshot:v1:"); ok {
		i := strings.LastIndexByte(hn, ':')
		if i <= 0 || i == len(hn)-1 {
			return "", "", false
		}
		return shard + "source:" + hn[i+1:], "snapshot:v1:" + hn[:i], true
	}
	if repo, ok := strings.CutPrefix(rest, "github:nolabel:"); ok && repo != "" {
		return shard + "target", "nolabel:" + repo, true
	}
	return "", "", false
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// migrate applies pending migrations. guard, when set, serializes
// concurrent migrators (PostgreSQL: a transaction-level advisory lock);
// SQLite transactions are already exclusive (BEGIN IMMEDIATE).
func migrate(ctx context.Context, db *sql.DB, d dialect, n names, guard string) (applied int, err error) {
	q := func(s string) string { return d.rebind(n.Replace(d.types.Replace(s))) }
	create := q(`CREATE TABLE IF NOT EXISTS #schema_migrations (
		version {{int}} PRIMARY KEY,
		name TEXT NOT NULL,
		applied_ns {{int}} NOT NULL)`)
	if guard != "" {
		// Two processes creating the table at once can collide in the
		// catalog: create it under the guard.
		if err := inTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, guard); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, create)
			return err
		}); err != nil {
			return 0, fmt.Errorf("creating schema_migrations: %w", err)
		}
	} else if _, err := db.ExecContext(ctx, create); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}

	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, q(`SELECT MAX(version) FROM #schema_migrations`)).Scan(&newest); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	if newest.Valid && int(newest.Int64) > SchemaVersion() {
		return 0, fmt.Errorf("the state schema is at version %d, newer than this forewarn understands (%d): upgrade forewarn", newest.Int64, SchemaVersion())
	}

	for _, m := range migrations {
		did := false
		err := inTx(ctx, db, func(tx *sql.Tx) error {
			if guard != "" {
				if _, err := tx.ExecContext(ctx, guard); err != nil {
					return err
				}
			}
			var one int
			err := tx.QueryRowContext(ctx, q(`SELECT 1 FROM #schema_migrations WHERE version = ?`), m.Version).Scan(&one)
			if err == nil {
				return nil // applied already (perhaps by a concurrent process)
			}
			if err != sql.ErrNoRows {
				return err
			}
			for _, st := range m.Stmts {
				if _, err := tx.ExecContext(ctx, q(st)); err != nil {
					return err
				}
			}
			if m.Move != nil {
				if err := m.Move(ctx, tx, q); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, q(`INSERT INTO #schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`),
				m.Version, m.Name, time.Now().UnixNano()); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("applying migration %d (%s): %w", m.Version, m.Name, err)
		}
		if did {
			applied++
		}
	}
	return applied, nil
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// checkSchema reports whether the database has a schema (exists: a query
// counting the schema_migrations table) and fails unless it is exactly the
// version this build writes. Used by read-only opens, which never migrate.
func checkSchema(ctx context.Context, db *sql.DB, n names, exists string) (bool, error) {
	var count int
	if err := db.QueryRowContext(ctx, exists).Scan(&count); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	if count == 0 {
		return false, nil
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, n.Replace(`SELECT MAX(version) FROM #schema_migrations`)).Scan(&v); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	switch {
	case !v.Valid:
		return false, nil
	case int(v.Int64) > SchemaVersion():
		return false, fmt.Errorf("the state schema is at version %d, newer than this forewarn understands (%d): upgrade forewarn", v.Int64, SchemaVersion())
	case int(v.Int64) < SchemaVersion():
		return false, fmt.Errorf("the state schema is at version %d, older than this forewarn (%d): a `forewarn run` brings it up to date", v.Int64, SchemaVersion())
	}
	return true, nil
}
