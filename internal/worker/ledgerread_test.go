package worker

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
)

// readCount is a state store that counts ledger reads and can refuse a
// fingerprint's writes.
type readCount struct {
	store.Store
	mu     sync.Mutex
	reads  map[string]int
	refuse string
}

func (c *readCount) LedgerGet(ctx context.Context, fp string) (tracker.LedgerEntry, bool, error) {
	c.mu.Lock()
	c.reads[fp]++
	c.mu.Unlock()
	return c.Store.LedgerGet(ctx, fp)
}

func (c *readCount) LedgerPut(ctx context.Context, e tracker.LedgerEntry) error {
	if e.Fingerprint == c.refuse {
		return errors.New("disk full")
	}
	return c.Store.LedgerPut(ctx, e)
}

// The run's store after prerecord answers a read of an entry the run
// recorded (a pending entry, then any write) from memory, exactly as the
// store reads it back (SQLite: times in UTC, the reference through JSON),
// and reads the store for anything else, and after a failed write.
func TestPrerecordedReadsWhatItWrote(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: t.TempDir() + "/state.db"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &readCount{Store: db, reads: map[string]int{}}
	out, err := file.NewTarget(file.TargetConfig{Dir: t.TempDir()}, connectors.Env{})
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{Target: out}
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	fired := time.Date(2026, 11, 20, 9, 0, 0, 123456789, zone)
	var firings []Firing
	known := map[string]*model.TicketRef{}
	for _, key := range []string{"a", "b", "c"} {
		f := Firing{Finding: model.Finding{Rule: "at-risk", MilestoneKey: key, Purpose: model.PurposeClientNotice, FiredAt: fired}}
		firings = append(firings, f)
		known[f.Finding.Fingerprint()] = nil // the batch lookup found no ticket: creates
	}
	fpA, fpB, fpC := firings[0].Finding.Fingerprint(), firings[1].Finding.Fingerprint(), firings[2].Finding.Fingerprint()
	other := model.Fingerprint("d", model.PurposeClientNotice)
	run, ok := w.prerecord(ctx, st, firings, known, 0).(*prerecorded)
	if !ok {
		t.Fatal("prerecord did not record the pending entries in one go")
	}
	clear(st.reads) // prerecord's own reads, before it wrote
	same := func(fp string) {
		t.Helper()
		got, ok, err := run.LedgerGet(ctx, fp)
		want, wok, werr := db.LedgerGet(ctx, fp)
		if err != nil || werr != nil || ok != wok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: read through the run %+v, %v, %v; the store holds %+v, %v, %v", fp, got, ok, err, want, wok, werr)
		}
	}
	// The pending entries, as written in one go.
	same(fpA)
	same(fpB)
	// A complete entry with times as the worker makes them (a monotonic
	// reading, another zone).
	created := time.Now()
	e, _, _ := run.LedgerGet(ctx, fpA)
	e.State, e.Created, e.Updated, e.Digest = tracker.LedgerComplete, created, created, "0123456789abcdef01234567"
	e.Ref = model.TicketRef{Fingerprint: fpA, Target: out.Name(), ID: "fw-a.md", URL: "file:///x/fw-a.md", Open: false,
		ClosedAt: fired.Add(time.Hour), WontDo: true, Digest: "0123456789abcdef01234567", Edited: true}
	if err := run.LedgerPut(ctx, e); err != nil {
		t.Fatal(err)
	}
	same(fpA)
	if st.reads[fpA] != 0 || st.reads[fpB] != 0 {
		t.Fatalf("the run read what it wrote from the store: %v", st.reads)
	}
	// A failed write: the store is asked from then on.
	st.refuse = fpC
	e.Fingerprint, e.Ref.Fingerprint = fpC, fpC
	if err := run.LedgerPut(ctx, e); err == nil {
		t.Fatal("the refused write succeeded")
	}
	same(fpC)
	if st.reads[fpC] != 1 {
		t.Fatalf("after a failed write the entry was read %d times from the store, want 1", st.reads[fpC])
	}
	// An entry the run never wrote.
	same(other)
	if st.reads[other] != 1 {
		t.Fatalf("an entry the run did not write was read %d times from the store, want 1", st.reads[other])
	}
}
