package scale

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

var testNow = time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(Small, 7, testNow), Generate(Small, 7, testNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same size, seed and time gave different scenarios")
	}
	if c := Generate(Small, 8, testNow); reflect.DeepEqual(a.Jira.Issues, c.Jira.Issues) {
		t.Fatal("another seed gave the same Jira issues")
	}
}

func TestLargeIsLargeEnough(t *testing.T) {
	c := Generate(Large, 1, testNow).Counts()
	if c.Milestones() < 200 || c.Items() < 20000 {
		t.Fatalf("large scenario: %d milestones, %d items; the report promises at least 200 and 20,000", c.Milestones(), c.Items())
	}
	t.Logf("large scenario: %+v (%d milestones, %d items)", c, c.Milestones(), c.Items())
}

// TestScenarioShape runs the whole app (app.Load + Run) on the small
// scenario: what the fakes hold matches the generator, the sources read
// exactly the minimum pages, rules fire for the profiles meant to fire,
// one ticket per (milestone, purpose), and an unchanged second run
// creates nothing and costs GitHub no rate-limited request.
func TestScenarioShape(t *testing.T) {
	sc := Generate(Small, 1, testNow)
	c := sc.Counts()
	want := Counts{GHMilestones: Small.Repos*Small.MilestonesPerRepo + Small.Filed, GHEvents: Small.Repos * Small.MilestonesPerRepo,
		JiraVersions: Small.Projects * Small.VersionsPerProject, JiraSprints: Small.Boards * Small.SprintsPerBoard,
		JiraChangelogs: Small.Projects*Small.VersionsPerProject + Small.Boards*Small.SprintsPerBoard + carried(sc)}
	want.GHIssues, want.JiraIssues = c.GHIssues, c.JiraIssues
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}

	f := newFakes(sc)
	defer f.Close()
	held := 0
	for _, r := range sc.GitHub {
		held += len(f.gh.Issues(r.Name))
	}
	if held != c.GHIssues {
		t.Fatalf("fake GitHub holds %d issues, generated %d", held, c.GHIssues)
	}
	held = 0
	for _, p := range append(sc.Jira.Projects, sc.Jira.SprintProject) {
		held += len(f.jr.Issues(p))
	}
	if held != c.JiraIssues {
		t.Fatalf("fake Jira holds %d issues, generated %d", held, c.JiraIssues)
	}

	dir := t.TempDir()
	cfg := writeConfig(t, dir, sc, f, writeRules(t, dir))
	ctx := context.Background()
	rep, err := run(ctx, cfg, sc.Now, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) > 0 {
		t.Fatalf("failures: %+v", rep.Failed)
	}
	if len(rep.Milestones) != c.Milestones() {
		t.Fatalf("%d milestones judged, generated %d", len(rep.Milestones), c.Milestones())
	}
	first := f.measure()
	min := sc.ReadMinimum()
	t.Logf("first run: %s; read minimum github %d, jira %d", first, min.GitHub, min.Jira)
	if first.ghReads != min.GitHub || first.jiraReads != min.Jira {
		t.Errorf("source reads github %d, jira %d; minimum %d, %d", first.ghReads, first.jiraReads, min.GitHub, min.Jira)
	}

	byPurpose := checkTickets(t, f, rep)
	t.Logf("tickets: %v", byPurpose)
	for _, p := range []model.Purpose{model.PurposeClientNotice, model.PurposePostMortem, model.PurposeProgressUpdate} {
		if byPurpose[p] == 0 {
			t.Errorf("no %s ticket: the at-risk, missed and healthy profiles should each make one fire", p)
		}
	}
	// Each at-risk or missed milestone is judged so, and no healthy one
	// gets a client notice.
	fired := map[string]map[model.Purpose]bool{}
	for _, a := range rep.Actions {
		if fired[a.MilestoneKey] == nil {
			fired[a.MilestoneKey] = map[model.Purpose]bool{}
		}
		fired[a.MilestoneKey][a.Purpose] = true
	}
	for i, r := range sc.GitHub[:Small.Repos] { // the filed-over-time repository follows
		for j, m := range r.Milestones {
			key := "github:" + r.Name + "#" + itoa(m.Number)
			p := profile(i*Small.MilestonesPerRepo + j)
			switch p {
			case AtRisk:
				if !fired[key][model.PurposeClientNotice] {
					t.Errorf("%s (at risk): no client notice", key)
				}
			case Missed:
				if !fired[key][model.PurposePostMortem] {
					t.Errorf("%s (missed): no post-mortem", key)
				}
			case Healthy:
				if fired[key][model.PurposeClientNotice] || fired[key][model.PurposePostMortem] {
					t.Errorf("%s (healthy): %v", key, fired[key])
				}
			}
		}
	}

	checkFiled(t, sc, f, rep)

	// An unchanged re-poll an hour later on the same state.
	f.ResetLog()
	tickets := len(f.tickets())
	rep, err = run(ctx, cfg, sc.Now.Add(time.Hour), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Count(tracker.ActionCreate); n != 0 || len(f.tickets()) != tickets {
		t.Fatalf("second run created %d; tickets %d, were %d", n, len(f.tickets()), tickets)
	}
	again := f.measure()
	t.Logf("re-poll: %s", again)
	checkOwnAndMissed(t, sc, f, rep)
	checkUpToDate(t, rep)
	if again.ghCounted != 0 {
		t.Errorf("re-poll: %d GitHub requests counted against the rate limit, want 0 (all conditional)\n%s", again.ghCounted, f.gh.StatsTable())
	}
	if again.jiraWrites != 0 {
		t.Errorf("re-poll wrote %d times to Jira\n%s", again.jiraWrites, f.jr.StatsTable())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// checkUpToDate asserts a re-poll found every ticket as it left it.
func checkUpToDate(tb testing.TB, rep tracker.Report) {
	tb.Helper()
	reasons := map[string]int{}
	for _, a := range rep.Actions {
		reasons[string(a.Kind)+": "+a.Reason]++
		if a.Kind != tracker.ActionNone || a.Reason != "up to date" || a.Err != "" {
			tb.Errorf("re-poll: %s %s %s: %s %s", a.Kind, a.Purpose, a.MilestoneKey, a.Reason, a.Err)
		}
	}
	tb.Logf("re-poll actions: %v", reasons)
}

// TestLargeScenarioOwnTicketsAndMissedSprints runs the large scenario (the
// benchmarks' 220 milestones, 20,000 items) twice: the review project is
// also a source project, and some closed sprints missed (issue 14).
func TestLargeScenarioOwnTicketsAndMissedSprints(t *testing.T) {
	sc := largeScenario()
	f := newFakes(sc)
	defer f.Close()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, sc, f, writeRules(t, dir))
	ctx := context.Background()
	rep, err := run(ctx, cfg, sc.Now, tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) > 0 {
		t.Fatalf("failures: %+v", rep.Failed)
	}
	t.Logf("first run: %d tickets %v", len(f.tickets()), checkTickets(t, f, rep))
	checkFiled(t, sc, f, rep)
	rep, err = run(ctx, cfg, sc.Now.Add(time.Hour), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	checkOwnAndMissed(t, sc, f, rep)
	checkUpToDate(t, rep)
}

// carried counts the issues Jira carried over from a closed sprint to the
// next: their changelog is read to date when they joined it.
func carried(sc *Scenario) int {
	n := 0
	for _, is := range sc.Jira.Issues {
		if len(is.Sprints) > 1 {
			n++
		}
	}
	return n
}

// checkFiled is issue 13 on the scenario's milestones whose issues are
// filed one a day over their life: no ticket proposes a date beyond the
// forecast horizon (730 days), no milestone on track is warned (no client
// notice, no post-mortem; P85 on or before its due date, or nothing open
// right now) and
// each one falling behind gets a client notice. It logs each one's forecast.
func checkFiled(tb testing.TB, sc *Scenario, f *fakes, rep tracker.Report) {
	tb.Helper()
	horizon := sc.Now.AddDate(0, 0, 730)
	for _, is := range f.tickets() {
		for _, d := range ticketDates(is.Summary + "\n" + is.Description) {
			if d.After(horizon) {
				tb.Errorf("%s proposes %s, beyond the horizon %s", is.Key, d.Format(time.DateOnly), horizon.Format(time.DateOnly))
			}
		}
	}
	fired := map[string]map[model.Purpose]bool{}
	for _, a := range rep.Actions {
		if fired[a.MilestoneKey] == nil {
			fired[a.MilestoneKey] = map[model.Purpose]bool{}
		}
		fired[a.MilestoneKey][a.Purpose] = true
	}
	judged := map[string]tracker.MilestoneReport{}
	for _, m := range rep.Milestones {
		judged[m.Milestone.Key] = m
	}
	for key, p := range sc.Filed {
		m, ok := judged[key]
		if !ok {
			tb.Errorf("%s (%s): not judged", key, p)
			continue
		}
		fc := m.Forecast
		tb.Logf("%s (%s): %d of %d done, due %s: %s P85 %s P(on time) %.2f", key, p, fc.DoneItems, fc.ScopeItems,
			m.Milestone.Due.Format(time.DateOnly), fc.Status, fc.P85.Format(time.DateOnly), fc.ProbOnTime)
		switch p {
		case FiledOnTrack:
			if fired[key][model.PurposeClientNotice] || fired[key][model.PurposePostMortem] {
				tb.Errorf("%s (on track): warned %v", key, fired[key])
			}
			if fc.Status != model.ForecastDone && (fc.Status != model.ForecastOK || fc.P85.After(m.Milestone.Due)) {
				tb.Errorf("%s (on track): %s, P85 %s after the due date %s", key, fc.Status, fc.P85.Format(time.DateOnly), m.Milestone.Due.Format(time.DateOnly))
			}
		case FiledBehind:
			if !fired[key][model.PurposeClientNotice] {
				tb.Errorf("%s (behind): no client notice", key)
			}
		}
	}
}

var (
	longDate = regexp.MustCompile(`\b(\d{1,2}) ([A-Za-z]{3,9})\.? (\d{4})\b`)
	isoDate  = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)
	months   = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	monthsNL = map[string]string{"maa": "mar", "mei": "may", "okt": "oct"}
)

// ticketDates are the dates a ticket's text names, in English ("2 Jan
// 2026", "2 January 2026"), Dutch ("2 januari 2026", "2 jan. 2026") or ISO
// form.
func ticketDates(text string) []time.Time {
	var out []time.Time
	for _, m := range longDate.FindAllStringSubmatch(text, -1) {
		mon := strings.ToLower(m[2][:3])
		if nl, ok := monthsNL[mon]; ok {
			mon = nl
		}
		k := slices.Index(months, mon)
		if k < 0 {
			continue
		}
		d, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[3])
		out = append(out, time.Date(y, time.Month(k+1), d, 0, 0, 0, 0, time.UTC))
	}
	for _, m := range isoDate.FindAllString(text, -1) {
		if d, err := time.Parse(time.DateOnly, m); err == nil {
			out = append(out, d)
		}
	}
	return out
}
