// Package store keeps what forewarn remembers between runs: rule state, the
// ticket ledger, forecast history, per-milestone snapshots, the ETag cache
// and a run log. It also holds the run lock, so two runs never act at once.
//
// Three drivers: "sqlite" (the default, a local file through a pure-Go
// driver), "postgres" (pgx, for shared installations) and "none" (nothing
// survives the run; see docs/state.md for what is lost).
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Store is the state of one installation. Methods are safe for concurrent
// use. Times come back in UTC.
type Store interface {
	tracker.Store
	tracker.LedgerBatcher
	tracker.ForecastBatcher
	tracker.DueKeeper
	connectors.Cache
	connectors.CacheBatcher
	connectors.StateStore

	// Lock takes the locks of the units of work a run judges (a source, or
	// one shard of a source: "agency-gh#1/3"); with no units, the one lock
	// of the whole installation (an unsharded run). A lock is a file lock
	// beside the SQLite file, a session-level advisory lock on PostgreSQL,
	// a process-wide lock with driver none. Lock waits up to wait for all
	// of them (zero: one try each) and then returns an error matching
	// ErrLocked (a *LockedError), holding none. The Lease also takes the
	// claims on milestones; Release gives everything up.
	Lock(ctx context.Context, wait time.Duration, units ...string) (*Lease, error)

	// ScopeRuleState returns the rule state saved by the runs of one scope
	// (a shard, "1/3"; "" is the installation's, as RuleState); ok is false
	// when none was saved yet.
	ScopeRuleState(ctx context.Context, scope string) (state []byte, ok bool, err error)
	SaveScopeRuleState(ctx context.Context, scope string, state []byte) error
	// RuleStates returns every saved rule state (the installation's and
	// each scope's): a scope with none yet starts from them.
	RuleStates(ctx context.Context) ([][]byte, error)

	// StartRun opens an entry in the run log and returns its id. Entries of
	// earlier runs of the same scope ("" unsharded, "1/3" a shard) that
	// never finished are marked abandoned (call it while holding the
	// scope's locks, so no other run of it is still going).
	StartRun(ctx context.Context, mode, scope string, started time.Time) (int64, error)
	// FinishRun closes a run log entry.
	FinishRun(ctx context.Context, id int64, r RunResult) error
	// Runs returns up to limit run log entries, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)

	// ForecastAt returns the latest forecast of a milestone made at or
	// before t, and false when there is none (the portfolio page's "since
	// a week ago").
	ForecastAt(ctx context.Context, milestoneKey string, t time.Time) (model.ForecastRecord, bool, error)

	// Driver names the backend ("sqlite", "postgres", "none").
	Driver() string
	// Namespace is the namespace the store's tables and locks are in (""
	// for the default).
	Namespace() string
}

// Run outcomes in the run log.
const (
	OutcomeRunning   = "running"   // started, not finished (or still going)
	OutcomeOK        = "ok"        // everything judged and written
	OutcomePartial   = "partial"   // some milestones or actions failed
	OutcomeFailed    = "failed"    // the run as a whole failed
	OutcomeAbandoned = "abandoned" // never finished: crashed or killed
)

// RunResult is how a run ended.
type RunResult struct {
	Ended   time.Time
	Outcome string
	// Counts are whatever the caller counts: milestones, findings,
	// created, updated, failed…
	Counts map[string]int
	// Error is a summary of what went wrong. The caller must not put
	// secrets in it; it is stored as given, cut to 2000 bytes.
	Error string
}

// Run is one entry of the run log.
type Run struct {
	ID      int64          `json:"id"`
	Mode    string         `json:"mode"`
	Scope   string         `json:"scope,omitempty"` // the shard ("1/3"); empty for an unsharded run
	Started time.Time      `json:"started"`
	Ended   time.Time      `json:"ended,omitzero"`
	Outcome string         `json:"outcome"`
	Counts  map[string]int `json:"counts,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// ErrLocked is matched (errors.Is) by the error Lock returns when another
// run holds the lock.
var ErrLocked = errors.New("another forewarn run holds the lock")

// LockedError says another run holds the lock and for how long we waited.
type LockedError struct {
	Driver string        // "sqlite", "postgres"
	Where  string        // the lock file, or "advisory lock N"
	Waited time.Duration // how long Lock waited before giving up
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another forewarn run holds the lock (%s %s); waited %s. Try again when it has finished, or raise state.lock_wait",
		e.Driver, e.Where, e.Waited.Round(time.Millisecond))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Open opens (creating if needed) the configured store and applies pending
// migrations. getenv reads the variable named by DSNEnv.
func Open(ctx context.Context, c Config, getenv func(string) string) (Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch c.driver() {
	case DriverNone:
		return newMemStore(c.Namespace), nil
	case DriverSQLite:
		return openSQLite(ctx, c.path(), c.Namespace)
	case DriverPostgres:
		if getenv == nil {
			return nil, errors.New("store: no getenv function")
		}
		dsn := getenv(c.DSNEnv)
		if dsn == "" {
			return nil, fmt.Errorf("state: environment variable %s (state.dsn_env) is empty or unset; it must hold the PostgreSQL connection string", c.DSNEnv)
		}
		return openPostgres(ctx, dsn, c.DSNEnv, c.Namespace)
	}
	return nil, fmt.Errorf("state: unknown driver %q", c.Driver)
}

// ErrReadOnly is returned by the writes of a store from OpenReadOnly.
var ErrReadOnly = errors.New("the state store is open read-only (plan)")

// OpenReadOnly opens the state for a plan: it creates, migrates and writes
// nothing. State that does not exist yet (no SQLite file, no schema in the
// database) reads as empty. A schema of another version is an error that
// names the remedy. Writes return ErrReadOnly, cache Puts are dropped, and
// Lock is a no-op (a plan acts on nothing, so it does not wait for runs).
func OpenReadOnly(ctx context.Context, c Config, getenv func(string) string) (Store, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var (
		s   *sqlStore
		ok  bool
		err error
	)
	switch c.driver() {
	case DriverNone:
		return readOnly{newMemStore(c.Namespace)}, nil
	case DriverSQLite:
		s, ok, err = openSQLiteRO(ctx, c.path(), c.Namespace)
	case DriverPostgres:
		dsn := ""
		if getenv != nil {
			dsn = getenv(c.DSNEnv)
		}
		if dsn == "" {
			return nil, fmt.Errorf("state: environment variable %s (state.dsn_env) is empty or unset; it must hold the PostgreSQL connection string", c.DSNEnv)
		}
		s, ok, err = openPostgresRO(ctx, dsn, c.DSNEnv, c.Namespace)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return readOnly{newMemStore(c.Namespace)}, nil
	}
	return readOnly{s}, nil
}

// readOnly refuses writes. Reads go to the store underneath.
type readOnly struct{ Store }

func (readOnly) Lock(context.Context, time.Duration, ...string) (*Lease, error) {
	return newLease(func() error { return nil }, func(context.Context, string) (bool, error) { return true, nil }), nil
}
func (readOnly) SaveRuleState(context.Context, []byte) error          { return ErrReadOnly }
func (readOnly) LedgerPut(context.Context, tracker.LedgerEntry) error { return ErrReadOnly }
func (readOnly) LedgerPutAll(context.Context, []tracker.LedgerEntry) error {
	return ErrReadOnly
}
func (readOnly) Put(context.Context, string, connectors.CacheEntry) {}
func (readOnly) PutAll(context.Context, []connectors.KeyedEntry)    {}

// SaveSyncState keeps nothing: plan reads the connectors' state as a run
// would and leaves it as it was (the next run resumes from the same place).
func (readOnly) SaveSyncState(context.Context, string, string, []byte) error { return nil }
func (readOnly) FinishRun(context.Context, int64, RunResult) error           { return ErrReadOnly }
func (readOnly) AppendForecast(context.Context, string, model.ForecastRecord) error {
	return ErrReadOnly
}
func (readOnly) AppendForecasts(context.Context, []tracker.KeyedForecast) error {
	return ErrReadOnly
}
func (readOnly) NoteDues(context.Context, time.Time, []tracker.KeyedDue) error { return ErrReadOnly }
func (readOnly) SaveScopeRuleState(context.Context, string, []byte) error      { return ErrReadOnly }
func (readOnly) StartRun(context.Context, string, string, time.Time) (int64, error) {
	return 0, ErrReadOnly
}
