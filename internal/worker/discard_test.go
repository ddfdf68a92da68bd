package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// episode fires a client notice for every milestone, as fired at
// firedAt (the start of the rule's current firing).
type episode struct {
	atRisk
	firedAt time.Time
}

func (r *episode) Open([]byte) (worker.RuleRun, error) { return r, nil }
func (r *episode) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	ev := r.atRisk.Evaluate(now, in)
	for i := range ev.Firings {
		ev.Firings[i].Finding.FiredAt = r.firedAt
	}
	return ev
}

// A ticket gone from its target is discarded: recorded in the ledger,
// reported, never re-created, in plans and runs alike.
func TestDiscardedTicketStaysDiscarded(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", Path: filepath.Join(dir, "state.db")}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, out := newWorker(t, filepath.Join(dir, "outbox"), fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	rules := &episode{firedAt: now.Add(-time.Hour)}
	w.Rules, w.Store = rules, st
	fp := model.Fingerprint("a", model.PurposeClientNotice)

	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil || rep.Count(tracker.ActionCreate) != 1 {
		t.Fatalf("first run: %v %+v", err, rep.Actions)
	}
	if err := os.Remove(filepath.Join(out.Dir(), fp+".md")); err != nil {
		t.Fatal(err)
	}

	clock := now
	w.Now = func() time.Time { return clock }
	for i := 0; i < 2; i++ {
		clock = clock.Add(24 * time.Hour)
		for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun} {
			rep, err := w.Run(ctx, mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Actions) != 1 || rep.Actions[0].Kind != tracker.ActionDiscarded || rep.Partial() {
				t.Fatalf("%s %d after the delete: %+v", mode, i, rep.Actions)
			}
		}
		if _, err := os.Stat(filepath.Join(out.Dir(), fp+".md")); !os.IsNotExist(err) {
			t.Fatal("the discarded ticket was written again")
		}
		e, ok, err := st.LedgerGet(ctx, fp)
		if err != nil || !ok || e.State != tracker.LedgerDiscarded {
			t.Fatalf("ledger: %+v %v %v", e, ok, err)
		}
	}

	// Even a rule that fires anew does not undo a person's decision.
	rules.firedAt = clock.Add(time.Hour)
	clock = clock.Add(2 * time.Hour)
	rep, err = w.Run(ctx, tracker.ModeRun)
	if err != nil || len(rep.Actions) != 1 || rep.Actions[0].Kind != tracker.ActionDiscarded {
		t.Fatalf("a new firing re-created the discarded draft: %v %+v", err, rep.Actions)
	}
}
