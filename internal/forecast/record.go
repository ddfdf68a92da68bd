package forecast

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// TeamRecordOf is the team's record before milestone m, as of now: how it
// delivered its last closed milestones of the same source, kind and
// container (repository, project or board). Only milestones closed at or
// before now count, never m itself, at most o.History's count of them
// (the latest), and only those closed within its months; nil when none
// remains (or the record is turned off with count 0).
//
// For each closed milestone, the committed scope is the items that were in
// it at the end of its commitment day, the same commitment point the
// forecast states (the sprint's start, the version's start date, a `start:`
// line, or the point inferred from the data, found by Compute as of the
// milestone's close). A committed item is delivered when it was done by the
// end of the (original) due day, and before it left, if it did; the
// delivered ratio is of the committed items. The due day is the one the
// milestone had when work started (PromisedDue) when forewarn saw it and
// the tracker's was moved later since; MovedDue counts those.
//
// On time and the finish depend on the kind, as the trackers' users judge
// them. A sprint is a promise of its committed scope: it is on time when
// every committed item was delivered, and it finished when the last
// committed item still in it was done (known once all of them are). A
// milestone or a version ships all the work in it, whenever it was filed:
// it is on time when every item that stayed in it was done by the due
// day, and it finished when the last of them was done, or when it closed
// if some were never done. Its slip is (finish − due) ÷ (due − commitment),
// in calendar days. Done items without a close time count as done when
// the milestone closed. Milestones without committed items are left out
// and the basis says so. The filing habit (ScopeProfile) is read from
// those of them with a due date (scopeShares).
func TeamRecordOf(closed []model.Milestone, m model.Milestone, now time.Time, o Options) *model.TeamRecord {
	count, months := o.History.count(), o.History.months()
	if count == 0 {
		return nil
	}
	now = now.UTC()
	from := now.AddDate(0, -months, 0)
	var picked []model.Milestone
	for _, c := range closed {
		if c.State != model.StateClosed || c.Key == m.Key || c.Source != m.Source || c.Kind != m.Kind ||
			c.Container != m.Container || c.ClosedAt.IsZero() || c.ClosedAt.After(now) || c.ClosedAt.Before(from) {
			continue
		}
		picked = append(picked, c)
	}
	slices.SortFunc(picked, func(a, b model.Milestone) int {
		return cmp.Or(a.ClosedAt.Compare(b.ClosedAt), cmp.Compare(a.Key, b.Key))
	})
	if len(picked) > count {
		picked = picked[len(picked)-count:]
	}
	s := o.resolve()
	// Only the commitment point is read from Compute: one trial over the
	// shortest horizon is enough.
	one := o
	one.Trials, one.Resamples, one.HorizonDays = 1, 1, 30
	r := &model.TeamRecord{}
	var ratio float64
	var committed []float64
	var shares [][]float64
	for _, c := range picked {
		out, ok := outcomeOf(c, now, &s, Compute(c, c.ClosedAt, one).Explanation.Commitment)
		if !ok {
			continue
		}
		if sh, ok := scopeShares(c, now); ok {
			shares = append(shares, sh)
		}
		r.Milestones++
		if out.movedDue {
			r.MovedDue++
		}
		if out.onTime {
			r.OnTime++
		}
		r.OnTimeByClose = append(r.OnTimeByClose, out.onTime)
		ratio += float64(out.delivered) / float64(out.committed)
		if out.slipKnown {
			r.Slips = append(r.Slips, round(out.slip, 3))
		}
		committed = append(committed, float64(out.committed))
		if out.planDays > 0 {
			r.Throughput = append(r.Throughput, round(float64(out.doneInPlan)/float64(out.planDays), 3))
			if out.pointsKnown {
				r.PointThroughput = append(r.PointThroughput, round(out.pointsInPlan/float64(out.planDays), 3))
			}
		}
	}
	if r.Milestones == 0 {
		return nil
	}
	r.DeliveredRatio = round(ratio/float64(r.Milestones), 3)
	r.Committed = medianOf(committed)
	r.ScopeProfile, r.ProfileMilestones = scopeProfile(shares), len(shares)
	slices.Sort(r.Slips)
	r.Basis = recordBasis(m.Kind, m.Container, len(picked), len(picked) == count, months,
		s.dayOf(picked[0].ClosedAt), s.dayOf(picked[len(picked)-1].ClosedAt), len(picked)-r.Milestones, r.MovedDue)
	return r
}

// promisedDue is the day a closed milestone was planned to be done by: the
// due date it had when work started (PromisedDue) when the tracker's was
// moved to a later day since (moved true), else the tracker's.
func promisedDue(c model.Milestone) (day int64, moved bool) {
	if p := c.PromisedDue; !p.IsZero() && dayNum(p) < dayNum(c.Due) {
		return dayNum(p), true
	}
	return dayNum(c.Due), false
}

// outcome is how one closed milestone delivered.
type outcome struct {
	committed, delivered int
	onTime               bool
	slip                 float64
	slipKnown            bool
	// doneInPlan (pointsInPlan) are the items (points) done from the
	// commitment day to the due day, whenever they joined, over planDays
	// calendar days; pointsKnown when most committed items were estimated.
	doneInPlan   int
	pointsInPlan float64
	planDays     int64
	pointsKnown  bool
	// movedDue: judged against the due date it had when work started
	// (Milestone.PromisedDue), the tracker's having been moved later.
	movedDue bool
}

// outcomeOf reads one closed milestone against its commitment point (a
// date from Compute's explanation), as TeamRecordOf describes; false when
// it had no committed items.
func outcomeOf(c model.Milestone, now time.Time, s *settings, commitment time.Time) (outcome, bool) {
	var o outcome
	whole := c.Kind != model.KindSprint // all the work in it counts, not only the committed
	dueDay, moved := promisedDue(c)
	o.movedDue = moved
	commitDay := dayNum(commitment)
	finish, allDone, late := int64(-1<<62), true, false
	estimated := 0
	for _, w := range c.Items {
		joined := w.JoinedAt.Time()
		if joined.IsZero() {
			joined = w.Created.Time()
		}
		if joined.After(now) {
			continue
		}
		removed := !w.RemovedAt.IsZero() && !w.RemovedAt.After(now)
		if removed && s.dayOf(w.RemovedAt.Time()) <= commitDay {
			continue // gone before the commitment
		}
		committed := s.dayOf(joined) <= commitDay // after it: growth, not a promise
		done, doneAt := false, time.Time{}
		switch {
		case !w.Closed.IsZero() && !w.Closed.After(now):
			done, doneAt = true, w.Closed.Time()
		case w.Closed.IsZero() && w.Status == model.StatusDone:
			done, doneAt = true, c.ClosedAt // close time unknown
		}
		if done && doneAt.Before(joined) {
			doneAt = joined
		}
		if committed && w.Estimated {
			estimated++
		}
		if done && !(removed && w.RemovedAt.Before(doneAt)) {
			// The pace: whatever was done in it over its planned time.
			if d := s.dayOf(doneAt); d >= commitDay && d <= dueDay {
				o.doneInPlan++
				o.pointsInPlan += w.Points
			}
		}
		if !committed && !whole {
			continue
		}
		if committed {
			o.committed++
		}
		if removed && (!done || w.RemovedAt.Before(doneAt)) {
			if committed && !whole {
				late = true // a sprint's committed item left unfinished: not delivered
			}
			continue // the finish is of what stayed
		}
		if !done {
			allDone = false
			continue
		}
		d := s.dayOf(doneAt)
		finish = max(finish, d)
		if d > dueDay {
			late = true
		} else if committed {
			o.delivered++
		}
	}
	if o.committed == 0 {
		return o, false
	}
	o.planDays = dueDay - commitDay + 1
	o.pointsKnown = 2*estimated > o.committed
	o.onTime = allDone && !late
	if whole && !allDone && !c.ClosedAt.IsZero() && !c.ClosedAt.After(now) {
		finish, allDone = max(finish, s.dayOf(c.ClosedAt)), true // closed with work left in it
	}
	if allDone && finish > -1<<62 && dueDay > commitDay {
		o.slip, o.slipKnown = float64(finish-dueDay)/float64(dueDay-commitDay), true
	}
	return o, true
}

// recordBasis names the history in words a reviewer can check: "the last
// 8 closed sprints of board 12 (closed 3 Jun – 20 Nov 2026)".
func recordBasis(kind model.Kind, container string, n int, full bool, months int, first, last int64, empty, moved int) string {
	noun, verb := "milestone", "closed"
	switch kind {
	case model.KindSprint:
		noun = "sprint"
	case model.KindFixVersion:
		noun, verb = "version", "released"
	}
	if n != 1 {
		noun += "s"
	}
	var b strings.Builder
	switch {
	case full && n == 1:
		fmt.Fprintf(&b, "the last %s %s", verb, noun)
	case full:
		fmt.Fprintf(&b, "the last %d %s %s", n, verb, noun)
	case n == 1:
		fmt.Fprintf(&b, "the only %s %s", verb, noun)
	default:
		fmt.Fprintf(&b, "the %d %s %s", n, verb, noun)
	}
	if c := strings.TrimSpace(container); c != "" {
		fmt.Fprintf(&b, " of %s", c)
	}
	if !full {
		if months == 1 {
			b.WriteString(" in the last month")
		} else {
			fmt.Fprintf(&b, " in the last %d months", months)
		}
	}
	fmt.Fprintf(&b, " (%s %s", verb, dateSpan(dayTime(first), dayTime(last)))
	if empty > 0 {
		fmt.Fprintf(&b, "; %d without committed items left out", empty)
	}
	if moved > 0 {
		fmt.Fprintf(&b, "; %d judged by the due date %s had when work started, moved later in the tracker since", moved, map[bool]string{true: "it", false: "they"}[moved == 1])
	}
	b.WriteString(")")
	return b.String()
}

// dateSpan is "3 Jun – 20 Nov 2026", "3 Dec 2025 – 20 Nov 2026" or
// "20 Nov 2026".
func dateSpan(a, b time.Time) string {
	switch {
	case a.Equal(b):
		return b.Format("2 Jan 2006")
	case a.Year() == b.Year():
		return a.Format("2 Jan") + " – " + b.Format("2 Jan 2006")
	}
	return a.Format("2 Jan 2006") + " – " + b.Format("2 Jan 2006")
}
