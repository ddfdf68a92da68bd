package backtest_test

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/backtest"
	"github.com/forewarn/forewarn/internal/forecast"
)

// section is the text of one results section ("### teams", "#### teams:
// optimistic teams") up to the next heading of any level.
func section(t *testing.T, out, title string) string {
	t.Helper()
	i := strings.Index(out, title+"\n")
	if i < 0 {
		t.Fatalf("no section %q in:\n%s", title, out)
	}
	s := out[i+len(title)+1:]
	if j := regexp.MustCompile(`(?m)^#`).FindStringIndex(s); j != nil {
		s = s[:j[0]]
	}
	return s
}

// p85Counts are the checkpoints that finished on or before their P85 and
// all judged checkpoints in a section (its P85 calibration row, all).
func p85Counts(t *testing.T, sec string) (held, n int) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\| P85 calibration: every .* \d+ % \((\d+)/(\d+)\) \|$`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("no P85 calibration row in:\n%s", sec)
	}
	held, _ = strconv.Atoi(m[1])
	n, _ = strconv.Atoi(m[2])
	return held, n
}

// brierAUC are the calibrated P(on time)'s Brier score and ROC AUC in a section.
func brierAUC(t *testing.T, sec string) (brier, auc float64) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\| forewarn: calibrated P\(on time\) < 50 % \| ([0-9.]+) \| [-+0-9.]+ \| ([0-9.]+) \|`).FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("no proper scores in:\n%s", sec)
	}
	brier, _ = strconv.ParseFloat(m[1], 64)
	auc, _ = strconv.ParseFloat(m[2], 64)
	return brier, auc
}

// On generated teams that plan the same way every time, the team's record
// must show: for teams whose real pace is a steady fraction of their
// plan's, the dates stretched by the record's median slip hold P85 closer
// to 85 % than the simulation alone; for accurate teams the record must
// not make the dates worse; and P(on time) must not get worse with it.
func TestTeamRecordOnGeneratedTeams(t *testing.T) {
	// The P85 calibrations are pooled over three generator seeds: one
	// seed's figure for 100 milestones has a standard error of about 3
	// points (backtest -gen-seeds), more than the differences asserted.
	var out string
	held := map[string][2]int{}
	for _, seed := range []string{"1", "2", "3"} {
		o, stderr, code := runMain(t, "-input", "teams", "-n", "200", "-trials", "2000", "-gen-seed", seed)
		if code != 0 {
			t.Fatalf("seed %s: exit %d: %s", seed, code, stderr)
		}
		if !strings.Contains(o, "### teams\n\n") || !strings.Contains(o, "### "+backtest.TeamsWithheld+"\n\n") {
			t.Fatalf("want the teams input with and without the record:\n%s", o)
		}
		for _, sec := range []string{"#### teams: optimistic teams", "#### " + backtest.TeamsWithheld + ": optimistic teams",
			"#### teams: accurate teams", "#### " + backtest.TeamsWithheld + ": accurate teams"} {
			k, n := p85Counts(t, section(t, o, sec))
			held[sec] = [2]int{held[sec][0] + k, held[sec][1] + n}
		}
		if seed == "1" {
			out = o
		}
	}
	pooled := func(sec string) int { return int(math.Round(100 * float64(held[sec][0]) / float64(held[sec][1]))) }
	with := pooled("#### teams: optimistic teams")
	without := pooled("#### " + backtest.TeamsWithheld + ": optimistic teams")
	if math.Abs(float64(with-85)) >= math.Abs(float64(without-85)) {
		t.Errorf("optimistic teams: P85 calibration %d %% with the record, %d %% without: want the record's closer to 85 %%", with, without)
	}
	if with < 80 || with > 90 {
		t.Errorf("optimistic teams: P85 calibration with the record %d %%, want 80-90 %%", with)
	}
	accWith := pooled("#### teams: accurate teams")
	accWithout := pooled("#### " + backtest.TeamsWithheld + ": accurate teams")
	if math.Abs(float64(accWith-85)) > math.Abs(float64(accWithout-85))+2 {
		t.Errorf("accurate teams: P85 calibration %d %% with the record, %d %% without: the record made the dates worse", accWith, accWithout)
	}
	b, a := brierAUC(t, section(t, out, "### teams"))
	bw, aw := brierAUC(t, section(t, out, "### "+backtest.TeamsWithheld))
	if b > bw+0.005 || a < aw-0.005 {
		t.Errorf("calibrated P(on time): Brier %.3f AUC %.3f with the record, %.3f / %.3f without: the record made it worse", b, a, bw, aw)
	}
}

// No look-ahead: each checkpoint's record is read only from the team's
// milestones closed by then. Replaying every case with its peers cut to
// those closed before its start gives the very same predictions; and the
// record grows with the team's closed milestones (the last one has a
// record, the first none).
func TestTeamsRecordHasNoLookAhead(t *testing.T) {
	cases := backtest.GenerateTeams(backtest.GenParams{Milestones: 30, Seed: 3})
	if len(cases) != 30 {
		t.Fatalf("%d cases, want 30 (3 teams of %d)", len(cases), backtest.MilestonesPerTeam)
	}
	cut := make([]backtest.Case, len(cases))
	for i, c := range cases {
		cut[i] = c
		cut[i].Peers = nil
		for _, p := range c.Peers {
			if p.ClosedAt.Before(c.Start) {
				cut[i].Peers = append(cut[i].Peers, p)
			}
		}
		if len(cut[i].Peers) != i%backtest.MilestonesPerTeam {
			t.Fatalf("%s: %d of its team's milestones closed before its start, want %d (the earlier ones)",
				c.Key, len(cut[i].Peers), i%backtest.MilestonesPerTeam)
		}
	}
	cfg := backtest.Config{Forecast: forecast.Options{Trials: 300}, Workers: 2}
	run := func(cs []backtest.Case) string {
		var b bytes.Buffer
		cfg.Predictions = backtest.NewCSV(&b)
		if _, err := backtest.Run(context.Background(), "teams", cs, cfg); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	all, earlier := run(cases), run(cut)
	if all != earlier {
		t.Errorf("predictions differ when the team's later milestones are left out: the record looked ahead")
	}
	// The record is there and moves the forecast: without any peers the
	// predictions differ.
	none := make([]backtest.Case, len(cases))
	for i, c := range cases {
		none[i] = c
		none[i].Peers = nil
	}
	if run(none) == all {
		t.Errorf("predictions are the same without the team's record: it was not used")
	}
	last := cases[backtest.MilestonesPerTeam-1]
	r := forecast.TeamRecordOf(last.Peers, *last.History, last.Due, forecast.Options{})
	if r == nil || r.Milestones == 0 || r.Milestones > backtest.MilestonesPerTeam-1 {
		t.Errorf("%s: record %+v, want some of the team's %d earlier milestones", last.Key, r, backtest.MilestonesPerTeam-1)
	}
	if first := cases[0]; forecast.TeamRecordOf(first.Peers, *first.History, first.Due, forecast.Options{}) != nil {
		t.Errorf("%s: the team's first milestone has a record", first.Key)
	}
}

// The filed shape worked by teams: each milestone's record is its team's
// earlier filed milestones, and their filing habit (issues filed until 85 %
// of the life, then none) replaces the growth projected from the window.
// Measured at 10,000 trials on 200 milestones (docs/benchmarks.md, issue
// 13, "The team's filing habit"): truly on track with P85 by the due date
// 37 → 55 % of checkpoints, P85 calibration after 80 % of the life 97 → 93
// %, overall 85 %.
func TestFiledTeamsFilingHabit(t *testing.T) {
	cases := backtest.GenerateFiledTeams(backtest.GenParams{Milestones: 20})
	if len(cases) != 2*backtest.MilestonesPerTeam {
		t.Fatalf("%d cases, want two teams of %d", len(cases), backtest.MilestonesPerTeam)
	}
	for i, c := range cases {
		if len(c.Peers) != backtest.MilestonesPerTeam || c.Peers[i%backtest.MilestonesPerTeam].Key != c.Key {
			t.Fatalf("case %s: %d peers, want its team's %d with itself in place", c.Key, len(c.Peers), backtest.MilestonesPerTeam)
		}
		if k := i % backtest.MilestonesPerTeam; k > 0 && !c.Peers[k-1].ClosedAt.Before(c.Start) {
			t.Errorf("case %s starts %s, before its team's previous milestone closed (%s)", c.Key, c.Start, c.Peers[k-1].ClosedAt)
		}
		if c.History.StartBasis != "created" || c.History.Container != c.Peers[0].Container {
			t.Errorf("case %s: start basis %q, container %q: want the filed shape of one team", c.Key, c.History.StartBasis, c.History.Container)
		}
	}

	// With OwnFreeze each team stops filing at its own share of the life
	// (60-95 %): the last issue of its milestones joins at that share.
	lastJoin := func(c backtest.Case) float64 {
		var last time.Time
		for _, w := range c.History.Items {
			if j := w.JoinedAt.Time(); j.After(last) {
				last = j
			}
		}
		return last.Sub(c.Start).Hours() / c.Due.Sub(c.Start).Hours()
	}
	own := backtest.GenerateFiledTeams(backtest.GenParams{Milestones: 40, OwnFreeze: true})
	var freezes []float64
	for i := 0; i < len(own); i += backtest.MilestonesPerTeam {
		f := lastJoin(own[i])
		if f < 0.55 || f > 1 {
			t.Errorf("team of %s stopped filing at %.2f of the life, want 0.6-0.95", own[i].Key, f)
		}
		freezes = append(freezes, math.Round(f*20)/20)
	}
	slices.Sort(freezes)
	if len(slices.Compact(freezes)) < 2 {
		t.Errorf("four teams with their own freeze all stopped filing at the same share: %v", freezes)
	}
	if f := lastJoin(cases[0]); math.Abs(f-0.85) > 0.05 {
		t.Errorf("without OwnFreeze %s stopped filing at %.2f of the life, want 0.85", cases[0].Key, f)
	}

	out, stderr, code := runMain(t, "-input", "filed-teams", "-n", "60", "-trials", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	truly := regexp.MustCompile(`(?m)^\| \*\*truly on track\*\* \(the generator's own P85.*\| (\d+) % \((\d+)/(\d+)\) \|$`).FindStringSubmatch(out)
	cal := regexp.MustCompile(`(?m)^\| P85 calibration: every milestone's checkpoints.*\| (\d+) % \(\d+/\d+\) \| (\d+) % \(\d+/\d+\) \|$`).FindStringSubmatch(out)
	if truly == nil || cal == nil {
		t.Fatalf("no on-track table:\n%s", out)
	}
	if p, _ := strconv.Atoi(truly[1]); p < 45 {
		t.Errorf("filed teams: checkpoints truly on track had P85 by the due date at %d %%, want at least 45 %% (the filed input without a record: 30 %%)", p)
	}
	if late, _ := strconv.Atoi(cal[1]); late > 96 {
		t.Errorf("filed teams: P85 held at %d %% of checkpoints after 80 %% of the life, want at most 96 %% (98 %% without the habit: too late)", late)
	}
	if all, _ := strconv.Atoi(cal[2]); all < 80 || all > 90 {
		t.Errorf("filed teams: P85 calibration %d %%, want 80-90 %%", all)
	}
}

// Teams whose late milestones had their due dates moved to the day the
// work ended, when they closed (a release date edited on release day):
// with the dates forewarn saw while the work was under way, the team's
// record reads them as late and every figure is the teams input's; with
// only the moved dates (forewarn started after them), the record takes
// them for on time, and the P85 dates and the chance of making the date
// are worse than with no record at all.
func TestTeamsWithMovedDueDates(t *testing.T) {
	out, stderr, code := runMain(t, "-input", "teams,"+backtest.TeamsMoved, "-n", "200", "-trials", "1000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	truth, seen := section(t, out, "### teams"), section(t, out, "### "+backtest.TeamsMoved)
	unseen, none := section(t, out, "### "+backtest.TeamsMovedUnseen), section(t, out, "### "+backtest.TeamsWithheld)
	th, tn := p85Counts(t, truth)
	sh, sn := p85Counts(t, seen)
	tb, ta := brierAUC(t, truth)
	sb, sa := brierAUC(t, seen)
	if th != sh || tn != sn || tb != sb || ta != sa {
		t.Errorf("dates seen: P85 held %d/%d, Brier %v, AUC %v; want the teams input's %d/%d, %v, %v", sh, sn, sb, sa, th, tn, tb, ta)
	}
	uh, un := p85Counts(t, unseen)
	nh, nn := p85Counts(t, none)
	ub, _ := brierAUC(t, unseen)
	nb, _ := brierAUC(t, none)
	if float64(uh)/float64(un) >= float64(nh)/float64(nn) || ub <= nb {
		t.Errorf("dates not seen: P85 held %d/%d, Brier %v; want worse than with no record (%d/%d, %v)", uh, un, ub, nh, nn, nb)
	}
}
