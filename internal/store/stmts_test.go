package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

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
