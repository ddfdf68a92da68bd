// Package apptest runs the whole forewarn app (config → Jira source →
// forecast → rules → drafts → Jira target) against the in-process fake
// Jira, in Cloud and Data Center modes.
package apptest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

const (
	email = "pm@example.com"
	token = "ATATT-e2e-cloud-token"
	pat   = "NjE2-e2e-dc-pat"
)

// seed: a fix version due in five days with most of its work open at a
// slow pace (a slip), and one whose date passed with work open.
func seed(s *fake.Server, now time.Time) {
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	date := func(t time.Time) string { return t.Format("2006-01-02") }
	s.AddVersion(fake.Version{ID: "10100", Project: "WEB", Name: "Checkout v2", ReleaseDate: date(day(5)), StartDate: date(day(-40))})
	s.AddVersion(fake.Version{ID: "10101", Project: "WEB", Name: `Search "beta"`, ReleaseDate: date(day(-6))})
	for i := 0; i < 24; i++ {
		p := 2.0
		is := fake.Issue{Project: "WEB", Summary: "Checkout task", FixVersions: []string{"10100"}, Created: day(-39 + i%5), Points: &p}
		if i < 4 {
			is.Category, is.Resolved, is.Updated = "done", day(-30+i*7), day(-30+i*7)
		}
		s.AddIssue(is)
	}
	for i := 0; i < 10; i++ {
		is := fake.Issue{Project: "WEB", Summary: "Search task", FixVersions: []string{"10101"}, Created: day(-59)}
		if i < 5 {
			is.Category, is.Resolved, is.Updated = "done", day(-50+i*8), day(-50+i*8)
		}
		s.AddIssue(is)
	}
	s.AddProject("REV")
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

func load(t *testing.T, s *fake.Server, dir string, now time.Time) *app.App {
	t.Helper()
	return loadLogged(t, s, dir, now, zerolog.Nop())
}

// loadLogged is load with the app's log going to log.
func loadLogged(t *testing.T, s *fake.Server, dir string, now time.Time, log zerolog.Logger) *app.App {
	t.Helper()
	auth := "auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}"
	deploy := "cloud"
	if !s.Cloud() {
		auth, deploy = "auth: {pat_env: JIRA_PAT}", "datacenter"
	}
	cfg := fmt.Sprintf(`version: 1
rules: %s
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-jira
    jira:
      base_url: %s
      deployment: %s
      %s
      projects: [WEB]
      client: acme
target:
  jira:
    base_url: %s
    deployment: %s
    %s
    project: REV
    labels: [client-comms]
clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`, filepath.Join(repoRoot(t), "rules.yaml"), s.URL, deploy, auth, s.URL, deploy, auth)
	path := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.Load(context.Background(), app.Options{ConfigPath: path, Log: log,
		Getenv: func(k string) string {
			return map[string]string{"JIRA_EMAIL": email, "JIRA_TOKEN": token, "JIRA_PAT": pat}[k]
		},
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestAppAgainstFakeJira(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		name := map[bool]string{true: "cloud", false: "datacenter"}[cloud]
		t.Run(name, func(t *testing.T) {
			now := time.Now().UTC().Truncate(time.Second)
			s := fake.New(fake.Options{Cloud: cloud, Email: email, APIToken: token, PAT: pat, LegacySprintField: !cloud})
			defer s.Close()
			seed(s, now)
			dir := t.TempDir()
			ctx := context.Background()

			rep, err := load(t, s, dir, now).Run(ctx, tracker.ModeRun)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			created := rep.Count(tracker.ActionCreate)
			iss := s.Issues("REV")
			if created == 0 || len(iss) != created {
				t.Fatalf("created %d, issues %d: want at least one ticket, one issue each\n%+v\n%+v", created, len(iss), rep.Actions, rep.Failed)
			}
			for _, is := range iss {
				fp, ok := modeltest.ParseMarker(is.Description)
				if !ok || !contains(is.Labels, fp) || !contains(is.Labels, "client-comms") {
					t.Errorf("%s %q: marker %q, labels %v", is.Key, is.Summary, fp, is.Labels)
				}
				if len(is.Attachments) == 0 {
					t.Errorf("%s has no burn-down chart attached", is.Key)
				}
				if strings.Contains(is.Description, token) || strings.Contains(is.Description, pat) {
					t.Fatalf("%s carries a credential", is.Key)
				}
			}
			t.Logf("%s first run: %d tickets created\n%s", name, created, s.StatsTable())
			for _, is := range iss {
				t.Logf("  %s %q %v attachments=%d links=%d", is.Key, is.Summary, is.Labels, len(is.Attachments), len(is.RemoteLinks))
			}

			s.ResetLog()
			rep, err = load(t, s, dir, now.Add(time.Hour)).Run(ctx, tracker.ModeRun)
			if err != nil {
				t.Fatalf("second run: %v", err)
			}
			if n := rep.Count(tracker.ActionCreate); n != 0 || len(s.Issues("REV")) != created {
				t.Fatalf("second run created %d; issues now %d, want %d", n, len(s.Issues("REV")), created)
			}
			t.Logf("%s second run:\n%s", name, s.StatsTable())
		})
	}
}

func TestAppLostCreateResponseNoDuplicate(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	seed(s, now)
	s.Inject(fake.Fault{Method: "POST", Route: "/rest/api/2/issue", Kind: fake.FaultLoseResponse})
	dir := t.TempDir()
	for run := 0; run < 2; run++ {
		if _, err := load(t, s, dir, now.Add(time.Duration(run)*time.Hour)).Run(context.Background(), tracker.ModeRun); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	seen := map[string]int{}
	for _, is := range s.Issues("REV") {
		fp, _ := modeltest.ParseMarker(is.Description)
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
	now := time.Now().UTC()
	s := fake.New(fake.Options{Cloud: false, PAT: "someone-else"})
	defer s.Close()
	seed(s, now)
	rep, err := load(t, s, t.TempDir(), now).Run(context.Background(), tracker.ModeRun)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	for _, f := range rep.Failed {
		msg += "\n" + f.Source + " " + f.Err
	}
	if !strings.Contains(msg, `jira source "acme-jira"`) || !strings.Contains(msg, "401") || strings.Contains(msg, pat) {
		t.Fatalf("report %q: want the source named, the 401, never the token", msg)
	}
	if len(s.Issues("REV")) != 0 {
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
