package worker_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// waitForDrafts is a source whose Fetch answers only once n drafts have
// been made (or the test's patience runs out, reported as a failed
// fetch): the slowest source of a run.
type waitForDrafts struct {
	fakeSource
	drafts *atomic.Int64
	n      int64
}

func (s waitForDrafts) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	deadline := time.Now().Add(5 * time.Second)
	for s.drafts.Load() < s.n {
		if time.Now().After(deadline) {
			return tracker.FetchResult{}, fmt.Errorf("%d drafts made while this source was read, want %d", s.drafts.Load(), s.n)
		}
		time.Sleep(time.Millisecond)
	}
	return s.fakeSource.Fetch(ctx)
}

// counted fires like atRisk and says in each finding how many milestones
// the evaluation saw: a firing that depends on the other milestones.
type counted struct{ atRisk }

func (r *counted) Open([]byte) (worker.RuleRun, error) { return r, nil }
func (r *counted) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	ev := r.atRisk.Evaluate(now, in)
	for i := range ev.Firings {
		ev.Firings[i].Finding.Annotations = map[string]string{"of": strconv.Itoa(len(in))}
	}
	return ev
}

// annotated drafts what the finding says too.
type annotated struct{ charting }

func (d annotated) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	t, err := d.charting.Draft(req, f)
	t.Body = "of " + req.Finding.Annotations["of"] + "\n" + t.Body
	return t, err
}

// The firings of a source already read are drafted while the slowest
// source is still being read (issue 17), and each is drafted once: the
// slow source here answers only once the fast source's five firings have
// been drafted. A run's tickets reach the target with their charts, and
// say what a run with one source gives.
func TestFiringsAreDraftedWhileTheSlowestSourceIsRead(t *testing.T) {
	var fast, slow []model.Milestone
	for i := range 5 {
		fast = append(fast, milestone(fmt.Sprintf("f%d", i), 2))
	}
	for i := range 3 {
		slow = append(slow, milestone(fmt.Sprintf("s%d", i), 1))
	}
	bodies := func(dir string) []string {
		var out []string
		for _, f := range files(t, dir) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, filepath.Base(f)+"\n"+string(b))
		}
		slices.Sort(out)
		return out
	}
	// The same milestones from one source: nothing to draft early.
	oneDir := t.TempDir()
	one, _ := newWorker(t, oneDir, fakeSource{name: "all", ms: slices.Concat(fast, slow)})
	if _, err := one.Run(context.Background(), tracker.ModeRun); err != nil {
		t.Fatal(err)
	}

	for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun} {
		var drafts, charts atomic.Int64
		dir := t.TempDir()
		w, out := newWorker(t, dir, waitForDrafts{fakeSource{name: "slow", ms: slow}, &drafts, 5}, fakeSource{name: "fast", ms: fast})
		st, err := store.Open(context.Background(), store.Config{Driver: "none"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Store = st
		w.Drafter = charting{drafter{"v1"}, &drafts, &charts}
		tg := &sending{batching: batching{Target: out}}
		w.Target = tg
		rep, err := w.Run(context.Background(), mode)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Failed) > 0 || rep.Count(tracker.ActionCreate) != 8 {
			t.Fatalf("%s: failed %+v, actions %+v (want 8 creates)", mode, rep.Failed, rep.Actions)
		}
		if drafts.Load() != 8 {
			t.Errorf("%s: %d drafts for 8 firings, want each drafted once", mode, drafts.Load())
		}
		want := map[tracker.Mode]int64{tracker.ModePlan: 0, tracker.ModeRun: 8}[mode]
		if charts.Load() != want || tg.unmade != 0 {
			t.Errorf("%s: %d charts made (want %d), %d tickets reached the target without theirs", mode, charts.Load(), want, tg.unmade)
		}
		if mode == tracker.ModeRun && !slices.Equal(bodies(dir), bodies(oneDir)) {
			t.Errorf("the tickets differ from those of a run with one source:\n%q\nwant\n%q", bodies(dir), bodies(oneDir))
		}
	}
}

// A draft made early is used only when the run's own firing asks for the
// same draft: here each finding counts the milestones its evaluation saw,
// 5 early and 8 in the run, so every early draft is set aside and the
// tickets say 8.
func TestAnEarlyDraftOfAnotherFindingIsNotUsed(t *testing.T) {
	var fast []model.Milestone
	for i := range 5 {
		fast = append(fast, milestone(fmt.Sprintf("f%d", i), 2))
	}
	slow := []model.Milestone{milestone("s0", 1), milestone("s1", 1), milestone("s2", 1)}
	var drafts, charts atomic.Int64
	dir := t.TempDir()
	w, _ := newWorker(t, dir, waitForDrafts{fakeSource{name: "slow", ms: slow}, &drafts, 5}, fakeSource{name: "fast", ms: fast})
	w.Rules = &counted{}
	w.Drafter = annotated{charting{drafter{"v1"}, &drafts, &charts}}
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) > 0 || rep.Count(tracker.ActionCreate) != 8 {
		t.Fatalf("failed %+v, actions %+v (want 8 creates)", rep.Failed, rep.Actions)
	}
	if drafts.Load() != 13 {
		t.Errorf("%d drafts, want 13: 5 early, set aside, and 8 in the run", drafts.Load())
	}
	for _, f := range files(t, dir) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "of 8\n") || strings.Contains(string(b), "of 5\n") {
			t.Errorf("%s says\n%s\nwant the run's finding (of 8)", filepath.Base(f), b)
		}
	}
}
