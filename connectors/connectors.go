// Package connectors holds what every tracker connector is given by the
// worker: a logger, a way to read secrets, a conditional-request cache, a
// sync-state store, a clock and an optional metrics hook.
package connectors

import (
	"context"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Env is what a connector is built with. Secrets are read through Getenv
// from variables the config names; a config never holds a secret itself.
type Env struct {
	Log    zerolog.Logger
	Dir    string // directory of the config file: relative paths resolve against it
	Getenv func(string) string
	Cache  Cache // conditional-request cache; nil means none
	// State is where the connector keeps what it must remember between
	// runs (cursors, sync snapshots, marks), in a namespace of its own;
	// nil means nothing is remembered between runs.
	State     State
	Now       func() time.Time  // nil means time.Now
	Transport http.RoundTripper // innermost transport; nil means a pooled default
	// Observe is called once per HTTP response (or transport error, status 0)
	// for metrics; nil means no metrics.
	Observe func(tracker, method, route string, status int)
	// RateLimit is called when a tracker reports its remaining budget.
	RateLimit func(tracker string, remaining int)
	// KnownClient says whether a client id is configured (nil: not
	// checked), so a connector can place an unknown one in its input.
	KnownClient func(id string) bool
	// History is how much closed history a source reads for the team's
	// record (forecast.history): per container, the last Count closed
	// milestones closed within Months months. Count 0: none beyond what
	// the source reads anyway.
	History History
}

// History is the window of closed milestones read for the team's record.
type History struct{ Count, Months int }

// Clock returns the env's clock or time.Now.
func (e Env) Clock() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// CacheEntry is a cached response body with its validator.
type CacheEntry struct {
	ETag         string
	LastModified string
	Body         []byte
	Header       http.Header
}

// Cache stores responses for conditional requests (If-None-Match). The
// state store implements it so the cache survives between runs. It is a
// cache: an entry may be lost at any time (a failed read is a miss, a
// failed write is dropped) and the request then just goes out
// unconditionally. Nothing a connector needs to read correctly goes here:
// that is State.
type Cache interface {
	Get(ctx context.Context, key string) (CacheEntry, bool)
	Put(ctx context.Context, key string, e CacheEntry)
}

// CacheBatcher is a Cache that stores many responses in one write (one
// transaction in the SQL stores). Like Put, a failure is dropped.
type CacheBatcher interface {
	PutAll(ctx context.Context, entries []KeyedEntry)
}

// KeyedEntry is a cache entry with its key.
type KeyedEntry struct {
	Key   string
	Entry CacheEntry
}

// State is a connector's sync state: what it must remember between runs to
// read and write correctly (where a budget-stopped read resumes, the
// snapshot an incremental sync builds on, a repository known to drop
// forewarn's labels). Unlike the Cache, a failure is returned, never taken
// for "nothing saved": a connector that cannot read its state fails rather
// than resyncing from a wrong starting point.
type State interface {
	// Load returns the value saved under key; ok is false when none was.
	Load(ctx context.Context, key string) (value []byte, ok bool, err error)
	// Save replaces the value under key.
	Save(ctx context.Context, key string, value []byte) error
	// ReadOnly reports that Save keeps nothing: a plan reads the state as a
	// run would and leaves it as it was. A connector may then skip building
	// what it would save.
	ReadOnly() bool
}

// StateStore keeps the sync state of every connector, a namespace each
// (a source's name, the target). The state store implements it.
type StateStore interface {
	SyncState(ctx context.Context, namespace, key string) (value []byte, ok bool, err error)
	SaveSyncState(ctx context.Context, namespace, key string, value []byte) error
}
