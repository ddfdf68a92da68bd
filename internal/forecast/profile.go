package forecast

import (
	"math"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// The team's filing habit. Teams add work to a milestone in their own way:
// some file every issue up front, some file one a day until a freeze a week
// before the release, some never add after the sprint starts. The growth
// projected from this milestone's own window cannot know when filing stops;
// the team's closed milestones can. For each of them, the share of its
// final scope already in it at each tenth of its life is known; the
// median over the record (model.TeamRecord.ScopeProfile) says how much of
// the final scope a milestone of this team usually has at this point of
// its life, and so how much is still to come.

// profilePoints is the number of points of a scope profile: 0, 10, …,
// 100 % of the life.
const profilePoints = 11

// MinProfileMilestones is how many of the record's milestones the filing
// habit must be read from before it replaces the growth projected from the
// window: with fewer, one odd milestone would decide it.
const MinProfileMilestones = 3

// lifeStartDay is the day a milestone's life starts: its start, else the
// day its first item joined (as Compute counts it); false when it has
// neither.
func lifeStartDay(m model.Milestone) (int64, bool) {
	if !m.Start.IsZero() {
		return dayNum(m.Start), true
	}
	first := time.Time{}
	for i := range m.Items {
		j := joinedTime(&m.Items[i])
		if !j.IsZero() && (first.IsZero() || j.Before(first)) {
			first = j
		}
	}
	return dayNum(first), !first.IsZero()
}

func joinedTime(w *model.WorkItem) time.Time {
	if j := w.JoinedAt.Time(); !j.IsZero() {
		return j
	}
	return w.Created.Time()
}

// lifeShare is how far now is into the life of a milestone that starts on
// day start and is due on day due: 0 at the start of the start day, 1 at
// the end of the due day.
func lifeShare(start, due int64, now time.Time) float64 {
	from, to := dayTime(start), dayTime(due+1)
	if !to.After(from) {
		return 1
	}
	return float64(now.Sub(from)) / float64(to.Sub(from))
}

// scopeShares is the share of closed milestone c's final scope (the items
// in it when it closed, or at now if that is earlier) that had joined it
// at each tenth of its life (to the due date it was planned for:
// promisedDue); false when it has no due date, no start or no final scope.
func scopeShares(c model.Milestone, now time.Time) ([]float64, bool) {
	start, ok := lifeStartDay(c)
	if !ok || c.Due.IsZero() {
		return nil, false
	}
	due, _ := promisedDue(c)
	if due < start {
		return nil, false
	}
	end := c.ClosedAt
	if end.IsZero() || end.After(now) {
		end = now
	}
	from, to := dayTime(start), dayTime(due+1)
	var joins []time.Time
	for i := range c.Items {
		w := &c.Items[i]
		j := joinedTime(w)
		if j.IsZero() || j.After(end) || (!w.RemovedAt.IsZero() && !w.RemovedAt.After(end)) {
			continue // not in it when it closed
		}
		joins = append(joins, j)
	}
	if len(joins) == 0 {
		return nil, false
	}
	out := make([]float64, profilePoints)
	for k := range out {
		at := from.Add(time.Duration(float64(to.Sub(from)) * float64(k) / float64(profilePoints-1)))
		n := 0
		for _, j := range joins {
			if !j.After(at) {
				n++
			}
		}
		out[k] = float64(n) / float64(len(joins))
	}
	return out, true
}

// scopeProfile is the median, point by point, of the milestones' scope
// shares (scopeShares), rounded to 3 places; nil when there are none.
func scopeProfile(shares [][]float64) []float64 {
	if len(shares) == 0 {
		return nil
	}
	out := make([]float64, profilePoints)
	col := make([]float64, len(shares))
	for k := range out {
		for i, s := range shares {
			col[i] = s[k]
		}
		out[k] = round(medianOf(col), 3)
	}
	return out
}

// profileShare is the profile's share of the final scope present at share
// s of the life, interpolated linearly between its tenths (s is clamped to
// [0, 1]).
func profileShare(p []float64, s float64) float64 {
	s = min(max(s, 0), 1) * float64(len(p)-1)
	k := int(math.Floor(s))
	if k >= len(p)-1 {
		return p[len(p)-1]
	}
	return p[k] + (p[k+1]-p[k])*(s-float64(k))
}

// profileGrowth is the growth still to come by the team's filing habit: a
// milestone with scope items now, at share s of its life, is expected to
// end with scope ÷ the profile's share at s, so that many more items
// (rounded); false when the record holds no usable habit (fewer than
// MinProfileMilestones milestones, or a habit that has nothing in its
// milestones yet at s). It is a float: just past a tenth whose share is 0
// the interpolated share is tiny and the items are more than an int holds
// (Compute bounds them before they become a count).
func profileGrowth(r *model.TeamRecord, scope int, s float64) (float64, float64, bool) {
	if r == nil || r.ProfileMilestones < MinProfileMilestones || len(r.ScopeProfile) != profilePoints {
		return 0, 0, false
	}
	share := profileShare(r.ScopeProfile, s)
	if share <= 0 {
		return 0, 0, false
	}
	return math.Round(float64(scope) * max(1/share-1, 0)), share, true
}
