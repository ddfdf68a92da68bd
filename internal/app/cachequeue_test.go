package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
)

// held is a cache store whose first batch waits for release, so that the
// writes after it queue up.
type held struct {
	mu      sync.Mutex
	batches [][]connectors.KeyedEntry
	started chan struct{} // closed when the first batch is being stored
	release chan struct{}
}

func (h *held) PutAll(_ context.Context, es []connectors.KeyedEntry) {
	h.mu.Lock()
	first := len(h.batches) == 0
	h.batches = append(h.batches, slices.Clone(es))
	h.mu.Unlock()
	if first {
		close(h.started)
		<-h.release
	}
}

func entry(i int) connectors.CacheEntry {
	return connectors.CacheEntry{ETag: fmt.Sprintf(`"%d"`, i), Body: make([]byte, 100)}
}

// The queue stores a batch once it has queued, serves what it holds until
// it is stored, keeps the order and a key's last entry, and flush stores
// what is left however little.
func TestCacheQueueBatchesAndServesWhatItHolds(t *testing.T) {
	h := &held{started: make(chan struct{}), release: make(chan struct{})}
	q := newCacheQueue(h, queueLimit, 5)
	for i := range 5 {
		q.put(fmt.Sprintf("k%d", i), entry(i))
	}
	<-h.started // k0-k4 are being stored
	for i := 5; i <= 20; i++ {
		q.put(fmt.Sprintf("k%d", i), entry(i))
	}
	q.put("k7", entry(77)) // a newer answer for a queued key
	for key, etag := range map[string]string{"k0": `"0"`, "k7": `"77"`, "k20": `"20"`} {
		if e, ok := q.get(key); !ok || e.ETag != etag {
			t.Errorf("get(%s) before it is stored = %q, %v; want %s", key, e.ETag, ok, etag)
		}
	}
	if _, ok := q.get("k21"); ok {
		t.Error("get of a key never put hit")
	}
	close(h.release)
	q.put("k21", entry(21))
	q.flush()
	if got := sizes(h.batches); !slices.Equal(got, []int{5, 16, 1}) && !slices.Equal(got, []int{5, 17}) {
		t.Fatalf("batch sizes %v; want [5 16 1] (or [5 17]: k21 queued before the second batch was taken)", got)
	}
	var keys []string
	for _, b := range h.batches {
		for _, e := range b {
			keys = append(keys, e.Key)
			if e.Key == "k7" && e.Entry.ETag != `"77"` {
				t.Errorf("k7 stored with %s; want the newer \"77\"", e.Entry.ETag)
			}
		}
	}
	for i, k := range keys {
		if want := fmt.Sprintf("k%d", i); k != want {
			t.Fatalf("stored entry %d is %s; want %s (in order)", i, k, want)
		}
	}
	if _, ok := q.get("k5"); ok {
		t.Error("the queue still holds k5 after flush")
	}
	if q.bytes != 0 {
		t.Errorf("queue bytes after flush = %d; want 0", q.bytes)
	}
	// Fewer than a batch wait for the flush.
	q.put("late", entry(1))
	q.mu.Lock()
	running := q.running
	q.mu.Unlock()
	if running {
		t.Error("one entry started a store")
	}
	q.flush()
	if last := h.batches[len(h.batches)-1]; len(last) != 1 || last[0].Key != "late" {
		t.Errorf("flush stored %v; want the late entry", last)
	}
}

// Past its limit the queue holds the writer back until a batch is stored.
func TestCacheQueueHoldsWritersBackPastItsLimit(t *testing.T) {
	h := &held{started: make(chan struct{}), release: make(chan struct{})}
	q := newCacheQueue(h, 250, 1)
	q.put("a", entry(1))
	<-h.started
	q.put("b", entry(2))
	q.put("c", entry(3)) // 300 bytes held
	done := make(chan struct{})
	go func() {
		q.put("d", entry(4))
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("a put past the limit returned while the store was held")
	case <-time.After(50 * time.Millisecond):
	}
	close(h.release)
	<-done
	q.flush()
	var keys []string
	for _, b := range h.batches {
		for _, e := range b {
			keys = append(keys, e.Key)
		}
	}
	if !slices.Equal(keys, []string{"a", "b", "c", "d"}) {
		t.Fatalf("stored %v; want a b c d", keys)
	}
}

func sizes(bs [][]connectors.KeyedEntry) []int {
	var n []int
	for _, b := range bs {
		n = append(n, len(b))
	}
	return n
}
