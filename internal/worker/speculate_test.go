package worker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// bodies are the outbox's tickets in dir, each with its file name, sorted.
func bodies(t *testing.T, dir string) []string {
	t.Helper()
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
		if mode == tracker.ModeRun && !slices.Equal(bodies(t, dir), bodies(t, oneDir)) {
			t.Errorf("the tickets differ from those of a run with one source:\n%q\nwant\n%q", bodies(t, dir), bodies(t, oneDir))
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

// streaming hands its parts over, then answers once n drafts have been
// made (the test's patience running out is a failed fetch), with final
// (its parts' milestones unless set).
type streaming struct {
	fakeSource
	parts  [][]model.Milestone
	final  *tracker.FetchResult
	drafts *atomic.Int64
	n      int64
}

func (s streaming) FetchStream(ctx context.Context, part func(tracker.FetchResult)) (tracker.FetchResult, error) {
	for _, p := range s.parts {
		part(tracker.FetchResult{Milestones: p})
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.drafts.Load() < s.n {
		if time.Now().After(deadline) {
			return tracker.FetchResult{}, fmt.Errorf("%d drafts made while this source was read, want %d", s.drafts.Load(), s.n)
		}
		time.Sleep(time.Millisecond)
	}
	if s.final != nil {
		return *s.final, nil
	}
	return tracker.FetchResult{Milestones: slices.Concat(s.parts...)}, nil
}

// inContainer is a milestone of a container (a repository).
func inContainer(ct, key string, open int) model.Milestone {
	m := milestone(ct+"#"+key, open)
	m.Container = ct
	return m
}

// A source that streams (tracker.Streamer) has each container judged and
// its firings drafted while it is still read, even as the run's only
// source: it answers here only once all five are drafted. Each milestone
// is forecast once and each firing drafted once, and the tickets are
// those of a run that reads the same milestones at once.
func TestAStreamingSourceIsJudgedAndDraftedWhileItIsRead(t *testing.T) {
	app := []model.Milestone{inContainer("app", "1", 2), inContainer("app", "2", 1), inContainer("app", "3", 3)}
	api := []model.Milestone{inContainer("api", "1", 1), inContainer("api", "2", 2)}
	oneDir := t.TempDir()
	one, _ := newWorker(t, oneDir, fakeSource{name: "gh", ms: slices.Concat(app, api)})
	if _, err := one.Run(context.Background(), tracker.ModeRun); err != nil {
		t.Fatal(err)
	}

	var drafts, charts, forecasts atomic.Int64
	dir := t.TempDir()
	w, _ := newWorker(t, dir, streaming{fakeSource: fakeSource{name: "gh"}, parts: [][]model.Milestone{app, api}, drafts: &drafts, n: 5})
	w.Forecast = func(m model.Milestone, now time.Time) model.Forecast { forecasts.Add(1); return remaining(m, now) }
	w.Drafter = charting{drafter{"v1"}, &drafts, &charts}
	// A state that keeps the day's forecasts: a draft's request holds the
	// milestone's forecast history, so a part drafted before its forecasts
	// were recorded would be drafted again.
	st, err := store.Open(context.Background(), store.Config{Driver: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Store = st
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) > 0 || rep.Count(tracker.ActionCreate) != 5 {
		t.Fatalf("failed %+v, actions %+v (want 5 creates)", rep.Failed, rep.Actions)
	}
	if forecasts.Load() != 5 || drafts.Load() != 5 {
		t.Errorf("%d forecasts and %d drafts for 5 milestones, want each once", forecasts.Load(), drafts.Load())
	}
	if !slices.Equal(bodies(t, dir), bodies(t, oneDir)) {
		t.Errorf("the tickets differ from those of a source read at once:\n%q\nwant\n%q", bodies(t, dir), bodies(t, oneDir))
	}
}

// What the source's result says is what is judged: a container whose
// milestones differ from the part handed over (one more in app, one
// failed in api) is judged again from the result; a milestone refused
// in a part is reported once, by the result.
func TestAContainerThatChangedAfterItsPartIsJudgedAgain(t *testing.T) {
	bad := inContainer("api", "bad", 1)
	bad.Client = "nobody" // refused: not a configured client
	parts := [][]model.Milestone{
		{inContainer("app", "1", 2), inContainer("app", "2", 1)},
		{inContainer("api", "1", 1), inContainer("api", "2", 2), bad},
		{inContainer("web", "1", 1)},
	}
	final := &tracker.FetchResult{
		Milestones: []model.Milestone{inContainer("app", "1", 2), inContainer("app", "2", 1), inContainer("app", "3", 3),
			inContainer("api", "1", 1), bad, inContainer("web", "1", 1)},
		Failed: []tracker.MilestoneFailure{{Key: "api#2", Err: errors.New("issue page malformed")}},
	}
	var drafts, charts, forecasts atomic.Int64
	w, _ := newWorker(t, t.TempDir(), streaming{fakeSource: fakeSource{name: "gh"}, parts: parts, final: final, drafts: &drafts, n: 5})
	w.KnownClient = func(id string) bool { return id != "nobody" }
	judged := map[string]int{}
	var mu sync.Mutex
	w.Forecast = func(m model.Milestone, now time.Time) model.Forecast {
		forecasts.Add(1)
		mu.Lock()
		judged[m.Key]++
		mu.Unlock()
		return remaining(m, now)
	}
	w.Drafter = charting{drafter{"v1"}, &drafts, &charts}
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, a := range rep.Actions {
		if a.Kind == tracker.ActionCreate {
			created = append(created, a.MilestoneKey)
		}
	}
	slices.Sort(created)
	if want := []string{"api#1", "app#1", "app#2", "app#3", "web#1"}; !slices.Equal(created, want) {
		t.Errorf("created for %q, want %q (the result's milestones)", created, want)
	}
	// Ahead: app 2, api 2, web 1; again from the result: app 3, api 1.
	want := map[string]int{"app#1": 2, "app#2": 2, "app#3": 1, "api#1": 2, "api#2": 1, "web#1": 1}
	if fmt.Sprint(judged) != fmt.Sprint(want) {
		t.Errorf("forecasts per milestone %v, want %v", judged, want)
	}
	var failed []string
	for _, f := range rep.Failed {
		failed = append(failed, f.Key)
	}
	slices.Sort(failed)
	if !slices.Equal(failed, []string{"api#2", "api#bad"}) {
		t.Errorf("reported failures %q, want api#2 and api#bad once each", failed)
	}
}
