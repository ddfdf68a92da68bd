package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// ledgerLog is a state store that records how the ledger is written.
type ledgerLog struct {
	store.Store
	mu       sync.Mutex
	batches  [][]tracker.LedgerEntry
	pendings int // single LedgerPut calls of a pending entry
	puts     int // every LedgerPut call
}

func (l *ledgerLog) LedgerPut(ctx context.Context, e tracker.LedgerEntry) error {
	l.mu.Lock()
	if e.State == tracker.LedgerPending {
		l.pendings++
	}
	l.puts++
	l.mu.Unlock()
	return l.Store.LedgerPut(ctx, e)
}

func (l *ledgerLog) LedgerPutAll(ctx context.Context, es []tracker.LedgerEntry) error {
	l.mu.Lock()
	l.batches = append(l.batches, es)
	l.mu.Unlock()
	return l.Store.LedgerPutAll(ctx, es)
}

// pendingFirst is a batch-finding target that checks, at every create,
// that the ledger holds the create's pending entry already, and can stop
// the run after a number of creates (a crash, as far as the run goes).
type pendingFirst struct {
	*batching
	t       *testing.T
	st      tracker.Store
	creates int
	stopAt  int
	stop    context.CancelFunc
}

func (p *pendingFirst) Create(ctx context.Context, tk model.Ticket) (model.TicketRef, error) {
	if e, ok, err := p.st.LedgerGet(ctx, tk.Fingerprint); err != nil || !ok || e.State != tracker.LedgerPending {
		p.t.Errorf("create of %s sent before its pending entry was recorded (%+v, %v, %v)", tk.Fingerprint, e, ok, err)
	}
	p.creates++
	if p.creates == p.stopAt {
		p.stop()
	}
	return p.batching.Create(ctx, tk)
}

// The pending entries of a run's creates are recorded in one write before
// the first create is sent, not one write per create; a run stopped after
// its first create leaves the others pending, and the next run creates
// each of them once.
func TestPendingEntriesRecordedInOneWrite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 2), milestone("c", 1), milestone("d", 0)}})
	mem, err := store.Open(ctx, store.Config{Driver: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &ledgerLog{Store: mem}
	w.Store = st
	runCtx, stop := context.WithCancel(ctx)
	tg := &pendingFirst{batching: &batching{Target: out}, t: t, st: st, stopAt: 1, stop: stop}
	w.Target = tg

	rep, err := w.Run(runCtx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(tracker.ActionCreate) != 1 || len(files(t, dir)) != 1 {
		t.Fatalf("the stopped run: %+v", rep.Actions)
	}
	if len(st.batches) != 1 || len(st.batches[0]) != 3 || st.pendings != 0 {
		t.Fatalf("ledger writes: %d batches (%v), %d single pending writes; want one batch of 3 and none single", len(st.batches), st.batches, st.pendings)
	}
	pending := 0
	for _, e := range st.batches[0] {
		got, ok, err := st.LedgerGet(ctx, e.Fingerprint)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", e.Fingerprint, ok, err)
		}
		if got.State == tracker.LedgerPending {
			pending++
		}
	}
	if pending != 2 {
		t.Fatalf("%d entries left pending by the stopped run, want 2", pending)
	}

	// The next run: the two pending ones are created, once each.
	st.batches, tg.creates, tg.stopAt = nil, 0, 0
	rep, err = w.Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(tracker.ActionCreate) != 2 || len(files(t, dir)) != 3 || tg.creates != 2 {
		t.Fatalf("next run: %d creates sent, %d files: %+v", tg.creates, len(files(t, dir)), rep.Actions)
	}
	for _, e := range st.batches[0] {
		if got, _, _ := st.LedgerGet(ctx, e.Fingerprint); got.State != tracker.LedgerComplete || got.Ref.ID == "" {
			t.Errorf("%s: %+v, want complete", e.Fingerprint, got)
		}
	}
	if st.pendings != 0 {
		t.Errorf("%d single pending writes", st.pendings)
	}
	// A third run has nothing to create and records nothing pending.
	st.batches = nil
	if rep, err = w.Run(ctx, tracker.ModeRun); err != nil || rep.Count(tracker.ActionCreate) != 0 || len(st.batches) != 0 {
		t.Fatalf("third run: %v, %+v, %d batches", err, rep.Actions, len(st.batches))
	}
}

// An unchanged re-poll leaves the ledger alone: once an entry records the
// ticket as found, a run that writes nothing rewrites nothing. A change
// is still recorded.
func TestUnchangedRepollRewritesNoLedgerEntry(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("c", 1)}})
	mem, err := store.Open(ctx, store.Config{Driver: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &ledgerLog{Store: mem}
	w.Store, w.Target = st, &batching{Target: out}
	fps := []string{model.Fingerprint("a", model.PurposeClientNotice), model.Fingerprint("c", model.PurposeClientNotice)}
	var puts []int
	var ledgers [][]tracker.LedgerEntry
	for range 3 {
		st.puts = 0
		rep, err := w.Run(ctx, tracker.ModeRun)
		if err != nil || rep.Partial() {
			t.Fatalf("run: %v %+v", err, rep.Failed)
		}
		puts = append(puts, st.puts)
		var l []tracker.LedgerEntry
		for _, fp := range fps {
			e, ok, err := st.LedgerGet(ctx, fp)
			if !ok || err != nil || e.State != tracker.LedgerComplete {
				t.Fatalf("ledger %s: %+v, %v, %v", fp, e, ok, err)
			}
			l = append(l, e)
		}
		ledgers = append(ledgers, l)
	}
	if puts[0] == 0 || puts[2] != 0 {
		t.Fatalf("ledger writes per run %v; want some for the creates, none in the third run", puts)
	}
	for i := range fps {
		if ledgers[2][i].Ref != ledgers[1][i].Ref || ledgers[2][i].Digest != ledgers[1][i].Digest || !ledgers[2][i].Updated.Equal(ledgers[1][i].Updated) {
			t.Errorf("%s changed in a run that wrote nothing: %+v -> %+v", fps[i], ledgers[1][i], ledgers[2][i])
		}
	}
	w.Drafter = drafter{"v2"}
	st.puts = 0
	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil || rep.Count(tracker.ActionUpdate) != 2 {
		t.Fatalf("changed drafts: %v %+v", err, rep.Actions)
	}
	if st.puts != 2 {
		t.Fatalf("%d ledger writes for two updates, want 2", st.puts)
	}
	if e, _, _ := st.LedgerGet(ctx, fps[0]); e.Digest == ledgers[2][0].Digest {
		t.Fatal("the update's new digest is not recorded")
	}
}

// forecastLog is a state store that records which milestones' forecast
// histories are read whole, which only for their latest record, and the
// batch reads of the latest records.
type forecastLog struct {
	store.Store
	mu            sync.Mutex
	whole, latest map[string]int
	batches       int
}

func (l *forecastLog) Forecasts(ctx context.Context, key string) ([]model.ForecastRecord, error) {
	l.mu.Lock()
	l.whole[key]++
	l.mu.Unlock()
	return l.Store.Forecasts(ctx, key)
}

func (l *forecastLog) ForecastAt(ctx context.Context, key string, t time.Time) (model.ForecastRecord, bool, error) {
	l.mu.Lock()
	l.latest[key]++
	l.mu.Unlock()
	return l.Store.ForecastAt(ctx, key, t)
}

func (l *forecastLog) LatestForecastTimes(ctx context.Context, keys []string) (map[string]time.Time, error) {
	l.mu.Lock()
	l.batches++
	for _, key := range keys {
		l.latest[key]++
	}
	l.mu.Unlock()
	return l.Store.LatestForecastTimes(ctx, keys)
}

// Recording the day's forecast reads the milestones' latest records in
// one go, not their histories, in a run; a plan records nothing and reads
// nothing for it. Still one record a day. The history is read whole once
// for a firing's draft (ahead of the loop), not again in the loop.
func TestRememberReadsTheLatestForecastOnly(t *testing.T) {
	ctx := context.Background()
	mem, err := store.Open(ctx, store.Config{Driver: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for day := range 3 {
		for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun, tracker.ModeRun} {
			w, _ := newWorker(t, t.TempDir(), fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 0)}})
			when := now.AddDate(0, 0, day)
			w.Now = func() time.Time { return when }
			st := &forecastLog{Store: mem, whole: map[string]int{}, latest: map[string]int{}}
			w.Store = st
			rep, err := w.Run(ctx, mode)
			if err != nil {
				t.Fatal(err)
			}
			reads := map[tracker.Mode]int{tracker.ModePlan: 0, tracker.ModeRun: 1}[mode]
			if st.whole["b"] != 0 || st.latest["b"] != reads || st.batches != reads {
				t.Fatalf("day %d %s: milestone b (nothing fires) read whole %d times, latest %d in %d batches; want 0 and %d in %[6]d", day, mode, st.whole["b"], st.latest["b"], st.batches, reads)
			}
			if len(rep.Actions) != 1 || st.whole["a"] != 1 {
				t.Fatalf("day %d %s: milestone a read whole %d times for %d firings; want once (drafting ahead; the loop reuses it)", day, mode, st.whole["a"], len(rep.Actions))
			}
		}
		for _, key := range []string{"a", "b"} {
			if recs, err := mem.Forecasts(ctx, key); err != nil || len(recs) != day+1 {
				t.Fatalf("day %d: %s has %d forecast records, %v; want one a day", day, key, len(recs), err)
			}
		}
	}
}

// noticeAndUpdate fires a client notice and a progress update for every
// milestone with work remaining.
type noticeAndUpdate struct{ atRisk }

func (r *noticeAndUpdate) Open([]byte) (worker.RuleRun, error) { return r, nil }
func (r *noticeAndUpdate) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	ev := r.atRisk.Evaluate(now, in)
	for _, f := range ev.Firings {
		f.Finding.Purpose = model.PurposeProgressUpdate
		ev.Firings = append(ev.Firings, f)
	}
	return ev
}

// namingDrafter writes the client notice a draft names into its body.
type namingDrafter struct{ drafter }

func (d namingDrafter) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	tk, err := d.drafter.Draft(req, f)
	tk.Body = "notice: " + req.History.NoticeID + "\n" + tk.Body
	return tk, err
}

// A progress update drafted in the run that created its milestone's client
// notice names that notice: the run's store answers the loop's read of the
// notice's entry with the one just written.
func TestUpdateNamesTheNoticeCreatedInTheSameRun(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 2), milestone("c", 0)}})
	w.Rules, w.Drafter = &noticeAndUpdate{}, namingDrafter{drafter{"v1"}}
	db, err := store.Open(ctx, store.Config{Path: t.TempDir() + "/state.db"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &ledgerLog{Store: db}
	w.Store, w.Target = st, &batching{Target: out}
	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil || rep.Partial() || rep.Count(tracker.ActionCreate) != 4 || len(st.batches) != 1 {
		t.Fatalf("run: %v, %+v, %d batches of pending entries", err, rep.Actions, len(st.batches))
	}
	for _, key := range []string{"a", "b"} {
		notice, ok, err := db.LedgerGet(ctx, model.Fingerprint(key, model.PurposeClientNotice))
		if err != nil || !ok || notice.State != tracker.LedgerComplete || notice.Ref.ID == "" {
			t.Fatalf("%s's notice: %+v, %v, %v", key, notice, ok, err)
		}
		update, ok, err := db.LedgerGet(ctx, model.Fingerprint(key, model.PurposeProgressUpdate))
		if err != nil || !ok || update.State != tracker.LedgerComplete {
			t.Fatalf("%s's update: %+v, %v, %v", key, update, ok, err)
		}
		body, err := os.ReadFile(filepath.Join(dir, update.Ref.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), "\nnotice: "+notice.Ref.ID+"\n") {
			t.Errorf("%s's progress update does not name its notice %s:\n%s", key, notice.Ref.ID, body)
		}
	}
}
