package jira_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
	"github.com/forewarn/forewarn/internal/worker"
)

// itemCounts is the number of work items of each judged milestone.
func itemCounts(rep tracker.Report) map[string]int {
	out := map[string]int{}
	for _, m := range rep.Milestones {
		out[m.Milestone.Key] = len(m.Milestone.Items)
	}
	return out
}

// One Jira project holds both the work and forewarn's tickets (issue 14,
// item 1), with `link: auto`: the ticket about version 1.0 gets that fix
// version. A person then puts another ticket in the active sprint and
// strips every label from a third, so only its marker says whose it is.
// No ticket is ever a work item: the counts do not move and every re-poll
// (incremental, then a full sync) finds every ticket up to date.
func TestOwnTicketsInASourceProjectAreNeverWorkItems(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		name := map[bool]string{true: "cloud", false: "datacenter"}[cloud]
		t.Run(name, func(t *testing.T) {
			s := newSite(t, cloud)
			s.seed()
			ctx := context.Background()
			mk := func(full bool) *worker.Worker {
				w := newWorker(t, s)
				w.Target = newTarget(t, s, func(c *jira.TargetConfig) { c.Project = "WEB"; c.Link = "auto" })
				if full {
					w.Sources = []tracker.Source{newSource(t, s, func(c *jira.SourceConfig) { always := duration.Duration(0); c.FullSyncEvery = &always })}
				}
				return w
			}
			first, err := mk(false).Run(ctx, tracker.ModeRun)
			if err != nil {
				t.Fatal(err)
			}
			if k := kinds(first); k[tracker.ActionCreate] != 4 || k["error"] != 0 {
				t.Fatalf("first run actions %v: want 4 creates", k)
			}
			before := itemCounts(first)
			var mine []string
			versioned := 0
			for _, is := range s.srv.Issues("WEB") {
				if _, ok := modeltest.ParseMarker(is.Description); ok {
					mine = append(mine, is.Key)
					if slices.Contains(is.FixVersions, "10100") {
						versioned++
					}
				}
			}
			if len(mine) != 4 || versioned != 1 {
				t.Fatalf("%d tickets in WEB (%d with fix version 1.0), want 4 (1)", len(mine), versioned)
			}
			s.srv.Edit(mine[1], func(is *fake.Issue) { is.Sprints = []int64{7} })
			s.srv.Edit(mine[2], func(is *fake.Issue) { is.Labels = nil; is.FixVersions = []string{"10100"} })

			for _, pass := range []struct {
				name string
				full bool
			}{{"incremental re-poll", false}, {"full sync", true}} {
				rep, err := mk(pass.full).Run(ctx, tracker.ModeRun)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: items %v; notes %q", pass.name, itemCounts(rep), rep.Notes)
				if got := itemCounts(rep); !mapsEqual(got, before) {
					t.Errorf("%s: item counts %v, were %v: own tickets counted as work", pass.name, got, before)
				}
				for _, m := range rep.Milestones {
					for _, it := range m.Milestone.Items {
						if slices.Contains(mine, it.Key) {
							t.Errorf("%s: own ticket %s is an item of %s", pass.name, it.Key, m.Milestone.Key)
						}
					}
				}
				for _, a := range rep.Actions {
					if a.Kind != tracker.ActionNone || a.Reason != "up to date" {
						t.Errorf("%s: %s %s: %s %q, want up to date", pass.name, a.MilestoneKey, a.Purpose, a.Kind, a.Reason)
					}
				}
				if len(rep.Actions) != 4 {
					t.Errorf("%s: %d actions, want 4", pass.name, len(rep.Actions))
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A ticket whose marker a person deleted from the description still
// carries forewarn's labels: the labels alone keep it out of the items.
func TestOwnTicketByLabelIsNoWorkItem(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	fp := model.Fingerprint("jira:x", model.PurposeClientNotice)
	s.srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Client notice draft: WEB 1.0", Description: "rewritten by hand",
		Labels: model.TicketLabels(fp, model.PurposeClientNotice), FixVersions: []string{"10100"}, Sprints: []int64{7}})
	res, err := newSource(t, s, nil).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Milestones {
		for _, it := range m.Items {
			if it.Title == "Client notice draft: WEB 1.0" {
				t.Errorf("own ticket %s is an item of %s", it.Key, m.Key)
			}
		}
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "1 of forewarn's own ticket(s)") }) {
		t.Errorf("notes %q do not say an own ticket was left out", res.Notes)
	}
}
