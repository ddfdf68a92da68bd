package backtest

import (
	"math"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

func TestScoreHandChecked(t *testing.T) {
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return due.AddDate(0, 0, -n) }
	ok := func(p85 time.Time) model.Forecast { return model.Forecast{Status: model.ForecastOK, P85: p85} }
	w := func(b bool) []bool {
		out := make([]bool, len(methods))
		for i := range out {
			out[i] = b
		}
		return out
	}
	cases := []Case{
		{Key: "late", Due: due, Missed: true, Finished: due.AddDate(0, 0, 3)},
		{Key: "on-time", Due: due, Finished: due.AddDate(0, 0, -1)},
		{Key: "late-never-warned", Due: due, Missed: true, FinishedAfter: due.AddDate(0, 0, 5)},
		{Key: "no-checkpoints", Due: due, Missed: true},
	}
	out := [][]judged{
		{ // warned, dropped it, warned again from 2 days before due
			{at: day(10), f: ok(due.AddDate(0, 0, 4)), warn: w(true)},
			{at: day(6), f: ok(due.AddDate(0, 0, 2)), warn: w(false)},
			{at: day(2), f: ok(due.AddDate(0, 0, 3)), warn: w(true)},
		},
		{
			{at: day(10), f: ok(due), warn: w(true)},
			{at: day(5), f: model.Forecast{Status: model.ForecastInsufficient}, warn: w(false)},
		},
		{
			{at: day(8), f: ok(due.AddDate(0, 0, 1)), warn: w(false)}, // still open after this date: too early
		},
		nil,
	}
	res := score("hand", cases, out)
	if res.Milestones != 3 || res.Missed != 2 || res.Checkpoints != 6 {
		t.Fatalf("milestones %d missed %d checkpoints %d, want 3, 2, 6", res.Milestones, res.Missed, res.Checkpoints)
	}
	r := res.Rows[0]
	if r.TP != 2 || r.FP != 1 || r.FN != 2 || r.TN != 1 {
		t.Errorf("TP %d FP %d FN %d TN %d, want 2 1 2 1", r.TP, r.FP, r.FN, r.TN)
	}
	if r.Precision != 2.0/3 || r.Recall != 0.5 {
		t.Errorf("precision %v recall %v, want 2/3 and 1/2", r.Precision, r.Recall)
	}
	if r.Caught != 1 || r.Missed != 2 || r.MedianLead != 2 {
		t.Errorf("caught %d of %d, median lead %v; want 1 of 2, 2 days", r.Caught, r.Missed, r.MedianLead)
	}
	// P85 calibration over judged checkpoints: late finished due+3 (P85 due+4: in;
	// due+2: out; due+3: in), on-time finished due-1 (P85 due: in), the open one
	// was still open after due+5 (P85 due+1: out). 3 of 5.
	if r.CalN != 5 || math.Abs(r.Calibration-0.6) > 1e-9 {
		t.Errorf("calibration %v over %d, want 0.6 over 5", r.Calibration, r.CalN)
	}
	if math.Abs(r.Judged-5.0/6) > 1e-9 {
		t.Errorf("judged %v, want 5/6", r.Judged)
	}
}
