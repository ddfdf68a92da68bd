package backtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The pieces of the on-track table, on hand-checked cases.
func TestOnTrackHandChecked(t *testing.T) {
	mon := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC) // a Monday
	day := func(n int) time.Time { return mon.AddDate(0, 0, n) }

	// margin: Mon 6 – Fri 17 January is 10 planned weekdays.
	for _, tc := range []struct {
		name     string
		finished time.Time
		missed   bool
		want     float64
	}{
		{"two weekdays early (Thu 16, Fri 17 left)", day(9), false, 0.2},
		{"on the due day", day(11), false, 0},
		{"over a weekend: Fri 10 leaves 5 weekdays", day(4), false, 0.5},
		{"late", day(14), true, math.NaN()},
	} {
		c := Case{Start: mon, Due: day(11), Finished: tc.finished, Missed: tc.missed}
		if got := margin(&c); !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("margin, %s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// The generator's own P85: no drift, no interruptions worth the name.
	p := GenParams{Drift: 1e-12, InterruptRate: 1e-12}.withDefaults()
	for _, tc := range []struct {
		name  string
		pace  float64
		total int
		at    time.Time
		st    []dayState
		want  time.Time
	}{
		// Ten issues filed one a calendar day from Monday 6 January, the
		// last on Wednesday 15; a team closing 100 a day finishes each
		// working day what was filed by then: Wednesday 15.
		{"a fast team finishes the day of the last filing", 100, 10, day(2), nil, day(9)},
		// The last filing on Saturday 11 is picked up on Monday 13.
		{"a last filing on a Saturday is done on the Monday", 100, 6, day(2), nil, day(7)},
		// A team that never closes anything never finishes: no date.
		{"a stopped team has no P85", 0, 10, day(2), nil, time.Time{}},
		// From the state at the end of Friday 10 (5 filed, 3 done): the
		// checkpoint on Saturday 11 replays from Monday 13, which files
		// Saturday's to Monday's; the tenth is filed on Wednesday 15.
		{"replayed from the recorded state before the checkpoint", 100, 10, day(5),
			[]dayState{{day: day(4), drift: 1, filed: 5, next: 3}}, day(9)},
		// A state after the checkpoint is not used: replayed from the
		// start, a team closing 0.01 a day (drift held at 0.5–1.5) will
		// not finish ten issues within the five lives allowed.
		{"a state after the checkpoint is not used", 0.01, 10, day(5),
			[]dayState{{day: day(6), drift: 1, filed: 10, next: 10}}, time.Time{}},
	} {
		tr := filedTruth{p: p, pace: tc.pace, total: tc.total, states: tc.st}
		got := tr.oracleP85(mon, tc.at, rand.New(rand.NewPCG(1, 2)), 50)
		if !got.Equal(tc.want) {
			t.Errorf("oracle P85, %s: %s, want %s", tc.name, got.Format(time.DateOnly), tc.want.Format(time.DateOnly))
		}
	}
}
