package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// Calibration. The simulation's share of trials finishing by the due date
// assumes the future is a reshuffle of the observed days; on real sprints
// it is overconfident (on the TSE 2017 sprints at 30 % of their time, its
// P(on time) ≥ 0.9 came true about half the time) and it says nothing
// while the history is too short. ProbOnTime is therefore an empirical
// recalibration: a logistic model of "on time" over what every tracker
// gives at any checkpoint, the simulation's probability when it ran, and
// the team's record on its earlier milestones (a Bayesian estimate of its
// on-time share, Beta(1, 1) prior, the same with its latest milestones
// weighing most, its delivered ratio, and its pace and usual load against
// what is left and what it took on). The weights
// are fitted on the shared sprint data and generated histories and shipped
// as constants (calibrationWeights); `forewarn backtest -fit-calibration`
// refits and prints them.
//
// The features, in order (CalibrationFeatures):
//
//	0  1 (intercept)
//	1  share of the start→due time elapsed (0–1.5)
//	2  log(1 + items remaining)
//	3  share of today's scope added after the commitment point
//	4  log(1 + points remaining), where most remaining items are
//	   estimated (else items remaining again)
//	5  logit of the simulation's P(on time), clamped to [0.001, 0.999],
//	   when the simulation ran (status ok or diverging), else 0, times h,
//	   the length of its history: working days observed ÷ 10, at most 1
//	6  the same logit times 1 − h (a short history's simulation is
//	   trusted less: the two weights say how much)
//	7  1 when the simulation ran
//	8  logit of the team's on-time share, (on time + 1) / (milestones + 2),
//	   when it has a record, else 0
//	9  1 when the team has a record
//	10 logit of the team's delivered ratio, shrunk toward one half by one
//	   milestone's worth, (n × ratio + 0.5) / (n + 1), clamped to
//	   [0.02, 0.98], when it has a record, else 0
//	11 the team's pace against the work left ("yesterday's weather"):
//	   of the record's n milestones, k kept a throughput (delivered per
//	   calendar day of the planned length) that would finish the work
//	   remaining in the calendar days left to the end of the due day;
//	   log((k + ½) / (n − k + ½)), each milestone counted with its recency
//	   weight (below) rather than 1. In points where feature 4 is and the
//	   record knows points, else items; 0 without a record
//	12 over-commitment: log((committed + 1) / (the record's median
//	   committed + 1)), committed being the items held at the commitment
//	   point (scope − added + removed after it); 0 without a record
//	13 h (the simulation's history, as in 5)
//	14 the record's recent on-time odds: log((on time + ½) / (late + ½)),
//	   each milestone counted with its recency weight; 0 without a record
//
// A milestone's recency weight is 1 for the last one the team closed and
// halves every recentHalfLife (2) milestones back: on the TSE sprints the
// last few sprints say more about the next than the ten before it do (the
// on-time share of the last 3 ranks the next sprint better than that of
// the last 10 on every project), and weighting the pace kept and the
// on-time odds so raised the AUC on the project left out on all three
// (docs/benchmarks.md, issue 13, "Recent milestones weigh most").
//
// Features 1–4, 8–12 and 14 are multiplied by 1 − h: with a full history the
// simulation has seen the milestone's progress, and the time elapsed and
// the work remaining add little to it; with a short one (or none) they
// carry the signal. Two regimes, one model. The team's record is gated the
// same way: the data has no milestone with both a long throughput history
// and a team record (the sprints have records and short histories, the
// generated histories long histories and no record), so nothing says how
// much a record should move a well-founded simulation, and it does not;
// it moves the dates instead (dateStretch).
//
// Features 11 and 12 compare this milestone with the team's own past,
// which makes them scale-free: a team of two and a team of twenty, items
// of one point or of eight, read the same. On the TSE sprints they carry
// most of what the record says (docs/benchmarks.md, issue 13, "The
// team's capacity").
const NumCalibrationFeatures = 15

// CalibrationFeatureNames name the features, for the refit's output.
var CalibrationFeatureNames = [NumCalibrationFeatures]string{
	"intercept", "time elapsed", "log(1 + items remaining)", "scope added", "log(1 + points remaining)",
	"sim logit × history", "sim logit × (1 − history)", "the simulation ran",
	"logit of the record's on-time share", "has a record", "logit of the record's delivered ratio",
	"the record's pace against the work left", "over-commitment against the record", "history (h)",
	"the record's recent on-time odds",
}

// calibrationWeights are the logistic weights of "on time" over the
// features above, fitted by
//
//	go run ./cmd/forewarn backtest -fit-calibration
//
// on the TSE 2017 sprints at 30, 50 and 80 % of their time (all three
// projects, each with the board's earlier sprints as its record) and 200
// generated histories (seed 1, each weighted 0.3), L2 penalty 100. See
// docs/forecasting.md ("Calibration") and docs/benchmarks.md (issue 13)
// for the figures on seen and unseen projects.
var calibrationWeights = [NumCalibrationFeatures]float64{
	-0.3036, // intercept
	-0.0653, // time elapsed
	0.0927,  // log(1 + items remaining)
	0.1164,  // scope added
	-0.2212, // log(1 + points remaining)
	0.3838,  // sim logit × history
	-0.0548, // sim logit × (1 − history)
	0.1701,  // the simulation ran
	0.0887,  // logit of the record's on-time share
	-0.0109, // has a record
	0.2998,  // logit of the record's delivered ratio
	0.3217,  // the record's pace against the work left
	-0.5088, // over-commitment against the record
	0.1766,  // history (h)
	0.3674,  // the record's recent on-time odds
}

// simEps clamps the simulation's probability before its logit: 10,000
// trials resolve 1 in 1,000 well, and a simulation that finishes no trial
// on time (20 items left, three days, two a day) must be able to say so.
const simEps = 0.001

// fullHistoryDays is the history (working days observed) at which the
// simulation's probability counts fully as "long history" (feature 7).
const fullHistoryDays = 10

// minSlips is how many known slips a record needs before the dates are
// stretched by them; maxStretch bounds the stretch. slipWeight is the share
// of the median slip taken as the simulation's optimism: on generated
// teams (`backtest -input teams`, trial seeds 1–3) the whole slip pushed
// the optimistic teams' P85 calibration to 90–92 %, half of it holds
// 87–89 % (80 % with no stretch); see docs/benchmarks.md, issue 13.
const (
	minSlips   = 3
	maxStretch = 2.0
	slipWeight = 0.5
)

// CalibrationFeatures returns the calibration's inputs for forecast f of
// milestone m (f as Compute makes it: SimProbOnTime is the simulation's
// probability). The backtest refits the weights on exactly these.
func CalibrationFeatures(m model.Milestone, f model.Forecast) []float64 {
	x := make([]float64, NumCalibrationFeatures)
	x[0] = 1
	x[1] = elapsedShare(m, f.AsOf)
	if f.ScopeItems > 0 {
		x[3] = float64(f.AddedAfterStart) / float64(f.ScopeItems)
	}
	x[2] = math.Log1p(float64(f.RemainingItems))
	x[4] = x[2]
	points := pointsKnown(f)
	if points {
		x[4] = math.Log1p(max(f.RemainingPoints, 0))
	}
	h := 0.0
	if simRan(f) {
		h = min(float64(len(f.Explanation.Samples))/fullHistoryDays, 1)
		l := logitIn(f.SimProbOnTime, simEps)
		x[5], x[6], x[7] = l*h, l*(1-h), 1
	}
	x[13] = h
	if r := m.Record; r != nil && r.Milestones > 0 {
		x[8] = math.Log(float64(r.OnTime+1) / float64(r.Milestones-r.OnTime+1))
		x[9] = 1
		// Shrunk toward one half by one milestone's worth, so a single
		// perfect milestone does not count as a perfect team.
		n := float64(r.Milestones)
		x[10] = logit((n*r.DeliveredRatio + 0.5) / (n + 1))
		if k, n := recentPaceKept(m, f); n > 0 {
			x[11] = math.Log((k + 0.5) / (n - k + 0.5))
		}
		if r.Committed > 0 {
			x[12] = math.Log(float64(committedItems(f)+1) / (r.Committed + 1))
		}
		if on, n := recentOnTime(r.OnTimeByClose); n > 0 {
			x[14] = math.Log((on + 0.5) / (n - on + 0.5))
		}
	}
	for i := 1; i < NumCalibrationFeatures; i++ {
		if i < 5 || (i > 7 && i != 13) {
			x[i] *= 1 - h
		}
	}
	return x
}

// recentHalfLife is how many milestones back a recorded milestone weighs
// half as much as the last one (features 11 and 14). 1.5 to 3 score alike
// on the sprints; 2 reads simply: two milestones back counts half.
const recentHalfLife = 2

// recencyWeights are the weights of n recorded milestones in the order
// they closed: the last 1, each earlier one 2^(-1/recentHalfLife) of the
// next.
func recencyWeights(n int) []float64 {
	w := make([]float64, n)
	step := math.Pow(0.5, 1.0/recentHalfLife)
	v := 1.0
	for i := n - 1; i >= 0; i-- {
		w[i] = v
		v *= step
	}
	return w
}

// recentOnTime is feature 14's count: the recency-weighted milestones on
// time, of n, their weights' sum.
func recentOnTime(onTime []bool) (on, n float64) {
	for i, w := range recencyWeights(len(onTime)) {
		n += w
		if onTime[i] {
			on += w
		}
	}
	return on, n
}

// recentPaceKept is feature 11's count: paceKept with each milestone
// counted with its recency weight.
func recentPaceKept(m model.Milestone, f model.Forecast) (k, n float64) {
	kept, _ := keptPaces(m, f)
	for i, w := range recencyWeights(len(kept)) {
		n += w
		if kept[i] {
			k += w
		}
	}
	return k, n
}

// paceKept counts, for the explanation, the milestones of m's record whose
// throughput would finish the work remaining (in unit: "points" where the
// forecast and the record know them, else "items") in the calendar days
// left: k of n, and of the last three. n is 0 without a record.
func paceKept(m model.Milestone, f model.Forecast) (k, n, lastK, lastN int, unit string) {
	kept, unit := keptPaces(m, f)
	for i, ok := range kept {
		if ok {
			k++
		}
		if i >= len(kept)-3 {
			lastN++
			if ok {
				lastK++
			}
		}
	}
	return k, len(kept), lastK, lastN, unit
}

// keptPaces says, for each milestone of m's record in the order they
// closed, whether its throughput would finish the work remaining in the
// calendar days left.
func keptPaces(m model.Milestone, f model.Forecast) ([]bool, string) {
	r := m.Record
	if r == nil {
		return nil, ""
	}
	paces, left, unit := r.Throughput, float64(f.RemainingItems), "items"
	if pointsKnown(f) && len(r.PointThroughput) > 0 {
		paces, left, unit = r.PointThroughput, max(f.RemainingPoints, 0), "points"
	}
	days := daysLeft(m, f.AsOf)
	kept := make([]bool, len(paces))
	for i, p := range paces {
		kept[i] = p*days >= left
	}
	return kept, unit
}

// committedItems are the items the milestone held at its commitment point
// (those added after it are not, those that left after it are).
func committedItems(f model.Forecast) int {
	return f.ScopeItems - f.AddedAfterStart + f.RemovedAfterStart
}

// daysLeft is the calendar days from now to the end of the (effective)
// due day, at least 0.
func daysLeft(m model.Milestone, now time.Time) float64 {
	due := m.EffectiveDue()
	if due.IsZero() {
		return 0
	}
	return max(due.Add(24*time.Hour).Sub(now).Hours()/24, 0)
}

// simRan: the simulation gave a probability.
func simRan(f model.Forecast) bool {
	return f.Status == model.ForecastOK || f.Status == model.ForecastDiverging
}

// pointsKnown: the scope has points and most remaining items are estimated.
func pointsKnown(f model.Forecast) bool {
	return f.ScopePoints > 0 && f.Signals.UnestimatedShare <= 0.5
}

func logit(p float64) float64 {
	return logitIn(p, 0.02)
}

// logitIn is the logit of p clamped to [eps, 1 − eps].
func logitIn(p, eps float64) float64 {
	p = min(max(p, eps), 1-eps)
	return math.Log(p / (1 - p))
}

// elapsedShare is the share of the start→due time elapsed at now (the due
// day counts in full), clamped to [0, 1.5]; the start is the milestone's,
// else the day its first item joined.
func elapsedShare(m model.Milestone, now time.Time) float64 {
	due := m.EffectiveDue()
	start := m.Start
	if start.IsZero() {
		for _, w := range m.Items {
			j := w.JoinedAt.Time()
			if j.IsZero() {
				j = w.Created.Time()
			}
			if !j.IsZero() && (start.IsZero() || j.Before(start)) {
				start = j
			}
		}
	}
	end := due.Add(24 * time.Hour)
	if due.IsZero() || start.IsZero() || !end.After(start) {
		return 0
	}
	return min(max(now.Sub(start).Hours()/end.Sub(start).Hours(), 0), 1.5)
}

// CalibratedProb is P(on time) for the features x (CalibrationFeatures)
// under weights w (the shipped ones when w is nil).
func CalibratedProb(x []float64, w []float64) float64 {
	if w == nil {
		w = calibrationWeights[:]
	}
	var z float64
	for i := range x {
		z += w[i] * x[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// calibrate replaces the simulation's P(on time) by the calibrated one and
// says which history it used. It runs for every forecast with scope and a
// due date that is not done, whether or not the simulation ran: with too
// little data the status stays insufficient_data and no date is given, but
// the probability is (rules can read it; the shipped at-risk rule still
// waits for a forecast that is ok, since a notice proposes a date).
func calibrate(f *model.Forecast, m model.Milestone, note func(string, ...any)) {
	f.Explanation.History = historyText(m.Record)
	if f.Status == model.ForecastDone || f.ScopeItems == 0 || m.EffectiveDue().IsZero() {
		return
	}
	if simRan(*f) {
		f.SimProbOnTime = f.ProbOnTime
	}
	x := CalibrationFeatures(m, *f)
	f.ProbOnTime = round(CalibratedProb(x, nil), 4)
	if f.RemainingItems > 0 && !f.AsOf.Before(m.EffectiveDue().Add(24*time.Hour)) {
		// Not a forecast but a fact: the due day is over and work remains.
		f.ProbOnTime = 0
		note("P(on time) is 0: the due day %s is over and %d items remain", m.EffectiveDue().Format(time.DateOnly), f.RemainingItems)
		return
	}
	var b strings.Builder
	if simRan(*f) {
		fmt.Fprintf(&b, "the simulation's %.0f %%", 100*f.SimProbOnTime)
	} else {
		b.WriteString("no simulation (too little history)")
	}
	fmt.Fprintf(&b, ", %.0f %% of the time elapsed, %.0f %% of the items done", 100*elapsedShare(m, f.AsOf),
		100*float64(f.DoneItems)/float64(f.ScopeItems))
	if pointsKnown(*f) {
		fmt.Fprintf(&b, " (%.0f %% of the points)", 100*f.DonePoints/f.ScopePoints)
	}
	fmt.Fprintf(&b, ", %d remaining, %.0f %% of the scope added after the commitment", f.RemainingItems,
		100*float64(f.AddedAfterStart)/float64(f.ScopeItems))
	if r := m.Record; r != nil && r.Milestones > 0 {
		b.WriteString(", and the team's record")
		if k, n, lastK, lastN, unit := paceKept(m, *f); n > 0 {
			fmt.Fprintf(&b, " (in %d of its %d recorded milestones it kept the pace the %s left need", k, n, unit)
			if n > lastN {
				fmt.Fprintf(&b, ", %d of the last %d, which weigh most", lastK, lastN)
			}
			if r.Committed > 0 {
				fmt.Fprintf(&b, "; %d items committed, against its usual %g", committedItems(*f), r.Committed)
			}
			b.WriteString(")")
		}
	} else {
		b.WriteString("; no team record")
	}
	note("P(on time) %.0f %% is calibrated from %s (weights fitted on the shared sprint data and generated histories; docs/forecasting.md)",
		100*f.ProbOnTime, b.String())
}

// historyText names the history used, or says there is none.
func historyText(r *model.TeamRecord) string {
	if r == nil || r.Milestones == 0 {
		return "none: no earlier closed milestones of this team are known, so the simulation stands alone (P(on time) is calibrated on this milestone's own progress)"
	}
	s := fmt.Sprintf("%s: %d of %d delivered on time", r.Basis, r.OnTime, r.Milestones)
	if k, n := r.LastOnTime(3); len(r.OnTimeByClose) > n {
		s += fmt.Sprintf(" (%d of the last %d)", k, n)
	}
	s += fmt.Sprintf(", %.0f %% of committed items delivered on average", 100*r.DeliveredRatio)
	if len(r.Slips) > 0 {
		s += fmt.Sprintf(", median slip %+.0f %% of the planned length (%d known)", 100*medianOf(r.Slips), len(r.Slips))
	}
	return s
}

// dateStretch is the factor the simulated time to finish is stretched by:
// 1 + slipWeight × the team's median slip (as a share of the planned
// length) when the record knows at least minSlips finishes and the median
// is late, bounded at maxStretch; else 1. A team whose milestones
// typically finished a third of their planned length late took about 4/3
// of the time its plan promised. The simulation already sees part of
// that: this milestone's own pace and its filings so far. So only part of
// the slip is taken as the simulation's optimism.
func dateStretch(r *model.TeamRecord) float64 {
	if r == nil || len(r.Slips) < minSlips {
		return 1
	}
	s := medianOf(r.Slips)
	if s <= 0 {
		return 1
	}
	return min(1+slipWeight*s, maxStretch)
}

func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
