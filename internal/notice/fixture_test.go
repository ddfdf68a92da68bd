package notice

import (
	"fmt"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// fixtureItems is a realistic webshop relaunch: 24 items, 13 done, 6 of them
// added after the start, one blocked.
func fixtureItems() []model.WorkItem {
	type spec struct {
		title  string
		status model.StatusCategory
		joined time.Time
		closed time.Time
		start  time.Time
		points float64
		rank   int
	}
	start := day(10, 5)
	specs := []spec{
		{"Product listing page", model.StatusDone, start, day(10, 14), day(10, 6), 5, 1},
		{"Product detail page", model.StatusDone, start, day(10, 20), day(10, 9), 5, 2},
		{"Shopping cart", model.StatusDone, start, day(10, 23), day(10, 12), 8, 3},
		{"Customer sign-in", model.StatusDone, start, day(10, 16), day(10, 7), 3, 4},
		{"Search with filters", model.StatusDone, start, day(10, 29), day(10, 19), 5, 5},
		{"Order confirmation e-mail", model.StatusDone, start, day(11, 2), day(10, 27), 2, 6},
		{"Newsletter sign-up", model.StatusDone, start, day(10, 21), day(10, 20), 1, 7},
		{"Cookie consent banner", model.StatusDone, start, day(10, 27), day(10, 26), 2, 8},
		{"Store locator", model.StatusDone, start, day(11, 5), day(10, 30), 3, 9},
		{"Wish list", model.StatusDone, start, day(11, 9), day(11, 2), 3, 10},
		{"Address autocomplete", model.StatusDone, day(10, 19), day(11, 11), day(11, 4), 2, 11},
		{"Gift cards", model.StatusDone, day(10, 26), day(11, 12), day(11, 6), 5, 12},
		{"Accessibility fixes on checkout", model.StatusDone, start, day(11, 13), day(11, 10), 3, 13},
		{"Checkout with iDEAL and cards", model.StatusInProgress, start, time.Time{}, day(11, 9), 8, 14},
		{"Order history for customers", model.StatusInProgress, start, time.Time{}, day(11, 11), 5, 15},
		{"Stock sync with the warehouse", model.StatusInProgress, start, time.Time{}, day(11, 2), 8, 16},
		{"Discount codes", model.StatusTodo, day(10, 22), time.Time{}, time.Time{}, 3, 17},
		{"Product reviews", model.StatusTodo, day(11, 3), time.Time{}, time.Time{}, 5, 18},
		{"Invoice PDF download", model.StatusTodo, start, time.Time{}, time.Time{}, 3, 19},
		{"Delivery slot picker", model.StatusTodo, day(11, 5), time.Time{}, time.Time{}, 5, 20},
		{"Returns portal", model.StatusTodo, start, time.Time{}, time.Time{}, 5, 21},
		{"Favicon and app icons", model.StatusTodo, start, time.Time{}, time.Time{}, 1, 22},
		{"Analytics events", model.StatusTodo, day(11, 10), time.Time{}, time.Time{}, 2, 23},
		{"Performance budget", model.StatusTodo, start, time.Time{}, time.Time{}, 3, 24},
	}
	items := make([]model.WorkItem, len(specs))
	for i, s := range specs {
		items[i] = model.WorkItem{
			Key: fmt.Sprintf("acme/web#%d", 101+i), URL: fmt.Sprintf("https://github.com/acme/web/issues/%d", 101+i), Title: s.title, Status: s.status,
			Created: model.At(s.joined), JoinedAt: model.At(s.joined), JoinedKnown: true, Closed: model.At(s.closed), Started: model.At(s.start),
			Points: s.points, Estimated: i != 21 && i != 22 && i != 23, Rank: s.rank,
		}
	}
	items[15].Blocked, items[15].BlockedSince, items[15].BlockedDays = true, model.At(day(11, 10)), 6.5
	return items
}

var dutchTitles = []string{"Productoverzicht", "Productpagina", "Winkelmandje", "Inloggen voor klanten", "Zoeken met filters",
	"Bevestigingsmail bij bestelling", "Aanmelden voor de nieuwsbrief", "Cookiemelding", "Winkelzoeker", "Verlanglijst",
	"Adres automatisch aanvullen", "Cadeaubonnen", "Toegankelijkheid van de kassa", "Afrekenen met iDEAL en creditcard",
	"Bestelgeschiedenis voor klanten", "Voorraadkoppeling met het magazijn", "Kortingscodes", "Productbeoordelingen",
	"Factuur als pdf downloaden", "Bezorgmoment kiezen", "Retourportaal", "Favicon en app-iconen", "Analytics-events",
	"Prestatiebudget"}

// fixtureBurndown derives a daily burn-down from the items.
func fixtureBurndown(items []model.WorkItem, from, to time.Time) []model.BurndownPoint {
	var pts []model.BurndownPoint
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		end := d.Add(24*time.Hour - time.Second)
		p := model.BurndownPoint{Day: d}
		for _, it := range items {
			if !it.InMilestoneAt(end) {
				continue
			}
			p.Scope++
			if it.DoneAt(end) {
				p.Done++
			}
			if d.After(from) && it.JoinedAt.Equal(d) {
				p.Added++
			}
		}
		p.Remaining = p.Scope - p.Done
		pts = append(pts, p)
	}
	return pts
}

// fixture is an at-risk milestone on Monday 16 November 2026, forecast by
// hand: due Friday 4 December, P85 Wednesday 16 December.
func fixture(lang string, purpose model.Purpose) Request {
	items := fixtureItems()
	now := time.Date(2026, 11, 16, 9, 30, 0, 0, time.UTC)
	ms := model.Milestone{Source: "github", Key: "github:acme/web#12", Kind: model.KindMilestone,
		Title: "Webshop relaunch", Container: "acme/web", URL: "https://github.com/acme/web/milestone/12", Client: "northwind",
		Start: day(10, 5), Due: day(12, 4), State: model.StateOpen, Items: items,
		Record: &model.TeamRecord{Basis: "the last 8 closed milestones of acme/web (closed 5 Jun – 30 Oct 2026)",
			Milestones: 8, OnTime: 5, DeliveredRatio: 0.912, Slips: []float64{-0.1, -0.05, 0, 0, 0, 0.08, 0.15, 0.4}}}
	fc := model.Forecast{
		MilestoneKey: ms.Key, AsOf: now, Status: model.ForecastOK,
		ScopeItems: 24, DoneItems: 13, RemainingItems: 11, ScopePoints: 91, DonePoints: 47, RemainingPoints: 44,
		AddedAfterStart: 6, AddedInWindow: 2, DoneInWindow: 9, // 0.45 done a working day over the 21 of the window
		P50: day(12, 9), P85: day(12, 16), P95: day(12, 22), ProbOnTime: 0.18, SimProbOnTime: 0.2, LinearDate: day(12, 11),
		PaceNeeded: 0.79, PaceObserved: 0.45,
		Burndown:    fixtureBurndown(items, day(10, 5), day(11, 16)),
		Signals:     model.Signals{ScopeCreep: 0.25, BlockedItems: 1, BlockedDays: 6.5, StaleInProgress: 1, UnestimatedShare: 0.125, ThroughputTrend: 0.9, DaysSinceLastDone: 3},
		Explanation: model.Explanation{ItemsCounted: 24, Commitment: day(10, 5), CommitmentBasis: "the milestone's start date", WindowStart: day(10, 17), WindowEnd: day(11, 16), WindowDays: 30, Trials: 10000, Seed: 1},
		CutLine:     []string{"acme/web#114", "acme/web#115", "acme/web#122"},
		// Half the 22 working days to P85, by hand: Tuesday 1 December.
		QuickWins: []string{"acme/web#122"}, QuickWinsBy: day(12, 1),
	}
	cl := model.Client{ID: "northwind", Name: "Northwind Traders", Contact: "Dana Whitfield", Owner: "Sam Porter",
		Locale: "en-GB", TimeZone: "Europe/London", Concession: "two weeks of extra support after launch at no charge",
		Dates:   []model.ClientDate{{Name: "Christmas campaign", Date: day(12, 14)}},
		Tracker: "sam.porter"}
	if lang == langNL {
		ms.Title = "Vernieuwde webshop"
		for i := range ms.Items {
			ms.Items[i].Title = dutchTitles[i]
		}
		cl = model.Client{ID: "korenschoof", Name: "Bakkerij De Korenschoof", Contact: "Marieke de Vries", Owner: "Joost Bakker",
			Locale: "nl-NL", TimeZone: "Europe/Amsterdam", Concession: "10% korting op de factuur van deze oplevering",
			Dates: []model.ClientDate{{Name: "kerstcampagne", Date: day(12, 14)}}}
	}
	fin := model.Finding{Rule: "p85-after-due", MilestoneKey: ms.Key, Purpose: purpose, Severity: "warning",
		ActiveSince: time.Date(2026, 11, 12, 8, 0, 0, 0, time.UTC), FiredAt: time.Date(2026, 11, 13, 8, 0, 0, 0, time.UTC)}
	h := History{FirstDetected: fin.FiredAt,
		Forecasts: []model.ForecastRecord{
			{AsOf: day(11, 2), Status: model.ForecastOK, P50: day(12, 1), P85: day(12, 7), P95: day(12, 11), ProbOnTime: 0.58, Scope: 21, Remaining: 12},
			// Written at 9:30 on 9 November, when 10 of the 23 items were done.
			{AsOf: day(11, 9).Add(9*time.Hour + 30*time.Minute), Status: model.ForecastOK, P50: day(12, 4), P85: day(12, 10), P95: day(12, 15), ProbOnTime: 0.41, Scope: 23, Remaining: 13},
		}}
	req := Request{Purpose: purpose, Finding: fin, Milestone: ms, Forecast: fc, Client: cl, History: h, Now: now}
	switch purpose {
	case model.PurposeProgressUpdate:
		last := h.Forecasts[1]
		req.History.LastWritten = &last
		req.History.NoticeDrafted = time.Date(2026, 11, 13, 8, 0, 5, 0, time.UTC)
		req.History.NoticeID, req.History.NoticeURL = "acme/delivery#7", "https://github.com/acme/delivery/issues/7"
	case model.PurposePostMortem:
		// Three days after the due date, still open.
		req.Now = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		req.Forecast.AsOf = req.Now
		req.Forecast.DoneItems, req.Forecast.RemainingItems = 19, 5
		req.Forecast.P50, req.Forecast.P85, req.Forecast.P95 = day(12, 10), day(12, 15), day(12, 18)
		req.Forecast.ProbOnTime = 0
		req.Forecast.CutLine, req.Forecast.QuickWins = nil, nil
		req.History.NoticeDrafted = time.Date(2026, 11, 13, 8, 0, 5, 0, time.UTC)
		req.History.Forecasts = append(req.History.Forecasts,
			model.ForecastRecord{AsOf: day(11, 20), Status: model.ForecastOK, P50: day(12, 9), P85: day(12, 16), P95: day(12, 22), ProbOnTime: 0.15, Scope: 24, Remaining: 10},
			model.ForecastRecord{AsOf: day(11, 27), Status: model.ForecastOK, P50: day(12, 9), P85: day(12, 15), P95: day(12, 19), ProbOnTime: 0.04, Scope: 24, Remaining: 8})
		for i := range req.Milestone.Items {
			it := &req.Milestone.Items[i]
			if i >= 13 && i < 19 {
				it.Status, it.Closed = model.StatusDone, model.At(day(11, 20).AddDate(0, 0, i-13))
				if it.Started.IsZero() {
					it.Started = model.At(day(11, 18))
				}
			}
		}
	}
	return req
}
