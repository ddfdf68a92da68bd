package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/rs/zerolog"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

var sqliteDialect = dialect{
	name:   DriverSQLite,
	rebind: func(q string) string { return q },
	types: strings.NewReplacer(
		"{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT",
		"{{int}}", "INTEGER",
		"{{blob}}", "BLOB"),
}

// busyTimeout is how long a statement waits for another connection's write
// (WAL allows one writer at a time) before SQLITE_BUSY.
const busyTimeout = 15 * time.Second

// openSQLite opens the file in WAL mode with a busy timeout, creating it
// (and its directory, private to the user) when missing.
func openSQLite(ctx context.Context, path, ns string) (*sqlStore, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state: creating the directory of %s: %w", path, err)
		}
	}
	// Create the file private to the user: it holds ticket references and
	// cached tracker responses.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	} else {
		f.Close()
	}
	dsn := func(sync string) string {
		return "file:" + path +
			fmt.Sprintf("?_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()) +
			"&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(" + sync + ")" +
			"&_txlock=immediate" // transactions take the write lock up front: no upgrade deadlocks
	}
	db, err := sql.Open("sqlite", dsn("FULL")) // a committed ledger record survives power loss
	if err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	s := &sqlStore{db: db, d: sqliteDialect, ns: ns, n: newNames(ns), log: *zerolog.Ctx(ctx)}
	if err := connect(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("state: %s is not in WAL mode (got %q, %v); is it on a network file system?", path, mode, err)
	}
	if _, err := migrate(ctx, db, sqliteDialect, s.n, ""); err != nil {
		db.Close()
		return nil, fmt.Errorf("state: migrating %s: %w", path, err)
	}
	// Writes that may be lost to a power cut go through a second handle
	// that commits without waiting for the disk (see sqlStore.lazy).
	lazy, err := sql.Open("sqlite", dsn("NORMAL"))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state: opening %s: %w", path, err)
	}
	lazy.SetMaxOpenConns(1)
	s.lazy = lazy
	s.closeFn = lazy.Close
	s.lock = func(ctx context.Context, wait time.Duration, units []string) (*Lease, error) {
		return lockFiles(ctx, path, ns, units, wait)
	}
	return s, nil
}

// connect opens the first connection, trying again while SQLite answers
// SQLITE_BUSY. Two runs opening a new file at once both switch it to WAL;
// SQLite refuses one at once, without the busy handler (waiting could
// deadlock), and that run should wait for the lock like any other.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := db.PingContext(ctx)
		var coded interface{ Code() int }
		if err == nil || !errors.As(err, &coded) || coded.Code()&0xff != 5 || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func checkPath(path string) error {
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("state: path %q must not contain ? or #", path)
	}
	return nil
}

// openSQLiteRO opens an existing file read-only for a plan; ok is false
// when there is no state yet (no file, or no schema in it).
func openSQLiteRO(ctx context.Context, path, ns string) (s *sqlStore, ok bool, err error) {
	if err := checkPath(path); err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	db, err := sql.Open("sqlite", "file:"+path+
		fmt.Sprintf("?mode=ro&_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()))
	if err != nil {
		return nil, false, fmt.Errorf("state: opening %s read-only: %w", path, err)
	}
	n := newNames(ns)
	ok, err = checkSchema(ctx, db, n, n.Replace(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '#schema_migrations'`))
	if err != nil || !ok {
		db.Close()
		if err != nil {
			err = fmt.Errorf("state: %s: %w", path, err)
		}
		return nil, false, err
	}
	return &sqlStore{db: db, d: sqliteDialect, ns: ns, n: n, log: *zerolog.Ctx(ctx)}, true, nil
}

// sqliteLockPath is the lock file of the whole installation (unit ""):
// <path>.lock, or <path>.<namespace>.lock; a unit of work has its own,
// <path>[.<namespace>].unit-<hash>.lock.
func sqliteLockPath(path, ns, unit string) string {
	p := path
	if ns != "" {
		p += "." + ns
	}
	if unit != "" {
		p += fmt.Sprintf(".unit-%016x", hash64(unit))
	}
	return p + ".lock"
}

// lockFiles takes the lock file of every unit (of the installation when
// there are none) within one wait; on failure it holds none.
func lockFiles(ctx context.Context, path, ns string, units []string, wait time.Duration) (*Lease, error) {
	if len(units) == 0 {
		units = []string{""}
	}
	start := time.Now()
	deadline := start.Add(wait)
	var held []func() error
	releaseAll := func() error {
		var first error
		for i := len(held) - 1; i >= 0; i-- {
			if err := held[i](); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	for _, u := range units {
		unlock, err := lockFile(ctx, sqliteLockPath(path, ns, u), time.Until(deadline))
		if err != nil {
			releaseAll()
			var le *LockedError
			if errors.As(err, &le) {
				le.Waited = time.Since(start)
				if u != "" {
					le.Where = fmt.Sprintf("lock file %s of unit %s", sqliteLockPath(path, ns, u), u)
				}
			}
			return nil, err
		}
		held = append(held, unlock)
	}
	return newLocalLease("sqlite\x00"+path+"\x00"+ns, releaseAll), nil
}

// lockFile takes an exclusive flock(2) on path. The kernel drops it when
// the process dies, so a crashed run never leaves a stale lock.
func lockFile(ctx context.Context, path string, wait time.Duration) (func() error, error) {
	fl := flock.New(path, flock.SetPermissions(0o600))
	start := time.Now()
	ok, err := poll(ctx, wait, func(context.Context) (bool, error) { return fl.TryLock() })
	if err != nil {
		fl.Close()
		return nil, fmt.Errorf("taking the run lock %s: %w", path, err)
	}
	if !ok {
		fl.Close()
		return nil, &LockedError{Driver: DriverSQLite, Where: "lock file " + path, Waited: time.Since(start)}
	}
	return onceFunc(func() error {
		if err := fl.Unlock(); err != nil {
			return fmt.Errorf("releasing the run lock %s: %w", path, err)
		}
		return fl.Close()
	}), nil
}

// lockPoll is how often a waiting run tries the lock again.
const lockPoll = 100 * time.Millisecond

// poll calls try until it succeeds, fails, wait has passed (false, nil) or
// ctx ends (its error). wait <= 0 means one try.
func poll(ctx context.Context, wait time.Duration, try func(context.Context) (bool, error)) (bool, error) {
	deadline := time.Now().Add(wait)
	for {
		ok, err := try(ctx)
		if err != nil || ok {
			return ok, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		t := time.NewTimer(min(left, lockPoll))
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

// onceFunc makes an unlock function safe to call twice.
func onceFunc(f func() error) func() error {
	done := false
	var err error
	return func() error {
		if done {
			return err
		}
		done = true
		err = f()
		return err
	}
}

var errClosed = errors.New("state store is closed")
