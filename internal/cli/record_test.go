package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the Pacific zone GitHub dates due_on in, on any machine

	jirac "github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// ghDueOn is the due_on GitHub stores for a milestone due on a calendar
// day: midnight US Pacific.
func ghDueOn(y int, m time.Month, d int) time.Time {
	pacific, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		panic(err) // embedded: time/tzdata
	}
	return time.Date(y, m, d, 0, 0, 0, 0, pacific).UTC()
}

// The team's own record through `plan --json`, `plan` and `run` against
// the fake GitHub: acme/web closed v1.0 on time (5 May), v1.1 a day late
// with an issue still open (24 June) and v1.2 four days late (26 September, within
// closed_within, so judged too). v2.0, open and at risk, carries the
// record of the three, with its basis; v1.0 and v1.1 are read for the
// record only: never judged, no post-mortem for v1.1's open issue, but
// replayed by backtest --config. The client notice drafted for v2.0 says
// the record in one line.
func TestTeamRecordAgainstGitHub(t *testing.T) {
	const token = "ghp_record0000000000000000000000000000"
	s := fakegh.New(token)
	defer s.Close()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	dueOn := func(n int) time.Time {
		d := day(n)
		return ghDueOn(d.Year(), d.Month(), d.Day())
	}
	milestone := func(n int, title string, created, due, closed int, done ...int) {
		m := fakegh.Milestone{Number: n, Title: title, DueOn: dueOn(due), CreatedAt: day(created), UpdatedAt: day(created)}
		if closed != 0 {
			m.State, m.ClosedAt, m.UpdatedAt = "closed", day(closed), day(closed)
		}
		s.AddMilestone("acme/web", m)
		for i, d := range done {
			is := fakegh.Issue{Title: fmt.Sprintf("%s task %d", title, i+1), Milestone: n, CreatedAt: day(created + 1)}
			if d != 0 {
				is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(d)
			}
			s.AddIssue("acme/web", is)
		}
	}
	milestone(1, "v1.0", -240, -200, -199, -230, -225, -220, -210) // on time
	milestone(2, "v1.1", -190, -150, -149, -180, -175, -170, 0)    // one issue never done
	milestone(3, "v1.2", -100, -60, -55, -90, -80, -70, -56)       // the last one late
	open := []int{-30, -25, -20, -15, -10, -5}
	for range 24 {
		open = append(open, 0)
	}
	milestone(4, "v2.0", -40, 10, 0, open...)

	dir := t.TempDir()
	cfg := acmeConfig(t, dir, "forewarn.yaml", s.URL, "state.db", "as_of: 2026-11-20T09:00:00Z\n")
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }
	code, out, stderr := forewarnEnv(t, env, "plan", "--config", cfg, "--now", at.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	rep := report(t, out)
	judged := map[string]tracker.MilestoneReport{}
	for _, m := range rep.Milestones {
		judged[m.Milestone.Title] = m
	}
	if len(judged) != 2 || judged["v2.0"].Milestone.Key == "" || judged["v1.2"].Milestone.Key == "" {
		t.Fatalf("judged %v, want v1.2 and v2.0 only (v1.0 and v1.1 are read for the record)", slices.Collect(keys(judged)))
	}
	want := model.TeamRecord{Basis: "the 3 closed milestones of acme/web in the last 12 months (closed 5 May – 26 Sep 2026)",
		Milestones: 3, OnTime: 1}
	r := judged["v2.0"].Milestone.Record
	if r == nil || r.Basis != want.Basis || r.Milestones != want.Milestones || r.OnTime != want.OnTime {
		t.Fatalf("v2.0's record %+v, want %+v", r, want)
	}
	// Hand-checked: v1.0 4/4, v1.1 3/4, v1.2 3/4 by the due date. v1.1
	// closed with an issue open: its finish is its close, a day late.
	if r.DeliveredRatio != 0.833 || len(r.Slips) != 3 || r.Slips[0] >= 0 || r.Slips[1] <= 0 || r.Slips[2] <= r.Slips[1] {
		t.Errorf("delivered ratio %v (want 0.833), slips %v (want v1.0's early, v1.1's a day late, v1.2's four days)", r.DeliveredRatio, r.Slips)
	}
	if !strings.Contains(out, `"record": {`) || !strings.Contains(out, `"basis": "the 3 closed milestones of acme/web`) {
		t.Errorf("--json does not show the record on the milestone:\n%.2000s", out)
	}
	// The filing habit, from the issues' creation times: each milestone's
	// issues were filed the day after it was created, so none was in it at
	// the start of its life and all of them from a tenth of it on. v2.0,
	// created 11 October and due 30 November (51 days to the end of its
	// due day), is 40.4 days into its life at 20 November 09:00: 79 %.
	if want := []float64{0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}; !slices.Equal(r.ScopeProfile, want) || r.ProfileMilestones != 3 {
		t.Errorf("filing habit %v from %d milestones, want %v from 3", r.ScopeProfile, r.ProfileMilestones, want)
	}
	if !slices.ContainsFunc(judged["v2.0"].Forecast.Explanation.Assumptions, func(a string) bool {
		return strings.HasPrefix(a, "scope growth from the team's filing habit: its 3 recorded milestones held a median 100 % of their final scope at 79 % of their life, so 0 more items are expected (30 items now)")
	}) {
		t.Errorf("v2.0's explanation does not name the filing habit:\n%s", strings.Join(judged["v2.0"].Forecast.Explanation.Assumptions, "\n"))
	}
	for _, a := range rep.Actions {
		if a.MilestoneKey != judged["v2.0"].Milestone.Key {
			t.Errorf("action for %s (%s): only v2.0 is at risk; history is never judged", a.MilestoneKey, a.Purpose)
		}
	}
	// Requests: 1 milestone list + an issue page for each of v1.2 and v2.0
	// (3 before the record), and one each for v1.0 and v1.1.
	if got := s.Counted(); got != 5 {
		t.Errorf("first plan: %d rate-limited requests, want 5:\n%s", got, s.StatsTable())
	}

	code, out, stderr = forewarnEnv(t, env, "plan", "--config", cfg, "--now", at.Format(time.RFC3339))
	if code != 0 || !strings.Contains(out, "RECORD") || !strings.Contains(out, "1/3 on time") {
		t.Errorf("plan table (exit %d) lacks the record column:\n%s%s", code, out, stderr)
	}

	// backtest --config replays the record's closed milestones too.
	code, out, stderr = forewarnEnv(t, env, "backtest", "--config", cfg)
	if code != 0 || !strings.Contains(out, "your last 3 milestone(s) with a known outcome") {
		t.Errorf("backtest --config (exit %d) does not replay v1.0, v1.1 and v1.2:\n%s%s", code, out, stderr)
	}

	code, _, stderr = forewarnEnv(t, env, "run", "--config", cfg, "--now", at.Format(time.RFC3339))
	if code != 0 {
		t.Fatalf("run exit %d\n%s", code, stderr)
	}
	drafts, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.md"))
	found := false
	for _, p := range drafts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Client notice draft") {
			found = true
			if !strings.Contains(string(b), "* Based on the team's last 3 milestones: 1 delivered on time.") {
				t.Errorf("client notice lacks the record line:\n%s", b)
			}
		}
	}
	if !found {
		t.Errorf("no client notice drafted for v2.0 among %v", drafts)
	}
}

func keys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Against the fake Jira: board 7's sprints 21 (on time) and 22 (an issue
// finished two weeks late) closed in June, beyond the 90-day lookback, and
// are read for the record only; sprint 23 closed in October (judged, on
// time). The active sprint 24 carries the record of the three.
func TestTeamRecordAgainstJira(t *testing.T) {
	const email, token = "pm@example.com", "ATATT-team-record"
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	s := fakejira.New(fakejira.Options{Cloud: true, Email: email, APIToken: token, Now: func() time.Time { return at }})
	defer s.Close()
	day := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	sprint := func(id int64, start, end int, active bool, resolved ...int) {
		sp := fakejira.Sprint{ID: id, Board: 7, Name: fmt.Sprintf("Sprint %d", id), State: "closed", Start: day(start), End: day(end), Completed: day(end)}
		if active {
			sp.State, sp.Completed = "active", time.Time{}
		}
		s.AddSprint(sp)
		for i, r := range resolved {
			is := fakejira.Issue{Project: "APP", Summary: fmt.Sprintf("Sprint %d task %d", id, i+1), Sprints: []int64{id}, Created: day(start - 1)}
			if r != 0 {
				is.Category, is.Resolved, is.Updated = "done", day(r), day(r)
			}
			s.AddIssue(is)
		}
	}
	sprint(21, -180, -166, false, -175, -172, -168)
	sprint(22, -166, -152, false, -160, -155, -140)
	sprint(23, -40, -26, false, -35, -30, -28)
	sprint(24, -5, 9, true, -3, -2, 0, 0, 0, 0)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(cfg, []byte(`version: 1
state: {driver: sqlite, path: state.db}
forecast: {trials: 2000}
sources:
  - name: acme-jira
    jira:
      base_url: `+s.URL+`
      deployment: cloud
      auth: {email_env: FW_JIRA_EMAIL, token_env: FW_JIRA_TOKEN}
      boards: [7]
      client: acme
target:
  outbox: {dir: outbox}
clients: [{id: acme, name: Acme Retail}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"FW_JIRA_EMAIL": email, "FW_JIRA_TOKEN": token}[k] }
	code, out, stderr := forewarnEnv(t, env, "plan", "--config", cfg, "--now", at.Format(time.RFC3339), "--json")
	if code != 0 {
		t.Fatalf("plan exit %d\n%s", code, stderr)
	}
	rep := report(t, out)
	host := strings.TrimPrefix(s.URL, "http://")
	var got []string
	var active *model.Milestone
	for i, m := range rep.Milestones {
		got = append(got, m.Milestone.Key)
		if m.Milestone.Key == jirac.SprintKey(host, 24) {
			active = &rep.Milestones[i].Milestone
		}
	}
	slices.Sort(got)
	if want := []string{jirac.SprintKey(host, 23), jirac.SprintKey(host, 24)}; !slices.Equal(got, want) {
		t.Fatalf("judged %v, want sprints 23 and 24 (21 and 22 only for the record)", got)
	}
	r := active.Record
	if r == nil || r.Basis != "the 3 closed sprints of APP in the last 12 months (closed 7 Jun – 25 Oct 2026)" ||
		r.Milestones != 3 || r.OnTime != 2 || r.DeliveredRatio != 0.889 {
		t.Fatalf("sprint 24's record %+v; want 3 sprints, 2 on time, 8/9 delivered, with its basis", r)
	}
	// Every issue was in its sprint from the day before the start: a team
	// that never adds after the start.
	if want := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}; !slices.Equal(r.ScopeProfile, want) || r.ProfileMilestones != 3 {
		t.Errorf("filing habit %v from %d sprints, want %v from 3", r.ScopeProfile, r.ProfileMilestones, want)
	}
	for _, a := range rep.Actions {
		if a.Purpose == model.PurposePostMortem {
			t.Errorf("post-mortem for %s: sprint 22 is history only, and 23 closed more than 14 days ago on time", a.MilestoneKey)
		}
	}
}

// A release date moved on the day of the release is not a delivery on
// time. acme/web's v1.0 was due 11 October when the first run saw it on
// 1 October; its last issues were done on 20 October, and the date was
// moved to 25 October when it closed that day. By the tracker alone v1.0
// was on time; the record of v2.0 judges it by the 11 October forewarn saw
// while the work was under way, and says so. A state without that first
// run (a fresh one) has only the tracker's date to go by; so has
// backtest --config, which replays v1.0.
func TestRecordJudgesAMovedDueDateByTheOneSeenBefore(t *testing.T) {
	const token = "ghp_moved00000000000000000000000000000"
	s := fakegh.New(token)
	defer s.Close()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, time.UTC) }
	dueOn := func(m time.Month, d int) time.Time { return ghDueOn(2026, m, d) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "v1.0", Description: "start: 2026-09-03", DueOn: dueOn(10, 11), CreatedAt: day(9, 1), UpdatedAt: day(9, 1)})
	var late []int
	for i, done := range []int{10, 15, 0, 0} {
		is := fakegh.Issue{Title: fmt.Sprintf("v1.0 task %d", i+1), Milestone: 1, CreatedAt: day(9, 2), UpdatedAt: day(9, 2)}
		if done != 0 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(9, done), day(9, done)
		}
		if n := s.AddIssue("acme/web", is).Number; done == 0 {
			late = append(late, n)
		}
	}
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "v2.0", DueOn: dueOn(12, 18), CreatedAt: day(10, 26), UpdatedAt: day(10, 26)})
	for i := range 8 {
		is := fakegh.Issue{Title: fmt.Sprintf("v2.0 task %d", i+1), Milestone: 2, CreatedAt: day(10, 27), UpdatedAt: day(10, 27)}
		if i < 3 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(11, 3+5*i), day(11, 3+5*i)
		}
		s.AddIssue("acme/web", is)
	}

	dir := t.TempDir()
	watched := acmeConfig(t, dir, "watched.yaml", s.URL, "watched.db", "")
	fresh := acmeConfig(t, dir, "fresh.yaml", s.URL, "fresh.db", "")
	env := func(k string) string { return map[string]string{"GITHUB_TOKEN": token}[k] }
	if code, _, stderr := forewarnEnv(t, env, "run", "--config", watched, "--now", day(10, 1).Format(time.RFC3339)); code != 0 {
		t.Fatalf("first run exit %d\n%s", code, stderr)
	}

	// The last issues are done on 20 October; on 25 October the release
	// date is moved to that day and the milestone closed.
	for _, n := range late {
		s.Edit("acme/web", n, func(is *fakegh.Issue) {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(10, 20)
		})
	}
	s.EditMilestone("acme/web", 1, func(m *fakegh.Milestone) {
		m.DueOn, m.State, m.ClosedAt = dueOn(10, 25), "closed", day(10, 25)
	})

	record := func(cfg string) *model.TeamRecord {
		t.Helper()
		code, out, stderr := forewarnEnv(t, env, "plan", "--config", cfg, "--now", day(11, 20).Format(time.RFC3339), "--json")
		if code != 0 {
			t.Fatalf("plan exit %d\n%s", code, stderr)
		}
		for _, m := range report(t, out).Milestones {
			if m.Milestone.Title == "v2.0" {
				return m.Milestone.Record
			}
		}
		t.Fatalf("v2.0 not judged:\n%.3000s", out)
		return nil
	}
	r := record(watched)
	if r == nil || r.Milestones != 1 || r.OnTime != 0 || r.MovedDue != 1 || len(r.Slips) != 1 || r.Slips[0] <= 0 ||
		!strings.Contains(r.Basis, "1 judged by the due date it had when work started, moved later in the tracker since") {
		t.Errorf("v2.0's record with v1.0's first date seen: %+v; want v1.0 late against 11 October, and the basis saying so", r)
	}
	r = record(fresh)
	if r == nil || r.Milestones != 1 || r.OnTime != 1 || r.MovedDue != 0 || strings.Contains(r.Basis, "judged by") {
		t.Errorf("v2.0's record from a fresh state: %+v; want v1.0 on time by the tracker's date", r)
	}
	// backtest --config replays v1.0 by the date it had while the work
	// went on: missed, where the tracker alone says on time.
	for cfg, want := range map[string]string{watched: "1 milestones (1 missed), 3 checkpoints.", fresh: "1 milestones (0 missed), 3 checkpoints."} {
		if code, out, errs := forewarnEnv(t, env, "backtest", "--config", cfg); code != 0 || !strings.Contains(out, want) {
			t.Errorf("backtest --config %s (exit %d): want %q\n%s%s", filepath.Base(cfg), code, want, out, errs)
		}
	}

	// v2.0's own date moves from 18 December to 8 January, with no date
	// agreed with the client on record: its weekly update tells the
	// reviewer the client may still expect 18 December.
	s.EditMilestone("acme/web", 2, func(m *fakegh.Milestone) { m.DueOn = ghDueOn(2027, 1, 8) })
	if code, _, stderr := forewarnEnv(t, env, "run", "--config", watched, "--now", day(11, 20).Format(time.RFC3339)); code != 0 {
		t.Fatalf("run exit %d\n%s", code, stderr)
	}
	drafts, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.md"))
	var update string
	for _, p := range drafts {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), "Progress update draft: acme/web v2.0") {
			update = string(b)
		}
	}
	if !strings.Contains(update, "The due date in the tracker was Friday 18 December 2026 when work started and is Friday 8 January 2027 now, and no date agreed with the client is on record.") {
		t.Errorf("v2.0's progress update does not tell the reviewer its date moved:\n%s", update)
	}
}
