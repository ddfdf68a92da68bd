package forecast_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// d is midnight UTC of a March 2026 day. 2026-03-02 is a Monday.
func d(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }

func at(day, hour int) time.Time { return time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC) }

// steady is a milestone started Monday 2 March with 30 items (1 point each,
// estimated), two closed at 15:00 on each working day from 2 to 13 March:
// 20 done, 10 remaining, throughput exactly 2 a working day.
func steady(due time.Time) model.Milestone {
	m := model.Milestone{Key: "test#1", Start: d(2), Due: due}
	workdays := []int{2, 3, 4, 5, 6, 9, 10, 11, 12, 13}
	for i := 0; i < 30; i++ {
		w := model.WorkItem{Key: fmt.Sprintf("T-%02d", i+1), Created: model.At(at(1, 9)), JoinedAt: model.At(at(1, 9)), JoinedKnown: true,
			Status: model.StatusTodo, Points: 1, Estimated: true}
		if i < 20 {
			day := workdays[i/2]
			w.Started, w.Closed, w.Status = model.At(at(day, 9)), model.At(at(day, 15)), model.StatusDone
		}
		m.Items = append(m.Items, w)
	}
	return m
}

func noGrowth() *bool { b := false; return &b }

func TestComputeHandChecked(t *testing.T) {
	now := at(16, 12) // Monday 16 March, noon
	tests := []struct {
		name  string
		m     func() model.Milestone
		now   time.Time
		opts  forecast.Options
		check func(t *testing.T, f model.Forecast)
	}{
		{
			name: "steady throughput finishes in five working days",
			m:    func() model.Milestone { return steady(d(20)) },
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastOK)
				eq(t, "scope", f.ScopeItems, 30)
				eq(t, "done", f.DoneItems, 20)
				eq(t, "remaining", f.RemainingItems, 10)
				eq(t, "remaining points", f.RemainingPoints, 10.0)
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2})
				eq(t, "window start", f.Explanation.WindowStart, d(2))
				eq(t, "window end", f.Explanation.WindowEnd, d(15))
				// today (Mon 16) is working day 1: 16,17,18,19,20.
				eq(t, "P50", f.P50, d(20))
				eq(t, "P85", f.P85, d(20))
				eq(t, "P95", f.P95, d(20))
				eq(t, "linear", f.LinearDate, d(20))
				eq(t, "simulation's prob on time", f.SimProbOnTime, 1.0)
				eq(t, "pace needed", f.PaceNeeded, 2.0)
				eq(t, "pace observed", f.PaceObserved, 2.0)
				eq(t, "trend", f.Signals.ThroughputTrend, 1.0)
				eq(t, "days since last done", f.Signals.DaysSinceLastDone, 3)
				eq(t, "burndown days", len(f.Burndown), 15)
				eq(t, "burndown day 0", f.Burndown[0], model.BurndownPoint{Day: d(2), Scope: 30, Done: 2, Remaining: 28,
					ScopePoints: 30, DonePoints: 2, RemainingPoints: 28})
				eq(t, "burndown saturday", f.Burndown[5].Done, 10)
				eq(t, "burndown today", f.Burndown[14].Remaining, 10)
				eq(t, "creep", f.Signals.ScopeCreep, 0.0)
				eq(t, "cut line", len(f.CutLine), 10)
			},
		},
		{
			name: "due one day before the steady finish: certain miss",
			m:    func() model.Milestone { return steady(d(19)) },
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastOK)
				eq(t, "simulation's prob on time", f.SimProbOnTime, 0.0)
				eq(t, "pace needed", f.PaceNeeded, 2.5)
				eq(t, "cut line (4 days x 2)", len(f.CutLine), 8)
			},
		},
		{
			name: "due date in the past",
			m:    func() model.Milestone { return steady(d(13)) },
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastOK)
				eq(t, "P85", f.P85, d(20))
				eq(t, "simulation's prob on time", f.SimProbOnTime, 0.0)
				eq(t, "prob on time: the due day is over with work left", f.ProbOnTime, 0.0)
				eq(t, "pace needed is the whole remainder", f.PaceNeeded, 10.0)
				eq(t, "cut line", len(f.CutLine), 0)
				wantNote(t, f, "no working days left before the due date 2026-03-13")
			},
		},
		{
			name: "agreed due date replaces the original",
			m: func() model.Milestone {
				m := steady(d(13))
				m.AgreedDue = d(20)
				return m
			},
			check: func(t *testing.T, f model.Forecast) { eq(t, "simulation's prob on time", f.SimProbOnTime, 1.0) },
		},
		{
			name: "a holiday ahead pushes the date one working day",
			m:    func() model.Milestone { return steady(d(20)) },
			opts: forecast.Options{Holidays: []string{"2026-03-18"}},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "P50", f.P50, d(23))
				eq(t, "linear", f.LinearDate, d(23))
				eq(t, "simulation's prob on time", f.SimProbOnTime, 0.0)
				eq(t, "pace needed (4 working days)", f.PaceNeeded, 2.5)
			},
		},
		{
			name: "a holiday in the window folds its completions into the day before",
			m:    func() model.Milestone { return steady(d(20)) },
			opts: forecast.Options{Holidays: []string{"2026-03-04"}},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "samples", f.Explanation.Samples, []int{2, 4, 2, 2, 2, 2, 2, 2, 2})
			},
		},
		{
			name: "a six-day week",
			m:    func() model.Milestone { return steady(d(20)) },
			opts: forecast.Options{WorkingDays: []string{"mon", "tue", "wed", "thu", "fri", "sat"}},
			check: func(t *testing.T, f model.Forecast) {
				// Saturdays 7 and 14 are working days with no completions.
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2, 0, 2, 2, 2, 2, 2, 0})
			},
		},
		{
			name: "time zones: now and close times in other zones fall on their UTC day",
			m: func() model.Milestone {
				m := steady(d(20))
				// 20:30 in New York on Tuesday 10 March is 01:30 UTC on Wednesday 11.
				ny := time.FixedZone("EST", -5*3600)
				m.Items[12].Closed = model.At(time.Date(2026, 3, 10, 20, 30, 0, 0, ny))
				return m
			},
			// 08:00 Monday in Tokyo is 23:00 UTC on Sunday 15 March.
			now: time.Date(2026, 3, 16, 8, 0, 0, 0, time.FixedZone("JST", 9*3600)),
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2, 2, 1, 3, 2, 2})
				eq(t, "as of is UTC", f.AsOf, at(15, 23))
				eq(t, "days since last done", f.Signals.DaysSinceLastDone, 2)
				// First simulated day is Monday 16: same finish.
				eq(t, "P50", f.P50, d(20))
			},
		},
		{
			name: "team time zone: a close just after local midnight counts on the local day",
			m: func() model.Milestone {
				m := steady(d(20))
				// 23:30 UTC on Tuesday 10 March is 00:30 on Wednesday 11 in Amsterdam.
				m.Items[12].Closed = model.At(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC))
				return m
			},
			opts: forecast.Options{TimeZone: "Europe/Amsterdam"},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2, 2, 1, 3, 2, 2})
				wantNote(t, f, "days end at midnight Europe/Amsterdam")
			},
		},
		{
			name: "same close without a team time zone stays on the UTC day",
			m: func() model.Milestone {
				m := steady(d(20))
				m.Items[12].Closed = model.At(time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC))
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2, 2, 2, 2, 2, 2})
			},
		},
		{
			name: "scope growth: creep signal, later dates when modelled",
			m: func() model.Milestone {
				m := steady(d(27))
				for i := 0; i < 5; i++ {
					m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("N-%d", i), Created: model.At(at(9, 10)),
						JoinedAt: model.At(at(9, 10)), JoinedKnown: true, Status: model.StatusTodo, Points: 1, Estimated: true})
				}
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "added", f.AddedAfterStart, 5)
				eq(t, "creep 5/35", f.Signals.ScopeCreep, 0.143)
				eq(t, "remaining", f.RemainingItems, 15)
				// burn-down marks the day they joined
				eq(t, "added on 9 March", f.Burndown[7].Added, 5)
				eq(t, "linear ignores growth: 15/2 -> 8 working days", f.LinearDate, d(25))
				if !f.P85.After(d(25)) || f.P50.Before(d(25)) {
					t.Errorf("P50 %s P85 %s, want P85 after 2026-03-25 with growth modelled", f.P50.Format(time.DateOnly), f.P85.Format(time.DateOnly))
				}
				// Added and done are counted over the same days, those after
				// the start day (an item joining on it is planned scope, so
				// the 2 done on it are not counted either): 5 / 18; × 2 a
				// day × the 10 working days to Friday 27 March × 0.75 (the
				// taper to 50 %) = 4.2: 4 more items.
				eq(t, "growth per done 5/18", f.Explanation.GrowthPerDone, 0.278)
				wantNote(t, f, "5 items added and 18 done over the window's days since growth is counted, so 0.28 items added per item done, tapering to 50 % of that by the due date and none after: 4 more items at the observed pace")
			},
		},
		{
			name: "scope growth switched off",
			m: func() model.Milestone {
				m := steady(d(27))
				for i := 0; i < 5; i++ {
					m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("N-%d", i), Created: model.At(at(9, 10)),
						JoinedAt: model.At(at(9, 10)), JoinedKnown: true, Status: model.StatusTodo})
				}
				return m
			},
			opts: forecast.Options{ScopeGrowth: noGrowth()},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "P50", f.P50, d(25))
				eq(t, "P95", f.P95, d(25))
				wantNote(t, f, "scope growth not modelled")
			},
		},
		{
			name: "removed items leave the scope",
			m: func() model.Milestone {
				m := steady(d(20))
				m.Items[29].RemovedAt = model.At(at(10, 12))
				m.Items[28].RemovedAt = model.At(at(10, 12))
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "scope", f.ScopeItems, 28)
				eq(t, "removed", f.RemovedAfterStart, 2)
				eq(t, "burndown removed on 10 March", f.Burndown[8].Removed, 2)
				eq(t, "burndown scope on 10 March", f.Burndown[8].Scope, 28)
				eq(t, "burndown scope on 9 March", f.Burndown[7].Scope, 30)
			},
		},
		{
			name: "empty milestone",
			m:    func() model.Milestone { return model.Milestone{Key: "e", Due: d(20)} },
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastInsufficient)
				wantReason(t, f, model.ReasonNoItems, "no work items")
				wantNoDates(t, f)
			},
		},
		{
			name: "single open item, no history",
			m: func() model.Milestone {
				return model.Milestone{Key: "s", Due: d(20), Items: []model.WorkItem{{Key: "A", Created: model.At(d(1)), JoinedAt: model.At(d(1)), Status: model.StatusTodo}}}
			},
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastInsufficient)
				wantReason(t, f, model.ReasonNoHistory, "no history")
				wantNoDates(t, f)
				eq(t, "remaining", f.RemainingItems, 1)
				eq(t, "pace needed", f.PaceNeeded, 0.2)
				wantNote(t, f, "joined-at unknown for 1 items: creation time used")
				wantNote(t, f, "milestone start unknown")
			},
		},
		{
			name: "single done item",
			m: func() model.Milestone {
				return model.Milestone{Key: "s", Due: d(20), Items: []model.WorkItem{{Key: "A", Created: model.At(d(1)), JoinedAt: model.At(d(1)), Closed: model.At(at(3, 10)), Status: model.StatusDone}}}
			},
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastDone)
				eq(t, "prob on time", f.ProbOnTime, 1.0)
				eq(t, "done", f.DoneItems, 1)
				wantNoDates(t, f)
			},
		},
		{
			name: "all done, but after the due date",
			m: func() model.Milestone {
				m := steady(d(10))
				m.Items = m.Items[:20]
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastDone)
				eq(t, "prob on time", f.ProbOnTime, 0.0)
			},
		},
		{
			name: "history too short",
			m:    func() model.Milestone { return steady(d(20)) },
			now:  at(5, 12), // 3 working days in
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastInsufficient)
				wantReason(t, f, model.ReasonShortHistory, "history too short: 3 working days since work started on 2026-03-02 (need 5)")
				eq(t, "why", f.Why, model.ForecastReason{Code: model.ReasonShortHistory, Since: d(2), Days: 3, Need: 5})
				wantNoDates(t, f)
				eq(t, "done so far", f.DoneItems, 6)
			},
		},
		{
			name: "milestone not started yet",
			m:    func() model.Milestone { return steady(d(20)) },
			now:  at(1, 12),
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastInsufficient)
				wantReason(t, f, model.ReasonNotStarted, "no history yet: work on the milestone starts on 2026-03-02")
				eq(t, "why", f.Why, model.ForecastReason{Code: model.ReasonNotStarted, Since: d(2)})
				wantNoDates(t, f)
				eq(t, "scope", f.ScopeItems, 30)
			},
		},
		{
			name: "history too thin",
			m: func() model.Milestone {
				m := steady(d(20))
				for i := 0; i < 18; i++ { // only two completions
					m.Items[i].Closed, m.Items[i].Status = model.Instant{}, model.StatusInProgress
				}
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastInsufficient)
				wantReason(t, f, model.ReasonThinHistory, "history too thin: 2 items completed in the last 10 working days (need 3)")
				eq(t, "why", f.Why, model.ForecastReason{Code: model.ReasonThinHistory, Done: 2, Days: 10, Need: 3})
				eq(t, "done in the window, as the reason says", f.DoneInWindow, 2)
				wantNoDates(t, f)
			},
		},
		{
			name: "the future is invisible: replaying at an earlier moment",
			m:    func() model.Milestone { return steady(d(20)) },
			now:  at(9, 8), // Monday 9 March before anything closed that day
			check: func(t *testing.T, f model.Forecast) {
				wantStatus(t, f, model.ForecastOK)
				eq(t, "done", f.DoneItems, 10)
				eq(t, "samples", f.Explanation.Samples, []int{2, 2, 2, 2, 2})
				// 20 remaining at 2 a day: 10 working days from Mon 9 -> Fri 20.
				eq(t, "P50", f.P50, d(20))
			},
		},
		{
			name: "quick wins without any estimates are the items in progress",
			m: func() model.Milestone {
				m := steady(d(17))
				for i := 20; i < 30; i++ {
					m.Items[i].Estimated = false
				}
				m.Items[23].Status = model.StatusInProgress // T-24
				m.Items[28].Status = model.StatusInProgress // T-29
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				// In progress first: T-24, T-29, then T-21, T-22 fit the 4 at 95 %.
				eq(t, "quick wins", f.QuickWins, []string{"T-24", "T-29"})
			},
		},
		{
			name: "unestimated items are not quick wins when others are estimated",
			m: func() model.Milestone {
				m := steady(d(17))
				m.Items[20].Estimated = false // T-21
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "quick wins", f.QuickWins, []string{"T-22", "T-23", "T-24"})
			},
		},
		{
			name: "signals: blocked, stale, unestimated",
			m: func() model.Milestone {
				m := steady(d(20))
				m.Items[20].Blocked, m.Items[20].BlockedSince = true, model.At(at(13, 12)) // 3 days
				m.Items[21].BlockedDays = 1.5                                              // was blocked, no longer
				m.Items[22].Started, m.Items[22].Status = model.At(at(1, 12)), model.StatusInProgress
				m.Items[23].Started, m.Items[23].Status = model.At(at(10, 12)), model.StatusInProgress
				m.Items[24].Estimated, m.Items[25].Estimated = false, false
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "blocked items", f.Signals.BlockedItems, 1)
				eq(t, "blocked days", f.Signals.BlockedDays, 4.5)
				eq(t, "stale", f.Signals.StaleInProgress, 1)
				eq(t, "unestimated share", f.Signals.UnestimatedShare, 0.2)
			},
		},
		{
			name: "cut line follows rank, then work in progress; quick wins are small and early",
			m: func() model.Milestone {
				m := steady(d(17)) // two working days: 16 and 17 -> 4 items
				for i := 20; i < 30; i++ {
					m.Items[i].Rank = 30 - i // T-30 has rank 1 ... T-21 rank 10
				}
				m.Items[29].Rank = 0 // T-30 unranked: last
				m.Items[27].Rank = 2 // T-28 ties with T-29 (rank 2) but is in progress
				m.Items[27].Status = model.StatusInProgress
				m.Items[26].Points = 8 // T-27 is big
				return m
			},
			check: func(t *testing.T, f model.Forecast) {
				eq(t, "cut line", f.CutLine, []string{"T-28", "T-29", "T-27", "T-26"})
				// P85 is Fri 20: 5 working days, half is 2 -> 4 items at 95 %; T-27 is too big.
				eq(t, "quick wins", f.QuickWins, []string{"T-28", "T-29", "T-26"})
				eq(t, "quick wins by", f.QuickWinsBy, d(17)) // the second working day
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := now
			if !tc.now.IsZero() {
				n = tc.now
			}
			f := forecast.Compute(tc.m(), n, tc.opts)
			tc.check(t, f)
		})
	}
}

func TestDeterministicUnderSeed(t *testing.T) {
	m := noisy(120, 60)
	now := d(2).AddDate(0, 0, 40)
	a := forecast.Compute(m, now, forecast.Options{Seed: 7})
	b := forecast.Compute(m, now, forecast.Options{Seed: 7})
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed gave different forecasts:\n%+v\n%+v", a, b)
	}
	if a.Status != model.ForecastOK || a.P50.After(a.P85) || a.P85.After(a.P95) || a.P50.Equal(a.P95) {
		t.Fatalf("want a spread forecast, got %s P50 %s P85 %s P95 %s", a.Status, a.P50, a.P85, a.P95)
	}
	c := forecast.Compute(m, now, forecast.Options{Seed: 8, Trials: 500})
	if c.Explanation.Seed != 8 || c.Explanation.Trials != 500 {
		t.Errorf("explanation seed/trials = %d/%d, want 8/500", c.Explanation.Seed, c.Explanation.Trials)
	}
}

// noisy builds a milestone of n items with an irregular throughput (0-4 a
// working day from a fixed pattern) over the first `days` calendar days.
func noisy(n, days int) model.Milestone {
	m := model.Milestone{Key: "noisy", Start: d(2), Due: d(2).AddDate(0, 0, days)}
	pattern := []int{0, 3, 1, 4, 2, 0, 1, 3, 2, 4, 1, 0, 2}
	k, p := 0, 0
	for day := 0; day < days && k < n; day++ {
		t := d(2).AddDate(0, 0, day)
		if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			continue
		}
		for j := 0; j < pattern[p%len(pattern)] && k < n; j++ {
			m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("N-%d", k), Created: model.At(d(1)), JoinedAt: model.At(d(1)), JoinedKnown: true,
				Closed: model.At(t.Add(14 * time.Hour)), Status: model.StatusDone, Points: 1, Estimated: true})
			k++
		}
		p++
	}
	for ; k < n; k++ {
		m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("N-%d", k), Created: model.At(d(1)), JoinedAt: model.At(d(1)), JoinedKnown: true, Status: model.StatusTodo})
	}
	return m
}

func TestValidate(t *testing.T) {
	if err := (forecast.Options{}).Validate(); err != nil {
		t.Fatalf("zero options: %v", err)
	}
	ok := forecast.Options{Trials: 500, WindowDays: 28, WorkingDays: []string{"Mon", "tuesday"}, Holidays: []string{"2026-12-25"}, Confidence: 0.9}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	bad := forecast.Options{Trials: -1, WindowDays: 3, WorkingDays: []string{"mon", "funday", "mon"},
		Holidays: []string{"2026-13-01"}, Confidence: 1.5, MinHistoryDays: -1, MinCompletions: -2,
		StaleDays: -3, HorizonDays: 10, QuickWinPoints: -1, TimeZone: "Mars/Olympus", Resamples: 100}
	err := bad.Validate()
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *forecast.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a FieldError", e)
		}
		keys = append(keys, fe.Key)
	}
	want := []string{"trials", "window_days", "working_days[1]", "working_days[2]", "holidays[0]", "confidence",
		"time_zone", "resamples", "min_history_days", "min_completions", "stale_days", "horizon_days", "quick_win_points"}
	eq(t, "keys", keys, want)
	if !strings.Contains(err.Error(), `working_days[1]: "funday" is not a day`) {
		t.Errorf("message: %v", err)
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantStatus(t *testing.T, f model.Forecast, s model.ForecastStatus) {
	t.Helper()
	if f.Status != s {
		t.Fatalf("status = %s (%s), want %s", f.Status, f.Reason, s)
	}
}

// wantReason checks the reason's code and that its English text (the same
// as Why renders) contains sub.
func wantReason(t *testing.T, f model.Forecast, code model.ReasonCode, sub string) {
	t.Helper()
	if f.Why.Code != code || f.Reason != f.Why.String() {
		t.Errorf("why = %+v (%q), want code %s and the reason %q", f.Why, f.Why.String(), code, f.Reason)
	}
	if !strings.Contains(f.Reason, sub) {
		t.Errorf("reason = %q, want it to contain %q", f.Reason, sub)
	}
}

func wantNote(t *testing.T, f model.Forecast, sub string) {
	t.Helper()
	for _, a := range f.Explanation.Assumptions {
		if strings.Contains(a, sub) {
			return
		}
	}
	t.Errorf("assumptions %q: none contains %q", f.Explanation.Assumptions, sub)
}

func wantNoDates(t *testing.T, f model.Forecast) {
	t.Helper()
	if !f.P50.IsZero() || !f.P85.IsZero() || !f.P95.IsZero() || !f.LinearDate.IsZero() || len(f.CutLine) > 0 {
		t.Errorf("want no dates and no cut line, got P50 %s P85 %s P95 %s linear %s cut %v", f.P50, f.P85, f.P95, f.LinearDate, f.CutLine)
	}
}

// The worker forecasts milestones concurrently: Compute must share nothing.
// Run with -race to check.
func TestComputeConcurrently(t *testing.T) {
	m, now := noisy(150, 60), d(2).AddDate(0, 0, 35)
	want := forecast.Compute(m, now, forecast.Options{Trials: 2000})
	got := make([]model.Forecast, 4)
	done := make(chan int)
	for i := range got {
		go func() {
			got[i] = forecast.Compute(m, now, forecast.Options{Trials: 2000})
			done <- i
		}()
	}
	for range got {
		<-done
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("concurrent forecast %d differs", i)
		}
	}
}
