package backtest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/backtest"
	"github.com/forewarn/forewarn/internal/forecast"
)

func runMain(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := backtest.MainWith(context.Background(), args, &out, &errb, nil)
	return out.String(), errb.String(), code
}

// row finds a method's row and returns its precision and recall in percent.
func row(t *testing.T, out, method string) (precision, recall int) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(method) + ` \| (\d+) % \| (\d+) % \|`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no row for %q in:\n%s", method, out)
	}
	p, _ := strconv.Atoi(m[1])
	r, _ := strconv.Atoi(m[2])
	return p, r
}

func TestGeneratedBacktestThroughMain(t *testing.T) {
	out, stderr, code := runMain(t, "-input", "generated", "-n", "60", "-trials", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "### generated\n\n60 milestones") {
		t.Fatalf("missing summary:\n%s", out)
	}
	// On data whose throughput process matches its assumptions, the
	// product's warning (the calibrated P(on time)) and the simulation
	// alone must warn usefully: better than chance on both counts and
	// better recall than the naive rule.
	p, r := row(t, out, "forewarn: calibrated P(on time) < 50 %")
	if p < 65 || r < 65 {
		t.Errorf("calibrated precision %d %% recall %d %%, want both >= 65 %%\n%s", p, r, out)
	}
	if sp, sr := row(t, out, "Simulation alone: P(on time) < 50 %"); sp < 65 || sr < 65 {
		t.Errorf("simulation precision %d %% recall %d %%, want both >= 65 %%", sp, sr)
	}
	_, nr := row(t, out, "Naive: < 10 days left and > 5 open")
	if nr >= r {
		t.Errorf("naive recall %d %% >= Monte Carlo recall %d %%", nr, r)
	}
	// P85 must mean 85 %: on this data, within a few points of it.
	cal := regexp.MustCompile(`(?m)^\| Monte Carlo: P85 after due \|.*\| (\d+) % \(n=\d+\) \|`).FindStringSubmatch(out)
	if cal == nil {
		t.Fatalf("no P85 calibration in:\n%s", out)
	}
	if c, _ := strconv.Atoi(cal[1]); c < 78 || c > 92 {
		t.Errorf("P85 calibration %d %%, want 78-92 %%", c)
	}
	row(t, out, "Straight line after due")
	row(t, out, "Behind a straight burn-down")
	row(t, out, "Monte Carlo: P85 after due")
}

func TestBacktestIsDeterministic(t *testing.T) {
	a, _, _ := runMain(t, "-n", "15", "-trials", "500")
	b, _, _ := runMain(t, "-n", "15", "-trials", "500")
	if a != b {
		t.Fatalf("two runs differ:\n%s\n%s", a, b)
	}
}

func TestGeneratorOutcomesAreConsistent(t *testing.T) {
	cases := backtest.Generate(backtest.GenParams{Milestones: 40, Seed: 3})
	if !reflect.DeepEqual(cases, backtest.Generate(backtest.GenParams{Milestones: 40, Seed: 3})) {
		t.Fatal("same seed, different histories")
	}
	missed := 0
	for _, c := range cases {
		var last int64
		for _, w := range c.History.Items {
			if w.Closed.IsZero() {
				t.Fatalf("%s: item %s never closed but the case says it finished", c.Key, w.Key)
			}
			if w.Closed.Compare(w.JoinedAt) < 0 || w.Started.Compare(w.Closed) > 0 {
				t.Fatalf("%s: item %s closes before it joins or starts", c.Key, w.Key)
			}
			last = max(last, w.Closed.Time().Unix())
		}
		if got := c.Finished.Unix() / 86400; got != last/86400 {
			t.Fatalf("%s: finished day %d, last close day %d", c.Key, got, last/86400)
		}
		if c.Missed != c.Finished.After(c.Due) {
			t.Fatalf("%s: missed %v but finished %s due %s", c.Key, c.Missed, c.Finished, c.Due)
		}
		if c.Missed {
			missed++
		}
	}
	if missed < 8 || missed > 32 {
		t.Errorf("%d of 40 missed: the generator should give a mix", missed)
	}
}

func TestDemoBacktest(t *testing.T) {
	out, stderr, code := runMain(t, "-input", "demo", "-trials", "1000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`### demo\n\n[1-9]\d* milestones`).MatchString(out) {
		t.Fatalf("no demo milestone with a known outcome:\n%s", out)
	}
}

func TestSprintBacktest(t *testing.T) {
	dir := sharedDatasets(t)
	out, stderr, code := runMain(t, "-input", "sprints", "-datasets", dir, "-trials", "1000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`### sprints\n\n(\d+) milestones`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no sprint summary:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 1000 {
		t.Errorf("%d sprints judged, want over 1000", n)
	}
	// The dataset's README: "behind a straight burn-down" scores roughly
	// precision 0.67-0.73 and recall 0.83-0.95; the rebuilt snapshots must
	// land near that for the harness to be trusted.
	p, r := row(t, out, "Behind a straight burn-down")
	if p < 60 || p > 85 || r < 75 {
		t.Errorf("baseline precision %d %% recall %d %%, far from the published baseline", p, r)
	}
}

func sharedDatasets(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
	ds := filepath.Join(dir, "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(ds, "tse2017-sprints", "iterations_long.csv")); err != nil {
		if os.Getenv("CI") != "" { // CI always has ../shared beside the clone
			t.Fatalf("shared datasets not available: %v", err)
		}
		t.Skipf("shared datasets not available: %v", err)
	}
	return ds
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-input", "nope"}, `unknown input "nope"`},
		{[]string{"-trials", "-5"}, "trials: must be between 1 and 1000000"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-input", "sprints", "-datasets", "/nonexistent"}, "-datasets: opening the sprint dataset"},
		{[]string{"-input", "sprints", "-sprint-files", "/nonexistent/apache_iteration_30.csv"}, "-sprint-files: opening the sprint dataset"},
		{[]string{"-input", "generated", "-at", "30"}, "-at applies only to -input sprints"},
		{[]string{"-input", "sprints", "-n", "10"}, "-n applies only to -input generated or filed"},
		{[]string{"-input", "generated", "-export", "x.yaml"}, "-export applies only to -input demo"},
		{[]string{"-input", "sprints", "-datasets", "d", "-sprint-files", "f.csv"}, "-datasets and -sprint-files are alternatives"},
		{[]string{"-input", "sprints", "-at", "100"}, "-at: \"100\" is not a share of the planned time"},
		{[]string{"-fit-calibration", "-at", "30"}, "-at does not apply with -fit-calibration"},
		{[]string{"-fit-calibration", "-input", "generated"}, "-input does not apply with -fit-calibration"},
		{[]string{"-fit-calibration", "-features", "f.csv"}, "-features does not apply with -fit-calibration"},
		{[]string{"-input", "teams", "-gen-seeds", "1-2", "-features", "f.csv"}, "-features does not apply with -gen-seeds"},
		{[]string{"-input", "generated", "-n", "2", "-features", "/nonexistent/f.csv"}, "-features: open /nonexistent/f.csv"},
	}
	for _, tc := range tests {
		_, stderr, code := runMain(t, tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want failure mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
}

// The sprint backtest at 30 % gives the proper scores per project and
// pooled, says which rows it skipped and why, and writes one predictions
// row per checkpoint and method that rescores to the table's AUC.
func TestSprintScoresPerProjectAndPredictions(t *testing.T) {
	dir := sharedDatasets(t)
	pred, feat := filepath.Join(t.TempDir(), "pred.csv"), filepath.Join(t.TempDir(), "features.csv")
	out, stderr, code := runMain(t, "-input", "sprints", "-datasets", dir, "-trials", "500", "-at", "30", "-predictions", pred, "-features", feat)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"#### sprints: apache", "#### sprints: jboss", "#### sprints: jira",
		"| Method | Brier | Brier skill vs base rate | ROC AUC of the warning score | Precision at recall 0.8 | Scored |",
		"Rows skipped:", "planned length outside 2–366 days", "sprint without items", "not at -at 30 %",
		"Reliability of P(on time) (forewarn: calibrated P(on time) < 50 %)",
		"| Calibration refitted on the other projects and generated histories (unseen) |"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	data, err := os.ReadFile(pred)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != "input,project,milestone,checkpoint,share,method,prob_on_time,score,warned,missed" {
		t.Fatalf("header %q", lines[0])
	}
	m := regexp.MustCompile(`### sprints\n\n\d+ milestones \(\d+ missed\), (\d+) checkpoints`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary:\n%s", out)
	}
	cps, _ := strconv.Atoi(m[1])
	if got, want := len(lines)-1, cps*10; got != want {
		t.Errorf("%d prediction rows, want %d (10 methods × %d checkpoints)", got, want, cps)
	}
	// Rescore the pooled AUC of the product's probability from the file:
	// every checkpoint has one (the calibration scores sprints the
	// simulation cannot).
	var pos, neg []float64
	prob := map[string]float64{} // the product's P(on time) by milestone
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if f[0] != "sprints" {
			t.Fatalf("a row of input %q: %s", f[0], l)
		}
		if f[5] != backtest.DefaultMethod || f[4] != "30 %" {
			continue
		}
		if f[7] == "" {
			t.Fatalf("a checkpoint without the product's score: %s", l)
		}
		s, _ := strconv.ParseFloat(f[7], 64)
		prob[f[2]], _ = strconv.ParseFloat(f[6], 64)
		if f[9] == "1" {
			pos = append(pos, s)
		} else {
			neg = append(neg, s)
		}
	}
	var wins float64
	for _, a := range pos {
		for _, b := range neg {
			switch {
			case a > b:
				wins++
			case a == b:
				wins += 0.5
			}
		}
	}
	rescored := fmt.Sprintf("%.3f", wins/float64(len(pos)*len(neg)))
	// The team's capacity in the record (its pace against the work left,
	// over-commitment) lifted the pooled figures at 30 % from AUC 0.741,
	// skill +0.149 (shipped) and +0.120 (unseen) to 0.766, +0.185 and
	// +0.160; the rebuilt sprints showing the published committed, added
	// and removed counts (TestSprintRebuildShowsThePublishedCounts) to
	// 0.770, +0.189 and +0.163; the refit after the converging growth
	// became the same items in every resampled history (ab976b5) to 0.774,
	// +0.194 and +0.168; the record's latest milestones weighing most to
	// 0.780, +0.201 and +0.179. Below these floors it has been lost.
	if auc, _ := strconv.ParseFloat(rescored, 64); auc < 0.778 {
		t.Errorf("pooled AUC of the product's score %.3f, want at least 0.778", auc)
	}
	for method, floor := range map[string]float64{backtest.DefaultMethod: 0.199, backtest.RefitUnseen: 0.177} {
		mm := regexp.MustCompile(`\| ` + regexp.QuoteMeta(method) + ` \| [0-9.]+ \| ([-+0-9.]+) \|`).FindStringSubmatch(out)
		if mm == nil {
			t.Errorf("no Brier skill for %q", method)
			continue
		}
		if skill, _ := strconv.ParseFloat(mm[1], 64); skill < floor {
			t.Errorf("%s: pooled Brier skill %+.3f, want at least %+.3f", method, skill, floor)
		}
	}
	if !regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(backtest.DefaultMethod) + ` \| [0-9.]+ \| [-+0-9.]+ \| ` + regexp.QuoteMeta(rescored) + ` \| [0-9]+ % \| ` + m[1] + ` \|`).MatchString(out) {
		t.Errorf("the predictions file rescores to AUC %s, not in the pooled table:\n%s", rescored, out[:min(len(out), 3000)])
	}

	// The features file: a row per checkpoint, whose features give the
	// product's P(on time) under the shipped weights.
	rows := readCSV(t, feat)
	if want := append([]string{"input", "project", "milestone", "checkpoint", "share", "missed"}, forecast.CalibrationFeatureNames[:]...); !slices.Equal(rows[0], want) {
		t.Fatalf("features header %q, want %q", rows[0], want)
	}
	if len(rows)-1 != cps {
		t.Errorf("%d feature rows, want one per checkpoint (%d)", len(rows)-1, cps)
	}
	for _, r := range rows[1:] {
		x := make([]float64, forecast.NumCalibrationFeatures)
		for i := range x {
			if x[i], err = strconv.ParseFloat(r[6+i], 64); err != nil {
				t.Fatalf("feature %d of %s: %v", i, r[2], err)
			}
		}
		p, ok := prob[r[2]]
		if got := forecast.CalibratedProb(x, nil); !ok || math.Abs(got-p) > 5e-5 {
			t.Fatalf("%s: the features give P(on time) %.5f, the predictions %v (%v)", r[2], got, p, ok)
		}
	}
}

// Generated histories with issues filed one a day over each milestone's
// life (the GitHub shape): no forecast runs into the horizon for a
// milestone that finished on time, and P85 holds about 85 % of the time.
// Milestones that finished on time have P85 on or before the due date at
// 27 % of their checkpoints here (22 % before growth was counted over the
// same days as the items done and tapered towards the due date; 11 %
// before the days on which the team ran out of work were filled in), and
// the checkpoints the generator itself finds on track (ontrack.go) at 35 %
// (22 % before).
func TestFiledOverTimeBacktest(t *testing.T) {
	out, stderr, code := runMain(t, "-input", "filed", "-n", "60", "-trials", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`Forecasts with no date \(diverging\): (\d+) of \d+ checkpoints, (\d+) of them of milestones that finished on time. Milestones that finished on time had P85 on or before the due date at (\d+) %`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no diverging line:\n%s", out)
	}
	if m[2] != "0" {
		t.Errorf("%s diverging forecasts for milestones that finished on time, want 0", m[2])
	}
	if p, _ := strconv.Atoi(m[3]); p < 25 {
		t.Errorf("milestones that finished on time had P85 by the due date at %d %% of checkpoints, want at least 25 %%", p)
	}
	strict := regexp.MustCompile(`(?m)^\| \*\*finished on time \(strict\)\*\* \|.* (\d+) % \((\d+)/(\d+)\) \|$`).FindStringSubmatch(out)
	truly := regexp.MustCompile(`(?m)^\| \*\*truly on track\*\* \(the generator's own P85.*\| (\d+) % \((\d+)/(\d+)\) \|$`).FindStringSubmatch(out)
	if strict == nil || truly == nil {
		t.Fatalf("no on-track table:\n%s", out)
	}
	if strict[1] != m[3] {
		t.Errorf("the table's strict share %s %% differs from the line's %s %%", strict[1], m[3])
	}
	if p, _ := strconv.Atoi(truly[1]); p < 30 {
		t.Errorf("checkpoints truly on track had P85 by the due date at %d %%, want at least 30 %%", p)
	}
	cal := regexp.MustCompile(`(?m)^\| Monte Carlo: P85 after due \|.*\| (\d+) % \(n=\d+\) \|`).FindStringSubmatch(out)
	if cal == nil {
		t.Fatalf("no calibration:\n%s", out)
	}
	if c, _ := strconv.Atoi(cal[1]); c < 78 || c > 92 {
		t.Errorf("P85 calibration %d %% on filed-over-time histories, want 78-92 %%\n%s", c, out)
	}
}

// The per-project files as published give the same sprints as the long file.
func TestPublishedSprintFilesThroughMain(t *testing.T) {
	dir := filepath.Join(sharedDatasets(t), "tse2017-sprints")
	var files []string
	for _, p := range []string{"apache", "jboss", "jira"} {
		files = append(files, filepath.Join(dir, p+"_iteration_30.csv"))
	}
	out, stderr, code := runMain(t, "-input", "sprints", "-sprint-files", strings.Join(files, ","), "-trials", "300")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	long, _, _ := runMain(t, "-input", "sprints", "-datasets", sharedDatasets(t), "-at", "30", "-trials", "300")
	re := regexp.MustCompile(`### sprints\n\n(\d+ milestones \(\d+ missed\), \d+ checkpoints)`)
	a, b := re.FindStringSubmatch(out), re.FindStringSubmatch(long)
	if a == nil || b == nil || a[1] != b[1] {
		t.Errorf("published files: %v; long file at 30 %%: %v; want the same sprints", a, b)
	}
	// The label is the earliest snapshot's (vel_diff there: delivered −
	// the points in the sprint then), in whatever order the files come.
	var rev []string
	for _, p := range []string{"apache", "jboss", "jira"} {
		rev = append(rev, filepath.Join(dir, p+"_iteration_80.csv"), filepath.Join(dir, p+"_iteration_30.csv"))
	}
	out, stderr, code = runMain(t, "-input", "sprints", "-sprint-files", strings.Join(rev, ","), "-at", "30", "-trials", "300")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if c := re.FindStringSubmatch(out); c == nil || b == nil || c[1] != b[1] {
		t.Errorf("published files, 80 %% first: %v; long file at 30 %%: %v; want the same sprints and outcomes", c, b)
	}
}

// -fit-calibration refits the product's calibration on the sprints (every
// checkpoint) and generated histories and prints the weights as the Go the
// forecast package ships; fitted on more data it lands near the shipped
// ones (the signs of the strongest weights hold).
func TestFitCalibrationPrintsTheWeights(t *testing.T) {
	dir := sharedDatasets(t)
	out, stderr, code := runMain(t, "-fit-calibration", "-datasets", dir, "-n", "40", "-trials", "300")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	head := regexp.MustCompile(`^// fitted on (\d+) sprint checkpoints \((\d+) sprints\) and (\d+) generated checkpoints \(40 milestones, seed 1, weight 0.3\), L2 penalty 100\n`).FindStringSubmatch(out)
	if head == nil {
		t.Fatalf("no header:\n%s", out)
	}
	if n, _ := strconv.Atoi(head[1]); n < 4000 {
		t.Errorf("%s sprint checkpoints, want all three shares (over 4000)", head[1])
	}
	lines := regexp.MustCompile(`(?m)^\t(-?\d+\.\d{4}), // (.+)$`).FindAllStringSubmatch(out, -1)
	if len(lines) != forecast.NumCalibrationFeatures || !strings.Contains(out, "var calibrationWeights = [NumCalibrationFeatures]float64{\n") {
		t.Fatalf("want %d weights in a Go array:\n%s", forecast.NumCalibrationFeatures, out)
	}
	w := map[string]float64{}
	for i, l := range lines {
		if l[2] != forecast.CalibrationFeatureNames[i] {
			t.Errorf("weight %d named %q, want %q", i, l[2], forecast.CalibrationFeatureNames[i])
		}
		w[l[2]], _ = strconv.ParseFloat(l[1], 64)
	}
	// More remaining points: less likely on time; a better simulated
	// probability (full history) or delivered record: more likely.
	if !(w["log(1 + points remaining)"] < 0 && w["sim logit × history"] > 0 && w["logit of the record's delivered ratio"] > 0) {
		t.Errorf("weights %v: want remaining points < 0, simulation > 0, record delivered > 0", w)
	}
}

// The rebuilt sprint shows the product the counts the data publishes: the
// items committed at the start (no_issue_starttime), added after it and
// removed after it. The product counts a change on the commitment day as
// part of the plan, so the rebuild makes every change after the first day
// (it used to spread them from the start, and 15 % of the checkpoints saw
// a few added items as committed, unlike the record's usual load).
func TestSprintRebuildShowsThePublishedCounts(t *testing.T) {
	const header = "project,pred_time_pct,boardid,sprintid,name,vel_diff,planday,no_issue_starttime,vel_starttime,no_issue_added,vel_added,no_issue_removed,vel_removed,no_issuetodo,vel_todo,no_issueinprogress,vel_inprogress,no_issuedone,vel_done,no_admin,no_teammember,missed\n"
	path := filepath.Join(t.TempDir(), "iterations_long.csv")
	// 14 days, nothing committed, 14 added by day 4; 3 days at day 1 (the
	// checkpoint's own first moment), 2 added and one of them removed;
	// 10 days, three of six committed items removed.
	os.WriteFile(path, []byte(header+`p,30,1,10,S10,-9,14,0,0,14,28,0,0,10,20,2,4,2,4,1,3,1
p,30,1,20,S20,0,3,4,8,2,4,1,2,3,6,1,2,1,2,1,3,0
p,30,1,30,S30,-1,10,6,12,1,2,3,6,2,4,1,2,1,2,1,3,1
`), 0o644)
	cases, _, err := backtest.SprintFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][5]int{ // committed, added, removed, done, remaining
		"p/1/10": {0, 14, 0, 2, 12},
		"p/1/20": {4, 2, 1, 1, 4},
		"p/1/30": {6, 1, 3, 1, 3},
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d", len(cases), len(want))
	}
	for _, c := range cases {
		for _, cp := range c.Points {
			if got := rebuiltCounts(cp); got != want[c.Key] {
				t.Errorf("%s %s: committed, added, removed, done, remaining %v, want %v", c.Key, cp.Label, got, want[c.Key])
			}
		}
	}

	// Every checkpoint of the shared sprints.
	dir := sharedDatasets(t)
	long := filepath.Join(dir, "tse2017-sprints", "iterations_long.csv")
	f, err := os.Open(long)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	published := map[string][5]int{}
	for _, rec := range recs[1:] {
		// The columns after the name (which may hold unquoted commas).
		v := rec[len(rec)-17:]
		n := func(i int) int { x, _ := strconv.Atoi(v[i]); return x }
		key := rec[0] + "/" + rec[2] + "/" + rec[3] + " " + rec[1] + " %"
		published[key] = [5]int{n(2), n(4), n(6), n(12), n(8) + n(10)}
	}
	all, _, err := backtest.SprintCasesSkipped(dir)
	if err != nil {
		t.Fatal(err)
	}
	var checked, differ int
	for _, c := range all {
		for _, cp := range c.Points {
			checked++
			if got, want := rebuiltCounts(cp), published[c.Key+" "+cp.Label]; got != want {
				if differ++; differ <= 5 {
					t.Errorf("%s %s: committed, added, removed, done, remaining %v, published %v", c.Key, cp.Label, got, want)
				}
			}
		}
	}
	if checked < 4000 || differ > 0 {
		t.Errorf("%d of %d checkpoints differ from the published counts", differ, checked)
	}
}

// rebuiltCounts is what the product's forecast sees at a sprint checkpoint.
func rebuiltCounts(cp backtest.Checkpoint) [5]int {
	f := forecast.Compute(cp.M, cp.At, forecast.Options{Trials: 100, MinHistoryDays: 2, MinCompletions: 1,
		WorkingDays: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}})
	return [5]int{f.ScopeItems - f.AddedAfterStart + f.RemovedAfterStart, f.AddedAfterStart, f.RemovedAfterStart, f.DoneItems, f.RemainingItems}
}

// -gen-seeds prints one table per input over the seeds: each seed's row is
// the P85 calibration the full tables give for that seed alone, and the
// pooled row adds them up.
func TestGenSeedsTable(t *testing.T) {
	out, stderr, code := runMain(t, "-input", "filed", "-n", "12", "-trials", "500", "-gen-seeds", "1-2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "### filed over generator seeds 1, 2\n") {
		t.Fatalf("no seeds table:\n%s", out)
	}
	rowRe := func(label string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^\| ` + label + ` \|(?: \d+ % \|){4} \*\*(\d+) %\*\* ± ([0-9.]+) \(n=(\d+)\) \| (\d+) % \(n=(\d+)\) \| .*\|$`)
	}
	var n, truly int
	for _, seed := range []string{"1", "2"} {
		m := rowRe(seed).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no row for seed %s:\n%s", seed, out)
		}
		one, _, code := runMain(t, "-input", "filed", "-n", "12", "-trials", "500", "-gen-seed", seed)
		if code != 0 {
			t.Fatalf("seed %s alone: exit %d", seed, code)
		}
		cal := regexp.MustCompile(`(?m)^\| P85 calibration: every .* (\d+) % \(\d+/(\d+)\) \|$`).FindStringSubmatch(one)
		tr := regexp.MustCompile(`(?m)^\| \*\*truly on track\*\* .* (\d+) % \(\d+/(\d+)\) \|$`).FindStringSubmatch(one)
		if cal == nil || tr == nil {
			t.Fatalf("seed %s alone: no calibration or truly-on-track row:\n%s", seed, one)
		}
		if m[1] != cal[1] || m[3] != cal[2] || m[4] != tr[1] || m[5] != tr[2] {
			t.Errorf("seed %s: table row %v, the full tables say %s %% (n=%s), truly %s %% (n=%s)", seed, m[1:], cal[1], cal[2], tr[1], tr[2])
		}
		if se, _ := strconv.ParseFloat(m[2], 64); se <= 0 || se > 20 {
			t.Errorf("seed %s: standard error %s points", seed, m[2])
		}
		k, _ := strconv.Atoi(m[3])
		tk, _ := strconv.Atoi(m[5])
		n, truly = n+k, truly+tk
	}
	m := rowRe("pooled").FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no pooled row:\n%s", out)
	}
	if m[3] != strconv.Itoa(n) || m[5] != strconv.Itoa(truly) {
		t.Errorf("pooled n=%s, truly n=%s; want the seeds' %d and %d", m[3], m[5], n, truly)
	}
	for _, args := range [][]string{
		{"-input", "sprints", "-gen-seeds", "1-2"},
		{"-input", "generated,demo", "-gen-seeds", "1-2"},
		{"-gen-seeds", "1-2", "-gen-seed", "3"},
		{"-gen-seeds", "1-2", "-predictions", "p.csv"},
		{"-gen-seeds", "2-1"},
	} {
		if _, stderr, code := runMain(t, args...); code != 2 || !strings.Contains(stderr, "gen-seed") {
			t.Errorf("%v: exit %d, %q; want refused naming -gen-seeds", args, code, stderr)
		}
	}
}

// Two inputs into one predictions file and one features file: each has a
// single header, and every row names its input, so that the generated
// histories' "gen-000" of each input stay apart.
func TestPredictionsAndFeaturesAcrossInputs(t *testing.T) {
	dir := t.TempDir()
	pred, feat := filepath.Join(dir, "pred.csv"), filepath.Join(dir, "features.csv")
	if _, stderr, code := runMain(t, "-input", "generated,filed", "-n", "4", "-trials", "300", "-predictions", pred, "-features", feat); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	read := func(p string) map[string]int {
		t.Helper()
		n := map[string]int{}
		for _, r := range readCSV(t, p)[1:] {
			if r[0] == "input" {
				t.Fatalf("%s: a second header", filepath.Base(p))
			}
			n[r[0]]++
		}
		return n
	}
	preds, feats := read(pred), read(feat)
	if len(feats) != 2 || feats["generated"] == 0 || feats["filed"] == 0 {
		t.Fatalf("feature rows by input %v, want generated and filed", feats)
	}
	for in, n := range feats {
		if preds[in] != 10*n {
			t.Errorf("%s: %d prediction rows for %d checkpoints, want 10 methods each", in, preds[in], n)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
