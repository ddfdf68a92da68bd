package apptest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// sprintNow is a Tuesday in the third two-week sprint of board 3.
var sprintNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// seedSprints is a team on two-week sprints in project WEB, which is also
// the review project (issue 14):
//   - sprint 4 closed on time with everything done: no post-mortem;
//   - sprint 5 closed on its date with 3 of its 8 issues open, which Jira
//     carried over to sprint 6 (their sprint field keeps both): a post-mortem;
//   - sprint 6, active since 2 March, 1 of 10 issues done on day 7 of 10:
//     behind a straight burn-down with too little history for a forecast;
//   - fix version 2.0, due 2 March, released after its last issue was
//     resolved on 5 March: a post-mortem.
func seedSprints(s *fake.Server) {
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }
	s.AddSprint(fake.Sprint{ID: 4, Board: 3, Name: "Team sprint 4", State: "closed", Start: at(2, 2, 9), End: at(2, 13, 17), Completed: at(2, 13, 17)})
	s.AddSprint(fake.Sprint{ID: 5, Board: 3, Name: "Team sprint 5", State: "closed", Start: at(2, 16, 9), End: at(2, 27, 17), Completed: at(2, 27, 17)})
	s.AddSprint(fake.Sprint{ID: 6, Board: 3, Name: "Team sprint 6", State: "active", Start: at(3, 2, 9), End: at(3, 13, 17)})
	for i := range 4 {
		s.AddIssue(fake.Issue{Project: "WEB", Summary: fmt.Sprintf("Sprint 4 task %d", i+1), Sprints: []int64{4},
			Created: at(2, 2, 8), Category: "done", Resolved: at(2, 4+2*i, 15), Updated: at(2, 4+2*i, 15)})
	}
	for i := range 8 {
		is := fake.Issue{Project: "WEB", Summary: fmt.Sprintf("Sprint 5 task %d", i+1), Sprints: []int64{5}, Created: at(2, 16, 8)}
		if i < 5 {
			is.Category, is.Resolved, is.Updated = "done", at(2, 17+2*i, 15), at(2, 17+2*i, 15)
		} else {
			is.Sprints = []int64{5, 6} // carried over when sprint 5 was completed
		}
		s.AddIssue(is)
	}
	for i := range 7 {
		is := fake.Issue{Project: "WEB", Summary: fmt.Sprintf("Sprint 6 task %d", i+1), Sprints: []int64{6}, Created: at(3, 2, 8)}
		if i == 0 {
			is.Category, is.Resolved, is.Updated = "done", at(3, 4, 15), at(3, 4, 15)
		}
		s.AddIssue(is)
	}
	s.AddVersion(fake.Version{ID: "10200", Project: "WEB", Name: "2.0", StartDate: "2026-02-02", ReleaseDate: "2026-03-02", Released: true})
	for i, done := range []time.Time{at(2, 20, 15), at(2, 25, 15), at(3, 3, 15), at(3, 5, 15)} {
		s.AddIssue(fake.Issue{Project: "WEB", Summary: fmt.Sprintf("Release 2.0 task %d", i+1), FixVersions: []string{"10200"},
			Created: at(2, 2, 8), Category: "done", Resolved: done, Updated: done})
	}
}

func loadWeb(t *testing.T, s *fake.Server, dir string, now time.Time, rulesPath string) *app.App {
	t.Helper()
	cfg := fmt.Sprintf(`version: 1
rules: %s
state:
  driver: sqlite
  path: state.db
sources:
  - name: acme-jira
    jira:
      base_url: %s
      deployment: cloud
      auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}
      projects: [WEB]
      boards: [3]
      client: acme
target:
  jira:
    base_url: %s
    deployment: cloud
    auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}
    project: WEB
    link: auto
clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`, rulesPath, s.URL, s.URL)
	path := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := app.Load(context.Background(), app.Options{ConfigPath: path, Log: zerolog.Nop(),
		Getenv: func(k string) string { return map[string]string{"JIRA_EMAIL": email, "JIRA_TOKEN": token}[k] },
		Now:    func() time.Time { return now }})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// ticketsIn returns forewarn's tickets in a project by milestone key and purpose.
func ticketsIn(s *fake.Server, project string) map[string]fake.Issue {
	out := map[string]fake.Issue{}
	for _, is := range s.Issues(project) {
		if fp, ok := modeltest.ParseMarker(is.Description); ok {
			out[fp] = is
		}
	}
	return out
}

// Issue 14, items 1 to 4 and 7, through the whole app with the shipped
// rules against the fake Jira, the review project being a source.
func TestSprintsAndVersionsThatMissedGetTheirPostMortem(t *testing.T) {
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token, Now: func() time.Time { return sprintNow }})
	defer s.Close()
	seedSprints(s)
	host := strings.TrimPrefix(s.URL, "http://")
	sprint := func(id int64) string { return fmt.Sprintf("jira:%s:sprint:%d", host, id) }
	version := "jira:" + host + "/WEB:version:10200"
	rulesPath := filepath.Join(repoRoot(t), "rules.yaml")
	dir := t.TempDir()
	ctx := context.Background()

	rep, err := loadWeb(t, s, dir, sprintNow, rulesPath).Run(ctx, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 0 {
		t.Fatalf("failures: %+v", rep.Failed)
	}
	tickets := ticketsIn(s, "WEB")
	for _, a := range rep.Actions {
		t.Logf("%s %s %s %q", a.Kind, a.Purpose, a.MilestoneKey, a.Title)
	}
	want := map[string]bool{
		model.Fingerprint(sprint(5), model.PurposePostMortem):     true, // committed work not done
		model.Fingerprint(version, model.PurposePostMortem):       true, // released after its date
		model.Fingerprint(sprint(6), model.PurposeProgressUpdate): true, // short sprint warned at once
	}
	for fp := range want {
		if _, ok := tickets[fp]; !ok {
			t.Errorf("no ticket %s", fp)
		}
	}
	if len(tickets) != len(want) {
		t.Errorf("%d tickets, want %d (none for sprint 4, which met its date)", len(tickets), len(want))
	}

	pm := tickets[model.Fingerprint(sprint(5), model.PurposePostMortem)]
	if !strings.HasPrefix(pm.Summary, "Post-mortem: WEB Team sprint 5 for Acme Retail") {
		t.Errorf("title %q does not name the project and the sprint", pm.Summary)
	}
	for _, w := range []string{
		"Team sprint 5 was promised for Friday 27 February 2026 and closed on Friday 27 February 2026 with 3 of its 8 items not done",
		"*Not done when it closed:*", "Sprint 5 task 6 (WEB-", "Sprint 5 task 8 (WEB-",
		"[WEB Team sprint 5|" + s.URL + "/secure/GHGoToBoard.jspa?sprintId=5]",
	} {
		if !strings.Contains(pm.Description, w) {
			t.Errorf("sprint post-mortem lacks %q:\n%s", w, pm.Description)
		}
	}
	vpm := tickets[model.Fingerprint(version, model.PurposePostMortem)]
	if !strings.HasPrefix(vpm.Summary, "Post-mortem: WEB 2.0 for Acme Retail") ||
		!strings.Contains(vpm.Description, "completed on Thursday 5 March 2026") ||
		!strings.Contains(vpm.Description, "[WEB 2.0|"+s.URL+"/projects/WEB/versions/10200]") {
		t.Errorf("version post-mortem %q:\n%s", vpm.Summary, vpm.Description)
	}
	if !slices.Contains(vpm.FixVersions, "10200") {
		t.Errorf("link: auto did not put the post-mortem in version 2.0 (fix versions %v)", vpm.FixVersions)
	}
	pu := tickets[model.Fingerprint(sprint(6), model.PurposeProgressUpdate)]
	if !strings.HasPrefix(pu.Summary, "Progress update draft: WEB Team sprint 6 for Acme Retail") {
		t.Errorf("progress update title %q", pu.Summary)
	}
	if strings.Contains(pu.Description, "client-notice ticket") {
		t.Errorf("the progress update points at a client notice that does not exist:\n%s", pu.Description)
	}
	counts := map[string]int{}
	for _, m := range rep.Milestones {
		counts[m.Milestone.Key] = len(m.Milestone.Items)
	}

	// Re-poll a day later: the tickets (one in version 2.0) are not work
	// items, nothing is created, every ticket is up to date, and the
	// closed sprint's post-mortem is not opened again.
	for _, at := range []time.Time{sprintNow.Add(time.Hour), sprintNow.Add(24 * time.Hour)} {
		rep, err = loadWeb(t, s, dir, at, rulesPath).Run(ctx, tracker.ModeRun)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range rep.Milestones {
			if n := len(m.Milestone.Items); n != counts[m.Milestone.Key] {
				t.Errorf("%s: %s has %d items, had %d", at, m.Milestone.Key, n, counts[m.Milestone.Key])
			}
		}
		for _, a := range rep.Actions {
			if a.Kind == tracker.ActionCreate || a.Kind == tracker.ActionUpdate || a.Err != "" {
				t.Errorf("%s: %s %s %s: %s %s", at, a.Kind, a.Purpose, a.MilestoneKey, a.Reason, a.Err)
			}
		}
		if n := len(ticketsIn(s, "WEB")); n != len(want) {
			t.Errorf("%s: %d tickets, want %d", at, n, len(want))
		}
	}
}

// Issue 14, item 7: the progress update of a milestone whose client notice
// was drafted names that ticket by its key, which Jira links (created
// earlier in the same run), and never "the client-notice ticket" vaguely.
func TestProgressUpdateLinksTheClientNoticeTicket(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	seed(s, now)
	if _, err := load(t, s, t.TempDir(), now).Run(context.Background(), tracker.ModeRun); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	key := "jira:" + host + "/WEB:version:10100"
	tickets := ticketsIn(s, "REV")
	notice, ok := tickets[model.Fingerprint(key, model.PurposeClientNotice)]
	pu, ok2 := tickets[model.Fingerprint(key, model.PurposeProgressUpdate)]
	if !ok || !ok2 {
		t.Fatalf("want a client notice and a progress update for %s; tickets %d", key, len(tickets))
	}
	// A Jira key in Jira wiki markup stays a key: Jira links it itself.
	link := "send that first: " + notice.Key + "."
	if !strings.Contains(pu.Description, link) || strings.Contains(pu.Description, "client-notice ticket") {
		t.Errorf("the progress update does not link the client notice %s (%q):\n%s", notice.Key, link, pu.Description)
	}
}
