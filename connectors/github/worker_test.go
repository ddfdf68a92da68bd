package github_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// The worker's real pipeline and exactly-once protocol, with the GitHub
// source and target against the fake, and small stand-ins for the pure
// core: every open milestone gets a client notice, every closed one a
// post-mortem.

type everyMilestone struct{}

func (everyMilestone) Prepare(m model.Milestone) (model.Milestone, bool) { return m, false }
func (everyMilestone) Open([]byte) (worker.RuleRun, error)               { return everyRun{}, nil }
func (everyMilestone) Budget() int                                       { return 0 }

type everyRun struct{}

func (everyRun) Evaluate(now time.Time, in []worker.Judged) worker.Evaluation {
	var ev worker.Evaluation
	for _, j := range in {
		p := model.PurposeClientNotice
		if j.Milestone.State == model.StateClosed {
			p = model.PurposePostMortem
		}
		ev.Firings = append(ev.Firings, worker.Firing{MayUpdate: true, Finding: model.Finding{Rule: "every",
			MilestoneKey: j.Milestone.Key, Purpose: p, Severity: "warning", ActiveSince: now, FiredAt: now}})
	}
	return ev
}
func (everyRun) Acted(string, time.Time) {}
func (everyRun) State() ([]byte, error)  { return nil, nil }

type plainDrafter struct{}

func (plainDrafter) Draft(r worker.DraftRequest, f model.Format) (model.Ticket, error) {
	fp := r.Finding.Fingerprint()
	open := 0
	for _, it := range r.Milestone.Items {
		if it.Status != model.StatusDone {
			open++
		}
	}
	return model.Ticket{Fingerprint: fp, Purpose: r.Finding.Purpose, MilestoneKey: r.Milestone.Key, Rule: r.Finding.Rule,
		Format: f, Title: fmt.Sprintf("%s: %s", r.Finding.Purpose, r.Milestone.Title),
		Body:   fmt.Sprintf("%d of %d items open.\n\n%s\n", open, len(r.Milestone.Items), model.Marker(fp, f)),
		Labels: model.TicketLabels(fp, r.Finding.Purpose)}, nil
}

func newWorker(t *testing.T, s *fakegh.Server, cache *memCache) *worker.Worker {
	src := newSource(t, s, github.SourceConfig{}, cache)
	tg := newTarget(t, s, github.TargetConfig{Labels: []string{"client-comms"}}, cache)
	return &worker.Worker{Sources: []tracker.Source{src}, Target: tg, Forecast: func(m model.Milestone, now time.Time) model.Forecast {
		return model.Forecast{MilestoneKey: m.Key, AsOf: now, Status: model.ForecastOK}
	}, Rules: everyMilestone{}, Drafter: plainDrafter{}, Client: func(string) model.Client { return model.Client{} },
		ReopenWithin: 14 * 24 * time.Hour, Now: func() time.Time { return now }, Log: zerolog.Nop()}
}

func kinds(rep tracker.Report) map[tracker.ActionKind]int {
	out := map[tracker.ActionKind]int{}
	for _, a := range rep.Actions {
		out[a.Kind]++
		if a.Err != "" {
			out["error"]++
		}
	}
	return out
}

func TestWorkerRunCreatesTheRightTicketsOnce(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.AddRepo("acme/delivery")
	cache := newCache()
	ctx := context.Background()

	rep, err := newWorker(t, s, cache).Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k[tracker.ActionCreate] != 2 || k["error"] != 0 {
		t.Fatalf("first run actions %v: want 2 creates", k)
	}
	iss := s.Issues("acme/delivery")
	if len(iss) != 2 {
		t.Fatalf("%d issues, want 2", len(iss))
	}
	want := map[string]string{
		model.Fingerprint("github:acme/web#1", model.PurposeClientNotice): "client-notice: Checkout v2",
		model.Fingerprint("github:acme/web#2", model.PurposePostMortem):   "post-mortem: Search",
	}
	for _, is := range iss {
		fp, ok := modeltest.ParseMarker(is.Body)
		if !ok || want[fp] != is.Title || !contains(is.Labels, fp) || !contains(is.Labels, "client-comms") {
			t.Errorf("issue #%d %q labels %v: not the ticket expected for its marker %s", is.Number, is.Title, is.Labels, fp)
		}
	}
	t.Logf("first run, per route:\n%s", s.StatsTable())
	for _, is := range iss {
		fp, _ := modeltest.ParseMarker(is.Body)
		t.Logf("created acme/delivery#%d %q labels=%v marker=%s", is.Number, is.Title, is.Labels, fp)
	}

	// Run twice (a fresh process with the cache the store keeps): nothing
	// new, nothing rewritten (the digest in the body says it is current).
	s.ResetLog()
	rep, err = newWorker(t, s, cache).Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k[tracker.ActionCreate] != 0 || k[tracker.ActionUpdate] != 0 || k[tracker.ActionNone] != 2 {
		t.Fatalf("second run actions %v: want 2 unchanged", k)
	}
	if n := len(s.Issues("acme/delivery")); n != 2 {
		t.Fatalf("%d issues after the second run, want 2", n)
	}
	// The first unchanged re-poll after the creates is free as well: each
	// create refreshed its Find's cached answer (GitHub answers 304).
	if n := s.Counted(); n != 0 {
		t.Fatalf("second run used %d rate-limited requests, want 0:\n%s", n, s.StatsTable())
	}
	// Both tickets were looked up with one listing of the repository
	// (FindMany), not one lookup each.
	lookups := 0
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, "/repos/acme/delivery/issues") {
			lookups++
		}
	}
	if lookups != 1 {
		t.Errorf("second run asked acme/delivery %d times, want one listing", lookups)
	}
	t.Logf("second run, per route:\n%s", s.StatsTable())
	s.ResetLog()
	if _, err := newWorker(t, s, cache).Run(ctx, tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	if n := s.Counted(); n != 0 || len(s.Issues("acme/delivery")) != 2 {
		t.Fatalf("third, unchanged run used %d rate-limited requests, want 0:\n%s", n, s.StatsTable())
	}
	t.Logf("third run, per route:\n%s", s.StatsTable())
}

func TestWorkerLostCreateResponseMakesNoDuplicate(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.AddRepo("acme/delivery")
	s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultLoseResponse})
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		rep, err := newWorker(t, s, nil).Run(ctx, tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		if k := kinds(rep); k["error"] != 0 {
			t.Fatalf("run %d: %v %+v", run, k, rep.Actions)
		}
	}
	if n := len(s.Issues("acme/delivery")); n != 2 {
		t.Fatalf("%d issues, want 2 (the lost create was found, not repeated)", n)
	}
	if n := s.Stats()["POST /repos/{owner}/{repo}/issues"].Requests; n != 2 {
		t.Fatalf("POST issues sent %d times, want 2", n)
	}
}

func TestWorkerRateLimitMidRunCompletes(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.AddRepo("acme/delivery")
	// The budget runs dry between the reads and the writes.
	s.SetRateLimit(5000, 5, 2*time.Second)
	rep, err := newWorker(t, s, nil).Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(rep); k[tracker.ActionCreate] != 2 || k["error"] != 0 || len(rep.Failed) != 0 {
		t.Fatalf("actions %v failed %+v", k, rep.Failed)
	}
	if n := len(s.Issues("acme/delivery")); n != 2 {
		t.Fatalf("%d issues, want 2", n)
	}
}
