package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/jsonx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// rebind turns ? placeholders into the driver's own.
	rebind func(string) string
	// types fill the {{…}} holes of the migrations.
	types *strings.Replacer
}

// sqlStore implements Store over database/sql for both SQL backends.
type sqlStore struct {
	db *sql.DB
	// lazy commits without waiting for the disk (SQLite: synchronous
	// NORMAL; nil elsewhere: db). It carries the writes a power cut may
	// roll back because the next run recovers them: the HTTP cache (asked
	// again), snapshots and forecast records (the same run's data, written
	// again next run) and ledger entries past pending (a pending entry
	// left behind makes the next run find the ticket and write it once in
	// full, never create it again). A lazy commit is durable as soon as any
	// later commit through db is, since both append to one write-ahead
	// log in order: the next pending entry, the rule state and the run
	// log's end all make it so. A process crash loses none of it.
	lazy    *sql.DB
	d       dialect
	ns      string // the namespace ("" by default)
	n       names  // its table names
	log     zerolog.Logger
	scrub   func(string) string // removes secrets from error text
	lock    func(ctx context.Context, wait time.Duration, units []string) (*Lease, error)
	closeFn func() error
	once    sync.Once
	cerr    error
	stmts   stmts
}

// stmts are the store's statements, each prepared once per handle (db or
// lazy) on its first use and reused by every later call: preparing costs
// SQLite a parse and a plan on every call otherwise (a third of a ledger
// read). A *sql.Stmt is safe for concurrent use: database/sql prepares it
// on each connection of the pool that runs it, once. They are closed with
// the store, before its handles.
type stmts struct {
	mu     sync.RWMutex // guards m and closed, never held while preparing
	m      map[stmtKey]*stmtEntry
	closed bool
}

type stmtKey struct {
	h *sql.DB
	q string // the query as written, before sqlStore.q
}

// stmtEntry is one query's statement. Its own lock is held while it is
// prepared, so a first preparation (a round trip, or a wait for the lazy
// handle's one connection) holds up only the callers of that query, not
// every call of the store.
type stmtEntry struct {
	mu sync.Mutex
	st atomic.Pointer[sql.Stmt]
}

// prepared returns the statement of query q on handle h, preparing it the
// first time. A failed preparation is not remembered: the next call tries
// again.
func (s *sqlStore) prepared(ctx context.Context, h *sql.DB, q string) (*sql.Stmt, error) {
	k := stmtKey{h, q}
	s.stmts.mu.RLock()
	e, closed := s.stmts.m[k], s.stmts.closed
	s.stmts.mu.RUnlock()
	if closed {
		return nil, errClosed
	}
	if e != nil {
		if st := e.st.Load(); st != nil {
			return st, nil
		}
	} else {
		s.stmts.mu.Lock()
		if s.stmts.closed {
			s.stmts.mu.Unlock()
			return nil, errClosed
		}
		if e = s.stmts.m[k]; e == nil {
			if s.stmts.m == nil {
				s.stmts.m = map[stmtKey]*stmtEntry{}
			}
			e = &stmtEntry{}
			s.stmts.m[k] = e
		}
		s.stmts.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if st := e.st.Load(); st != nil {
		return st, nil
	}
	st, err := h.PrepareContext(ctx, s.q(q))
	if err != nil {
		return nil, err
	}
	// Stored under the read lock: closeStmts either sees it or ran before.
	s.stmts.mu.RLock()
	defer s.stmts.mu.RUnlock()
	if s.stmts.closed { // the store closed while this one was prepared
		st.Close()
		return nil, errClosed
	}
	e.st.Store(st)
	return st, nil
}

// closeStmts closes the prepared statements; later calls get errClosed.
func (s *sqlStore) closeStmts() error {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	s.stmts.closed = true
	var first error
	for _, e := range s.stmts.m {
		if st := e.st.Load(); st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	s.stmts.m = nil
	return first
}

// row is what QueryRow returns, or the error of preparing its statement.
type row interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs a prepared query expected to return at most one row.
func (s *sqlStore) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := s.prepared(ctx, s.db, q)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a prepared query.
func (s *sqlStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, s.db, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// cacheTimeout bounds a cache read or write: a miss is always safe, so a
// slow cache must not stall a sync.
const cacheTimeout = 10 * time.Second

func (s *sqlStore) Driver() string { return s.d.name }

func (s *sqlStore) Namespace() string { return s.ns }

func (s *sqlStore) Lock(ctx context.Context, wait time.Duration, units ...string) (*Lease, error) {
	return s.lock(ctx, wait, unitList(units))
}

func (s *sqlStore) Close() error {
	s.once.Do(func() {
		s.cerr = s.closeStmts()
		if err := s.db.Close(); s.cerr == nil {
			s.cerr = err
		}
		if s.closeFn != nil {
			if err := s.closeFn(); s.cerr == nil {
				s.cerr = err
			}
		}
	})
	return s.wrap("closing the state store", s.cerr)
}

// wrap adds context to an error and strips anything secret from its text.
func (s *sqlStore) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s (%s state): %w", op, s.d.name, redact(s.scrub, err))
}

// redact rebuilds err with the secrets scrubbed from its text. The result
// does not wrap the driver's error (whose text may hold the DSN), only a
// context error, so callers can still tell a cancellation.
func redact(scrub func(string) string, err error) error {
	if err == nil || scrub == nil {
		return err
	}
	r := &redactedError{msg: scrub(err.Error())}
	switch {
	case errors.Is(err, context.Canceled):
		r.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		r.cause = context.DeadlineExceeded
	}
	return r
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// q fills in the namespace's table names and the driver's placeholders.
func (s *sqlStore) q(query string) string { return s.d.rebind(s.n.Replace(query)) }

func (s *sqlStore) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.execOn(ctx, s.db, q, args...)
	return err
}

// execLazy is exec through the lazy handle (see sqlStore.lazy).
func (s *sqlStore) execLazy(ctx context.Context, q string, args ...any) error {
	h := s.lazy
	if h == nil {
		h = s.db
	}
	_, err := s.execOn(ctx, h, q, args...)
	return err
}

// execOn runs a prepared statement on handle h.
func (s *sqlStore) execOn(ctx context.Context, h *sql.DB, q string, args ...any) (sql.Result, error) {
	st, err := s.prepared(ctx, h, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// --- times: int64 nanoseconds since the epoch, UTC; zero time is NULL ---

func ns(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromNS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

// --- rule state ---

func (s *sqlStore) RuleState(ctx context.Context) ([]byte, error) {
	b, _, err := s.ScopeRuleState(ctx, "")
	return b, err
}

func (s *sqlStore) SaveRuleState(ctx context.Context, state []byte) error {
	return s.SaveScopeRuleState(ctx, "", state)
}

// ScopeRuleState reads the rule state of a scope: the installation's one
// row for "", else the scope's row.
func (s *sqlStore) ScopeRuleState(ctx context.Context, scope string) ([]byte, bool, error) {
	var b []byte
	var err error
	if scope == "" {
		err = s.queryRow(ctx, `SELECT state FROM #rule_state WHERE id = 1`).Scan(&b)
	} else {
		err = s.queryRow(ctx, `SELECT state FROM #scope_rule_state WHERE scope = ?`, scope).Scan(&b)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.wrap("reading rule state", err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

func (s *sqlStore) SaveScopeRuleState(ctx context.Context, scope string, state []byte) error {
	if state == nil {
		state = []byte{}
	}
	var err error
	if scope == "" {
		err = s.exec(ctx, `INSERT INTO #rule_state (id, state, saved_ns) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state, saved_ns = excluded.saved_ns`, state, time.Now().UnixNano())
	} else {
		err = s.exec(ctx, `INSERT INTO #scope_rule_state (scope, state, saved_ns) VALUES (?, ?, ?)
		ON CONFLICT (scope) DO UPDATE SET state = excluded.state, saved_ns = excluded.saved_ns`, scope, state, time.Now().UnixNano())
	}
	return s.wrap("saving rule state", err)
}

func (s *sqlStore) RuleStates(ctx context.Context) ([][]byte, error) {
	rows, err := s.query(ctx, `SELECT state FROM #rule_state UNION ALL SELECT state FROM #scope_rule_state`)
	if err != nil {
		return nil, s.wrap("reading rule states", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, s.wrap("reading rule states", err)
		}
		out = append(out, b)
	}
	return out, s.wrap("reading rule states", rows.Err())
}

// --- ledger ---

func (s *sqlStore) LedgerGet(ctx context.Context, fp string) (tracker.LedgerEntry, bool, error) {
	var (
		e                         tracker.LedgerEntry
		purpose, ref, state       string
		created, updated, firstAt sql.NullInt64
	)
	err := s.queryRow(ctx, `SELECT fingerprint, milestone_key, purpose, target, state, ref, digest, created_ns, updated_ns, first_fired_ns
		FROM #ledger WHERE fingerprint = ?`, fp).
		Scan(&e.Fingerprint, &e.MilestoneKey, &purpose, &e.Target, &state, &ref, &e.Digest, &created, &updated, &firstAt)
	if errors.Is(err, sql.ErrNoRows) {
		return tracker.LedgerEntry{}, false, nil
	}
	if err != nil {
		return tracker.LedgerEntry{}, false, s.wrap("reading the ledger entry "+fp, err)
	}
	e.Purpose, e.State = model.Purpose(purpose), tracker.LedgerState(state)
	if ref != "" {
		if err := jsonx.Unmarshal([]byte(ref), &e.Ref); err != nil {
			return tracker.LedgerEntry{}, false, fmt.Errorf("reading the ledger entry %s: corrupt ticket reference: %w", fp, err)
		}
	}
	e.Ref.ClosedAt = utc(e.Ref.ClosedAt)
	e.Created, e.Updated, e.FirstFired = fromNS(created), fromNS(updated), fromNS(firstAt)
	return e, true, nil
}

const ledgerUpsert = `INSERT INTO #ledger (fingerprint, milestone_key, purpose, target, state, ref, digest, created_ns, updated_ns, first_fired_ns, written_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint) DO UPDATE SET milestone_key = excluded.milestone_key, purpose = excluded.purpose,
			target = excluded.target, state = excluded.state, ref = excluded.ref, digest = excluded.digest,
			created_ns = excluded.created_ns, updated_ns = excluded.updated_ns, first_fired_ns = excluded.first_fired_ns,
			written_ns = excluded.written_ns`

// ledgerArgs are an entry's values for ledgerUpsert.
func ledgerArgs(e tracker.LedgerEntry) ([]any, error) {
	if e.Fingerprint == "" {
		return nil, errors.New("ledger: an entry needs a fingerprint")
	}
	ref, err := json.Marshal(e.Ref)
	if err != nil {
		return nil, fmt.Errorf("ledger: encoding ticket reference: %w", err)
	}
	return []any{e.Fingerprint, e.MilestoneKey, string(e.Purpose), e.Target, string(e.State), string(ref), e.Digest,
		ns(e.Created), ns(e.Updated), ns(e.FirstFired), time.Now().UnixNano()}, nil
}

// LedgerPut is one upsert statement: atomic on both backends, so a crash
// leaves either the old record or the new one, never neither.
func (s *sqlStore) LedgerPut(ctx context.Context, e tracker.LedgerEntry) error {
	args, err := ledgerArgs(e)
	if err != nil {
		return err
	}
	exec := s.exec
	if e.State != tracker.LedgerPending {
		// Only the intent to create must be on disk before the create
		// is sent; see sqlStore.lazy for why the rest may wait.
		exec = s.execLazy
	}
	err = exec(ctx, ledgerUpsert, args...)
	return s.wrap("recording ledger entry "+e.Fingerprint, err)
}

// LedgerPutAll records the entries in one transaction, durable (like a
// pending LedgerPut) when it returns: all of them or none.
func (s *sqlStore) LedgerPutAll(ctx context.Context, es []tracker.LedgerEntry) error {
	if len(es) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("recording ledger entries", err)
	}
	defer tx.Rollback()
	upsert, err := s.prepared(ctx, s.db, ledgerUpsert)
	if err != nil {
		return s.wrap("recording ledger entries", err)
	}
	stmt := tx.StmtContext(ctx, upsert)
	for _, e := range es {
		args, err := ledgerArgs(e)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return s.wrap("recording ledger entry "+e.Fingerprint, err)
		}
	}
	return s.wrap("recording ledger entries", tx.Commit())
}

// --- forecast history ---

const forecastUpsert = `INSERT INTO #forecasts (milestone_key, as_of_ns, record) VALUES (?, ?, ?)
		ON CONFLICT (milestone_key, as_of_ns) DO UPDATE SET record = excluded.record`

// AppendForecast records a forecast; a second record for the same milestone
// and AsOf replaces the first, so a repeated run adds nothing.
func (s *sqlStore) AppendForecast(ctx context.Context, key string, r model.ForecastRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding forecast of %s: %w", key, err)
	}
	err = s.execLazy(ctx, forecastUpsert, key, r.AsOf.UnixNano(), string(b))
	return s.wrap("recording the forecast of "+key, err)
}

// AppendForecasts records the forecasts as AppendForecast does, in one
// transaction through the lazy handle (the same durability).
func (s *sqlStore) AppendForecasts(ctx context.Context, fs []tracker.KeyedForecast) error {
	if len(fs) == 0 {
		return nil
	}
	return s.inLazyTx(ctx, "recording forecasts", forecastUpsert, func(stmt *sql.Stmt) error {
		for _, f := range fs {
			b, err := json.Marshal(f.Record)
			if err != nil {
				return fmt.Errorf("encoding forecast of %s: %w", f.MilestoneKey, err)
			}
			if _, err := stmt.ExecContext(ctx, f.MilestoneKey, f.Record.AsOf.UnixNano(), string(b)); err != nil {
				return s.wrap("recording the forecast of "+f.MilestoneKey, err)
			}
		}
		return nil
	})
}

// inLazyTx runs fn with statement q in one transaction on the lazy handle
// (the durability of execLazy) and commits: many rows, one wait for the
// disk. Its own failures (preparing, beginning, committing) are wrapped
// as what (left as they are when what is empty); fn's are returned as fn
// gave them.
func (s *sqlStore) inLazyTx(ctx context.Context, what, q string, fn func(stmt *sql.Stmt) error) error {
	wrap := func(err error) error {
		if what == "" {
			return err
		}
		return s.wrap(what, err)
	}
	h := s.lazy
	if h == nil {
		h = s.db
	}
	// Prepared before the transaction takes the lazy handle's one
	// connection, which preparing would otherwise wait for.
	prep, err := s.prepared(ctx, h, q)
	if err != nil {
		return wrap(err)
	}
	tx, err := h.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err)
	}
	defer tx.Rollback()
	if err := fn(tx.StmtContext(ctx, prep)); err != nil {
		return err
	}
	return wrap(tx.Commit())
}

// --- due dates seen ---

const dueInsert = `INSERT INTO #due_dates (milestone_key, due_ns, seen_ns) VALUES (?, ?, ?)
		ON CONFLICT (milestone_key, due_ns) DO NOTHING`

// NoteDues records the due dates not seen before, in one transaction
// through the lazy handle, as AppendForecasts does.
func (s *sqlStore) NoteDues(ctx context.Context, seen time.Time, dues []tracker.KeyedDue) error {
	if len(dues) == 0 {
		return nil
	}
	return s.inLazyTx(ctx, "recording due dates", dueInsert, func(stmt *sql.Stmt) error {
		for _, d := range dues {
			if _, err := stmt.ExecContext(ctx, d.MilestoneKey, d.Due.UnixNano(), seen.UnixNano()); err != nil {
				return s.wrap("recording the due date of "+d.MilestoneKey, err)
			}
		}
		return nil
	})
}

// DuesSeen reads the due dates seen on the milestones asked for, a query
// each latestChunk of them: each one's rows are a seek of the primary key.
func (s *sqlStore) DuesSeen(ctx context.Context, keys []string) (map[string][]model.DueSeen, error) {
	out := map[string][]model.DueSeen{}
	for chunk := range slices.Chunk(keys, latestChunk) {
		var q strings.Builder
		q.WriteString(`SELECT milestone_key, due_ns, seen_ns FROM #due_dates WHERE milestone_key IN (`)
		args := make([]any, len(chunk))
		for i, key := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("?")
			args[i] = key
		}
		q.WriteString(`) ORDER BY milestone_key, seen_ns, due_ns`)
		// Not kept prepared: the text differs with the chunk's length.
		rows, err := s.db.QueryContext(ctx, s.q(q.String()), args...)
		if err != nil {
			return nil, s.wrap("reading the due dates seen", err)
		}
		for rows.Next() {
			var key string
			var due, seen int64
			if err := rows.Scan(&key, &due, &seen); err != nil {
				rows.Close()
				return nil, s.wrap("reading the due dates seen", err)
			}
			out[key] = append(out[key], model.DueSeen{Due: time.Unix(0, due).UTC(), Seen: time.Unix(0, seen).UTC()})
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.wrap("reading the due dates seen", err)
		}
	}
	return out, nil
}

// latestChunk is how many milestones one LatestForecastTimes query asks
// for: well under both backends' limits on placeholders.
const latestChunk = 500

// LatestForecastTimes asks for many milestones in one query each
// latestChunk: each one's latest AsOf is one seek of the primary key
// (milestone_key, as_of_ns), as ForecastAt's is.
func (s *sqlStore) LatestForecastTimes(ctx context.Context, keys []string) (map[string]time.Time, error) {
	out := make(map[string]time.Time, len(keys))
	for chunk := range slices.Chunk(keys, latestChunk) {
		var q strings.Builder
		q.WriteString(`WITH k (milestone_key) AS (VALUES `)
		args := make([]any, len(chunk))
		for i, key := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(`(CAST(? AS TEXT))`)
			args[i] = key
		}
		q.WriteString(`) SELECT k.milestone_key, (SELECT MAX(f.as_of_ns) FROM #forecasts f WHERE f.milestone_key = k.milestone_key) FROM k`)
		// Not kept prepared: the text differs with the chunk's length.
		rows, err := s.db.QueryContext(ctx, s.q(q.String()), args...)
		if err != nil {
			return nil, s.wrap("reading the latest forecasts", err)
		}
		for rows.Next() {
			var key string
			var at sql.NullInt64
			if err := rows.Scan(&key, &at); err != nil {
				rows.Close()
				return nil, s.wrap("reading the latest forecasts", err)
			}
			if at.Valid {
				out[key] = fromNS(at)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.wrap("reading the latest forecasts", err)
		}
	}
	return out, nil
}

func (s *sqlStore) Forecasts(ctx context.Context, key string) ([]model.ForecastRecord, error) {
	rows, err := s.query(ctx, `SELECT record FROM #forecasts WHERE milestone_key = ? ORDER BY as_of_ns`, key)
	if err != nil {
		return nil, s.wrap("reading the forecasts of "+key, err)
	}
	defer rows.Close()
	var out []model.ForecastRecord
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, s.wrap("reading the forecasts of "+key, err)
		}
		var r model.ForecastRecord
		if err := jsonx.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("reading the forecasts of %s: corrupt record: %w", key, err)
		}
		r.AsOf, r.P50, r.P85, r.P95 = utc(r.AsOf), utc(r.P50), utc(r.P85), utc(r.P95)
		out = append(out, r)
	}
	return out, s.wrap("reading the forecasts of "+key, rows.Err())
}

func (s *sqlStore) ForecastAt(ctx context.Context, key string, t time.Time) (model.ForecastRecord, bool, error) {
	var b []byte
	err := s.queryRow(ctx, `SELECT record FROM #forecasts WHERE milestone_key = ? AND as_of_ns <= ?
		ORDER BY as_of_ns DESC LIMIT 1`, key, t.UnixNano()).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return model.ForecastRecord{}, false, nil
	}
	if err != nil {
		return model.ForecastRecord{}, false, s.wrap("reading the forecast of "+key, err)
	}
	var r model.ForecastRecord
	if err := jsonx.Unmarshal(b, &r); err != nil {
		return model.ForecastRecord{}, false, fmt.Errorf("reading the forecast of %s: corrupt record: %w", key, err)
	}
	r.AsOf, r.P50, r.P85, r.P95 = utc(r.AsOf), utc(r.P50), utc(r.P85), utc(r.P95)
	return r, true, nil
}

// --- run log ---

func (s *sqlStore) StartRun(ctx context.Context, mode, scope string, started time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.wrap("starting the run log entry", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE #runs SET outcome = ? WHERE outcome = ? AND scope = ?`), OutcomeAbandoned, OutcomeRunning, scope); err != nil {
		return 0, s.wrap("starting the run log entry", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO #runs (mode, scope, started_ns, outcome) VALUES (?, ?, ?, ?) RETURNING id`),
		mode, scope, started.UnixNano(), OutcomeRunning).Scan(&id)
	if err != nil {
		return 0, s.wrap("starting the run log entry", err)
	}
	return id, s.wrap("starting the run log entry", tx.Commit())
}

func (s *sqlStore) FinishRun(ctx context.Context, id int64, r RunResult) error {
	if r.Outcome == "" || r.Outcome == OutcomeRunning {
		return fmt.Errorf("run log: finishing run %d needs an outcome", id)
	}
	counts, err := json.Marshal(r.Counts)
	if err != nil {
		return fmt.Errorf("run log: encoding counts: %w", err)
	}
	res, err := s.execOn(ctx, s.db, `UPDATE #runs SET ended_ns = ?, outcome = ?, counts = ?, error = ? WHERE id = ?`,
		ns(r.Ended), r.Outcome, string(counts), cut(r.Error, 2000), id)
	if err != nil {
		return s.wrap(fmt.Sprintf("finishing run %d in the run log", id), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("run log: no run %d", id)
	}
	return nil
}

func (s *sqlStore) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.query(ctx, `SELECT id, mode, scope, started_ns, ended_ns, outcome, counts, error FROM #runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, s.wrap("reading the run log", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var (
			r              Run
			started, ended sql.NullInt64
			counts, msg    sql.NullString
		)
		if err := rows.Scan(&r.ID, &r.Mode, &r.Scope, &started, &ended, &r.Outcome, &counts, &msg); err != nil {
			return nil, s.wrap("reading the run log", err)
		}
		r.Started, r.Ended, r.Error = fromNS(started), fromNS(ended), msg.String
		if counts.Valid && counts.String != "" && counts.String != "null" {
			if err := json.Unmarshal([]byte(counts.String), &r.Counts); err != nil {
				return nil, fmt.Errorf("reading the run log: corrupt counts of run %d: %w", r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, s.wrap("reading the run log", rows.Err())
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Do not split a UTF-8 sequence.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// --- connector sync state (connectors.StateStore) ---

// SyncState reads a connector's saved state. Unlike the cache, a failure
// is returned: the connector must not take it for "nothing saved".
func (s *sqlStore) SyncState(ctx context.Context, namespace, key string) ([]byte, bool, error) {
	var b []byte
	err := s.queryRow(ctx, `SELECT value FROM #sync_state WHERE namespace = ? AND key = ?`, namespace, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.wrap("reading the sync state "+namespace+" "+key, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

// SaveSyncState replaces a connector's saved state: one upsert statement.
func (s *sqlStore) SaveSyncState(ctx context.Context, namespace, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	err := s.exec(ctx, `INSERT INTO #sync_state (namespace, key, value, saved_ns) VALUES (?, ?, ?, ?)
		ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, saved_ns = excluded.saved_ns`,
		namespace, key, value, time.Now().UnixNano())
	return s.wrap("saving the sync state "+namespace+" "+key, err)
}

// --- ETag cache (connectors.Cache) ---

// Get returns a cached response. A failure to read is logged and treated as
// a miss: the request then goes out unconditionally, which is always safe.
func (s *sqlStore) Get(ctx context.Context, key string) (connectors.CacheEntry, bool) {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	var (
		e      connectors.CacheEntry
		header sql.NullString
		codec  string
	)
	err := s.queryRow(ctx, `SELECT etag, last_modified, header, body, codec FROM #http_cache WHERE key = ?`, key).
		Scan(&e.ETag, &e.LastModified, &header, &e.Body, &codec)
	if errors.Is(err, sql.ErrNoRows) {
		return connectors.CacheEntry{}, false
	}
	if err != nil {
		s.log.Warn().Err(s.wrap("reading the HTTP cache", err)).Msg("cache miss forced")
		return connectors.CacheEntry{}, false
	}
	if header.Valid && header.String != "" && header.String != "null" {
		var h http.Header
		if err := json.Unmarshal([]byte(header.String), &h); err != nil {
			s.log.Warn().Err(err).Msg("corrupt cached header: cache miss forced")
			return connectors.CacheEntry{}, false
		}
		e.Header = h
	}
	if e.Body, err = unpackBody(e.Body, codec); err != nil {
		s.log.Warn().Err(err).Msg("corrupt cached body: cache miss forced")
		return connectors.CacheEntry{}, false
	}
	if e.Body == nil {
		e.Body = []byte{}
	}
	return e, true
}

// Put stores a response. A failure is logged and otherwise ignored: the
// next run just asks again.
func (s *sqlStore) Put(ctx context.Context, key string, e connectors.CacheEntry) {
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	row, err := cacheRow(key, e)
	if err != nil {
		s.log.Warn().Err(err).Msg("cache entry not stored")
		return
	}
	defer row.done()
	if err := s.execLazy(ctx, cacheUpsert, row.args...); err != nil {
		s.log.Warn().Err(s.wrap("writing the HTTP cache", err)).Msg("cache entry not stored")
	}
}

// PutAll stores responses in one transaction: a commit per page cost
// GitHub's readers half their CPU in a first sync. A failure drops the
// batch (logged): the next run asks again.
func (s *sqlStore) PutAll(ctx context.Context, entries []connectors.KeyedEntry) {
	if len(entries) < 2 {
		for _, e := range entries {
			s.Put(ctx, e.Key, e.Entry)
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, cacheTimeout)
	defer cancel()
	if err := s.putAll(ctx, entries); err != nil {
		s.log.Warn().Err(s.wrap("writing the HTTP cache", err)).Int("entries", len(entries)).Msg("cache entries not stored")
	}
}

func (s *sqlStore) putAll(ctx context.Context, entries []connectors.KeyedEntry) error {
	return s.inLazyTx(ctx, "", cacheUpsert, func(stmt *sql.Stmt) error {
		for _, e := range entries {
			row, err := cacheRow(e.Key, e.Entry)
			if err != nil {
				s.log.Warn().Err(err).Msg("cache entry not stored")
				continue
			}
			_, err = stmt.ExecContext(ctx, row.args...)
			row.done()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

const cacheUpsert = `INSERT INTO #http_cache (key, etag, last_modified, header, body, codec, stored_ns) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			header = excluded.header, body = excluded.body, codec = excluded.codec, stored_ns = excluded.stored_ns`

// cachedRow is a cache entry as stored: the upsert's arguments, and done
// to call once they are written (it frees the packed body's buffer).
type cachedRow struct {
	args []any
	done func()
}

func cacheRow(key string, e connectors.CacheEntry) (cachedRow, error) {
	var header any
	if e.Header != nil {
		b, err := json.Marshal(e.Header)
		if err != nil {
			return cachedRow{}, err
		}
		header = string(b)
	}
	body, codec, done := packBody(e.Body)
	return cachedRow{args: []any{key, e.ETag, e.LastModified, header, body, codec, time.Now().UnixNano()}, done: done}, nil
}

// codecS2 marks a cached body kept in the S2 block format.
const codecS2 = "s2"

// packBody is how a cached body is stored: compressed with S2 when that
// saves at least an eighth, else as it came (codec ""). Pages of tracker
// JSON shrink about twenty times (the large scale scenario's 17.5 MB of
// issue pages to under 1 MB), and the bytes were the cost of a cache
// write: each went to the write-ahead log and again into the database at
// the next checkpoint. S2 is the fastest of klauspost/compress's codecs
// to decode, which every 304 of a re-poll does. done gives the compressed
// buffer back once the statement has run (both drivers copy their
// arguments before Exec returns).
func packBody(b []byte) (_ []byte, codec string, done func()) {
	if b == nil {
		return []byte{}, "", func() {}
	}
	if len(b) < 256 {
		return b, "", func() {}
	}
	buf := packBufs.Get().(*[]byte)
	c := s2.Encode(*buf, b)
	done = func() {
		if cap(c) <= 4<<20 { // keep no outsized buffer
			*buf = c[:0]
			packBufs.Put(buf)
		}
	}
	if len(c) > len(b)-len(b)/8 {
		done()
		return b, "", func() {}
	}
	return c, codecS2, done
}

// packBufs are packBody's buffers: one a concurrent cache write, instead
// of a new one the size of every page.
var packBufs = sync.Pool{New: func() any { return new([]byte) }}

// unpackBody reverses packBody.
// maxCachedBody bounds a cached body's decoded size: no page comes near it.
const maxCachedBody = 256 << 20

func unpackBody(b []byte, codec string) ([]byte, error) {
	switch codec {
	case "":
		return b, nil
	case codecS2:
		// A corrupt row's header could claim gigabytes: s2.Decode would
		// allocate them before failing.
		if n, err := s2.DecodedLen(b); err != nil || n > maxCachedBody {
			return nil, fmt.Errorf("decoding a cached body: it says %d bytes (%v)", n, err)
		}
		out, err := s2.Decode(nil, b)
		if err != nil {
			return nil, fmt.Errorf("decoding a cached body: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("cached body in an unknown codec %q", codec)
}
