// Package forecast turns a milestone's item histories into a burn-down series
// and a completion forecast: a Monte Carlo simulation over the observed daily
// throughput (with scope growth at the observed rate), a straight-line
// projection beside it, early-warning signals, a data-quality guard, a cut
// line and quick wins.
//
// Compute is pure: no I/O, the clock is passed in, and the same seed, data and
// clock always give the same forecast. It uses only what was known at `now`:
// items that join, close, start or leave after `now` are treated as not yet
// having done so, so a full history can be replayed at any past moment.
package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// burndownMaxDays caps the burn-down series (the most recent days are kept).
const burndownMaxDays = 400

// trendDays is the "last two weeks" of the throughput trend, in working days.
const trendDays = 10

const never = math.MaxInt64

// item is one work item reduced to UTC day numbers as known at now.
type item struct {
	w           *model.WorkItem
	join        int64 // day it joined the milestone
	removed     int64 // day it left, never if still in
	doneDay     int64 // day it was done (as part of the milestone), never if open
	closeKnown  bool  // doneDay comes from a close time
	inScope     bool  // in the milestone at now
	done        bool  // done at now
	inProgress  bool  // started and open at now
	startedTime time.Time
	started     int64 // day it was started, never if unknown or not yet
}

// Compute forecasts milestone m as of now. It fills every field of
// model.Forecast; see the package documentation and docs/forecasting.md.
func Compute(m model.Milestone, now time.Time, o Options) model.Forecast {
	s := o.resolve()
	now = now.UTC()
	today := s.dayOf(now)
	f := model.Forecast{MilestoneKey: m.Key, AsOf: now, Status: model.ForecastOK}
	f.Explanation = model.Explanation{WindowDays: s.windowDays, Trials: s.trials, Seed: s.seed}
	f.Signals.DaysSinceLastDone = -1
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	// Reduce items to what was known at now.
	items := make([]item, 0, len(m.Items))
	unknownJoin, unknownClose := 0, 0
	startDay := int64(never)
	workStart := int64(never)
	lastDone := int64(-1 << 62)
	for i := range m.Items {
		w := &m.Items[i]
		joinT := w.JoinedAt.Time()
		if joinT.IsZero() {
			joinT = w.Created.Time()
		}
		if joinT.After(now) {
			continue // not part of the milestone yet
		}
		it := item{w: w, join: s.dayOf(joinT), removed: never, doneDay: never, started: never}
		if !w.JoinedKnown {
			unknownJoin++
		}
		removedByNow := !w.RemovedAt.IsZero() && !w.RemovedAt.After(now)
		if removedByNow {
			it.removed = s.dayOf(w.RemovedAt.Time())
		}
		it.inScope = !removedByNow
		switch {
		case !w.Closed.IsZero() && !w.Closed.After(now):
			c := w.Closed.Time()
			if c.Before(joinT) {
				c = joinT // done before it joined: done for the milestone when it joined
			}
			if !removedByNow || w.RemovedAt.After(c) {
				it.doneDay, it.closeKnown = s.dayOf(c), true
			}
			it.done = true
		case w.Closed.IsZero() && w.Status == model.StatusDone:
			it.done = true
			if !removedByNow {
				it.doneDay = it.join
				if it.inScope {
					unknownClose++
				}
			}
		}
		if !it.done {
			started := !w.Started.IsZero() && !w.Started.After(now)
			it.inProgress = started || (w.Started.IsZero() && w.Status == model.StatusInProgress)
			if started {
				it.startedTime = w.Started.Time()
			}
		}
		startDay = min(startDay, it.join)
		if !w.Started.IsZero() && !w.Started.After(now) {
			it.started = s.dayOf(w.Started.Time())
			workStart = min(workStart, it.started)
		}
		if it.closeKnown {
			workStart = min(workStart, it.doneDay)
			lastDone = max(lastDone, it.doneDay)
		}
		items = append(items, it)
	}
	firstWork := workStart // the first day an item was started or finished
	committed := !m.Start.IsZero() && m.StartBasis != model.StartCreated
	switch {
	case committed:
		startDay = dayNum(m.Start)
		workStart = startDay
	case !m.Start.IsZero():
		startDay = dayNum(m.Start)
		if workStart != never {
			workStart = max(workStart, startDay)
		}
	case len(items) > 0:
		note("milestone start unknown: the day the first item joined (%s) is used", dayTime(startDay).Format(time.DateOnly))
	}
	if startDay == never {
		startDay = today
	}
	commitDay, basis := startDay, ""
	if committed {
		basis = committedBasis(m)
	} else {
		commitDay, basis = inferCommitment(items, startDay, today, m.Start.IsZero())
	}
	f.Explanation.Commitment = dayTime(commitDay)
	f.Explanation.CommitmentBasis = basis
	note("commitment point %s: %s", dayTime(commitDay).Format(time.DateOnly), basis)
	if unknownJoin > 0 {
		note("joined-at unknown for %d items: creation time used", unknownJoin)
	}
	if unknownClose > 0 {
		note("close time unknown for %d done items: counted as done, not as throughput", unknownClose)
	}

	// Counts and signals.
	var addedInScope int
	for i := range items {
		it := &items[i]
		w := it.w
		if it.join > commitDay {
			f.AddedAfterStart++
		}
		if it.removed != never && it.removed > commitDay {
			f.RemovedAfterStart++
		}
		if !it.inScope {
			continue
		}
		if it.join > commitDay {
			addedInScope++
		}
		f.ScopeItems++
		f.ScopePoints += w.Points
		if it.done {
			f.DoneItems++
			f.DonePoints += w.Points
			continue
		}
		f.RemainingItems++
		f.RemainingPoints += w.Points
		if !w.Estimated {
			f.Signals.UnestimatedShare++
		}
		if w.Blocked {
			f.Signals.BlockedItems++
		}
		switch {
		case w.BlockedDays > 0:
			f.Signals.BlockedDays += w.BlockedDays
		case w.Blocked && !w.BlockedSince.IsZero() && w.BlockedSince.Before(now):
			f.Signals.BlockedDays += now.Sub(w.BlockedSince.Time()).Hours() / 24
		}
		if it.inProgress && !it.startedTime.IsZero() && now.Sub(it.startedTime) > time.Duration(s.staleDays)*24*time.Hour {
			f.Signals.StaleInProgress++
		}
	}
	f.Explanation.ItemsCounted = f.ScopeItems
	if f.RemainingItems > 0 {
		f.Signals.UnestimatedShare = round(f.Signals.UnestimatedShare/float64(f.RemainingItems), 3)
	}
	f.Signals.BlockedDays = round(f.Signals.BlockedDays, 1)
	if f.ScopeItems > 0 {
		f.Signals.ScopeCreep = round(float64(addedInScope)/float64(f.ScopeItems), 3)
	}
	if lastDone > -1<<62 {
		f.Signals.DaysSinceLastDone = int(today - lastDone)
	}

	f.Burndown = burndown(items, startDay, commitDay, today)

	// Throughput samples: working days in the window since work started,
	// excluding today (it is not over).
	winStart := today - int64(s.windowDays)
	if workStart != never && workStart > winStart {
		winStart = workStart
	}
	var samples, netSamples []int32
	windowDone, growthDone := 0, 0
	if workStart != never && winStart < today {
		// The growth rate counts items that joined once work was under way:
		// a backlog filled in during the first days after the commitment,
		// before anything was started, is a one-off, not a rate to project.
		growthFrom := commitDay
		if firstWork != never {
			growthFrom = max(commitDay, firstWork)
		}
		samples, netSamples, windowDone = throughput(items, &s, winStart, today, growthFrom)
		growthDone = doneAfter(items, max(winStart, growthFrom+1), today)
	}
	// Items added after the commitment point, less unfinished items that
	// left, and items done over the window: set before the data-quality
	// guard, so a forecast without a date still gives the figures its
	// reason names.
	var addedNet int
	for i := range samples {
		addedNet += int(samples[i] - netSamples[i])
	}
	f.AddedInWindow, f.DoneInWindow = addedNet, windowDone
	f.Explanation.Samples = make([]int, len(samples))
	var sum int
	for i, v := range samples {
		f.Explanation.Samples[i] = int(v)
		sum += int(v)
	}
	if len(samples) > 0 {
		f.Explanation.WindowStart = dayTime(winStart)
		f.Explanation.WindowEnd = dayTime(today - 1)
		f.PaceObserved = round(float64(sum)/float64(len(samples)), 3)
		k := min(trendDays, len(samples))
		var recent int
		for _, v := range samples[len(samples)-k:] {
			recent += int(v)
		}
		if sum > 0 {
			f.Signals.ThroughputTrend = round((float64(recent)/float64(k))/(float64(sum)/float64(len(samples))), 3)
		}
		note("throughput: %d items completed over %d working days from %s to %s (window %d calendar days, from when work started)",
			sum, len(samples), dayTime(winStart).Format(time.DateOnly), dayTime(today-1).Format(time.DateOnly), s.windowDays)
	}
	zone := "UTC"
	if s.loc != nil {
		zone = s.loc.String()
	}
	note("working days: %s; %d holidays configured; days end at midnight %s", strings.Join(s.workNames, ","), len(s.holidays), zone)
	note("items are counted, not points; today counts as a full working day")

	// Due date and pace needed.
	due := m.EffectiveDue()
	dueSteps := 0
	if due.IsZero() {
		note("no due date: probability on time, pace needed and cut line are not computed")
	} else {
		dueDay := dayNum(due)
		if dueDay >= today {
			dueSteps = s.workingDaysBetween(today, dueDay)
		}
		switch {
		case f.RemainingItems == 0:
		case dueSteps > 0:
			f.PaceNeeded = round(float64(f.RemainingItems)/float64(dueSteps), 3)
		default:
			f.PaceNeeded = float64(f.RemainingItems)
			note("no working days left before the due date %s: pace needed is the whole remainder", dayTime(dueDay).Format(time.DateOnly))
		}
	}

	finish := func(status model.ForecastStatus, why model.ForecastReason) model.Forecast {
		f.Status, f.Why, f.Reason = status, why, why.String()
		calibrate(&f, m, note)
		f.Explanation.Assumptions = notes
		return f
	}

	// Data-quality guard.
	switch {
	case f.ScopeItems == 0:
		return finish(model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonNoItems})
	case f.RemainingItems == 0:
		f.ProbOnTime = 1
		if !due.IsZero() && lastDone > dayNum(due) {
			f.ProbOnTime = 0
		}
		return finish(model.ForecastDone, model.ForecastReason{})
	case workStart == never:
		return finish(model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonNoHistory})
	case workStart >= today:
		return finish(model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonNotStarted, Since: dayTime(workStart)})
	case len(samples) < s.minHistory:
		return finish(model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonShortHistory,
			Since: dayTime(workStart), Days: len(samples), Need: s.minHistory})
	case windowDone < s.minDone:
		return finish(model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonThinHistory,
			Done: windowDone, Days: len(samples), Need: s.minDone})
	}

	// Calendar of future working days: stepDay[k] is the k-th working day
	// from today (today included when it is one).
	stepDay := make([]int64, 1, s.horizon/7*5+16)
	stepDay[0] = today - 1
	for d := today; d <= today+int64(s.horizon); d++ {
		if s.isWork(d) {
			stepDay = append(stepDay, d)
		}
	}
	maxSteps := len(stepDay) - 1
	dueSteps = min(dueSteps, maxSteps)

	// Scope growth over the window: items that joined after the commitment
	// point, less unfinished items that left (addedNet), per item done.
	in := simInput{trials: s.trials, seed: s.seed, remaining: f.RemainingItems, net: samples, maxSteps: maxSteps}
	switch {
	case !s.growth:
		note("scope growth not modelled (scope_growth: false)")
	case s.resampledGrowth:
		in.net = netSamples
		note("scope growth modelled: %+d items net over the window (%.2f per working day), resampled with each day's throughput (growth_model: resampled)",
			addedNet, float64(addedNet)/float64(len(samples)))
	case dueSteps == 0:
		note("scope growth not modelled: no working days left before the due date (growth stops at the due date)")
	default:
		// Items added per item done, both counted over the same days: those
		// after the day growth is counted from (the window's days before
		// it, when it falls inside the window, added nothing by definition).
		g := max(float64(addedNet), 0) / float64(max(growthDone, 1))
		f.Explanation.GrowthPerDone = round(min(g, MaxGrowthPerDone), 3)
		// Growth goes on until the due date, tapering from today's rate
		// per item done to GrowthAtDue of it, and stops there: at the
		// observed pace, grown more items. They are the same in every
		// resampled history: items are filed at the rate they were filed,
		// not faster when a resampled history's pace is faster. (Scaled by
		// each history's own pace, the growth cancelled the uncertainty of
		// the pace over all the work still to be filed, and early forecasts
		// of milestones filed over their life were far too narrow.)
		grown := int(math.Round(f.Explanation.GrowthPerDone * mean(samples) * float64(dueSteps) * (1 + GrowthAtDue) / 2))
		projected := grown
		// Filing that has stopped (a freeze before the release) projects
		// no more growth: no item has joined for StoppedGaps × the
		// window's mean gap between days on which items joined.
		joinDays, quiet := filingQuiet(samples, netSamples)
		stopped := grown > 0 && float64(quiet) >= StoppedGaps*float64(len(samples))/float64(joinDays)
		if stopped {
			grown = 0
		}
		life := lifeShare(startDay, dayNum(due), now)
		habit, share, useHabit := profileGrowth(m.Record, f.ScopeItems, life)
		// The habit's growth has the window model's bound: at most
		// MaxGrowthPerDone items per item done at the observed pace to the
		// due date (untapered).
		habitBound := int(math.Round(MaxGrowthPerDone * mean(samples) * float64(dueSteps)))
		habitBounded := habit > float64(habitBound)
		if useHabit {
			grown = habitBound
			if !habitBounded {
				grown = int(habit)
			}
		}
		in.remaining += grown
		// Days on which the team finished everything open show what was
		// filed, not what it could have closed: the simulation fills them
		// in (see ranout.go).
		out := ranOut(items, &s, winStart, today, len(samples))
		if pace, n := capacitySamples(samples, out); n > 0 {
			in.ranOut = out
			note("the team finished everything open on %d of the %d days: those days' completions are a lower bound of its pace, filled in from the days with work left over (%.2f a working day instead of %.2f)",
				n, len(samples), mean(pace), f.PaceObserved)
		}
		bound := ""
		if g > MaxGrowthPerDone {
			bound = fmt.Sprintf(" (observed %.2f, bounded at %.0f)", g, MaxGrowthPerDone)
		}
		if useHabit {
			expected := fmt.Sprintf("%d more items are expected", grown)
			if habitBounded {
				expected = fmt.Sprintf("%.0f more items would be expected, bounded at %d (%.0f per item done at the observed pace to the due date)", habit, grown, MaxGrowthPerDone)
			}
			note("scope growth from the team's filing habit: its %d recorded milestones held a median %.0f %% of their final scope at %.0f %% of their life, so %s (%d items now); the window's rate (%d added and %d done, %.2f added per item done%s) would project %d, in every resampled history",
				m.Record.ProfileMilestones, 100*share, 100*min(max(life, 0), 1), expected, f.ScopeItems, addedNet, growthDone, f.Explanation.GrowthPerDone, bound, projected)
		} else {
			if stopped {
				note("scope growth not projected: %d items added and %d done over the window's days since growth is counted (%.2f added per item done%s, %d more items by the due date at that rate), but no item has joined for the last %d working days, %.0f or more times the window's mean gap between days on which items joined (%d of %d working days): filing has stopped",
					addedNet, growthDone, f.Explanation.GrowthPerDone, bound, projected, quiet, StoppedGaps, joinDays, len(samples))
			} else {
				note("scope growth modelled: %d items added and %d done over the window's days since growth is counted, so %.2f items added per item done%s, tapering to %.0f %% of that by the due date and none after: %d more items at the observed pace, in every resampled history",
					addedNet, growthDone, f.Explanation.GrowthPerDone, bound, 100*GrowthAtDue, grown)
			}
		}
	}

	bagged := newResamples(in.net, s.resamples, s.seed)
	if s.resamples > 1 {
		note("%d trials over %d resamples of the %d observed days, so the uncertainty of the pace itself is included", s.trials, s.resamples, len(samples))
	} else {
		note("%d trials over the %d observed days as they are (resamples: 1)", s.trials, len(samples))
	}
	res := simulateBagged(in, bagged)
	// The team's record may stretch the simulated time to finish (see
	// dateStretch); P(on time) is calibrated separately (calibrate).
	stretch := dateStretch(m.Record)
	if stretch > 1 {
		note("dates stretched by %.2f: the team's earlier milestones finished a median %.0f %% of their planned length late (%d known), and half of that is taken as the simulation's optimism",
			stretch, 100*medianOf(m.Record.Slips), len(m.Record.Slips))
	}
	beyond := false
	date := func(q float64) time.Time {
		k := res.quantileStep(q, s.trials)
		if k >= 0 && stretch > 1 {
			k = int(math.Ceil(float64(k) * stretch))
			if k > maxSteps {
				k = -1
			}
		}
		if k < 0 {
			note("P%02.0f is beyond the %d-day horizon: no date is given", q*100, s.horizon)
			beyond = beyond || q <= 0.85
			return time.Time{}
		}
		return dayTime(stepDay[k])
	}
	f.P50, f.P85, f.P95 = date(0.50), date(0.85), date(0.95)
	if res.never > 0 {
		note("%d of %d trials did not finish within %d days", res.never, s.trials, s.horizon)
	}
	if !due.IsZero() {
		f.ProbOnTime = round(res.finishedBy(dueSteps, s.trials), 4)
	}

	// Straight line: remaining / observed pace (no date beyond the horizon).
	if f.PaceObserved > 0 {
		k := int(math.Ceil(float64(f.RemainingItems) / (float64(sum) / float64(len(samples)))))
		if k <= maxSteps {
			f.LinearDate = dayTime(stepDay[k])
		}
	}

	// Cut line and quick wins.
	order := cutOrder(items)
	newDate := f.Quantile(s.confidence)
	half := 0
	for k := 1; k <= maxSteps && stepDay[k] <= dayNum(newDate); k++ {
		half = k
	}
	half /= 2
	cutSteps := 0
	if !due.IsZero() {
		cutSteps = dueSteps
	}
	fit := capacity(samples, bagged, len(order), capQuery{steps: cutSteps, c: s.confidence}, capQuery{steps: half, c: 0.95})
	for _, it := range order[:min(fit[0], len(order))] {
		f.CutLine = append(f.CutLine, it.w.Key)
	}
	if half > 0 {
		// Small means estimated at most quick_win_points; where nothing
		// remaining is estimated, the items already in progress stand in.
		estimated := false
		for _, it := range order {
			estimated = estimated || it.w.Estimated
		}
		for _, it := range order[:min(fit[1], len(order))] {
			small := it.w.Estimated && it.w.Points <= s.quickWinPoints
			if !estimated {
				small = it.inProgress
			}
			if small && len(f.QuickWins) < 5 {
				f.QuickWins = append(f.QuickWins, it.w.Key)
			}
		}
		if len(f.QuickWins) > 0 {
			f.QuickWinsBy = dayTime(stepDay[half])
		}
	}
	if beyond {
		// A forecast that does not converge gives no date at all: a P50 or a
		// straight line beside "no date" would still be read as a promise.
		f.P50, f.LinearDate = time.Time{}, time.Time{}
		return finish(model.ForecastDiverging, model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: s.horizon,
			Remaining: f.RemainingItems, Days: len(samples), Added: addedNet, Done: windowDone, Pace: f.PaceObserved})
	}
	return finish(model.ForecastOK, model.ForecastReason{})
}

// committedBasis says which commitment point a tracker-given start is.
func committedBasis(m model.Milestone) string {
	switch {
	case m.StartBasis == model.StartDescription:
		return "the start given in the milestone's description"
	case m.Kind == model.KindSprint:
		return "the sprint's start"
	case m.Kind == model.KindFixVersion:
		return "the version's start date"
	}
	return "the milestone's start date"
}

// earnestEvents is how many items must have been started or finished before
// work on a milestone without a start date counts as started in earnest.
const earnestEvents = 3

// inferCommitment finds the commitment point of a milestone that has no
// start date of its own (a GitHub milestone: only when it was created): the
// day work started in earnest, when the third item was started or finished
// (a single early item does not commit a team). Items filed before it are
// planned scope, not growth. It is never before the start day nor after today.
func inferCommitment(items []item, startDay, today int64, noStart bool) (int64, string) {
	var events []int64
	for i := range items {
		it := &items[i]
		switch {
		case it.started != never && it.closeKnown:
			events = append(events, min(it.started, it.doneDay))
		case it.started != never:
			events = append(events, it.started)
		case it.closeKnown:
			events = append(events, it.doneDay)
		}
	}
	what := "only its creation date is known"
	if noStart {
		what = "its start is unknown"
	}
	if len(events) == 0 {
		return today, fmt.Sprintf("inferred: the milestone has no start date (%s) and no work has started, so nothing counts as added yet", what)
	}
	slices.Sort(events)
	k := min(earnestEvents, len(events))
	d := min(max(events[k-1], startDay), today)
	return d, fmt.Sprintf("inferred: the milestone has no start date (%s); work started in earnest when the %s item was started or finished, and items filed before then are planned scope", what, ordinal(k))
}

func ordinal(k int) string {
	switch k {
	case 1:
		return "first"
	case 2:
		return "second"
	}
	return "third"
}

// cutOrder orders the remaining items the way a team works through them:
// ranked items first by rank, then in progress before to do, then by key.
func cutOrder(items []item) []*item {
	var out []*item
	for i := range items {
		if items[i].inScope && !items[i].done {
			out = append(out, &items[i])
		}
	}
	slices.SortStableFunc(out, func(a, b *item) int {
		ra, rb := a.w.Rank, b.w.Rank
		if (ra == 0) != (rb == 0) {
			if ra == 0 {
				return 1
			}
			return -1
		}
		if ra != rb {
			return ra - rb
		}
		if a.inProgress != b.inProgress {
			if a.inProgress {
				return -1
			}
			return 1
		}
		return strings.Compare(a.w.Key, b.w.Key)
	})
	return out
}

// throughput counts, per working day in [from, to), items completed and items
// completed minus net scope added after the start day. Work on a non-working
// day counts toward the working day before it (or the first one).
func throughput(items []item, s *settings, from, to, commitDay int64) (done, net []int32, total int) {
	span := int(to - from)
	slot := make([]int32, span)
	n := int32(-1)
	for i := 0; i < span; i++ {
		if s.isWork(from + int64(i)) {
			n++
		}
		slot[i] = max(n, 0)
	}
	if n < 0 {
		return nil, nil, 0
	}
	done = make([]int32, n+1)
	net = make([]int32, n+1)
	for i := range items {
		it := &items[i]
		if it.closeKnown && it.doneDay >= from && it.doneDay < to {
			done[slot[it.doneDay-from]]++
			net[slot[it.doneDay-from]]++
			total++
		}
		if it.join > commitDay && it.join >= from && it.join < to {
			net[slot[it.join-from]]--
		}
		if it.removed != never && it.removed > commitDay && it.removed >= from && it.removed < to && it.doneDay == never {
			// an unfinished item left the milestone: scope shrank
			net[slot[it.removed-from]]++
		}
	}
	return done, net, total
}

// filingQuiet returns on how many of the window's working days items joined
// (a day whose completions exceed its net figure) and how many working days
// have passed since the last of them (the window's length when none did).
// Days, not items: a batch filed at once is one event, not a rate.
func filingQuiet(done, net []int32) (joinDays, quiet int) {
	quiet = len(done)
	for i := range done {
		if done[i] > net[i] {
			joinDays++
			quiet = len(done) - 1 - i
		}
	}
	return joinDays, quiet
}

// doneAfter counts the items completed (with a known close time) on the
// days [from, to).
func doneAfter(items []item, from, to int64) int {
	n := 0
	for i := range items {
		if it := &items[i]; it.closeKnown && it.doneDay >= from && it.doneDay < to {
			n++
		}
	}
	return n
}

// burndown is the state at the end of each day from the start day to today;
// items joining or leaving after the commitment day count as added or removed.
func burndown(items []item, startDay, commitDay, today int64) []model.BurndownPoint {
	from := max(startDay, today-burndownMaxDays+1)
	if from > today {
		from = today
	}
	n := int(today-from) + 1
	type acc struct {
		scope, done, added, removed int
		scopeP, doneP               float64
	}
	d := make([]acc, n+1)
	idx := func(day int64) int {
		return int(min(max(day-from, 0), int64(n)))
	}
	for i := range items {
		it := &items[i]
		j := idx(it.join)
		r := n
		if it.removed != never {
			r = idx(it.removed)
		}
		if it.join > commitDay && it.join >= from {
			d[j].added++
		}
		if it.removed != never && it.removed > commitDay && it.removed >= from {
			d[r].removed++
		}
		if r <= j {
			continue
		}
		p := it.w.Points
		d[j].scope++
		d[j].scopeP += p
		d[r].scope--
		d[r].scopeP -= p
		if it.doneDay != never {
			c := max(idx(it.doneDay), j)
			if c < r {
				d[c].done++
				d[c].doneP += p
				d[r].done--
				d[r].doneP -= p
			}
		}
	}
	out := make([]model.BurndownPoint, n)
	var cur acc
	for i := 0; i < n; i++ {
		cur.scope += d[i].scope
		cur.done += d[i].done
		cur.scopeP += d[i].scopeP
		cur.doneP += d[i].doneP
		out[i] = model.BurndownPoint{Day: dayTime(from + int64(i)), Scope: cur.scope, Done: cur.done,
			Remaining: cur.scope - cur.done, ScopePoints: round(cur.scopeP, 3), DonePoints: round(cur.doneP, 3),
			RemainingPoints: round(cur.scopeP-cur.doneP, 3), Added: d[i].added, Removed: d[i].removed}
	}
	return out
}

func mean(xs []int32) float64 {
	var sum int
	for _, v := range xs {
		sum += int(v)
	}
	return float64(sum) / float64(len(xs))
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
