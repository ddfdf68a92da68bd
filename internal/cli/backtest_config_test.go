package cli_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	jirac "github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/cli"
	"github.com/forewarn/forewarn/internal/demotest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// `forewarn backtest --config` on the demo: the export's milestone whose
// outcome is known (overdue and open) is replayed at 30, 50 and 80 % of its
// life with the configured forecast, and the table printed.
func TestBacktestConfigOnTheDemo(t *testing.T) {
	_, cfg := demotest.Copy(t)
	code, out, stderr := forewarn(t, "backtest", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"your last 1 milestone(s) with a known outcome", "1 milestones (1 missed), 3 checkpoints.",
		// The simulation reads 46, 56 and 64 % at the three checkpoints
		// (31, 42, 47 % before growth per item done was counted over the
		// same days as the items done and tapered towards the due date;
		// 36, 56, 59 % before the growth was the same items in every
		// resampled history and tapered to 50 %; the milestone missed, so
		// this one case reads worse), calibrated 49.7, 53 and 56 %: both
		// warn at the first checkpoint only.
		"| Simulation alone: P(on time) < 50 % | 100 % | 33 % | 0 / 1 |",
		"| forewarn: calibrated P(on time) < 50 % | 100 % | 33 % | 0 / 1 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, stderr := forewarn(t, "backtest", "--config", cfg, "-input", "sprints"); code != 2 || !strings.Contains(stderr, "-input does not apply with -config") {
		t.Errorf("-input with -config: exit %d, %s", code, stderr)
	}
}

// Against the fake GitHub: closed milestones (one finished after its due
// date, one before) are read through the configured source and replayed.
func TestBacktestConfigAgainstGitHub(t *testing.T) {
	const token = "ghp_backtest000000000000000000000000000"
	s := fakegh.New(token)
	defer s.Close()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Search", DueOn: day(-20), CreatedAt: day(-60), State: "closed", ClosedAt: day(-13)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "Login", DueOn: day(-10), CreatedAt: day(-50), State: "closed", ClosedAt: day(-12)})
	for i := 0; i < 10; i++ { // last done day(-14): six days late
		s.AddIssue("acme/web", fakegh.Issue{Title: "Search task", Milestone: 1, CreatedAt: day(-59),
			State: "closed", StateReason: "completed", ClosedAt: day(-50 + i*4)})
	}
	for i := 0; i < 8; i++ { // last done day(-17): on time
		s.AddIssue("acme/web", fakegh.Issue{Title: "Login task", Milestone: 2, CreatedAt: day(-49),
			State: "closed", StateReason: "completed", ClosedAt: day(-45 + i*4)})
	}
	dir := t.TempDir()
	cfg := acmeConfig(t, dir, "forewarn.yaml", s.URL, "state.db", "as_of: 2026-11-20T09:00:00Z\n")
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }
	code, out, stderr := forewarnEnv(t, env, "backtest", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "2 milestones (1 missed), 6 checkpoints.") {
		t.Errorf("want both closed milestones replayed at 30/50/80 %%:\n%s", out)
	}
	if strings.Contains(out+stderr, token) {
		t.Error("the token leaked")
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err == nil {
		t.Error("backtest --config opened the state store: it must write nothing")
	}
}

// acmeConfig writes dir/name: acme/web read from the fake GitHub at url
// for the client acme, drafts to dir/outbox, the state in the SQLite file
// state; head holds lines put first (as_of).
func acmeConfig(t *testing.T, dir, name, url, state, head string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("version: 1\n"+head+`state: {driver: sqlite, path: `+state+`}
forecast: {trials: 2000}
sources:
  - name: acme-gh
    github: {repos: [acme/web], client: acme, base_url: `+url+`}
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail, contact: Dana, owner: Sam, locale: en}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func forewarnEnv(t *testing.T, env func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := cli.Run(context.Background(), args, &out, &errb, env)
	return code, out.String(), errb.String()
}

// Against the fake Jira: released versions and closed sprints of the same
// board (one of each late, one of each on time) are read through the
// configured source and replayed at 30, 50 and 80 % of their life; the
// unreleased version's outcome is not known yet, so it is not judged.
func TestBacktestConfigAgainstJira(t *testing.T) {
	const email, token = "pm@example.com", "ATATT-backtest-config-jira"
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := fakejira.New(fakejira.Options{Cloud: true, Email: email, APIToken: token, Now: func() time.Time { return now }})
	defer s.Close()
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	ymd := func(n int) string { return day(n).Format(time.DateOnly) }
	// Released late: 12 issues, one closed every 4 days from day -58, the
	// last on day -14, a week after the release date (day -21).
	s.AddVersion(fakejira.Version{ID: "10100", Project: "WEB", Name: "Search", StartDate: ymd(-60), ReleaseDate: ymd(-21), Released: true})
	for i := range 12 {
		s.AddIssue(fakejira.Issue{Project: "WEB", Summary: fmt.Sprintf("Search task %d", i), FixVersions: []string{"10100"},
			Created: day(-60), Category: "done", Resolved: day(-58 + i*4), Updated: day(-58 + i*4)})
	}
	// Released on time: 8 issues, the last closed on day -34, before the
	// release date (day -30).
	s.AddVersion(fakejira.Version{ID: "10101", Project: "WEB", Name: "Login", StartDate: ymd(-60), ReleaseDate: ymd(-30), Released: true})
	for i := range 8 {
		s.AddIssue(fakejira.Issue{Project: "WEB", Summary: fmt.Sprintf("Login task %d", i), FixVersions: []string{"10101"},
			Created: day(-60), Category: "done", Resolved: day(-55 + i*3), Updated: day(-55 + i*3)})
	}
	// Unreleased and due in the future: no outcome yet.
	s.AddVersion(fakejira.Version{ID: "10102", Project: "WEB", Name: "Reports", StartDate: ymd(-10), ReleaseDate: ymd(30)})
	for i := range 5 {
		s.AddIssue(fakejira.Issue{Project: "WEB", Summary: fmt.Sprintf("Reports task %d", i), FixVersions: []string{"10102"}, Created: day(-10)})
	}
	// Two closed sprints of board 7: the first delivered everything by its
	// end, the second closed with two issues still open (missed).
	s.AddSprint(fakejira.Sprint{ID: 31, Board: 7, Name: "Sprint 31", State: "closed", Start: day(-42), End: day(-28), Completed: day(-28)})
	s.AddSprint(fakejira.Sprint{ID: 32, Board: 7, Name: "Sprint 32", State: "closed", Start: day(-28), End: day(-14), Completed: day(-14)})
	for i := range 6 {
		s.AddIssue(fakejira.Issue{Project: "APP", Summary: fmt.Sprintf("Sprint 31 task %d", i), Sprints: []int64{31},
			Created: day(-43), Category: "done", Resolved: day(-41 + i*2), Updated: day(-41 + i*2)})
	}
	for i := range 6 {
		is := fakejira.Issue{Project: "APP", Summary: fmt.Sprintf("Sprint 32 task %d", i), Sprints: []int64{32}, Created: day(-29)}
		if i < 4 {
			is.Category, is.Resolved, is.Updated = "done", day(-26+i*3), day(-26+i*3)
		}
		s.AddIssue(is)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	os.WriteFile(cfg, []byte(`version: 1
as_of: 2026-11-20T09:00:00Z
state: {driver: sqlite, path: state.db}
forecast: {trials: 2000}
sources:
  - name: acme-jira
    jira:
      base_url: `+s.URL+`
      deployment: cloud
      auth: {email_env: FW_JIRA_EMAIL, token_env: FW_JIRA_TOKEN}
      projects: [WEB]
      boards: [7]
      client: acme
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail}]
`), 0o644)
	env := func(k string) string { return map[string]string{"FW_JIRA_EMAIL": email, "FW_JIRA_TOKEN": token}[k] }
	preds := filepath.Join(dir, "predictions.csv")
	code, out, stderr := forewarnEnv(t, env, "backtest", "--config", cfg, "-predictions", preds)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// Sprint 31 was done on day -31, before its 80 % checkpoint (day -30):
	// nothing left to predict there, so 11 checkpoints, not 12.
	for _, want := range []string{"your last 4 milestone(s) with a known outcome", "4 milestones (2 missed), 11 checkpoints.",
		"| Simulation alone: P(on time) < 50 % | 100 % | 67 % | 2 / 2 | 14.5 | — | 64 % |",
		"| Behind a straight burn-down | 86 % | 100 % | 2 / 2 | 18.5 | — | 64 % |"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The product's calibrated probability warns differently on four
	// milestones (its weights come from the shared data, not these), but
	// its P85 dates are the simulation's: the same calibration, 86 %.
	if !regexp.MustCompile(`(?m)^\| forewarn: calibrated P\(on time\) < 50 % \| \d+ % \| \d+ % \| \d / 2 \| [0-9.—]+ \| 86 % \(n=7\) \| 64 % \|$`).MatchString(out) {
		t.Errorf("no calibrated row with the P85 calibration 86 %% (n=7):\n%s", out)
	}
	// Which milestones were judged, where, and with which outcome.
	pf, err := os.Open(preds)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	rows, err := csv.NewReader(pf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	judged := map[string]bool{}
	for _, f := range rows {
		if f[5] == "Behind a straight burn-down" {
			if !strings.HasPrefix(f[0], "your milestones (") {
				t.Errorf("a row of input %q, want your milestones", f[0])
			}
			judged[f[2]+" "+f[4]+" missed="+f[9]] = true
		}
	}
	host := strings.TrimPrefix(s.URL, "http://")
	v, sp := func(id string) string { return jirac.VersionKey(host, "WEB", id) }, func(id int64) string { return jirac.SprintKey(host, id) }
	want := []string{v("10100") + " 30 % missed=1", v("10100") + " 50 % missed=1", v("10100") + " 80 % missed=1",
		v("10101") + " 30 % missed=0", v("10101") + " 50 % missed=0", v("10101") + " 80 % missed=0",
		sp(32) + " 30 % missed=1", sp(32) + " 50 % missed=1", sp(32) + " 80 % missed=1",
		sp(31) + " 30 % missed=0", sp(31) + " 50 % missed=0"}
	var got []string
	for k := range judged {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("judged checkpoints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(out+stderr, token) {
		t.Error("the token leaked")
	}
	if _, err := os.Stat(filepath.Join(dir, "state.db")); err == nil {
		t.Error("backtest --config opened the state store: it must write nothing")
	}
}
