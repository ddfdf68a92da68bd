package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/tracker"
)

// TestStatementsPreparedOnce: the hot calls reuse one statement per query
// and handle, however many goroutines make them, and Close closes them.
func TestStatementsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s, err := openSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 20 {
				fp := fmt.Sprintf("fw-%d-%d", g, i)
				if err := s.LedgerPut(ctx, tracker.LedgerEntry{Fingerprint: fp, MilestoneKey: "m", State: tracker.LedgerComplete}); err != nil {
					t.Error(err)
				}
				if _, ok, err := s.LedgerGet(ctx, fp); !ok || err != nil {
					t.Errorf("LedgerGet(%s) = %v, %v", fp, ok, err)
				}
				if _, err := s.Forecasts(ctx, "m"); err != nil {
					t.Error(err)
				}
				s.Put(ctx, fp, connectors.CacheEntry{ETag: fp, Body: []byte(fp)})
				if _, ok := s.Get(ctx, fp); !ok {
					t.Errorf("cache %s missing", fp)
				}
			}
		})
	}
	wg.Wait()
	s.stmts.mu.Lock()
	n, onLazy := len(s.stmts.m), 0
	for k := range s.stmts.m {
		if k.h == s.lazy {
			onLazy++
		}
	}
	s.stmts.mu.Unlock()
	// LedgerPut (complete: lazy), LedgerGet, Forecasts, Put (lazy), Get.
	if n != 5 || onLazy != 2 {
		t.Fatalf("%d statements prepared (%d on the lazy handle) for 400 calls of 5 queries; want 5 (2)", n, onLazy)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.stmts.m != nil {
		t.Fatal("statements kept after Close")
	}
	if _, err := s.prepared(ctx, s.db, `SELECT 1`); !errors.Is(err, errClosed) {
		t.Fatalf("preparing after Close: %v; want errClosed", err)
	}
}

// A statement waiting for its first preparation (here: for the lazy
// handle's one connection, held by a transaction) holds up only its own
// callers: another query is prepared and run meanwhile. With the store's
// lock held across a preparation, the second call waited for the first.
func TestPreparationWaitsAlone(t *testing.T) {
	ctx := context.Background()
	s, err := openSQLite(ctx, filepath.Join(t.TempDir(), "state.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.lazy.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := s.prepared(ctx, s.lazy, `SELECT 2`)
		first <- err
	}()
	// Wait until the first call has its entry (it is then preparing).
	for {
		s.stmts.mu.RLock()
		e := s.stmts.m[stmtKey{s.lazy, `SELECT 2`}]
		s.stmts.mu.RUnlock()
		if e != nil {
			break
		}
		runtime.Gosched()
	}
	second := make(chan error, 1)
	go func() {
		_, err := s.prepared(ctx, s.db, `SELECT 3`)
		second <- err
	}()
	waited := false
	select {
	case err := <-second:
		if err != nil {
			t.Errorf("preparing another query: %v", err)
		}
	case <-time.After(5 * time.Second):
		waited = true
		t.Error("preparing another query waited for the first one's connection")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Errorf("the first preparation, once the connection was free: %v", err)
	}
	if waited {
		<-second
	}
}
