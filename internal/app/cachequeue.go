package app

import (
	"context"
	"sync"

	"github.com/forewarn/forewarn/connectors"
)

// cacheQueue takes the connectors' cache writes off their path: put hands
// the entry over and returns, and once batch entries have queued one
// goroutine stores them in one write. In a first sync of the large
// scenario GitHub's readers spent half their CPU committing a page each,
// between requests on the wire. An entry is served by get from the time it
// is queued until it is stored; flush stores what is left and waits.
type cacheQueue struct {
	to connectors.CacheBatcher
	// limit bounds the bodies held (queued and being stored): past it put
	// waits for the store, so a slow one holds readers back instead of
	// growing the heap.
	limit int
	batch int // entries queued before they are stored

	mu       sync.Mutex
	stored   sync.Cond // broadcast when a batch is stored
	queued   map[string]connectors.CacheEntry
	keys     []string                         // queued keys, in order
	storing  map[string]connectors.CacheEntry // the batch being stored
	bytes    int                              // of queued and storing bodies
	running  bool                             // the storing goroutine is on
	flushing bool                             // store everything, however few
}

const (
	// queueLimit is the bodies a queue holds at most: about a hundred
	// GitHub pages of issues.
	queueLimit = 8 << 20
	// queueBatch is how many entries one write stores: a first sync of the
	// large scenario puts about 300 pages.
	queueBatch = 32
)

func newCacheQueue(to connectors.CacheBatcher, limit, batch int) *cacheQueue {
	q := &cacheQueue{to: to, limit: limit, batch: max(batch, 1),
		queued: map[string]connectors.CacheEntry{}, storing: map[string]connectors.CacheEntry{}}
	q.stored.L = &q.mu
	return q
}

func (q *cacheQueue) put(key string, e connectors.CacheEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.bytes > q.limit && q.running {
		q.stored.Wait()
	}
	if old, ok := q.queued[key]; ok {
		q.bytes -= len(old.Body)
	} else {
		q.keys = append(q.keys, key)
	}
	q.queued[key] = e
	q.bytes += len(e.Body)
	q.start()
}

// start starts the storing goroutine when there is a batch to store (or
// anything, when flushing) and it is not on. Called with mu held.
func (q *cacheQueue) start() {
	if !q.running && q.due() {
		q.running = true
		go q.store()
	}
}

func (q *cacheQueue) due() bool {
	return len(q.keys) >= q.batch || q.bytes > q.limit || q.flushing && len(q.keys) > 0
}

func (q *cacheQueue) get(key string) (connectors.CacheEntry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e, ok := q.queued[key]; ok {
		return e, true
	}
	e, ok := q.storing[key]
	return e, ok
}

// store writes out what has queued, as long as a batch is due.
func (q *cacheQueue) store() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.due() {
		batch := make([]connectors.KeyedEntry, len(q.keys))
		for i, k := range q.keys {
			batch[i] = connectors.KeyedEntry{Key: k, Entry: q.queued[k]}
			q.storing[k] = q.queued[k]
			delete(q.queued, k)
		}
		q.keys = q.keys[:0]
		q.mu.Unlock()
		q.to.PutAll(context.Background(), batch)
		q.mu.Lock()
		for _, e := range batch {
			q.bytes -= len(e.Entry.Body)
			delete(q.storing, e.Key)
		}
		q.stored.Broadcast()
	}
	q.running = false
	q.stored.Broadcast()
}

// flush stores everything queued and waits for it.
func (q *cacheQueue) flush() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.flushing = true
	q.start()
	for q.running {
		q.stored.Wait()
	}
	q.flushing = false
}
