package backtest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 1e-9) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// Hand-checked proper scores on four checkpoints: two missed, two on time.
func TestProperScoresHandChecked(t *testing.T) {
	nan := math.NaN()
	missed := []bool{true, true, false, false, false}
	// P(on time): the fifth has none and is left out.
	p := []float64{0.1, 0.6, 0.7, 1.0, nan}
	bs, skill, n := brier(p, missed)
	// (0.1-0)² + (0.6-0)² + (0.7-1)² + (1-1)² = 0.01 + 0.36 + 0.09 + 0 = 0.46; /4
	near(t, "brier", bs, 0.115)
	if n != 4 {
		t.Errorf("n = %d, want 4", n)
	}
	// Base rate of on time 0.5: reference 0.25; skill 1 − 0.115/0.25.
	near(t, "skill", skill, 1-0.115/0.25)

	// Scores: 0.9 and 0.4 missed, 0.3 and 0.0 on time, and a tie case.
	s := []float64{0.9, 0.4, 0.3, 0.0, nan}
	near(t, "auc perfect ranking", auc(s, missed), 1)
	near(t, "auc with a tie", auc([]float64{0.9, 0.3, 0.3, 0.0}, missed[:4]), 0.875) // pairs: 1,1,0.5,1 of 4
	near(t, "auc reversed", auc([]float64{0, 0.1, 0.8, 0.9}, missed[:4]), 0)
	near(t, "auc without positives", auc(s[2:4], missed[2:4]), nan)

	// Precision at recall 0.8: both misses must be caught (0.5 is not
	// enough). Scores 0.9 (miss), 0.5 (on time), 0.4 (miss): warn down to 0.4.
	near(t, "precision at recall 0.8", precisionAtRecall([]float64{0.9, 0.4, 0.5, 0.0}, missed[:4], 0.8), 2.0/3)
	// A miss without a score can never be caught: recall 0.8 is out of reach.
	near(t, "unreachable recall", precisionAtRecall([]float64{0.9, nan, 0.5, 0.0}, missed[:4], 0.8), nan)

	bins := reliability(p, missed)
	if bins[1].N != 1 || bins[6].N != 1 || bins[7].N != 1 || bins[9].N != 1 {
		t.Fatalf("bins %+v", bins)
	}
	near(t, "decile 0.9-1.0 observed", bins[9].OnTime, 1)
	near(t, "decile 0.6-0.7 observed", bins[6].OnTime, 0)
	near(t, "decile 0.6-0.7 mean", bins[6].MeanP, 0.6)
}

// The logistic fit separates a cleanly separable feature and stays finite
// (the penalty keeps the weights bounded).
func TestFitLogisticLearnsTheSign(t *testing.T) {
	var rows []trainRow
	for i := 0; i < 200; i++ {
		x := make([]float64, nFeatures)
		x[0], x[1] = 1, float64(i%10)/10 // elapsed-like feature
		rows = append(rows, trainRow{x: x, onTime: i%10 >= 5})
	}
	w := fitLogistic(rows, 1)
	if !(w[1] > 1) || math.IsNaN(w[0]) || math.Abs(w[1]) > 100 {
		t.Fatalf("weights %v: want a clearly positive, finite weight on the separating feature", w)
	}
	if p := sigmoid(dot(w, rows[9].x)); p < 0.7 {
		t.Errorf("P at 0.9 = %.2f, want high", p)
	}
	// The shipped penalty on 200 rows shrinks the weight, keeping its sign.
	if s := fitLogistic(rows, logisticLambda); !(s[1] > 0 && s[1] < w[1]) {
		t.Errorf("penalty %g: weight %v, want positive and below %v", logisticLambda, s[1], w[1])
	}
}

// The team record uses only earlier sprints of the same board, at most
// RecordCount of them; never the sprint's own outcome or a later one. It
// is the product's model.TeamRecord: on-time count and the mean delivered
// ratio in story points.
func TestTeamRecordHasNoLookAhead(t *testing.T) {
	pts := func(committed, diff float64) sprintPoints {
		return sprintPoints{known: true, todo: committed, diff: diff}
	}
	cases := []Case{
		{Key: "p/1/30", Missed: true, points: pts(10, -10)},
		{Key: "p/1/10", Missed: true, points: pts(10, -4)}, // delivered 6 of 10
		{Key: "p/1/20", Missed: false, points: pts(5, 0)},
		{Key: "p/2/5", Missed: true},  // another board
		{Key: "q/1/15", Missed: true}, // same board id, another project
	}
	teamRecord(cases)
	type want struct {
		n, onTime int
		delivered float64
	}
	wants := map[string]*want{
		"p/1/10": nil,         // nothing earlier: no record
		"p/1/20": {1, 0, 0.6}, // sprint 10 missed, 6 of 10 points
		"p/1/30": {2, 1, 0.8}, // 10 (0.6) and 20 (1.0); its own miss is not counted
		"p/2/5":  nil,
		"q/1/15": nil,
	}
	for _, c := range cases {
		w := wants[c.Key]
		switch {
		case w == nil && c.Record != nil:
			t.Errorf("%s: record %+v, want none", c.Key, *c.Record)
		case w == nil:
		case c.Record == nil:
			t.Errorf("%s: no record, want %+v", c.Key, *w)
		default:
			if c.Record.Milestones != w.n || c.Record.OnTime != w.onTime {
				t.Errorf("%s: %d of %d on time, want %d of %d", c.Key, c.Record.OnTime, c.Record.Milestones, w.onTime, w.n)
			}
			near(t, c.Key+" delivered ratio", c.Record.DeliveredRatio, w.delivered)
			if !strings.Contains(c.Record.Basis, "board p/1") {
				t.Errorf("%s: basis %q does not name the board", c.Key, c.Record.Basis)
			}
		}
	}
	// Only the last RecordCount earlier sprints count.
	var long []Case
	for i := 0; i < RecordCount+5; i++ {
		long = append(long, Case{Key: fmt.Sprintf("p/1/%d", i+1), Missed: i < 5})
	}
	teamRecord(long)
	// The last of 15 sees sprints 5-14: one miss (the fifth) and nine hits.
	if r := long[len(long)-1].Record; r == nil || r.Milestones != RecordCount || r.OnTime != 9 {
		t.Errorf("after 5 misses then 10 hits: record %+v, want 9 of 10 on time", r)
	}
}

// The sprint record's pace and usual load, read from a long file and
// checked by hand (board p/1; each sprint's latest snapshot stands for it):
//
//	10: 10 days; at 80 %: 8 committed (20 points), 2 added, 2 to do (6
//	    points), 1 in progress (3), 7 done (15); vel_diff −5: missed.
//	    Delivered 24 − 5 = 19 of 24 points, 1.9 a day; items 10 × 19/24
//	    = 7.9 → 8 (at least the 7 done), 0.8 a day.
//	20: 14 days; at 50 %: 12 committed, 2 removed, 4 to do (10), 2 in
//	    progress (5), 4 done (10); vel_diff 0: on time. 25 points in 14
//	    days, 1.786 a day; all 10 items, 0.714 a day.
//	30: 10 days; nothing committed, 3 items added, no points: 3 items
//	    delivered (on time), 0.3 a day; no points' pace; left out of the
//	    usual load, as the product leaves out milestones without
//	    committed items.
//	40: judged with all three before it.
//
// Paces and outcomes are kept in the order the sprints came (by id).
func TestSprintRecordPaceHandChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "iterations_long.csv")
	os.WriteFile(path, []byte(`project,pred_time_pct,boardid,sprintid,name,vel_diff,planday,no_issue_starttime,vel_starttime,no_issue_added,vel_added,no_issue_removed,vel_removed,no_issuetodo,vel_todo,no_issueinprogress,vel_inprogress,no_issuedone,vel_done,no_admin,no_teammember,missed
p,30,1,10,S10,-5,10,8,20,0,0,0,0,6,14,1,3,1,3,1,3,1
p,80,1,10,S10,-5,10,8,20,2,4,0,0,2,6,1,3,7,15,1,3,1
p,50,1,20,S20,0,14,12,30,0,0,2,5,4,10,2,5,4,10,1,3,0
p,30,1,30,S30,0,10,0,0,3,0,0,0,3,0,0,0,0,0,1,3,0
p,30,1,40,S40,0,10,5,10,0,0,0,0,5,10,0,0,0,0,1,3,0
`), 0o644)
	cases, _, err := SprintFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		n             int
		onTime        []bool
		items, points []float64
		committed     float64
	}
	wants := map[string]*want{
		"p/1/10": nil,
		"p/1/20": {1, []bool{false}, []float64{0.8}, []float64{1.9}, 8},
		"p/1/30": {2, []bool{false, true}, []float64{0.8, 10.0 / 14}, []float64{1.9, 25.0 / 14}, 10},
		"p/1/40": {3, []bool{false, true, true}, []float64{0.8, 10.0 / 14, 0.3}, []float64{1.9, 25.0 / 14}, 10},
	}
	if len(cases) != len(wants) {
		t.Fatalf("%d cases, want %d", len(cases), len(wants))
	}
	for _, c := range cases {
		w, r := wants[c.Key], c.Record
		if w == nil || r == nil {
			if (w == nil) != (r == nil) {
				t.Errorf("%s: record %+v, want %+v", c.Key, r, w)
			}
			continue
		}
		if r.Milestones != w.n || !slices.Equal(r.OnTimeByClose, w.onTime) || len(r.Throughput) != len(w.items) || len(r.PointThroughput) != len(w.points) {
			t.Errorf("%s: record %+v, want %+v", c.Key, *r, *w)
			continue
		}
		for i := range w.items {
			near(t, fmt.Sprintf("%s throughput %d", c.Key, i), r.Throughput[i], w.items[i])
		}
		for i := range w.points {
			near(t, fmt.Sprintf("%s points' throughput %d", c.Key, i), r.PointThroughput[i], w.points[i])
		}
		near(t, c.Key+" usual committed", r.Committed, w.committed)
		for _, cp := range c.Points {
			if cp.M.Record != r {
				t.Errorf("%s %s: the checkpoint's milestone does not carry the record", c.Key, cp.Label)
			}
		}
	}
}
