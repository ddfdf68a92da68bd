// Package backtest measures forewarn's forecasts against histories whose
// outcome is known. It replays each milestone at several moments before its
// due date, asks each method whether the milestone will miss, and reports
// precision and recall of those warnings, the median lead time of the first
// warning that stayed, and the calibration of the P85 date.
//
// Methods: the Monte Carlo forecast (warning when the chance of finishing on
// time is below 50 %, and, separately, when the P85 date is after the due
// date), the straight-line projection (warning when it lands after the due
// date), "behind a straight burn-down" (share done below share of time
// elapsed), the Monte Carlo falling back to that check when its data is
// insufficient, and the naive rule "fewer than N days left and more than M items
// open".
package backtest

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// Case is one milestone with a known outcome.
type Case struct {
	Key    string
	Start  time.Time // midnight UTC
	Due    time.Time // midnight UTC of the due day
	Missed bool
	// Finished is the day the last item was done; zero when it is not known.
	Finished time.Time
	// FinishedAfter: when Finished is unknown, the work was still open on
	// this day (so any date before it was too early).
	FinishedAfter time.Time
	// History is the full item history, replayed at checkpoints chosen by
	// the runner (generated data, the demo export).
	History *model.Milestone
	// KnownUntil: checkpoints stop here (the moment an export was taken).
	KnownUntil time.Time
	// Points are fixed snapshots (the sprint dataset); used when History is nil.
	Points []Checkpoint
	// Group is the project the case belongs to (scores are also given per
	// group); empty for single-group inputs.
	Group string
	// Record is the team's own record before this milestone (the last
	// RecordCount earlier sprints of its board; nil: none), set on every
	// checkpoint's milestone as the product's worker sets it. Never uses
	// the outcome of this or a later milestone.
	Record *model.TeamRecord

	// Peers are the milestones the team's record is read from at each
	// checkpoint (forecast.TeamRecordOf: those closed by then, of the same
	// container), as the worker reads them; nil for fixed snapshots.
	Peers []model.Milestone

	// truth is the filed shape's hidden state (nil for other inputs): the
	// "truly on track" figure replays the generator from it (ontrack.go).
	truth *filedTruth

	// points: the sprint's latest snapshot's story points and vel_diff;
	// items its item counts.
	points    sprintPoints
	items     sprintItems
	pointsPct int
	labelPct  int // the snapshot Missed was read from (the earliest)
}

// Checkpoint is a moment at which the milestone is judged.
type Checkpoint struct {
	At    time.Time
	M     model.Milestone
	Label string // e.g. "30 %" (share of the planned time), for the predictions file
}

// Config is how a backtest runs.
type Config struct {
	Forecast   forecast.Options
	StepDays   int // calendar days between checkpoints of a history (default 2)
	FirstDays  int // first checkpoint this many days after the start (default 7)
	NaiveDays  int // naive rule: fewer than this many calendar days left ...
	NaiveItems int // ... and more than this many items open
	Workers    int
	// Predictions, when set, receives one CSV row per judged checkpoint
	// and method (see writePredictions); Features one per judged
	// checkpoint with the calibration's inputs (see writeFeatures).
	Predictions, Features *CSV
	// Shares, when set, judges each history at these shares of its
	// start→due time (0.3, 0.5, 0.8) instead of every StepDays.
	Shares []float64
	// extra are training rows the refitted calibration adds to this
	// input's own (the generated histories, for the sprints).
	extra []trainRow
}

// method is one way of saying "will miss". prob, when set, is its
// probability of finishing on time at a checkpoint and score its warning
// score (higher: more likely to miss); either may be NaN where the method
// has nothing to say.
type method struct {
	name  string
	warn  func(f model.Forecast, c *Case, at time.Time, cfg Config) bool
	date  func(f model.Forecast) time.Time // the date whose calibration is reported, or nil
	prob  func(f model.Forecast, c *Case, at time.Time) float64
	score func(f model.Forecast, c *Case, at time.Time) float64
}

// hasDate: the forecast speaks (ok, or diverging: no date within the horizon).
func hasProb(f model.Forecast) bool {
	return f.Status == model.ForecastOK || f.Status == model.ForecastDiverging
}

// calProb is the product's P(on time): calibrated, given whenever the
// milestone has scope (the forecast is judged only before it is done).
func calProb(f model.Forecast, _ *Case, _ time.Time) float64 {
	if f.ScopeItems == 0 || f.Status == model.ForecastDone {
		return math.NaN()
	}
	return f.ProbOnTime
}

// simProb is the simulation's own P(on time), where it ran.
func simProb(f model.Forecast, _ *Case, _ time.Time) float64 {
	if !hasProb(f) {
		return math.NaN()
	}
	return f.SimProbOnTime
}

func missScore(prob func(model.Forecast, *Case, time.Time) float64) func(model.Forecast, *Case, time.Time) float64 {
	return func(f model.Forecast, c *Case, at time.Time) float64 { return 1 - prob(f, c, at) }
}

// lateDays scores a date against the due date: days late (a forecast with
// no date within the horizon scores above any date).
func lateDays(date func(model.Forecast) time.Time) func(model.Forecast, *Case, time.Time) float64 {
	return func(f model.Forecast, c *Case, _ time.Time) float64 {
		switch {
		case f.Status == model.ForecastDiverging || (f.Status == model.ForecastOK && date(f).IsZero()):
			return 1e6
		case f.Status != model.ForecastOK:
			return math.NaN()
		}
		return date(f).Sub(c.Due).Hours() / 24
	}
}

// The refitted calibration's methods: filled in after judging, once the
// weights are refitted (see logistic.go).
const (
	RefitSeen   = "Calibration refitted on this data (seen)"
	RefitUnseen = "Calibration refitted on the other projects and generated histories (unseen)"
)

func fitted(model.Forecast, *Case, time.Time, Config) bool { return false }
func fittedNaN(model.Forecast, *Case, time.Time) float64   { return math.NaN() }

// DefaultMethod is the product's warning: the forecast's calibrated
// P(on time) (which rules read as forecast.prob_on_time) below 50 %.
const DefaultMethod = "forewarn: calibrated P(on time) < 50 %"

// SimMethod is the simulation's own probability, before calibration.
const SimMethod = "Simulation alone: P(on time) < 50 %"

var methods = []method{
	{name: DefaultMethod,
		warn: func(f model.Forecast, c *Case, at time.Time, _ Config) bool {
			return calProb(f, c, at) < 0.5
		},
		date:  func(f model.Forecast) time.Time { return f.P85 },
		prob:  calProb,
		score: missScore(calProb)},
	{name: "Shipped rules: at risk (ok and P(on time) < 50 %) or diverging",
		warn: func(f model.Forecast, _ *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastDiverging || f.Status == model.ForecastOK && f.ProbOnTime < 0.5
		}},
	{name: SimMethod,
		warn: func(f model.Forecast, _ *Case, _ time.Time, _ Config) bool {
			return hasProb(f) && f.SimProbOnTime < 0.5
		},
		prob:  simProb,
		score: missScore(simProb)},
	{name: "Monte Carlo: P85 after due",
		warn: func(f model.Forecast, c *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastDiverging || f.Status == model.ForecastOK && f.P85.After(c.Due)
		},
		date:  func(f model.Forecast) time.Time { return f.P85 },
		score: lateDays(func(f model.Forecast) time.Time { return f.P85 })},
	{name: "Straight line after due",
		warn: func(f model.Forecast, c *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastDiverging || f.Status == model.ForecastOK && (f.LinearDate.IsZero() || f.LinearDate.After(c.Due))
		},
		date:  func(f model.Forecast) time.Time { return f.LinearDate },
		score: lateDays(func(f model.Forecast) time.Time { return f.LinearDate })},
	{name: "Behind a straight burn-down",
		warn:  func(f model.Forecast, c *Case, at time.Time, _ Config) bool { return behindBy(f, c, at) > 0 },
		score: behindBy},
	{name: "Simulation, else burn-down on insufficient data",
		warn: func(f model.Forecast, c *Case, at time.Time, _ Config) bool {
			if f.Status == model.ForecastInsufficient {
				return behindBy(f, c, at) > 0
			}
			return hasProb(f) && f.SimProbOnTime < 0.5
		}},
	{name: RefitSeen, warn: fitted, prob: fittedNaN, score: fittedNaN},
	{name: RefitUnseen, warn: fitted, prob: fittedNaN, score: fittedNaN},
	{name: "Naive rule",
		warn: func(f model.Forecast, c *Case, at time.Time, cfg Config) bool {
			left := c.Due.Sub(model.Day(at)).Hours() / 24
			return left < float64(cfg.NaiveDays) && f.RemainingItems > cfg.NaiveItems
		}},
}

// behindBy is the share of start→due time elapsed minus the share of scope
// done: above zero, behind a straight burn-down. NaN without scope.
func behindBy(f model.Forecast, c *Case, at time.Time) float64 {
	if f.ScopeItems == 0 || !c.Due.After(c.Start) {
		return math.NaN()
	}
	elapsed := at.Sub(c.Start).Hours() / c.Due.Add(24*time.Hour).Sub(c.Start).Hours()
	return elapsed - float64(f.DoneItems)/float64(f.ScopeItems)
}

// Row is one method's result on one input.
type Row struct {
	Method      string
	TP, FP, FN  int
	TN          int
	Precision   float64 // NaN when the method never warned
	Recall      float64
	Caught      int     // missed milestones with a warning that stayed to the last checkpoint
	Missed      int     // missed milestones with at least one checkpoint
	MedianLead  float64 // days before due of the first warning that stayed (NaN: none)
	Calibration float64 // share of judged checkpoints finishing on or before the method's date (NaN: n/a)
	CalN        int
	Judged      float64 // share of checkpoints with a forecast status "ok"

	// Proper scores (NaN where they do not apply): Brier score of the
	// probability of finishing on time and its skill against the base
	// rate (over BrierN checkpoints), ROC AUC of the warning score and the
	// precision at recall 0.8 (over ScoreN checkpoints).
	Brier, BrierSkill float64
	BrierN            int
	AUC, PrecAt80     float64
	ScoreN            int
	Reliability       []Bin // deciles of P(on time); only for methods with a probability
}

// Result is the outcome of a backtest on one input.
type Result struct {
	Input       string
	Group       string // "" for all the input's cases; else a project
	Milestones  int
	Missed      int
	Checkpoints int
	Rows        []Row
	// Skipped counts input rows left out, by reason.
	Skipped map[string]int
	// Groups are the same scores per project (sprints), when there are several.
	Groups []Result
	// Diverging: checkpoints whose forecast gave no date (P85 beyond the
	// horizon), in all and among milestones that finished on time.
	Diverging, DivergingOnTime int
	// OnTimeCheckpoints of milestones that finished on time, and how many
	// of them had a P85 on or before the due date.
	OnTimeCheckpoints, OnTimeP85ByDue int
	// OnTrack breaks that share down by margin and checkpoint, and gives
	// it for the checkpoints truly on track (ontrack.go).
	OnTrack OnTrack

	rows []trainRow // every judged checkpoint as a training row
}

type judged struct {
	at           time.Time
	label        string // the checkpoint's name ("30 %"), when it has one
	f            model.Forecast
	warn         []bool
	prob, scores []float64
	x            []float64 // features of the logistic warning score
}

// Run replays every case and scores every method.
func Run(ctx context.Context, input string, cases []Case, cfg Config) (Result, error) {
	if cfg.StepDays <= 0 {
		cfg.StepDays = 2
	}
	if cfg.FirstDays <= 0 {
		cfg.FirstDays = 7
	}
	workers := cmp.Or(cfg.Workers, runtime.GOMAXPROCS(0))
	out := make([][]judged, len(cases))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := range next {
				out[i] = judge(&cases[i], cfg)
			}
		})
	}
	var err error
feed:
	for i := range cases {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return Result{}, fmt.Errorf("backtest of %s interrupted: %w", input, err)
	}
	addLogistic(cases, out, cfg.extra, slices.IndexFunc(methods, func(m method) bool { return m.name == RefitSeen }),
		slices.IndexFunc(methods, func(m method) bool { return m.name == RefitUnseen }))
	res := score(input, cases, out)
	for i := range cases {
		for _, j := range out[i] {
			res.rows = append(res.rows, trainRow{x: j.x, onTime: !cases[i].Missed})
		}
	}
	var groups []string
	for i := range cases {
		if g := cases[i].Group; g != "" && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) > 1 {
		for _, g := range groups {
			var cs []Case
			var os [][]judged
			for i := range cases {
				if cases[i].Group == g {
					cs, os = append(cs, cases[i]), append(os, out[i])
				}
			}
			r := score(input, cs, os)
			r.Group = g
			res.Groups = append(res.Groups, r)
		}
	}
	if cfg.Predictions != nil {
		if err := writePredictions(cfg.Predictions, input, cases, out); err != nil {
			return res, err
		}
	}
	if cfg.Features != nil {
		if err := writeFeatures(cfg.Features, input, cases, out); err != nil {
			return res, err
		}
	}
	return res, nil
}

// checkpoints lists the moments a case is judged at.
func checkpoints(c *Case, cfg Config) []Checkpoint {
	if c.History == nil {
		return c.Points
	}
	var cps []Checkpoint
	if len(cfg.Shares) > 0 {
		life := c.Due.Add(24 * time.Hour).Sub(c.Start)
		for _, sh := range cfg.Shares {
			at := model.Day(c.Start.Add(time.Duration(sh * float64(life))))
			if !at.After(c.Start) || !at.Before(c.Due) || (!c.Finished.IsZero() && !at.Before(c.Finished)) ||
				(!c.KnownUntil.IsZero() && at.After(c.KnownUntil)) {
				continue
			}
			cps = append(cps, Checkpoint{At: at, M: *c.History, Label: fmt.Sprintf("%.0f %%", 100*sh)})
		}
		return cps
	}
	for at := c.Start.AddDate(0, 0, cfg.FirstDays); at.Before(c.Due); at = at.AddDate(0, 0, cfg.StepDays) {
		if !c.Finished.IsZero() && !at.Before(c.Finished) {
			break // already done: nothing to predict
		}
		if !c.KnownUntil.IsZero() && at.After(c.KnownUntil) {
			break
		}
		cps = append(cps, Checkpoint{At: at, M: *c.History, Label: fmt.Sprintf("%.0f %%", 100*at.Sub(c.Start).Hours()/c.Due.Add(24*time.Hour).Sub(c.Start).Hours())})
	}
	return cps
}

func judge(c *Case, cfg Config) []judged {
	var js []judged
	for _, cp := range checkpoints(c, cfg) {
		if c.Peers != nil {
			cp.M.Record = forecast.TeamRecordOf(c.Peers, cp.M, cp.At, cfg.Forecast)
		}
		f := forecast.Compute(cp.M, cp.At, cfg.Forecast)
		if f.Status == model.ForecastDone {
			continue
		}
		j := judged{at: cp.At, label: cp.Label, f: f, warn: make([]bool, len(methods)),
			prob: make([]float64, len(methods)), scores: make([]float64, len(methods))}
		j.x = forecast.CalibrationFeatures(cp.M, f)
		for k, m := range methods {
			j.warn[k] = m.warn(f, c, cp.At, cfg)
			j.prob[k], j.scores[k] = math.NaN(), math.NaN()
			if m.prob != nil {
				j.prob[k] = m.prob(f, c, cp.At)
			}
			if m.score != nil {
				j.scores[k] = m.score(f, c, cp.At)
			}
		}
		js = append(js, j)
	}
	return js
}

func score(input string, cases []Case, out [][]judged) Result {
	res := Result{Input: input, OnTrack: newOnTrack()}
	for i := range cases {
		res.OnTrack.add(i, &cases[i], out[i])
		if len(out[i]) > 0 {
			res.Milestones++
			res.Checkpoints += len(out[i])
			if cases[i].Missed {
				res.Missed++
			}
		}
		for _, j := range out[i] {
			div := j.f.Status == model.ForecastDiverging
			if div {
				res.Diverging++
			}
			if cases[i].Missed {
				continue
			}
			res.OnTimeCheckpoints++
			if div {
				res.DivergingOnTime++
			}
			if j.f.Status == model.ForecastOK && !j.f.P85.After(cases[i].Due) {
				res.OnTimeP85ByDue++
			}
		}
	}
	for k, m := range methods {
		r := Row{Method: m.name, Calibration: math.NaN()}
		var leads []float64
		var ok, calIn int
		var probs, scores []float64
		var ys []bool
		for i := range cases {
			c := &cases[i]
			js := out[i]
			if len(js) == 0 {
				continue
			}
			for _, j := range js {
				if j.prob != nil {
					probs, scores, ys = append(probs, j.prob[k]), append(scores, j.scores[k]), append(ys, c.Missed)
				}
				switch w := j.warn[k]; {
				case w && c.Missed:
					r.TP++
				case w:
					r.FP++
				case c.Missed:
					r.FN++
				default:
					r.TN++
				}
				if j.f.Status == model.ForecastOK {
					ok++
				}
				if m.date != nil && j.f.Status == model.ForecastOK {
					d := m.date(j.f)
					switch {
					case !c.Finished.IsZero():
						r.CalN++
						if !c.Finished.After(d) {
							calIn++
						}
					case !c.FinishedAfter.IsZero() && !d.After(c.FinishedAfter):
						r.CalN++ // still open after the date: the date was too early
					}
				}
			}
			if !c.Missed {
				continue
			}
			r.Missed++
			// The first warning that stayed: the start of the final run of
			// warnings, if the last checkpoint warned.
			first := -1
			for x := len(js) - 1; x >= 0 && js[x].warn[k]; x-- {
				first = x
			}
			if first >= 0 {
				r.Caught++
				leads = append(leads, c.Due.Sub(js[first].at).Hours()/24)
			}
		}
		r.Precision = ratio(r.TP, r.TP+r.FP)
		r.Recall = ratio(r.TP, r.TP+r.FN)
		r.MedianLead = median(leads)
		if m.date != nil && r.CalN > 0 {
			r.Calibration = float64(calIn) / float64(r.CalN)
		}
		r.Judged = ratio(ok, res.Checkpoints)
		r.Brier, r.BrierSkill, r.BrierN = brier(probs, ys)
		r.AUC, r.PrecAt80 = auc(scores, ys), precisionAtRecall(scores, ys, 0.8)
		for _, x := range scores {
			if !math.IsNaN(x) {
				r.ScoreN++
			}
		}
		if m.prob != nil {
			r.Reliability = reliability(probs, ys)
		}
		if m.score == nil {
			r.AUC, r.PrecAt80 = math.NaN(), math.NaN()
		}
		res.Rows = append(res.Rows, r)
	}
	return res
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// Markdown renders results as tables per input: the warnings, the proper
// scores, the reliability of the default method, and the same per project.
func Markdown(w io.Writer, results []Result, cfg Config) {
	for _, r := range results {
		markdownOne(w, r, cfg, "### "+r.Input)
		for _, g := range r.Groups {
			markdownOne(w, g, cfg, "#### "+r.Input+": "+g.Group)
		}
	}
}

func markdownOne(w io.Writer, r Result, cfg Config, title string) {
	fmt.Fprintf(w, "%s\n\n%d milestones (%d missed), %d checkpoints.", title, r.Milestones, r.Missed, r.Checkpoints)
	if len(r.Skipped) > 0 {
		var keys []string
		for k := range r.Skipped {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprint(w, " Rows skipped:")
		for i, k := range keys {
			sep := ","
			if i == len(keys)-1 {
				sep = "."
			}
			fmt.Fprintf(w, " %d %s%s", r.Skipped[k], k, sep)
		}
	}
	fmt.Fprint(w, "\n\n")
	if r.OnTimeCheckpoints > 0 {
		fmt.Fprintf(w, "Forecasts with no date (diverging): %d of %d checkpoints, %d of them of milestones that finished on time. Milestones that finished on time had P85 on or before the due date at %s of their checkpoints.\n\n",
			r.Diverging, r.Checkpoints, r.DivergingOnTime, pct(ratio(r.OnTimeP85ByDue, r.OnTimeCheckpoints)))
		markdownOnTrack(w, r.OnTrack)
	}
	fmt.Fprintln(w, "| Method | Precision | Recall | Missed caught (warning stayed) | Median lead (days) | Date calibration | Judged |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		if row.Method == RefitUnseen && row.BrierN == 0 {
			continue // a single project: nothing to fit on the others
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d / %d | %s | %s | %s |\n", methodName(row.Method, cfg), pct(row.Precision), pct(row.Recall),
			row.Caught, row.Missed, num(row.MedianLead), calib(row), pct(row.Judged))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Method | Brier | Brier skill vs base rate | ROC AUC of the warning score | Precision at recall 0.8 | Scored |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		if row.BrierN == 0 && row.ScoreN == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %d |\n", methodName(row.Method, cfg), dec(row.Brier), signed(row.BrierSkill),
			dec(row.AUC), pct(row.PrecAt80), max(row.BrierN, row.ScoreN))
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		if (row.Method != DefaultMethod && row.Method != SimMethod && row.Method != RefitUnseen) || row.BrierN == 0 {
			continue
		}
		fmt.Fprintf(w, "Reliability of P(on time) (%s):\n\n| P(on time) | Checkpoints | Mean P | Observed on time |\n|---|---:|---:|---:|\n", row.Method)
		for _, b := range row.Reliability {
			if b.N == 0 {
				continue
			}
			fmt.Fprintf(w, "| %.1f–%.1f | %d | %s | %s |\n", b.Lo, b.Hi, b.N, pct(b.MeanP), pct(b.OnTime))
		}
		fmt.Fprintln(w)
	}
}

func methodName(name string, cfg Config) string {
	if name == "Naive rule" {
		return fmt.Sprintf("Naive: < %d days left and > %d open", cfg.NaiveDays, cfg.NaiveItems)
	}
	return name
}

func dec(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.3f", x)
}

func signed(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%+.3f", x)
}

func calib(r Row) string {
	if math.IsNaN(r.Calibration) {
		return "—"
	}
	return fmt.Sprintf("%s (n=%d)", pct(r.Calibration), r.CalN)
}

func pct(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.0f %%", 100*x)
}

func num(x float64) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.1f", x)
}

// flagVals are the parsed flags of the backtest.
type flagVals struct {
	configPath  *string
	inputs      *string
	n           *int
	genSeed     *int64
	export      *string
	datasets    *string
	trials      *int
	seed        *int64
	minHistory  *int
	minDone     *int
	step        *int
	naiveDays   *int
	naiveItems  *int
	noGrowth    *bool
	window      *int
	resamples   *int
	growthModel *string
	at          *string
	predictions *string
	features    *string
	sprintFiles *string
	fit         *bool
	genSeeds    *string
}

// About is the text of `forewarn backtest -h` above the flags.
const About = `Replays histories with known outcomes and scores the forecast methods.

Inputs: generated and filed (generated histories), teams (generated teams,
10 consecutive milestones each, half of them planning optimistically, judged
with the team's record and again with it withheld), teams-moved (the same
teams, each late milestone's due date moved to the day its work ended when
it closed: judged with the dates forewarn saw, and again without), filed-teams (the filed
shape worked by teams of 10, each milestone with its team's earlier ones as
its record and filing habit; filed-freezes: each team stops filing at its
own share of the life), demo (a tracker export,
-export), sprints (the TSE 2017 sprint snapshots: -datasets DIR reads
DIR/tse2017-sprints/iterations_long.csv; -sprint-files reads the long file
or the per-project files as published, <project>_iteration_<t>.csv).
Formats and scores: docs/forecasting.md.`

// FlagSet is the backtest's flags (for help); Main parses the same set.
func FlagSet() *flag.FlagSet {
	fs, _ := newFlagSet()
	return fs
}

func newFlagSet() (*flag.FlagSet, flagVals) {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	var v flagVals
	v.inputs = fs.String("input", "generated", "comma-separated inputs: generated, filed (issues filed one a day over each milestone's life), teams (10 consecutive milestones per team, with the team's record; also run with the record withheld), teams-moved (teams whose late milestones' due dates were moved when they closed; also run with the dates not seen), filed-teams (the filed shape, 10 consecutive milestones per team, with the team's record), filed-freezes (the same, each team freezing at its own share of the life), demo, sprints")
	v.n = fs.Int("n", 200, "generated, filed, filed-teams, filed-freezes, teams: number of milestones")
	v.genSeed = fs.Int64("gen-seed", 1, "generated, filed, filed-teams, filed-freezes, teams: generator seed")
	v.genSeeds = fs.String("gen-seeds", "", "generated, filed, filed-teams, filed-freezes, teams: run each of these generator seeds (1-6, or 1,3,5) and print, per input, the P85 calibration of each seed and of all pooled, with its standard error over milestones, the truly-on-track share and the proper scores, instead of the full tables")
	v.export = fs.String("export", "", "demo: tracker export to replay (default examples/demo/export.yaml in the repository)")
	v.datasets = fs.String("datasets", "", "sprints: directory of the shared datasets (default ../shared/datasets beside the repository)")
	v.trials = fs.Int("trials", forecast.DefaultTrials, "Monte Carlo trials per forecast")
	v.seed = fs.Int64("seed", forecast.DefaultSeed, "forecast seed")
	v.minHistory = fs.Int("min-history", 0, "forecast min_history_days (default: the forecast's default; sprints use 2)")
	v.minDone = fs.Int("min-completions", 0, "forecast min_completions (default: the forecast's default; sprints use 1)")
	v.step = fs.Int("step", 2, "calendar days between checkpoints of a history")
	v.naiveDays = fs.Int("naive-days", 10, "naive rule: fewer than this many calendar days left")
	v.naiveItems = fs.Int("naive-items", 5, "naive rule: more than this many items open")
	v.noGrowth = fs.Bool("no-growth", false, "forecast without scope growth")
	v.window = fs.Int("window", 0, "forecast window_days (default: the forecast's default)")
	v.resamples = fs.Int("resamples", 0, "forecast resamples; 1 turns resampling off (default: the forecast's default)")
	v.growthModel = fs.String("growth-model", "", "forecast growth_model: converging or resampled (default: converging)")
	v.at = fs.String("at", "", "sprints: judge only at these shares of the planned time, e.g. 30 or 30,50 (default: 30,50,80)")
	v.predictions = fs.String("predictions", "", "write one CSV row per judged checkpoint and method to this file")
	v.features = fs.String("features", "", "write one CSV row per judged checkpoint with its outcome and the calibration's features (what P(on time) is fitted on) to this file")
	v.configPath = fs.String("config", "", "replay your own milestones: the configured sources' milestones whose outcome is known, judged at 30, 50 and 80 % of their life with the configured forecast (instead of -input)")
	v.fit = fs.Bool("fit-calibration", false, "refit the product's P(on time) calibration on the sprints (all checkpoints, -datasets or -sprint-files) and generated histories (-n, -gen-seed) and print the weights as Go (instead of -input)")
	v.sprintFiles = fs.String("sprint-files", "", "sprints: comma-separated sprint files instead of -datasets: the long file (project, pred_time_pct, …, missed) or per-project files as published (<project>_iteration_<t>.csv, outcome from vel_diff < 0)")
	return fs, v
}

// Loader reads the user's configuration (-config) and returns its
// milestones as the sources report them now, the moment they were read, the
// configured forecast options and notes (milestones that could not be
// read). The CLI provides it; the backtest itself does no tracker I/O.
type Loader func(ctx context.Context, path string) (ms []model.Milestone, now time.Time, o forecast.Options, notes []string, err error)

// ConfigShares are the moments a user's own milestones are judged at:
// 30, 50 and 80 % of each one's life.
var ConfigShares = []float64{0.3, 0.5, 0.8}

// MainWith is `forewarn backtest ARGS...`; load reads the user's
// configuration for -config (nil: -config is not available).
func MainWith(ctx context.Context, args []string, stdout, stderr io.Writer, load Loader) int {
	fs, v := newFlagSet()
	fs.SetOutput(stderr)
	inputs := v.inputs
	n := v.n
	genSeed := v.genSeed
	export := v.export
	datasets := v.datasets
	trials := v.trials
	seed := v.seed
	minHistory := v.minHistory
	minDone := v.minDone
	step := v.step
	naiveDays := v.naiveDays
	naiveItems := v.naiveItems
	noGrowth := v.noGrowth
	window := v.window
	resamples := v.resamples
	growthModel := v.growthModel
	at := v.at
	predictions := v.predictions
	sprintFiles := v.sprintFiles
	configPath := v.configPath
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: forewarn backtest [flags]\n\n%s\n\n", About)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "backtest: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	// Flags that only apply to some inputs are refused when none of those is chosen.
	chosen := map[string]bool{}
	for _, in := range strings.Split(*inputs, ",") {
		chosen[strings.TrimSpace(in)] = true
	}
	if *v.fit {
		chosen["sprints"], chosen["generated"] = true, true
	}
	generatedInputs := []string{"generated", "filed", FiledTeams, FiledFreezes, "teams", TeamsMoved}
	appliesTo := map[string][]string{"n": generatedInputs, "gen-seed": generatedInputs, "gen-seeds": generatedInputs, "export": {"demo"},
		"datasets": {"sprints"}, "sprint-files": {"sprints"}, "at": {"sprints"}}
	var refused error
	fs.Visit(func(f *flag.Flag) {
		ins, ok := appliesTo[f.Name]
		if !ok || refused != nil {
			return
		}
		for _, in := range ins {
			if chosen[in] {
				return
			}
		}
		refused = fmt.Errorf("-%s applies only to -input %s", f.Name, strings.Join(ins, " or "))
	})
	if refused == nil && *configPath != "" {
		fs.Visit(func(f *flag.Flag) {
			if refused == nil && (f.Name == "input" || appliesTo[f.Name] != nil) {
				refused = fmt.Errorf("-%s does not apply with -config (your own milestones are the input)", f.Name)
			}
		})
	}
	if refused == nil && *v.fit {
		fs.Visit(func(f *flag.Flag) {
			if refused == nil && (f.Name == "input" || f.Name == "at" || f.Name == "config" || f.Name == "predictions" || f.Name == "features") {
				refused = fmt.Errorf("-%s does not apply with -fit-calibration (it fits on every sprint checkpoint and the generated histories)", f.Name)
			}
		})
	}
	if refused == nil && *datasets != "" && *sprintFiles != "" {
		refused = errors.New("-datasets and -sprint-files are alternatives: give one")
	}
	var seeds []int64
	if refused == nil && *v.genSeeds != "" {
		fs.Visit(func(f *flag.Flag) {
			if refused == nil && (f.Name == "gen-seed" || f.Name == "predictions" || f.Name == "features" || f.Name == "config" || f.Name == "fit-calibration") {
				refused = fmt.Errorf("-%s does not apply with -gen-seeds (one table per input over the seeds)", f.Name)
			}
		})
		for in := range chosen {
			if refused == nil && !slices.Contains(generatedInputs, in) {
				refused = fmt.Errorf("-gen-seeds applies only to generated inputs (%s), not to -input %s", strings.Join(generatedInputs, ", "), in)
			}
		}
		if refused == nil {
			var err error
			if seeds, err = parseSeeds(*v.genSeeds); err != nil {
				refused = fmt.Errorf("-gen-seeds: %w", err)
			}
		}
	}
	if refused != nil {
		fmt.Fprintf(stderr, "backtest: %v\n", refused)
		return 2
	}
	cfg := Config{StepDays: *step, NaiveDays: *naiveDays, NaiveItems: *naiveItems,
		Forecast: forecast.Options{Trials: *trials, Seed: *seed, MinHistoryDays: *minHistory, MinCompletions: *minDone, WindowDays: *window, Resamples: *resamples,
			GrowthModel: *growthModel}}
	for _, out := range []struct {
		flag, path string
		to         **CSV
	}{{"predictions", *predictions, &cfg.Predictions}, {"features", *v.features, &cfg.Features}} {
		if out.path == "" {
			continue
		}
		f, err := os.Create(out.path)
		if err != nil {
			fmt.Fprintf(stderr, "backtest: -%s: %v\n", out.flag, err)
			return 1
		}
		defer f.Close()
		*out.to = NewCSV(f)
	}
	if *noGrowth {
		g := false
		cfg.Forecast.ScopeGrowth = &g
	}
	if err := cfg.Forecast.Validate(); err != nil {
		fmt.Fprintf(stderr, "backtest: %v\n", err)
		return 2
	}
	var results []Result
	if *configPath != "" {
		if load == nil {
			fmt.Fprintln(stderr, "backtest: -config: not available here")
			return 2
		}
		ms, now, fo, notes, err := load(ctx, *configPath)
		if err != nil {
			fmt.Fprintf(stderr, "backtest: -config: %v\n", err)
			return 1
		}
		fs.Visit(func(f *flag.Flag) { // flags given override the configured forecast
			switch f.Name {
			case "trials":
				fo.Trials = *trials
			case "seed":
				fo.Seed = *seed
			case "resamples":
				fo.Resamples = *resamples
			case "window":
				fo.WindowDays = *window
			case "growth-model":
				fo.GrowthModel = *growthModel
			case "min-history":
				fo.MinHistoryDays = *minHistory
			case "min-completions":
				fo.MinCompletions = *minDone
			}
		})
		if *noGrowth {
			g := false
			fo.ScopeGrowth = &g
		}
		c := cfg
		c.Forecast, c.Shares = fo, ConfigShares
		cases := CasesFromMilestones(ms, now)
		r, err := Run(ctx, "your milestones ("+*configPath+")", cases, c)
		if err != nil {
			fmt.Fprintf(stderr, "backtest: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "forewarn backtest: how forewarn would have warned on your last %d milestone(s) with a known outcome (judged at 30, 50 and 80 %% of their life), as of %s\n\n",
			r.Milestones, now.UTC().Format(time.DateOnly))
		for _, n := range notes {
			fmt.Fprintf(stdout, "Note: %s\n", n)
		}
		if len(notes) > 0 {
			fmt.Fprintln(stdout)
		}
		Markdown(stdout, []Result{r}, cfg)
		return 0
	}
	// The generated histories' checkpoints are extra training rows for
	// the calibration refitted on the sprints (computed once).
	var genRows []trainRow
	generatedRows := func() ([]trainRow, error) {
		if genRows == nil {
			c := cfg
			c.Predictions, c.Features = nil, nil // training rows only: the files are the input's
			r, err := Run(ctx, "generated", Generate(GenParams{Milestones: *n, Seed: *genSeed}), c)
			if err != nil {
				return nil, err
			}
			genRows = r.rows
			for i := range genRows {
				genRows[i].weight = generatedWeight
			}
		}
		return genRows, nil
	}
	genSeedNow := *genSeed
	runInput := func(in string, at string) (Result, error) {
		var cases []Case
		var skipped map[string]int
		var err error
		c := cfg
		switch in {
		case "generated":
			cases = Generate(GenParams{Milestones: *n, Seed: genSeedNow})
		case "filed":
			cases = Generate(GenParams{Milestones: *n, Seed: genSeedNow, Filed: true})
		case "teams":
			cases = GenerateTeams(GenParams{Milestones: *n, Seed: genSeedNow})
		case FiledTeams:
			cases = GenerateFiledTeams(GenParams{Milestones: *n, Seed: genSeedNow})
		case FiledFreezes:
			cases = GenerateFiledTeams(GenParams{Milestones: *n, Seed: genSeedNow, OwnFreeze: true})
		case TeamsWithheld:
			cases = withoutRecord(GenerateTeams(GenParams{Milestones: *n, Seed: genSeedNow}))
		case TeamsMoved:
			cases = GenerateTeams(GenParams{Milestones: *n, Seed: genSeedNow, MoveDates: true, MovedSeen: true})
		case TeamsMovedUnseen:
			cases = GenerateTeams(GenParams{Milestones: *n, Seed: genSeedNow, MoveDates: true})
		case "demo":
			cases, err = DemoCases(*export)
		case "sprints":
			flagName := "-datasets"
			if *sprintFiles != "" {
				flagName = "-sprint-files"
				cases, skipped, err = SprintFiles(strings.Split(*sprintFiles, ","))
			} else {
				cases, skipped, err = SprintCasesSkipped(*datasets)
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", flagName, err)
			}
			if err == nil && at != "" {
				cases, err = onlyAt(cases, at, skipped)
			}
			// Sprints are short and the data has no weekends: judge from the
			// second day, on any completion, over all seven days.
			if *minHistory == 0 {
				c.Forecast.MinHistoryDays = 2
			}
			if *minDone == 0 {
				c.Forecast.MinCompletions = 1
			}
			c.Forecast.WorkingDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
			if err == nil {
				c.extra, err = generatedRows()
			}
		default:
			return Result{}, fmt.Errorf("unknown input %q (want generated, filed, filed-teams, filed-freezes, teams, teams-moved, demo or sprints)", in)
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", in, err)
		}
		r, err := Run(ctx, in, cases, c)
		r.Skipped = skipped
		return r, err
	}
	if *v.fit {
		// The fit the product ships: every sprint checkpoint (30, 50
		// and 80 %) and the generated histories, weighted generatedWeight.
		r, err := runInput("sprints", "")
		if err != nil {
			fmt.Fprintf(stderr, "backtest: -fit-calibration: %v\n", err)
			return 1
		}
		w := fitLogistic(append(slices.Clip(r.rows), genRows...), logisticLambda)
		fmt.Fprintf(stdout, "// fitted on %d sprint checkpoints (%d sprints) and %d generated checkpoints (%d milestones, seed %d, weight %g), L2 penalty %g\n",
			len(r.rows), r.Milestones, len(genRows), *n, *genSeed, generatedWeight, logisticLambda)
		fmt.Fprintf(stdout, "var calibrationWeights = [NumCalibrationFeatures]float64{\n")
		for i, x := range w {
			fmt.Fprintf(stdout, "\t%.4f, // %s\n", x, forecast.CalibrationFeatureNames[i])
		}
		fmt.Fprintln(stdout, "}")
		return 0
	}
	var ins []string
	for _, in := range strings.Split(*inputs, ",") {
		ins = append(ins, strings.TrimSpace(in))
		switch ins[len(ins)-1] {
		case "teams": // beside it, the same with the record withheld
			ins = append(ins, TeamsWithheld)
		case TeamsMoved: // beside it, the same with the dates not seen
			ins = append(ins, TeamsMovedUnseen)
		}
	}
	// inputFailed reports an input that could not be run: 2 for one the
	// command does not know, 1 otherwise.
	inputFailed := func(err error) int {
		fmt.Fprintf(stderr, "backtest: %v\n", err)
		if strings.HasPrefix(err.Error(), "unknown input") {
			return 2
		}
		return 1
	}
	if seeds != nil {
		fmt.Fprintf(stdout, "forewarn backtest: trials %d, seed %d, checkpoints every %d days, %d milestones an input and seed\n\n", *trials, *seed, *step, *n)
		for _, in := range ins {
			var rs []Result
			for _, gs := range seeds {
				genSeedNow = gs
				r, err := runInput(in, "")
				if err != nil {
					return inputFailed(err)
				}
				rs = append(rs, r)
			}
			markdownSeeds(stdout, in, seeds, rs)
		}
		return 0
	}
	for _, in := range ins {
		r, err := runInput(in, *at)
		if err != nil {
			return inputFailed(err)
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "forewarn backtest: trials %d, seed %d, checkpoints every %d days, naive rule < %d days and > %d open\n\n",
		*trials, *seed, *step, *naiveDays, *naiveItems)
	Markdown(stdout, results, cfg)
	return 0
}

// FiledTeams is the filed shape worked by teams, each milestone with its
// team's earlier filed milestones as its record (GenerateFiledTeams).
const FiledTeams = "filed-teams"

// FiledFreezes is FiledTeams with each team filing until its own share of
// the life (GenParams.OwnFreeze).
const FiledFreezes = "filed-freezes"

// TeamsMoved is the teams input with the late milestones' due dates moved
// to the day their work ended when they closed, and forewarn having seen
// the dates they had when work started (GenParams.MoveDates, MovedSeen);
// TeamsMovedUnseen the same without those dates: the record goes by the
// moved ones, as the tracker shows them.
const (
	TeamsMoved       = "teams-moved"
	TeamsMovedUnseen = "teams-moved, dates not seen"
)

// TeamsWithheld is the teams input judged without the team's record: every
// checkpoint's Record is nil, so neither P(on time) nor the dates use it.
const TeamsWithheld = "teams, record withheld"

// withoutRecord drops the cases' peers: no team record at any checkpoint.
func withoutRecord(cases []Case) []Case {
	for i := range cases {
		cases[i].Peers, cases[i].Record = nil, nil
	}
	return cases
}

// onlyAt keeps the sprint checkpoints at the listed shares of the planned
// time ("30" or "30,50"); the others are counted as skipped.
func onlyAt(cases []Case, list string, skipped map[string]int) ([]Case, error) {
	want := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v <= 0 || v >= 100 {
			return nil, fmt.Errorf("-at: %q is not a share of the planned time between 1 and 99", p)
		}
		want[fmt.Sprintf("%d %%", v)] = true
	}
	var out []Case
	for _, c := range cases {
		var keep []Checkpoint
		for _, cp := range c.Points {
			if want[cp.Label] {
				keep = append(keep, cp)
			} else {
				skipped["not at -at "+list+" %"]++
			}
		}
		if len(keep) > 0 {
			c.Points = keep
			out = append(out, c)
		}
	}
	return out, nil
}
