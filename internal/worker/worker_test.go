package worker_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/file"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/store"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

var now = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

type fakeSource struct {
	name   string
	ms     []model.Milestone
	failed []tracker.MilestoneFailure
	err    error
}

func (s fakeSource) Name() string { return s.name }
func (s fakeSource) Fetch(context.Context) (tracker.FetchResult, error) {
	return tracker.FetchResult{Milestones: s.ms, Failed: s.failed}, s.err
}

// atRisk fires a client notice for every milestone with work remaining.
type atRisk struct {
	budget int
	acted  map[string]time.Time
}

func (r *atRisk) Prepare(m model.Milestone) (model.Milestone, bool) {
	return m, len(m.Labels) > 0 && m.Labels[0] == "forewarn:ignore"
}
func (r *atRisk) Open([]byte) (worker.RuleRun, error) { return r, nil }
func (r *atRisk) Budget() int                         { return r.budget }
func (r *atRisk) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	var ev worker.Evaluation
	for _, j := range in {
		if j.Forecast.RemainingItems > 0 {
			ev.Firings = append(ev.Firings, worker.Firing{MayUpdate: true, Finding: model.Finding{
				Rule: "at-risk", MilestoneKey: j.Milestone.Key, Purpose: model.PurposeClientNotice,
				Severity: "warning", FiredAt: now, ActiveSince: now}})
		}
	}
	return ev
}
func (r *atRisk) Acted(fp string, at time.Time) {
	if r.acted == nil {
		r.acted = map[string]time.Time{}
	}
	r.acted[fp] = at
}
func (r *atRisk) State() ([]byte, error) { return []byte("{}"), nil }

func remaining(m model.Milestone, now time.Time) model.Forecast {
	f := model.Forecast{MilestoneKey: m.Key, AsOf: now, Status: model.ForecastOK}
	for _, it := range m.Items {
		if it.DoneAt(now) {
			f.DoneItems++
		} else {
			f.RemainingItems++
		}
	}
	return f
}

type drafter struct{ version string }

func (d drafter) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	fp := req.Finding.Fingerprint()
	return model.Ticket{Fingerprint: fp, Purpose: req.Finding.Purpose, MilestoneKey: req.Milestone.Key,
		Rule: req.Finding.Rule, Format: f, Title: "Notice: " + req.Milestone.Title,
		Body:   fmt.Sprintf("%d remain %s\n\n%s\n", req.Forecast.RemainingItems, d.version, model.Marker(fp, f)),
		Labels: model.TicketLabels(fp, req.Finding.Purpose)}, nil
}

func milestone(key string, open int) model.Milestone {
	m := model.Milestone{Key: key, Title: "Milestone " + key, Due: now.AddDate(0, 0, 10), State: model.StateOpen}
	for i := range open {
		m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("%s-%d", key, i), Created: model.At(now.AddDate(0, 0, -20)), Status: model.StatusTodo})
	}
	return m
}

func newWorker(t *testing.T, dir string, srcs ...tracker.Source) (*worker.Worker, *file.Outbox) {
	t.Helper()
	out, err := file.NewTarget(file.TargetConfig{Dir: dir}, connectors.Env{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &worker.Worker{Sources: srcs, Target: out, Forecast: remaining, Rules: &atRisk{}, Drafter: drafter{"v1"},
		ReopenWithin: 14 * 24 * time.Hour, Now: func() time.Time { return now }, Log: zerolog.Nop()}, out
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "fw-*.md"))
	return m
}

func TestRunCreatesOnceAndPlanWritesNothing(t *testing.T) {
	dir := t.TempDir()
	src := fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 0), milestone("c", 1)}}
	w, _ := newWorker(t, dir, src)

	plan, err := w.Run(context.Background(), tracker.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Count(tracker.ActionCreate); got != 2 {
		t.Fatalf("plan: %d creates, want 2: %+v", got, plan.Actions)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("plan wrote %d files", len(entries))
	}

	first, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if got := first.Count(tracker.ActionCreate); got != 2 || len(files(t, dir)) != 2 {
		t.Fatalf("run: %d creates, %d files; want 2 and 2", got, len(files(t, dir)))
	}
	for i, a := range first.Actions {
		if a.Kind != plan.Actions[i].Kind || a.Fingerprint != plan.Actions[i].Fingerprint {
			t.Errorf("run action %d = %s %s, plan said %s %s", i, a.Kind, a.Fingerprint, plan.Actions[i].Kind, plan.Actions[i].Fingerprint)
		}
	}

	second, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if second.Count(tracker.ActionCreate) != 0 || second.Count(tracker.ActionNone) != 2 || len(files(t, dir)) != 2 {
		t.Fatalf("second run: %+v", second.Actions)
	}
}

func TestChangedDraftUpdatesInPlace(t *testing.T) {
	dir := t.TempDir()
	w, _ := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	if _, err := w.Run(context.Background(), tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	w.Drafter = drafter{"v2"}
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(tracker.ActionUpdate) != 1 || len(files(t, dir)) != 1 {
		t.Fatalf("want one update and one file: %+v", rep.Actions)
	}
	data, _ := os.ReadFile(files(t, dir)[0])
	if !strings.Contains(string(data), "3 remain v2") {
		t.Fatalf("file not updated:\n%s", data)
	}
}

// lossy creates the ticket, then reports a failure, as when the response
// of a successful create is lost on the way back.
type lossy struct {
	tracker.Target
	creates int
}

func (l *lossy) Create(ctx context.Context, t model.Ticket) (model.TicketRef, error) {
	l.creates++
	if _, err := l.Target.Create(ctx, t); err != nil {
		return model.TicketRef{}, err
	}
	return model.TicketRef{}, errors.New("connection reset by peer")
}

func TestLostCreateResponseIsNotRetried(t *testing.T) {
	dir := t.TempDir()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	l := &lossy{Target: out}
	w.Target = l
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if l.creates != 1 || rep.Partial() || !rep.Actions[0].Done {
		t.Fatalf("creates=%d partial=%v actions=%+v", l.creates, rep.Partial(), rep.Actions)
	}
	rep, _ = w.Run(context.Background(), tracker.ModeRun)
	if l.creates != 1 || len(files(t, dir)) != 1 {
		t.Fatalf("second run created again: creates=%d files=%d", l.creates, len(files(t, dir)))
	}
}

func TestUnreadableMilestonesAreReportedNotJudged(t *testing.T) {
	dir := t.TempDir()
	good := fakeSource{name: "a", ms: []model.Milestone{milestone("ok", 2)},
		failed: []tracker.MilestoneFailure{{Key: "broken", Err: errors.New("page 2: unexpected EOF")}}}
	bad := fakeSource{name: "b", err: errors.New("401 Unauthorized")}
	w, _ := newWorker(t, dir, good, bad)
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Partial() || len(rep.Failed) != 2 || len(rep.Milestones) != 1 || rep.Count(tracker.ActionCreate) != 1 {
		t.Fatalf("partial=%v failed=%+v judged=%d actions=%+v", rep.Partial(), rep.Failed, len(rep.Milestones), rep.Actions)
	}
}

func TestBudgetDefersTheRest(t *testing.T) {
	dir := t.TempDir()
	w, _ := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 1), milestone("b", 1), milestone("c", 1)}})
	w.Rules = &atRisk{budget: 2}
	rep, _ := w.Run(context.Background(), tracker.ModeRun)
	if rep.Count(tracker.ActionCreate) != 2 || rep.Count(tracker.ActionDeferred) != 1 || rep.Partial() {
		t.Fatalf("actions: %+v", rep.Actions)
	}
	rep, _ = w.Run(context.Background(), tracker.ModeRun)
	if rep.Count(tracker.ActionCreate) != 1 || len(files(t, dir)) != 3 {
		t.Fatalf("next run should finish the deferred one: %+v", rep.Actions)
	}
}

func TestClosedTickets(t *testing.T) {
	for _, tc := range []struct {
		name, state string
		closedAgo   time.Duration
		want        tracker.ActionKind
	}{
		{"won't do is never reopened", "wontdo", time.Hour, tracker.ActionNone},
		{"closed recently is reopened", "closed", 24 * time.Hour, tracker.ActionReopen},
		{"closed long ago stays closed", "closed", 30 * 24 * time.Hour, tracker.ActionNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 1)}})
			if _, err := w.Run(context.Background(), tracker.ModeRun); err != nil {
				t.Fatal(err)
			}
			p := files(t, dir)[0]
			data, _ := os.ReadFile(p)
			closed := now.Add(-tc.closedAgo).Format(time.RFC3339)
			data = []byte(strings.Replace(string(data), "state: open", "state: "+tc.state+"\nclosed_at: \""+closed+"\"", 1))
			os.WriteFile(p, data, 0o644)
			rep, _ := w.Run(context.Background(), tracker.ModeRun)
			if len(rep.Actions) != 1 || rep.Actions[0].Kind != tc.want {
				t.Fatalf("got %+v, want %s", rep.Actions, tc.want)
			}
			if len(files(t, dir)) != 1 {
				t.Fatal("a closed ticket must never lead to a second one")
			}
		})
	}
}

// counting counts the updates a target receives.
type counting struct {
	tracker.Target
	updates int
}

func (c *counting) Update(ctx context.Context, ref model.TicketRef, t model.Ticket) error {
	c.updates++
	return c.Target.Update(ctx, ref, t)
}

// A create whose answer was lost may have stopped before the ticket's
// chart or labels: the ticket found is written once in full, by update.
func TestLostCreateResponseIsCompletedByUpdate(t *testing.T) {
	dir := t.TempDir()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	c := &counting{Target: out}
	l := &lossy{Target: c}
	w.Target = l
	if _, err := w.Run(context.Background(), tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	if l.creates != 1 || c.updates != 1 {
		t.Fatalf("creates=%d updates=%d, want 1 and 1", l.creates, c.updates)
	}
	rep, _ := w.Run(context.Background(), tracker.ModeRun)
	if l.creates != 1 || c.updates != 1 || rep.Count(tracker.ActionUpdate) != 0 {
		t.Fatalf("second run: creates=%d updates=%d actions=%+v", l.creates, c.updates, rep.Actions)
	}
}

// A run killed between the create and the ledger leaves a pending record;
// the next run finds the ticket, completes it once, and records it.
func TestInterruptedCreateIsCompletedOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", Path: filepath.Join(dir, "state.db")}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, out := newWorker(t, filepath.Join(dir, "outbox"), fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	c := &counting{Target: out}
	w.Target, w.Store = c, st

	// What the killed run left: the intent recorded, the ticket created
	// (here without its body's final text), nothing more.
	fp := model.Fingerprint("a", model.PurposeClientNotice)
	if err := st.LedgerPut(ctx, tracker.LedgerEntry{Fingerprint: fp, MilestoneKey: "a", Purpose: model.PurposeClientNotice,
		Target: out.Name(), State: tracker.LedgerPending}); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Create(ctx, model.Ticket{Fingerprint: fp, Purpose: model.PurposeClientNotice, MilestoneKey: "a",
		Title: "half-made", Body: model.Marker(fp, model.FormatMarkdown), Labels: model.TicketLabels(fp, model.PurposeClientNotice)}); err != nil {
		t.Fatal(err)
	}

	plan, err := w.Run(ctx, tracker.ModePlan)
	if err != nil || len(plan.Actions) != 1 || plan.Actions[0].Kind != tracker.ActionUpdate {
		t.Fatalf("plan: %v %+v", err, plan.Actions)
	}
	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Kind != tracker.ActionUpdate || !rep.Actions[0].Done || c.updates != 1 {
		t.Fatalf("want one completing update: updates=%d %+v", c.updates, rep.Actions)
	}
	if got := files(t, filepath.Join(dir, "outbox")); len(got) != 1 {
		t.Fatalf("%d ticket files, want 1", len(got))
	} else if data, _ := os.ReadFile(got[0]); !strings.Contains(string(data), "3 remain v1") {
		t.Fatalf("ticket not completed:\n%s", data)
	}
	e, ok, err := st.LedgerGet(ctx, fp)
	if err != nil || !ok || e.State != tracker.LedgerComplete {
		t.Fatalf("ledger after completing: %+v %v %v", e, ok, err)
	}
	rep, _ = w.Run(ctx, tracker.ModeRun)
	if c.updates != 1 || rep.Count(tracker.ActionCreate) != 0 {
		t.Fatalf("third run wrote again: updates=%d %+v", c.updates, rep.Actions)
	}
}

// noting drafts like drafter and says what changed, as the notice package
// does when a forecast moved.
type noting struct{ drafter }

func (d noting) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	t, err := d.drafter.Draft(req, f)
	t.Comment = "The forecast moved: " + d.version
	return t, err
}

// A reviewer edits the draft (the notice asks them to write the cause):
// a later change of forecast comments, and never overwrites their words.
func TestEditedTicketIsCommentedNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Config{Driver: "sqlite", Path: filepath.Join(dir, "state.db")}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	outbox := filepath.Join(dir, "outbox")
	w, _ := newWorker(t, outbox, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	w.Store = st
	if _, err := w.Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	file := files(t, outbox)[0]
	data, _ := os.ReadFile(file)
	const theirs = "The delay comes from a late design sign-off; we have agreed a new review rhythm."
	edited := strings.Replace(string(data), "3 remain v1", "3 remain v1\n\n"+theirs, 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}

	w.Drafter = noting{drafter{"v2"}}
	plan, _ := w.Run(ctx, tracker.ModePlan)
	if len(plan.Actions) != 1 || plan.Actions[0].Kind != tracker.ActionComment {
		t.Fatalf("plan for an edited ticket: %+v", plan.Actions)
	}
	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Actions) != 1 || rep.Actions[0].Kind != tracker.ActionComment || !rep.Actions[0].Done {
		t.Fatalf("want one comment: %+v", rep.Actions)
	}
	now, _ := os.ReadFile(file)
	if !strings.Contains(string(now), theirs) || strings.Contains(string(now), "v2") {
		t.Fatalf("the reviewer's text was overwritten:\n%s", now)
	}
	comments, err := os.ReadFile(strings.TrimSuffix(file, ".md") + ".comments.md")
	if err != nil || !strings.Contains(string(comments), "The forecast moved: v2") {
		t.Fatalf("no comment with the change (%v):\n%s", err, comments)
	}

	// The same change is reported once.
	rep, _ = w.Run(ctx, tracker.ModeRun)
	if rep.Count(tracker.ActionComment) != 0 || rep.Count(tracker.ActionUpdate) != 0 {
		t.Fatalf("third run wrote again: %+v", rep.Actions)
	}
	// An untouched ticket is still updated in place.
	w2, _ := newWorker(t, filepath.Join(dir, "other"), fakeSource{name: "demo", ms: []model.Milestone{milestone("b", 2)}})
	if _, err := w2.Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	w2.Drafter = noting{drafter{"v2"}}
	if rep, _ := w2.Run(ctx, tracker.ModeRun); rep.Count(tracker.ActionUpdate) != 1 {
		t.Fatalf("an unedited ticket was not updated: %+v", rep.Actions)
	}
}

// Without a state store nothing remembers a comment: an edited ticket is
// left alone rather than commented on every run.
func TestEditedTicketWithoutStateIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, _ := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	if _, err := w.Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	file := files(t, dir)[0]
	data, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(data), "3 remain v1", "3 remain v1 — checked by Sam", 1)), 0o644)
	w.Drafter = noting{drafter{"v2"}}
	for i := range 3 {
		rep, err := w.Run(ctx, tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Count(tracker.ActionComment)+rep.Count(tracker.ActionUpdate) != 0 {
			t.Fatalf("run %d wrote to an edited ticket without state: %+v", i, rep.Actions)
		}
	}
	if _, err := os.Stat(strings.TrimSuffix(file, ".md") + ".comments.md"); err == nil {
		t.Fatal("a comment was posted")
	}
}

// batching looks tickets up in one go (tracker.BatchFinder) and counts the
// one-by-one lookups.
type batching struct {
	tracker.Target
	batches, finds int
}

func (b *batching) Find(ctx context.Context, fp string) (*model.TicketRef, error) {
	b.finds++
	return b.Target.Find(ctx, fp)
}

func (b *batching) FindMany(ctx context.Context, fps []string) (map[string]*model.TicketRef, error) {
	b.batches++
	out := map[string]*model.TicketRef{}
	for _, fp := range fps {
		if ref, err := b.Target.Find(ctx, fp); err != nil {
			return nil, err
		} else if ref != nil {
			out[fp] = ref
		}
	}
	return out, nil
}

// With a BatchFinder, no ticket costs a search of its own: the batch
// answers for the ones that exist and for the one that does not, which is
// created without asking again.
func TestBatchLookupSparesSearches(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, out := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 2)}})
	if _, err := w.Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	b := &batching{Target: out}
	w.Target = b
	w.Sources = []tracker.Source{fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3), milestone("b", 2), milestone("c", 4)}}}
	w.Drafter = drafter{"v2"}
	rep, err := w.Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if b.batches != 1 || b.finds != 0 {
		t.Fatalf("batches=%d finds=%d, want 1 and 0 (the batch answers for the new ticket too)", b.batches, b.finds)
	}
	if rep.Count(tracker.ActionUpdate) != 2 || rep.Count(tracker.ActionCreate) != 1 || len(files(t, dir)) != 3 {
		t.Fatalf("want 2 updates and 1 create: %+v", rep.Actions)
	}
}

// A plan reports the very ops a run then performs: a recently closed
// ticket whose draft changed is reopened and updated, and plan says so
// (kind, reason and ops) before run does it.
func TestPlanReportsTheOpsRunPerforms(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	w, _ := newWorker(t, dir, fakeSource{name: "demo", ms: []model.Milestone{milestone("a", 3)}})
	if _, err := w.Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	p := files(t, dir)[0]
	data, _ := os.ReadFile(p)
	closed := now.Add(-48 * time.Hour).Format(time.RFC3339)
	os.WriteFile(p, []byte(strings.Replace(string(data), "state: open", "state: closed\nclosed_at: \""+closed+"\"", 1)), 0o644)
	w.Drafter = drafter{"v2"}

	plan, err := w.Run(ctx, tracker.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(p); strings.Contains(string(after), "v2") || !strings.Contains(string(after), "state: closed") {
		t.Fatalf("plan wrote to the ticket:\n%s", after)
	}
	run, err := w.Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Actions) != 1 || len(run.Actions) != 1 {
		t.Fatalf("plan %+v, run %+v", plan.Actions, run.Actions)
	}
	pa, ra := plan.Actions[0], run.Actions[0]
	want := []string{"reopen", "update"}
	if pa.Kind != tracker.ActionUpdate || !slices.Equal(pa.Ops, want) || pa.Done {
		t.Fatalf("plan: %+v; want an update with ops %v, not done", pa, want)
	}
	if ra.Kind != pa.Kind || ra.Reason != pa.Reason || !slices.Equal(ra.Ops, pa.Ops) || !ra.Done || ra.Err != "" {
		t.Fatalf("run %+v differs from plan %+v", ra, pa)
	}
	if after, _ := os.ReadFile(p); !strings.Contains(string(after), "3 remain v2") || !strings.Contains(string(after), "state: open") {
		t.Fatalf("run did not reopen and update:\n%s", after)
	}
}

// charting is a drafter whose tickets carry a lazily made chart.
type charting struct {
	drafter
	drafts, charts *atomic.Int64
}

func (d charting) Draft(req worker.DraftRequest, f model.Format) (model.Ticket, error) {
	d.drafts.Add(1)
	t, err := d.drafter.Draft(req, f)
	t.Attachments = []model.Attachment{{Name: "chart.png", ContentType: "image/png", Make: func() ([]byte, error) {
		d.charts.Add(1)
		return []byte("png"), nil
	}}}
	return t, err
}

// sending checks that every ticket reaches the target with its chart made.
type sending struct {
	batching
	unmade int
}

func (s *sending) Create(ctx context.Context, tk model.Ticket) (model.TicketRef, error) {
	for _, a := range tk.Attachments {
		if a.Data == nil {
			s.unmade++
		}
	}
	return s.batching.Create(ctx, tk)
}

// Drafts and charts are made ahead of the write loop (issue 17): each
// firing is drafted once, and every ticket a run creates reaches the
// target with its chart already rendered; a plan renders no chart.
func TestDraftsAndChartsAreMadeAheadOfTheWriter(t *testing.T) {
	var ms []model.Milestone
	for i := range 12 {
		ms = append(ms, milestone(fmt.Sprintf("m%02d", i), 3))
	}
	for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun} {
		dir := t.TempDir()
		w, out := newWorker(t, dir, fakeSource{name: "demo", ms: ms})
		tg := &sending{batching: batching{Target: out}}
		w.Target = tg
		var drafts, charts atomic.Int64
		w.Drafter = charting{drafter{"v1"}, &drafts, &charts}
		rep, err := w.Run(context.Background(), mode)
		if err != nil {
			t.Fatal(err)
		}
		if n := rep.Count(tracker.ActionCreate); n != 12 {
			t.Fatalf("%s: %d creates, want 12: %+v", mode, n, rep.Actions)
		}
		if drafts.Load() != 12 {
			t.Errorf("%s: %d drafts for 12 firings, want each drafted once", mode, drafts.Load())
		}
		want := map[tracker.Mode]int64{tracker.ModePlan: 0, tracker.ModeRun: 12}[mode]
		if charts.Load() != want || tg.unmade != 0 {
			t.Errorf("%s: %d charts made (want %d), %d tickets reached the target without theirs", mode, charts.Load(), want, tg.unmade)
		}
	}
}

// gatedSource is a source whose Fetch waits until open is closed (or the
// test's patience runs out, reported as a failed fetch).
type gatedSource struct {
	fakeSource
	open <-chan struct{}
}

func (s gatedSource) Fetch(ctx context.Context) (tracker.FetchResult, error) {
	select {
	case <-s.open:
		return s.fakeSource.Fetch(ctx)
	case <-time.After(5 * time.Second):
		return tracker.FetchResult{}, errors.New("the other source's milestones were not forecast while this one was being read")
	}
}

// A source's milestones are forecast as soon as that source is read, not
// after the slowest one (issue 17): the slow source here answers only once
// the fast source's milestone has been forecast.
func TestSourcesAreJudgedAsTheyArrive(t *testing.T) {
	forecastFast := make(chan struct{})
	var once sync.Once
	slow := gatedSource{fakeSource: fakeSource{name: "slow", ms: []model.Milestone{milestone("s", 2)}}, open: forecastFast}
	w, _ := newWorker(t, t.TempDir(), slow, fakeSource{name: "fast", ms: []model.Milestone{milestone("f", 3)}})
	w.Forecast = func(m model.Milestone, at time.Time) model.Forecast {
		if m.Key == "f" {
			once.Do(func() { close(forecastFast) })
		}
		return remaining(m, at)
	}
	rep, err := w.Run(context.Background(), tracker.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) > 0 {
		t.Fatalf("failed: %+v", rep.Failed)
	}
	var keys []string
	for _, m := range rep.Milestones {
		keys = append(keys, m.Milestone.Key)
	}
	if !slices.Equal(keys, []string{"f", "s"}) || rep.Count(tracker.ActionCreate) != 2 {
		t.Fatalf("milestones %v (want f, s in key order), actions %+v", keys, rep.Actions)
	}
}

// waitingFinder is a batch lookup that answers only once n drafts have been
// made (or the test's patience runs out, reported as a failed lookup).
type waitingFinder struct {
	sending
	drafts *atomic.Int64
	n      int64
}

func (f *waitingFinder) FindMany(ctx context.Context, fps []string) (map[string]*model.TicketRef, error) {
	deadline := time.Now().Add(5 * time.Second)
	for f.drafts.Load() < f.n {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d drafts made while the lookup was on the wire, want %d", f.drafts.Load(), f.n)
		}
		time.Sleep(time.Millisecond)
	}
	return f.sending.FindMany(ctx, fps)
}

// Drafting goes on while the batch lookup is on the wire (issue 17): a plan
// renders no chart; a run guesses its creates from the ledger until the
// lookup answers, so every ticket it creates carries its chart, and an
// unchanged re-poll (the ledger knows the tickets) draws none.
func TestDraftingGoesOnDuringTheBatchLookup(t *testing.T) {
	var ms []model.Milestone
	for i := range 6 {
		ms = append(ms, milestone(fmt.Sprintf("m%d", i), 2))
	}
	for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun} {
		w, out := newWorker(t, t.TempDir(), fakeSource{name: "demo", ms: ms})
		st, err := store.Open(context.Background(), store.Config{Driver: "none"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Store = st
		var drafts, charts atomic.Int64
		w.Drafter = charting{drafter{"v1"}, &drafts, &charts}
		tg := &waitingFinder{sending: sending{batching: batching{Target: out}}, drafts: &drafts, n: 6}
		w.Target = tg
		rep, err := w.Run(context.Background(), mode)
		if err != nil {
			t.Fatal(err)
		}
		if tg.batches != 1 || tg.finds != 0 || rep.Count(tracker.ActionCreate) != 6 || drafts.Load() != 6 {
			t.Fatalf("%s: batches %d, finds %d (want 1 and 0: the lookup answered), %d drafts, actions %+v", mode, tg.batches, tg.finds, drafts.Load(), rep.Actions)
		}
		want := map[tracker.Mode]int64{tracker.ModePlan: 0, tracker.ModeRun: 6}[mode]
		if charts.Load() != want || tg.unmade != 0 {
			t.Fatalf("%s: %d charts made (want %d), %d tickets reached the target without theirs", mode, charts.Load(), want, tg.unmade)
		}
		if mode == tracker.ModePlan {
			continue
		}
		tg.n = 12
		if rep, err = w.Run(context.Background(), mode); err != nil {
			t.Fatal(err)
		}
		if rep.Count(tracker.ActionCreate) != 0 || drafts.Load() != 12 || charts.Load() != 6 {
			t.Fatalf("re-poll: %d creates, %d drafts (want 12), %d charts (want still 6): %+v", rep.Count(tracker.ActionCreate), drafts.Load(), charts.Load(), rep.Actions)
		}
	}
}
