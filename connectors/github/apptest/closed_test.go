package apptest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the Pacific zone GitHub dates due_on in, on any machine

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Issue 14 on GitHub, through the whole app with the shipped rules: two
// client repositories each have a milestone "v1.6", closed on its due date
// three days ago — acme/web's with two issues still open (a post-mortem),
// acme/shop's with everything done (none). acme/web also takes the drafts
// (the review repository is a source). The post-mortem's title names the
// repository; its items link to their issues; a person files it under a
// milestone, and the re-poll still counts no ticket as work and finds
// every ticket up to date.
func TestClosedMilestoneWithOpenIssuesGetsItsPostMortem(t *testing.T) {
	s := fakegh.New(token)
	defer s.Close()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	dueOn := time.Date(2026, 3, 6, 0, 0, 0, 0, loc).UTC()
	for _, repo := range []string{"acme/web", "acme/shop"} {
		s.AddMilestone(repo, fakegh.Milestone{Number: 3, Title: "v1.6", DueOn: dueOn, CreatedAt: day(-25), State: "closed", ClosedAt: day(-4).Add(2 * time.Hour)})
		s.AddMilestone(repo, fakegh.Milestone{Number: 4, Title: "v1.7", DueOn: dueOn.Add(30 * 24 * time.Hour), CreatedAt: day(-4)})
		for i := range 6 {
			is := fakegh.Issue{Title: fmt.Sprintf("%s task %d", repo, i+1), Milestone: 3, CreatedAt: day(-24)}
			if i < 4 || repo == "acme/shop" {
				is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(-20+3*i)
			}
			s.AddIssue(repo, is)
		}
	}
	cfg := `version: 1
rules: ` + filepath.Join(repoRoot(t), "rules.yaml") + `
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-gh
    github:
      repos: [acme/web, acme/shop]
      client: acme
      base_url: ` + s.URL + `
target:
  github:
    repo: acme/web
    base_url: ` + s.URL + `
clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "forewarn.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(at time.Time) tracker.Report {
		a, err := app.Load(context.Background(), app.Options{ConfigPath: filepath.Join(dir, "forewarn.yaml"), Log: zerolog.Nop(),
			Getenv: func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] },
			Now:    func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		rep, err := a.Run(context.Background(), tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	rep := run(now)
	var pm []fakegh.Issue
	for _, is := range s.Issues("acme/web") {
		if fp, ok := modeltest.ParseMarker(is.Body); ok && fp == model.Fingerprint("github:acme/web#3", model.PurposePostMortem) {
			pm = append(pm, is)
		}
		if fp, ok := modeltest.ParseMarker(is.Body); ok && fp == model.Fingerprint("github:acme/shop#3", model.PurposePostMortem) {
			t.Errorf("acme/shop v1.6 closed on time with everything done, yet got a post-mortem")
		}
	}
	if len(pm) != 1 {
		t.Fatalf("%d post-mortems for acme/web v1.6, want 1; actions %+v", len(pm), rep.Actions)
	}
	body := pm[0].Body
	if !strings.HasPrefix(pm[0].Title, "Post-mortem: acme/web v1.6 for Acme Retail") {
		t.Errorf("title %q does not name the repository", pm[0].Title)
	}
	for _, w := range []string{
		"closed on Friday 6 March 2026 with 2 of its 6 items not done",
		"acme/web task 5 ([acme/web#5](" + s.URL,
		"In the tracker: [acme/web v1.6](",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("post-mortem lacks %q:\n%s", w, body)
		}
	}
	if strings.Contains(body, "#\u2060") {
		t.Errorf("an item reference carries a word joiner after #:\n%s", body)
	}
	counts := map[string]int{}
	for _, m := range rep.Milestones {
		counts[m.Milestone.Key] = len(m.Milestone.Items)
	}
	// A person files every ticket under acme/web v1.7.
	for _, is := range s.Issues("acme/web") {
		if _, ok := modeltest.ParseMarker(is.Body); ok {
			s.Edit("acme/web", is.Number, func(is *fakegh.Issue) { is.Milestone = 4 })
		}
	}
	rep = run(now.Add(time.Hour))
	for _, m := range rep.Milestones {
		if n := len(m.Milestone.Items); n != counts[m.Milestone.Key] {
			t.Errorf("%s has %d items, had %d: own tickets counted as work", m.Milestone.Key, n, counts[m.Milestone.Key])
		}
	}
	for _, a := range rep.Actions {
		if a.Kind != tracker.ActionNone || a.Err != "" {
			t.Errorf("re-poll: %s %s %s: %s %s", a.Kind, a.Purpose, a.MilestoneKey, a.Reason, a.Err)
		}
	}
}
