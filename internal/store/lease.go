package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
)

// Lease is what Lock returns: the locks of the units of work a run judges,
// and the claims it takes on milestones. A worker that dies releases both
// with its session (PostgreSQL), its file locks (SQLite, the kernel) or
// its process (driver none).
type Lease struct {
	release func() error
	claim   func(ctx context.Context, key string) (bool, error)

	mu      sync.Mutex
	claimed map[string]bool
	done    bool
	err     error
}

func newLease(release func() error, claim func(ctx context.Context, key string) (bool, error)) *Lease {
	return &Lease{release: release, claim: claim, claimed: map[string]bool{}}
}

// Claim takes the claim on one milestone for the rest of the lease: true
// when this run may judge it, false when another live run holds it. Claims
// are what keeps two workers from judging one milestone when their units
// overlap (a shard count being changed while old workers still run, a
// sharded and an unsharded run at once). Claiming a key twice is a no-op.
func (l *Lease) Claim(ctx context.Context, key string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return false, fmt.Errorf("claiming %s: the lease was released", key)
	}
	if l.claimed[key] {
		return true, nil
	}
	ok, err := l.claim(ctx, key)
	if ok && err == nil {
		l.claimed[key] = true
	}
	return ok, err
}

// Release gives up the unit locks and every claim. It is safe to call more
// than once.
func (l *Lease) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.done = true
		l.err = l.release()
	}
	return l.err
}

// unitList sorts and dedups the units, so every run takes its locks in the
// same order (no two runs wait on each other in a cycle).
func unitList(units []string) []string {
	out := append([]string(nil), units...)
	sort.Strings(out)
	n := 0
	for i, u := range out {
		if i == 0 || u != out[n-1] {
			out[n] = u
			n++
		}
	}
	return out[:n]
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func hash32(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int32(h.Sum32())
}

// localClaims are the claims of SQLite and driver none: held in the
// process, keyed by the database (file and namespace) and milestone. Runs
// in separate processes on SQLite are kept apart by the unit file locks
// only; several worker processes need PostgreSQL (docs/state.md).
var localClaims = struct {
	sync.Mutex
	m map[string]*Lease
}{m: map[string]*Lease{}}

// newLocalLease is a lease whose claims are local to the process; release
// frees the unit locks.
func newLocalLease(db string, release func() error) *Lease {
	var l *Lease
	var mine []string
	l = newLease(func() error {
		localClaims.Lock()
		for _, k := range mine {
			if localClaims.m[k] == l {
				delete(localClaims.m, k)
			}
		}
		localClaims.Unlock()
		return release()
	}, func(_ context.Context, key string) (bool, error) {
		k := db + "\x00" + key
		localClaims.Lock()
		defer localClaims.Unlock()
		if h, ok := localClaims.m[k]; ok && h != l {
			return false, nil
		}
		localClaims.m[k] = l
		mine = append(mine, k)
		return true, nil
	})
	return l
}
