package notice

import (
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// sampleRequests are what templates are test-rendered with at load: every
// branch a template is likely to have (rich data, bare data, a second slip,
// no usable forecast, a diverging one, a closed sprint).
func sampleRequests(p model.Purpose, lang string) []Request {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	at := func(m time.Month, day int) model.Instant { return model.At(d(m, day)) }
	items := []model.WorkItem{
		{Key: "S-1", Title: "Sign-in", Status: model.StatusDone, Created: at(9, 1), JoinedAt: at(9, 1), Closed: at(10, 1), Started: at(9, 20), Points: 3, Estimated: true},
		{Key: "S-2", Title: "Checkout", Status: model.StatusInProgress, Created: at(9, 1), JoinedAt: at(9, 1), Started: at(10, 20), Rank: 1, Blocked: true, BlockedDays: 4},
		{Key: "S-3", Title: "Invoices", Status: model.StatusTodo, Created: at(10, 5), JoinedAt: at(10, 5), JoinedKnown: true},
	}
	// Due 23 November when work started, moved to the 30th since: the
	// moved-date branches render too.
	ms := model.Milestone{Key: "sample:1", Title: "Sample release", Kind: model.KindMilestone, Start: d(9, 1), Due: d(11, 30), PromisedDue: d(11, 23), State: model.StateOpen, Items: items}
	fc := model.Forecast{MilestoneKey: "sample:1", AsOf: d(11, 2), Status: model.ForecastOK,
		ScopeItems: 3, DoneItems: 1, RemainingItems: 2, AddedAfterStart: 1,
		P50: d(12, 4), P85: d(12, 11), P95: d(12, 18), ProbOnTime: 0.2, SimProbOnTime: 0.2, PaceNeeded: 0.5, PaceObserved: 0.3,
		Burndown:  []model.BurndownPoint{{Day: d(9, 1), Scope: 2, Remaining: 2}, {Day: d(11, 2), Scope: 3, Done: 1, Remaining: 2}},
		Signals:   model.Signals{ScopeCreep: 0.33, BlockedItems: 1, BlockedDays: 4},
		CutLine:   []string{"S-2"},
		QuickWins: []string{"S-3"}, QuickWinsBy: d(11, 20),
	}
	cl := model.Client{ID: "c", Name: "Client", Contact: "Sam", Owner: "Alex", Locale: lang, TimeZone: "Europe/Amsterdam",
		Concession: "Two weeks of extra support", Dates: []model.ClientDate{{Name: "Launch", Date: d(12, 1)}}}
	fin := model.Finding{Rule: "sample", MilestoneKey: "sample:1", Purpose: p, Severity: "warning", FiredAt: d(11, 1)}
	rec := fc.Record()
	rec.AsOf, rec.P85, rec.Scope = d(10, 26), d(12, 2), 2
	rich := Request{Purpose: p, Finding: fin, Milestone: ms, Forecast: fc, Client: cl, Now: d(11, 2).Add(9 * time.Hour),
		History: History{FirstDetected: d(11, 1), NoticeDrafted: d(11, 1), Forecasts: []model.ForecastRecord{rec}, LastWritten: &rec}}

	bare := rich
	bare.Client = model.Client{}
	bare.Forecast.CutLine, bare.Forecast.QuickWins = nil, nil
	bare.History = History{}
	bare.Milestone.Start = time.Time{}

	slip := rich
	slip.History.AgreedDates = []time.Time{d(12, 7)}
	slip.Now = d(12, 9)

	none := rich
	none.Forecast.Status = model.ForecastInsufficient
	none.Forecast.Why = model.ForecastReason{Code: model.ReasonThinHistory, Days: 10, Need: 3}
	none.Forecast.Reason = none.Forecast.Why.String()
	none.Forecast.P50, none.Forecast.P85, none.Forecast.P95 = time.Time{}, time.Time{}, time.Time{}

	div := none
	div.Forecast.Status = model.ForecastDiverging
	div.Forecast.Why = model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: 730, Remaining: 2, Days: 22, Added: 12, Done: 5, Pace: 0.23}
	div.Forecast.Reason = div.Forecast.Why.String()
	div.Forecast.AddedInWindow, div.Forecast.DoneInWindow = 12, 5

	// A sprint, so that the sprint branches render too.
	closed := rich
	closed.Milestone.Kind = model.KindSprint
	closed.Milestone.State = model.StateClosed
	closed.Milestone.ClosedAt = d(12, 10)
	closed.Forecast.Status = model.ForecastDone
	return []Request{rich, bare, slip, none, div, closed}
}
