package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/forewarn/forewarn/internal/duration"
)

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
	DriverNone     = "none"
)

// DefaultPath is where the SQLite file lives when the config does not say,
// relative to the config file's directory (the caller resolves it).
const DefaultPath = ".forewarn/state.db"

// DefaultLockWait is how long a run waits for another run to finish.
const DefaultLockWait = 2 * time.Minute

// Config is the `state:` section of forewarn.yaml.
type Config struct {
	Driver string `yaml:"driver"` // "sqlite" (default), "postgres" or "none"
	Path   string `yaml:"path"`   // SQLite file; default .forewarn/state.db
	// DSNEnv names the environment variable holding the PostgreSQL DSN. The
	// DSN is a secret: it is never logged and never appears in errors.
	DSNEnv string `yaml:"dsn_env"`
	// LockWait is how long a run waits for another run's lock before it
	// gives up with ErrLocked. Unset or zero means DefaultLockWait; use a
	// small value such as 1s to fail fast.
	LockWait *duration.Duration `yaml:"lock_wait" desc:"How long a run waits for another run's lock, e.g. 2m (default); use a small value such as 1s to fail fast."`
	// Namespace scopes every table (<namespace>__<table>) and every lock
	// key, so several installations can share one database. Empty (the
	// default) is plain table names and the historic lock keys.
	Namespace string `yaml:"namespace"`
}

// driver returns the configured driver, sqlite when unset.
func (c Config) driver() string {
	if c.Driver == "" {
		return DriverSQLite
	}
	return c.Driver
}

// path returns the SQLite path, the default when unset.
func (c Config) path() string {
	if c.Path == "" {
		return DefaultPath
	}
	return c.Path
}

// Resolve returns the config with the SQLite path made absolute against
// dir (the config file's directory) and the default path filled in for
// driver sqlite. Other drivers are returned unchanged.
func (c Config) Resolve(dir string) Config {
	if c.driver() != DriverSQLite {
		return c
	}
	c.Path = c.path()
	if !filepath.IsAbs(c.Path) {
		c.Path = filepath.Join(dir, c.Path)
	}
	return c
}

// Wait returns the lock wait with its default applied.
func (c Config) Wait() time.Duration {
	if d := c.LockWait.Or(0); d > 0 {
		return d
	}
	return DefaultLockWait
}

// Validate reports every problem with the section at once (joined).
func (c Config) Validate() error {
	var errs []error
	switch c.driver() {
	case DriverSQLite:
		if c.DSNEnv != "" {
			errs = append(errs, errors.New(`state: dsn_env is only used with driver "postgres"`))
		}
	case DriverPostgres:
		if c.DSNEnv == "" {
			errs = append(errs, errors.New(`state: driver "postgres" needs dsn_env, the environment variable that holds the connection string`))
		} else if !envName.MatchString(c.DSNEnv) {
			errs = append(errs, fmt.Errorf("state: dsn_env %q is not an environment variable name (it names the variable, it does not hold the DSN)", truncate(c.DSNEnv)))
		}
		if c.Path != "" {
			errs = append(errs, errors.New(`state: path is only used with driver "sqlite"`))
		}
	case DriverNone:
		if c.Path != "" || c.DSNEnv != "" {
			errs = append(errs, errors.New(`state: driver "none" keeps nothing; remove path and dsn_env`))
		}
	default:
		errs = append(errs, fmt.Errorf("state: unknown driver %q (want sqlite, postgres or none)", c.Driver))
	}
	if err := validNamespace(c.Namespace); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// truncate keeps a mistaken value (perhaps a DSN pasted where a variable
// name belongs) from being echoed in full.
func truncate(s string) string {
	if len(s) > 12 {
		return s[:8] + "…"
	}
	return s
}
