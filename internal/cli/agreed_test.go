package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// A date agreed with the client, written into the milestone's description
// on GitHub (`agreed: 2026-12-18`), is the promised date from then on: the
// tracker's due date moved to it is no longer a move the reviewer must
// explain, and the drafts measure against it. A later date in the
// configuration's agreed_dates wins over an earlier one in the description,
// and the reverse.
func TestAgreedDateFromTheMilestoneDescription(t *testing.T) {
	const token = "ghp_agreed0000000000000000000000000000"
	s := fakegh.New(token)
	defer s.Close()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, time.UTC) }
	dueOn := func(m time.Month, d int) time.Time { return ghDueOn(2026, m, d) }
	// Due 4 December; 20 issues, 6 done by 20 November, one every few days.
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 3, Title: "v3.0", Description: "start: 2026-10-05", DueOn: dueOn(12, 4), CreatedAt: day(10, 1), UpdatedAt: day(10, 1)})
	for i := range 20 {
		is := fakegh.Issue{Title: fmt.Sprintf("v3.0 task %d", i+1), Milestone: 3, CreatedAt: day(10, 2), UpdatedAt: day(10, 2)}
		if i < 6 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(10, 8+7*i), day(10, 8+7*i)
		}
		s.AddIssue("acme/web", is)
	}
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }
	dir := t.TempDir()
	cfg := func(name, agreed string) string {
		return acmeConfig(t, dir, name+".yaml", s.URL, name+".db", agreed)
	}
	plain, inConfig := cfg("plain", ""), cfg("config", "agreed_dates: [{milestone: 'github:acme/web#3', date: 2027-01-15}]\n")
	// The first run sees the first due date; with no rules it drafts
	// nothing, so that the copies of its state below draft afresh.
	if err := os.WriteFile(filepath.Join(dir, "quiet.yaml"), []byte("version: 1\nrules: [{name: never, when: \"false\", action: client-notice}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	watch := cfg("plain", "rules: quiet.yaml\n")
	if code, _, stderr := forewarnEnv(t, env, "run", "--config", watch, "--now", day(11, 20).Format(time.RFC3339)); code != 0 {
		t.Fatalf("first run exit %d\n%s", code, stderr)
	}
	// The date is moved to 18 December; then the agreement is written down.
	s.EditMilestone("acme/web", 3, func(m *fakegh.Milestone) { m.DueOn, m.UpdatedAt = dueOn(12, 18), day(11, 25) })
	plan := func(c string) model.Milestone {
		t.Helper()
		code, out, stderr := forewarnEnv(t, env, "plan", "--config", c, "--now", day(11, 27).Format(time.RFC3339), "--json")
		if code != 0 {
			t.Fatalf("plan exit %d\n%s", code, stderr)
		}
		ms := report(t, out).Milestones
		if len(ms) != 1 {
			t.Fatalf("judged %d milestones, want v3.0 alone\n%.2000s", len(ms), out)
		}
		return ms[0].Milestone
	}
	m := plan(plain)
	if !m.AgreedDue.IsZero() || !model.Day(m.PromisedDue).Equal(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("moved, nothing agreed: agreed %v, promised %v; want none, and 4 December seen first", m.AgreedDue, m.PromisedDue)
	}
	notes := drafts(t, dir, s.URL, "plain.db", env, day(11, 27))
	if !strings.Contains(notes, "no date agreed with the client is on record") {
		t.Errorf("the drafts do not tell the reviewer the date moved with nothing agreed:\n%.3000s", notes)
	}

	s.EditMilestone("acme/web", 3, func(m *fakegh.Milestone) {
		m.Description, m.UpdatedAt = "start: 2026-10-05\n\n- agreed: 2026-12-11\n- **agreed:** 2026-12-18", day(11, 26)
	})
	want := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	if m := plan(plain); !m.AgreedDue.Equal(want) {
		t.Errorf("agreed %v, want the description's last agreed line, %v", m.AgreedDue, want)
	}
	// Two days' runs: the agreed date will be missed too (P85 is months
	// later), held a day, and the second-slip rule drafts its notice.
	notes = drafts(t, dir, s.URL, "plain.db", env, day(11, 27), day(11, 28))
	if strings.Contains(notes, "no date agreed with the client is on record") {
		t.Errorf("the drafts still ask about the moved date, though an agreed one is written down:\n%.3000s", notes)
	}
	if !strings.Contains(notes, "SECOND SLIP: Client notice draft: acme/web v3.0") || !strings.Contains(notes, "agreed Friday 18 December 2026 with Acme Retail as the new date") {
		t.Errorf("no second-slip notice against the date agreed in the description:\n%.3000s", notes)
	}
	if m := plan(inConfig); !m.AgreedDue.Equal(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("agreed %v, want the configuration's later 15 January", m.AgreedDue)
	}
	s.EditMilestone("acme/web", 3, func(m *fakegh.Milestone) {
		m.Description, m.UpdatedAt = "agreed: 2027-02-01", day(11, 26)
	})
	if m := plan(inConfig); !m.AgreedDue.Equal(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("agreed %v, want the description's later 1 February", m.AgreedDue)
	}
}

// drafts runs a copy of state (an SQLite file in dir) into a fresh outbox,
// once at each of the times given, so that every call drafts anew, and
// returns the text of every draft written (the charts beside them left out).
func drafts(t *testing.T, dir, url, state string, env func(string) string, times ...time.Time) string {
	t.Helper()
	run, err := os.MkdirTemp(dir, "drafts")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, state))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, state), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := acmeConfig(t, run, "forewarn.yaml", url, state, "")
	for _, now := range times {
		if code, _, stderr := forewarnEnv(t, env, "run", "--config", cfg, "--now", now.Format(time.RFC3339)); code != 0 {
			t.Fatalf("run exit %d\n%s", code, stderr)
		}
	}
	var all strings.Builder
	err = filepath.WalkDir(filepath.Join(run, "outbox"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".md" {
			return err
		}
		b, err := os.ReadFile(p)
		all.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.String()
}

// The same from a Jira version's description.
func TestAgreedDateFromTheVersionDescription(t *testing.T) {
	const email, token = "pm@example.com", "ATATT-agreed-version"
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := fakejira.New(fakejira.Options{Cloud: true, Email: email, APIToken: token, Now: func() time.Time { return now }})
	defer s.Close()
	// Jira's screens give a version's description one line: the date is a
	// part of it set off by ";". In a sentence it is not read.
	s.AddVersion(fakejira.Version{ID: "10200", Project: "WEB", Name: "Checkout", StartDate: "2026-10-05", ReleaseDate: "2026-12-18",
		Description: "Checkout rebuild; agreed: 2026-12-22 (call with Dana)"})
	s.AddVersion(fakejira.Version{ID: "10201", Project: "WEB", Name: "Search", StartDate: "2026-10-05", ReleaseDate: "2026-12-18",
		Description: "Search, as we agreed: 2026-12-22 with Dana"})
	for i := range 6 {
		for _, v := range []string{"10200", "10201"} {
			s.AddIssue(fakejira.Issue{Project: "WEB", Summary: fmt.Sprintf("task %d", i), FixVersions: []string{v},
				Created: now.AddDate(0, 0, -50), Updated: now.AddDate(0, 0, -50), Category: "new"})
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "jira.yaml")
	if err := os.WriteFile(p, []byte(`version: 1
state: {driver: none}
forecast: {trials: 2000}
sources:
  - name: web
    jira:
      base_url: `+s.URL+`
      deployment: cloud
      auth: {email_env: FW_JIRA_EMAIL, token_env: FW_JIRA_TOKEN}
      projects: [WEB]
      client: acme
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail, contact: Dana, owner: Sam, locale: en}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"FW_JIRA_EMAIL": email, "FW_JIRA_TOKEN": token}[k] }
	code, out, stderr := forewarnEnv(t, env, "plan", "--config", p, "--now", now.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	got := map[string]time.Time{}
	for _, m := range report(t, out).Milestones {
		got[m.Milestone.Title] = m.Milestone.AgreedDue
	}
	if a, want := got["WEB Checkout"], time.Date(2026, 12, 22, 0, 0, 0, 0, time.UTC); !a.Equal(want) {
		t.Errorf("Checkout agreed %v, want %v from its description; all: %v", a, want, got)
	}
	if a := got["WEB Search"]; !a.IsZero() {
		t.Errorf("Search agreed %v, want none (the date is inside a sentence)", a)
	}
}
