package forecast_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// early is a sprint-like milestone from Monday 2 March due Wednesday 11
// March, judged Thursday 5 March at noon: 10 items, `done` of them closed
// (2 points each, on the first day), the rest 1 point each, all estimated. Three working days
// of history: too short for the simulation.
func early(done int) model.Milestone {
	m := model.Milestone{Key: "early", Kind: model.KindSprint, Start: d(2), Due: d(11)}
	for i := 0; i < 10; i++ {
		w := model.WorkItem{Key: fmt.Sprintf("E-%d", i), Created: model.At(at(1, 9)), JoinedAt: model.At(at(1, 9)), JoinedKnown: true,
			Status: model.StatusTodo, Points: 1, Estimated: true}
		if i < done {
			w.Points, w.Started, w.Closed, w.Status = 2, model.At(at(2, 9)), model.At(at(2, 15)), model.StatusDone
		}
		m.Items = append(m.Items, w)
	}
	return m
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// The features, checked by hand on the early milestone with two items done.
func TestCalibrationFeaturesHandChecked(t *testing.T) {
	m := early(2)
	// The team's pace, in the order its milestones closed: in points, 3 of
	// its 4 milestones would finish the 8 points left in the 6.5 days to the
	// end of the due day (1.25 × 6.5 = 8.125), but not the last one (0.8 ×
	// 6.5 = 5.2); in items, 2 of 3 (1.3 × 6.5 = 8.45 ≥ 8), not the last (1 ×
	// 6.5 < 8). Its last milestone was its only late one. It usually commits
	// 8 items; this sprint committed 10. Recency weights, the last
	// milestone first: 1, 2^-½, ½, 2^-3/2.
	m.Record = &model.TeamRecord{Basis: "the last 4 closed sprints of board 7", Milestones: 4, OnTime: 3, DeliveredRatio: 0.9,
		OnTimeByClose: []bool{true, true, true, false},
		Throughput:    []float64{2, 1.3, 1}, PointThroughput: []float64{2, 1.5, 1.25, 0.8}, Committed: 8}
	w1, w2, w3 := math.Sqrt(0.5), 0.5, math.Pow(0.5, 1.5)
	f := forecast.Compute(m, at(5, 12), forecast.Options{})
	wantStatus(t, f, model.ForecastInsufficient)
	x := forecast.CalibrationFeatures(m, f)
	// Start 2 March 00:00, end of the due day 12 March 00:00: 10 days;
	// 3.5 elapsed.
	near(t, "elapsed", x[1], 0.35)
	near(t, "log(1 + items remaining)", x[2], math.Log(9))
	near(t, "scope added", x[3], 0)
	near(t, "log(1 + points remaining)", x[4], math.Log(9))
	for i := 5; i <= 7; i++ {
		near(t, fmt.Sprintf("simulation feature %d (it did not run)", i), x[i], 0)
	}
	near(t, "record on time: log((3+1)/(1+1))", x[8], math.Log(2))
	near(t, "has a record", x[9], 1)
	// Delivered ratio shrunk by one milestone: (4 × 0.9 + 0.5) / 5 = 0.82.
	near(t, "record delivered", x[10], math.Log(0.82/0.18))
	near(t, "pace kept in points: 3 of 4, not the last", x[11], math.Log((w1+w2+w3+0.5)/(1+0.5)))
	near(t, "over-commitment: log((10 + 1) / (8 + 1))", x[12], math.Log(11.0/9))
	near(t, "history h", x[13], 0)
	near(t, "recent on-time odds: 3 of 4, not the last", x[14], math.Log((w1+w2+w3+0.5)/(1+0.5)))
	near(t, "P(on time) is the model's", f.ProbOnTime, math.Round(forecast.CalibratedProb(x, nil)*1e4)/1e4)
	wantNote(t, f, "and the team's record (in 3 of its 4 recorded milestones it kept the pace the points left need, 2 of the last 3, which weigh most; 10 items committed, against its usual 8)")

	// Without the points' pace, items: 2 of 3.
	m.Record.PointThroughput = nil
	x = forecast.CalibrationFeatures(m, forecast.Compute(m, at(5, 12), forecast.Options{}))
	near(t, "pace kept in items: 2 of 3, not the last", x[11], math.Log((w1+w2+0.5)/(1+0.5)))

	// With a full history (10 working days), the simulation's logit takes
	// over and the progress and record features are gated off.
	s := steady(d(20))
	s.Record = m.Record
	g := forecast.Compute(s, at(16, 12), forecast.Options{})
	wantStatus(t, g, model.ForecastOK)
	y := forecast.CalibrationFeatures(s, g)
	near(t, "sim logit × h (P 1 clamped to 0.999)", y[5], math.Log(0.999/0.001))
	near(t, "sim logit × (1 − h)", y[6], 0)
	near(t, "ran", y[7], 1)
	near(t, "h", y[13], 1)
	for _, i := range []int{1, 2, 3, 4, 8, 9, 10, 11, 12, 14} {
		near(t, fmt.Sprintf("gated feature %d", i), y[i], 0)
	}
}

// P(on time) with no record, a good record and a bad one; the history is
// named, or its absence said.
func TestCalibrationByTeamRecord(t *testing.T) {
	tests := []struct {
		name    string
		rec     *model.TeamRecord
		lo, hi  float64 // the calibrated P(on time)
		history string
	}{
		{"no record", nil, 0.2, 0.6, "none: no earlier closed milestones of this team are known, so the simulation stands alone"},
		{"good record: 10 of 10 on time, all delivered",
			&model.TeamRecord{Basis: "the last 10 closed sprints of board 7", Milestones: 10, OnTime: 10, DeliveredRatio: 1},
			0.6, 0.95, "the last 10 closed sprints of board 7: 10 of 10 delivered on time, 100 % of committed items delivered on average"},
		// (A team delivering about half its points is the sprint data's
		// typical team: no better or worse than no record.)
		{"bad record: 1 of 10 on time, 25 % delivered",
			&model.TeamRecord{Basis: "the last 10 closed sprints of board 7", Milestones: 10, OnTime: 1, DeliveredRatio: 0.25, Slips: []float64{0.1, 0.2, 0.4}},
			0.05, 0.35, "the last 10 closed sprints of board 7: 1 of 10 delivered on time, 25 % of committed items delivered on average, median slip +20 % of the planned length (3 known)"},
	}
	var probs []float64
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := early(4)
			m.Record = tc.rec
			f := forecast.Compute(m, at(5, 12), forecast.Options{})
			wantStatus(t, f, model.ForecastInsufficient)
			if f.ProbOnTime < tc.lo || f.ProbOnTime > tc.hi {
				t.Errorf("P(on time) %.4f, want within %.2f–%.2f", f.ProbOnTime, tc.lo, tc.hi)
			}
			eq(t, "simulation's P (did not run)", f.SimProbOnTime, 0.0)
			if !strings.HasPrefix(f.Explanation.History, tc.history) {
				t.Errorf("history %q, want it to start %q", f.Explanation.History, tc.history)
			}
			wantNote(t, f, fmt.Sprintf("P(on time) %.0f %% is calibrated from no simulation (too little history)", 100*f.ProbOnTime))
			wantNoDates(t, f)
			probs = append(probs, f.ProbOnTime)
		})
	}
	if len(probs) == 3 && !(probs[1] > probs[0] && probs[0] > probs[2]) {
		t.Errorf("P(on time) none %.3f, good %.3f, bad %.3f: want good > none > bad", probs[0], probs[1], probs[2])
	}
}

// Further behind (less done at the same moment, or the same done later)
// is never more likely on time; a higher simulated probability never less.
func TestCalibrationIsMonotonic(t *testing.T) {
	prev := -1.0
	for done := 0; done <= 9; done++ {
		f := forecast.Compute(early(done), at(5, 12), forecast.Options{})
		if f.ProbOnTime <= prev {
			t.Errorf("%d done: P(on time) %.4f, not above %.4f with one fewer", done, f.ProbOnTime, prev)
		}
		prev = f.ProbOnTime
	}
	prev = 2
	for day := 3; day <= 11; day++ { // the due day itself still counts
		f := forecast.Compute(early(3), at(day, 12), forecast.Options{MinHistoryDays: 50})
		if f.ProbOnTime >= prev {
			t.Errorf("3 done on day %d: P(on time) %.4f, not below %.4f a day earlier", day, f.ProbOnTime, prev)
		}
		prev = f.ProbOnTime
	}
	m := early(5)
	prev = -1
	for _, sim := range []float64{0, 0.1, 0.3, 0.5, 0.7, 0.9, 1} {
		f := model.Forecast{Status: model.ForecastOK, AsOf: at(5, 12), SimProbOnTime: sim, ScopeItems: 10, DoneItems: 5, RemainingItems: 5,
			Explanation: model.Explanation{Samples: []int{1, 2, 2, 0, 1, 2, 1}}}
		p := forecast.CalibratedProb(forecast.CalibrationFeatures(m, f), nil)
		if p <= prev {
			t.Errorf("simulation %.1f: calibrated %.4f, not above %.4f", sim, p, prev)
		}
		prev = p
	}
}

// Once the due day is over with work left, P(on time) is a fact: 0.
func TestCalibrationAfterTheDueDay(t *testing.T) {
	f := forecast.Compute(steady(d(13)), at(16, 12), forecast.Options{})
	eq(t, "P(on time)", f.ProbOnTime, 0.0)
	wantNote(t, f, "P(on time) is 0: the due day 2026-03-13 is over and 10 items remain")
}

// The dates stretch by half the team's median slip when the record knows
// at least three finishes and the median is late, at most twice.
func TestDatesStretchedBySlips(t *testing.T) {
	rec := func(slips ...float64) *model.TeamRecord {
		return &model.TeamRecord{Basis: "b", Milestones: len(slips), OnTime: 0, DeliveredRatio: 0.8, Slips: slips}
	}
	tests := []struct {
		name string
		rec  *model.TeamRecord
		p85  time.Time
	}{
		// Steady: P85 on the 5th working day from Monday 16 March (Fri 20).
		{"no record", nil, d(20)},
		{"two slips are not enough", rec(0.5, 0.6), d(20)},
		{"median early: no stretch", rec(-0.2, -0.1, 0.4), d(20)},
		// Median 0.3: 5 × (1 + 0.3/2) = 5.75, so the 6th working day, Mon 23 March.
		{"median 30 % late", rec(0.1, 0.3, 0.5), d(23)},
		// Median 1.2: 5 × 1.6 = 8, so the 8th working day, Wed 25 March.
		{"median 120 % late", rec(1, 1.2, 3), d(25)},
		// Median 3: 1 + 1.5, bounded at 2: 10th working day, Fri 27 March.
		{"bounded at twice", rec(1, 3, 4), d(27)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := steady(d(20))
			m.Record = tc.rec
			f := forecast.Compute(m, at(16, 12), forecast.Options{})
			wantStatus(t, f, model.ForecastOK)
			eq(t, "P85", f.P85, tc.p85)
			eq(t, "simulation's P(on time) is not stretched", f.SimProbOnTime, 1.0)
			if tc.p85 != d(20) {
				wantNote(t, f, "dates stretched by")
			}
		})
	}
}

// Yesterday's weather: the same sprint (8 points left, 6.5 days) is more
// likely on time for a team whose record kept that pace than for one whose
// did not, and less likely when it took on more than it usually does.
func TestCalibrationByTeamCapacity(t *testing.T) {
	rec := func(paces []float64, committed float64) *model.TeamRecord {
		return &model.TeamRecord{Basis: "b", Milestones: 4, OnTime: 2, DeliveredRatio: 0.8,
			Throughput: paces, PointThroughput: paces, Committed: committed}
	}
	prob := func(r *model.TeamRecord) float64 {
		m := early(2)
		m.Record = r
		return forecast.Compute(m, at(5, 12), forecast.Options{}).ProbOnTime
	}
	fast, slow := prob(rec([]float64{1.5, 2, 2.5, 3}, 10)), prob(rec([]float64{0.5, 0.6, 0.8, 1}, 10))
	if fast <= slow+0.05 {
		t.Errorf("P(on time) %.3f with a record of 1.5–3 points a day, %.3f with 0.5–1: want the first well above", fast, slow)
	}
	usual, over := prob(rec([]float64{1, 1.5, 2, 2.5}, 10)), prob(rec([]float64{1, 1.5, 2, 2.5}, 4))
	if over >= usual-0.05 {
		t.Errorf("P(on time) %.3f committing 10 items against a usual 4, %.3f against a usual 10: want the first well below", over, usual)
	}
}

// The same record in another order: a team whose late milestones are its
// latest ones is less likely on time than one that was late long ago, and
// the history says how the last three went.
func TestRecentMilestonesWeighMost(t *testing.T) {
	record := func(onTime []bool, paces []float64) *model.TeamRecord {
		r := &model.TeamRecord{Basis: "the last 6 closed sprints of board 7", Milestones: len(onTime), DeliveredRatio: 0.8,
			OnTimeByClose: onTime, PointThroughput: paces, Throughput: paces, Committed: 10}
		for _, ok := range onTime {
			if ok {
				r.OnTime++
			}
		}
		return r
	}
	// 8 points left, 6.5 days: a pace of 1.5 keeps up, 0.9 does not.
	lateLast := record([]bool{true, true, true, true, false, false}, []float64{1.5, 1.5, 1.5, 1.5, 0.9, 0.9})
	lateFirst := record([]bool{false, false, true, true, true, true}, []float64{0.9, 0.9, 1.5, 1.5, 1.5, 1.5})
	var probs []float64
	for _, tc := range []struct {
		rec     *model.TeamRecord
		history string
		note    string
	}{
		{lateLast, "the last 6 closed sprints of board 7: 4 of 6 delivered on time (1 of the last 3)",
			"in 4 of its 6 recorded milestones it kept the pace the points left need, 1 of the last 3, which weigh most"},
		{lateFirst, "the last 6 closed sprints of board 7: 4 of 6 delivered on time (3 of the last 3)",
			"in 4 of its 6 recorded milestones it kept the pace the points left need, 3 of the last 3, which weigh most"},
	} {
		m := early(2)
		m.Record = tc.rec
		f := forecast.Compute(m, at(5, 12), forecast.Options{})
		if !strings.HasPrefix(f.Explanation.History, tc.history) {
			t.Errorf("history %q, want it to start %q", f.Explanation.History, tc.history)
		}
		wantNote(t, f, tc.note)
		probs = append(probs, f.ProbOnTime)
	}
	if probs[0] >= probs[1] {
		t.Errorf("P(on time) late last %.4f, late first %.4f: want the late last lower", probs[0], probs[1])
	}
}
