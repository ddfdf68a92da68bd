package jira_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// The worker's real pipeline and exactly-once protocol, with the Jira
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
		Body:        fmt.Sprintf("%d of %d items open.\n!burndown.png!\n%s\n", open, len(r.Milestone.Items), model.Marker(fp, f)),
		Labels:      model.TicketLabels(fp, r.Finding.Purpose),
		Attachments: []model.Attachment{{Name: "burndown.png", ContentType: "image/png", Data: []byte("\x89PNG")}}}, nil
}

func newWorker(t *testing.T, s *site) *worker.Worker {
	return &worker.Worker{Sources: []tracker.Source{newSource(t, s, nil)}, Target: newTarget(t, s, nil),
		Forecast: func(m model.Milestone, now time.Time) model.Forecast {
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

// TestWorkerRunCreatesTheRightTicketsOnce is the full run of issue 4's
// closing note: Cloud and Data Center, requests per route and tickets.
func TestWorkerRunCreatesTheRightTicketsOnce(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		name := map[bool]string{true: "cloud", false: "datacenter"}[cloud]
		t.Run(name, func(t *testing.T) {
			s := newSite(t, cloud)
			s.seed()
			ctx := context.Background()
			rep, err := newWorker(t, s).Run(ctx, tracker.ModeRun)
			if err != nil {
				t.Fatal(err)
			}
			// 1.0, 2.0 and sprint 7 open: notices; sprint 6 closed: a post-mortem.
			if k := kinds(rep); k[tracker.ActionCreate] != 4 || k["error"] != 0 {
				t.Fatalf("first run actions %v (%+v): want 4 creates", k, rep.Actions)
			}
			iss := s.srv.Issues("REV")
			if len(iss) != 4 {
				t.Fatalf("%d issues, want 4", len(iss))
			}
			for _, is := range iss {
				fp, ok := modeltest.ParseMarker(is.Description)
				if !ok || !contains(is.Labels, fp) || len(is.Attachments) != 1 {
					t.Errorf("%s %q labels %v attachments %d: marker %s", is.Key, is.Summary, is.Labels, len(is.Attachments), fp)
				}
			}
			// One search reads the versions and sprints, one looks all four
			// tickets up (tracker.BatchFinder): none is asked for again
			// before its create.
			if n := s.srv.Count("GET /rest/api/2/search/jql") + s.srv.Count("GET /rest/api/2/search"); n != 2 {
				t.Errorf("first run: %d searches, want 2", n)
			}
			t.Logf("%s first run, per route:\n%s", name, s.srv.StatsTable())
			for _, is := range iss {
				t.Logf("created %s %q labels=%v", is.Key, is.Summary, is.Labels)
			}

			s.srv.ResetLog()
			rep, err = newWorker(t, s).Run(ctx, tracker.ModeRun)
			if err != nil {
				t.Fatal(err)
			}
			if k := kinds(rep); k[tracker.ActionCreate] != 0 || k[tracker.ActionUpdate] != 0 || k[tracker.ActionNone] != 4 {
				t.Fatalf("second run actions %v: want 4 unchanged (the digest in the description says current)", k)
			}
			if n := len(s.srv.Issues("REV")); n != 4 {
				t.Fatalf("%d issues after the second run, want 4", n)
			}
			if n := s.srv.Count("POST /rest/api/2/issue") + s.srv.Count("PUT /rest/api/2/issue/{key}"); n != 0 {
				t.Errorf("second run wrote %d times", n)
			}
			t.Logf("%s second run (incremental), per route:\n%s", name, s.srv.StatsTable())
		})
	}
}

func TestWorkerLostCreateResponseNoDuplicate(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		s := newSite(t, cloud)
		s.seed()
		s.srv.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultLoseResponse, Times: -1})
		rep, err := newWorker(t, s).Run(context.Background(), tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		if k := kinds(rep); k[tracker.ActionCreate] != 4 || k["error"] != 0 {
			t.Fatalf("cloud=%v: actions %v: every lost create should be found and recorded", cloud, k)
		}
		if n := s.srv.Count("POST /rest/api/2/issue"); n != 4 {
			t.Errorf("cloud=%v: %d creates sent for 4 tickets", cloud, n)
		}
		s.srv.ClearFaults()
		if _, err := newWorker(t, s).Run(context.Background(), tracker.ModeRun); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, is := range s.srv.Issues("REV") {
			fp, _ := modeltest.ParseMarker(is.Description)
			if seen[fp] {
				t.Fatalf("cloud=%v: duplicate ticket for %s", cloud, fp)
			}
			seen[fp] = true
		}
		if len(seen) != 4 || !strings.HasPrefix(s.srv.Issues("REV")[0].Key, "REV-") {
			t.Errorf("cloud=%v: %d tickets", cloud, len(seen))
		}
	}
}

var _ = jira.Quote
