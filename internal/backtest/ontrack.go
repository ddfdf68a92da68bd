package backtest

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// The target on the filed-over-time shape is that every milestone
// "truly on track" has its P85 on or before its due date. A milestone that
// finished on time is not necessarily on track at every checkpoint: one
// that finished a day early was, at 30 % of its life, about as likely to
// miss as not, and a calibrated P85 then lies past its due date. So the
// backtest reports the share of checkpoints with P85 on or before the due
// date two ways:
//
//   - strictly: every checkpoint of a milestone that finished on time, by
//     how early it finished (its margin: working days between the finish
//     and the due date, as a share of the planned working days) and by the
//     checkpoint's share of the life;
//   - truly on track: the checkpoints at which the generator itself, knowing
//     what no forecast can see (the team's true mean pace, its drift and
//     interruption on that day, and when the remaining issues will be
//     filed), gives P85 on or before the due date. It replays the
//     generator from that day OracleRuns times. Only generated histories
//     that record their hidden state (the filed shape) have this figure.

// OracleRuns is how many times the generator is replayed from a checkpoint
// to find its own P85.
const OracleRuns = 400

// filedTruth is the filed shape's hidden state, recorded as it is generated.
type filedTruth struct {
	p      GenParams
	pace   float64 // the team's true mean pace, items a working day
	total  int     // issues filed over the life
	states []dayState
}

// dayState is the generator's state at the end of one working day.
type dayState struct {
	day         time.Time
	drift       float64
	interrupted int
	filed, next int // issues filed, and done, by the end of the day
}

// oracleP85 replays the generator from the start of day at, from its state
// at the end of the last working day before it, runs times, and returns the
// 85th percentile of the finish day (zero when beyond five times the life).
func (t *filedTruth) oracleP85(start, at time.Time, rnd *rand.Rand, runs int) time.Time {
	st := dayState{drift: 1}
	for _, s := range t.states {
		if s.day.Before(at) {
			st = s
		}
	}
	first := at
	for isWeekend(first) {
		first = first.AddDate(0, 0, 1)
	}
	limit := 5 * max(len(t.states), t.total) // five times the life, and more
	fins := make([]time.Time, runs)
	for r := range fins {
		pm := paceModel{drift: st.drift, interrupted: st.interrupted}
		filed, next, day := st.filed, st.next, first
		for w := 0; w < limit; w++ {
			if w > 0 {
				day = addWorkingDays(day, 1)
			}
			for filed < t.total && !start.AddDate(0, 0, filed).After(day) {
				filed++
			}
			drift, factor := pm.today(rnd, t.p)
			next = min(filed, next+poisson(rnd, t.pace*drift*factor))
			if filed == t.total && next == filed {
				fins[r] = day
				break
			}
		}
	}
	slices.SortFunc(fins, func(a, b time.Time) int {
		switch {
		case a.IsZero() && b.IsZero():
			return 0
		case a.IsZero():
			return 1
		case b.IsZero():
			return -1
		}
		return a.Compare(b)
	})
	return fins[int(math.Ceil(0.85*float64(runs)))-1]
}

// Margin buckets (share of the planned working days finished early) and
// checkpoint buckets (share of the life elapsed) of the on-time table.
var (
	marginBuckets = []struct {
		name   string
		lo, hi float64 // (lo, hi]
	}{{"on the due day", -1, 0}, {"0–5 % early", 0, 0.05}, {"5–10 % early", 0.05, 0.10}, {"10–20 % early", 0.10, 0.20}, {"20 % or more early", 0.20, math.Inf(1)}}
	shareBuckets = []struct {
		name   string
		lo, hi float64 // [lo, hi)
	}{{"before 30 %", 0, 0.3}, {"30–50 %", 0.3, 0.5}, {"50–80 %", 0.5, 0.8}, {"80 % on", 0.8, math.Inf(1)}}
)

// shareHeader writes the head of a table with a column per checkpoint
// bucket (shareBuckets) between first and the columns after.
func shareHeader(w io.Writer, first string, after ...string) {
	fmt.Fprintf(w, "| %s |", first)
	for _, b := range shareBuckets {
		fmt.Fprintf(w, " %s |", b.name)
	}
	for _, a := range after {
		fmt.Fprintf(w, " %s |", a)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range len(shareBuckets) + len(after) {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
}

// onTimeCell counts checkpoints and those with P85 on or before the due date.
type onTimeCell struct{ N, ByDue int }

func (c *onTimeCell) add(byDue bool) {
	c.N++
	if byDue {
		c.ByDue++
	}
}

func (c onTimeCell) String() string {
	if c.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%d/%d)", pct(ratio(c.ByDue, c.N)), c.ByDue, c.N)
}

// OnTrack is the breakdown of the P85-by-the-due-date share.
type OnTrack struct {
	// ByMargin[m][s]: on-time milestones' checkpoints by margin bucket m
	// and checkpoint bucket s; the last column (s = len(shareBuckets)) is
	// every checkpoint of the margin bucket.
	ByMargin [][]onTimeCell
	// Truly[s]: checkpoints (of any milestone) the generator itself gave
	// P85 on or before the due date; N is 0 without a recorded truth.
	Truly []onTimeCell
	// TrulyMissed: of those, checkpoints of milestones that then missed.
	TrulyMissed int
	// Calibration[s]: checkpoints (of any milestone, status ok, outcome
	// known) and those that finished on or before their P85 (ByDue).
	Calibration []onTimeCell
	// CalibrationByMilestone: the same, all checkpoints, one cell per
	// milestone that has any (for the standard error over milestones).
	CalibrationByMilestone []onTimeCell
}

func newOnTrack() OnTrack {
	o := OnTrack{Truly: make([]onTimeCell, len(shareBuckets)+1), Calibration: make([]onTimeCell, len(shareBuckets)+1)}
	for range marginBuckets {
		o.ByMargin = append(o.ByMargin, make([]onTimeCell, len(shareBuckets)+1))
	}
	return o
}

// weekdaysBetween counts Mon–Fri days in (a, b].
func weekdaysBetween(a, b time.Time) int {
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if !isWeekend(d) {
			n++
		}
	}
	return n
}

// margin is how early c finished: Mon–Fri days from the finish to the due
// date over the planned Mon–Fri days (NaN when unknown or late).
func margin(c *Case) float64 {
	if c.Missed || c.Finished.IsZero() || c.Start.IsZero() {
		return math.NaN()
	}
	planned := weekdaysBetween(c.Start.AddDate(0, 0, -1), c.Due)
	return float64(weekdaysBetween(c.Finished, c.Due)) / float64(max(planned, 1))
}

func shareBucket(c *Case, at time.Time) int {
	life := c.Due.Add(24 * time.Hour).Sub(c.Start).Hours()
	sh := at.Sub(c.Start).Hours() / life
	for i, b := range shareBuckets {
		if sh >= b.lo && sh < b.hi {
			return i
		}
	}
	return 0
}

// addOnTrack counts case i's judged checkpoints into o.
func (o *OnTrack) add(idx int, c *Case, js []judged) {
	m := margin(c)
	mb := -1
	for k, b := range marginBuckets {
		if m > b.lo && m <= b.hi {
			mb = k
		}
	}
	if c.Missed {
		mb = -1
	}
	var mine onTimeCell
	defer func() {
		if mine.N > 0 {
			o.CalibrationByMilestone = append(o.CalibrationByMilestone, mine)
		}
	}()
	for ci, j := range js {
		byDue := j.f.Status == model.ForecastOK && !j.f.P85.After(c.Due)
		s := shareBucket(c, j.at)
		if j.f.Status == model.ForecastOK { // as the date calibration is counted (score)
			switch {
			case !c.Finished.IsZero():
				in := !c.Finished.After(j.f.P85)
				o.Calibration[s].add(in)
				o.Calibration[len(shareBuckets)].add(in)
				mine.add(in)
			case !c.FinishedAfter.IsZero() && !j.f.P85.After(c.FinishedAfter):
				o.Calibration[s].add(false)
				o.Calibration[len(shareBuckets)].add(false)
				mine.add(false)
			}
		}
		if mb >= 0 {
			o.ByMargin[mb][s].add(byDue)
			o.ByMargin[mb][len(shareBuckets)].add(byDue)
		}
		if c.truth == nil {
			continue
		}
		rnd := rand.New(rand.NewPCG(uint64(idx), uint64(ci)))
		if p := c.truth.oracleP85(c.Start, j.at, rnd, OracleRuns); !p.IsZero() && !p.After(c.Due) {
			o.Truly[s].add(byDue)
			o.Truly[len(shareBuckets)].add(byDue)
			if c.Missed {
				o.TrulyMissed++
			}
		}
	}
}

// markdownOnTrack prints the breakdown (nothing when no milestone finished
// on time).
func markdownOnTrack(w io.Writer, o OnTrack) {
	var total onTimeCell
	for _, row := range o.ByMargin {
		total.N += row[len(shareBuckets)].N
		total.ByDue += row[len(shareBuckets)].ByDue
	}
	if total.N == 0 {
		return
	}
	fmt.Fprint(w, "P85 on or before the due date, by checkpoint (share of the life elapsed); margin: how early the milestone finished, in Mon–Fri days over its planned ones:\n\n")
	shareHeader(w, "Checkpoints", "all")
	line := func(name string, cells []onTimeCell) {
		fmt.Fprintf(w, "| %s |", name)
		for _, c := range cells {
			fmt.Fprintf(w, " %s |", c)
		}
		fmt.Fprintln(w)
	}
	all := make([]onTimeCell, len(shareBuckets)+1)
	for k, b := range marginBuckets {
		if o.ByMargin[k][len(shareBuckets)].N == 0 {
			continue
		}
		line("finished on time, "+b.name, o.ByMargin[k])
		for s, c := range o.ByMargin[k] {
			all[s].N += c.N
			all[s].ByDue += c.ByDue
		}
	}
	line("**finished on time (strict)**", all)
	if o.Truly[len(shareBuckets)].N > 0 {
		line(fmt.Sprintf("**truly on track** (the generator's own P85, knowing the true pace, by the due date; %d of them missed)", o.TrulyMissed), o.Truly)
	}
	line("P85 calibration: every milestone's checkpoints finished on or before their P85", o.Calibration)
	fmt.Fprintln(w)
}
