// Package apptest runs the whole forewarn app (config → sources → forecast
// → rules → drafts → target) against the in-process fake GitHub.
package apptest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

const token = "ghp_E2Etoken000000000000000000000000000000"

// seed: a milestone due in five days with most of its work open and a
// slow pace (a slip), and one whose due date passed with work open.
func seed(s *fakegh.Server, now time.Time) {
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	loc, _ := time.LoadLocation("America/Los_Angeles")
	due := func(t time.Time) time.Time {
		y, m, d := t.Date()
		if loc == nil {
			return time.Date(y, m, d, 7, 0, 0, 0, time.UTC)
		}
		return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
	}
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Checkout v2", DueOn: due(day(5)), CreatedAt: day(-40)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "Search", DueOn: due(day(-6)), CreatedAt: day(-60)})
	for i := 0; i < 24; i++ {
		is := fakegh.Issue{Title: "Checkout task", Milestone: 1, CreatedAt: day(-39 + i%5), Labels: []string{"points:2"}}
		if i < 4 {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(-30+i*7)
		}
		s.AddIssue("acme/web", is)
	}
	for i := 0; i < 10; i++ {
		is := fakegh.Issue{Title: "Search task", Milestone: 2, CreatedAt: day(-59)}
		if i < 5 {
			is.State, is.ClosedAt = "closed", day(-50+i*8)
		}
		s.AddIssue("acme/web", is)
	}
	s.AddRepo("acme/delivery")
}

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

func load(t *testing.T, s *fakegh.Server, dir string, now time.Time) *app.App {
	t.Helper()
	cfg := `version: 1
rules: ` + filepath.Join(repoRoot(t), "rules.yaml") + `
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-gh
    github:
      repos: [acme/web]
      client: acme
      base_url: ` + s.URL + `
target:
  github:
    repo: acme/delivery
    base_url: ` + s.URL + `
    labels: [client-comms]
clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`
	path := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.Load(context.Background(), app.Options{ConfigPath: path, Log: zerolog.Nop(),
		Getenv: func(k string) string {
			if k == "GITHUB_TOKEN" {
				return token
			}
			return ""
		},
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestAppAgainstFakeGitHub(t *testing.T) {
	s := fakegh.New(token)
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Second)
	seed(s, now)
	dir := t.TempDir()
	ctx := context.Background()

	rep, err := load(t, s, dir, now).Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	created := rep.Count(tracker.ActionCreate)
	iss := s.Issues("acme/delivery")
	if created == 0 || len(iss) != created {
		t.Fatalf("created %d, issues %d: want at least one ticket, one issue each\n%+v", created, len(iss), rep.Actions)
	}
	purposes := map[string]bool{}
	for _, is := range iss {
		fp, ok := modeltest.ParseMarker(is.Body)
		if !ok || !contains(is.Labels, fp) || !contains(is.Labels, "client-comms") {
			t.Errorf("issue #%d %q: marker %q, labels %v", is.Number, is.Title, fp, is.Labels)
		}
		for _, l := range is.Labels {
			if strings.HasPrefix(l, "forewarn-") {
				purposes[l] = true
			}
		}
		if strings.Contains(is.Body, token) {
			t.Fatalf("issue #%d carries the token", is.Number)
		}
	}
	t.Logf("first run: %d tickets created %v\n%s", created, purposes, s.StatsTable())
	for _, is := range iss {
		t.Logf("  acme/delivery#%d %q %v", is.Number, is.Title, is.Labels)
	}

	// Run again, a new process on the same state: no duplicate.
	s.ResetLog()
	rep, err = load(t, s, dir, now.Add(time.Hour)).Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if n := rep.Count(tracker.ActionCreate); n != 0 || len(s.Issues("acme/delivery")) != created {
		t.Fatalf("second run created %d; issues now %d, want %d", n, len(s.Issues("acme/delivery")), created)
	}
	t.Logf("second run:\n%s", s.StatsTable())
}

func TestAppLostCreateResponseNoDuplicate(t *testing.T) {
	s := fakegh.New(token)
	defer s.Close()
	now := time.Now().UTC().Truncate(time.Second)
	seed(s, now)
	s.Inject(fakegh.Fault{Method: "POST", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultLoseResponse})
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		if _, err := load(t, s, dir, now.Add(time.Duration(run)*time.Hour)).Run(context.Background(), tracker.ModeRun); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	seen := map[string]int{}
	for _, is := range s.Issues("acme/delivery") {
		fp, _ := modeltest.ParseMarker(is.Body)
		seen[fp]++
		if seen[fp] > 1 {
			t.Fatalf("duplicate ticket for %s", fp)
		}
	}
	if len(seen) == 0 {
		t.Fatal("no tickets at all")
	}
}

func TestAppUnauthorizedNamesSourceNotToken(t *testing.T) {
	s := fakegh.New("ghp_someoneElse")
	defer s.Close()
	now := time.Now().UTC()
	seed(s, now)
	rep, err := load(t, s, t.TempDir(), now).Run(context.Background(), tracker.ModeRun)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, f := range rep.Failed {
		msg += "\n" + f.Source + " " + f.Err
	}
	if !strings.Contains(msg, `github source "acme-gh"`) || !strings.Contains(msg, "401") || strings.Contains(msg, token) {
		t.Fatalf("report %q: want the source named, the 401, never the token", msg)
	}
	if len(s.Issues("acme/delivery")) != 0 {
		t.Fatal("tickets written although the source could not be read")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
