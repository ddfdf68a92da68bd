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
	"runtime"
	"slices"
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
}

// Checkpoint is a moment at which the milestone is judged.
type Checkpoint struct {
	At time.Time
	M  model.Milestone
}

// Config is how a backtest runs.
type Config struct {
	Forecast   forecast.Options
	StepDays   int // calendar days between checkpoints of a history (default 2)
	FirstDays  int // first checkpoint this many days after the start (default 7)
	NaiveDays  int // naive rule: fewer than this many calendar days left ...
	NaiveItems int // ... and more than this many items open
	Workers    int
}

// method is one way of saying "will miss".
type method struct {
	name string
	warn func(f model.Forecast, c *Case, at time.Time, cfg Config) bool
	date func(f model.Forecast) time.Time // the date whose calibration is reported, or nil
}

var methods = []method{
	{name: "Monte Carlo: P(on time) < 50 %",
		warn: func(f model.Forecast, _ *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastOK && f.ProbOnTime < 0.5
		},
		date: func(f model.Forecast) time.Time { return f.P85 }},
	{name: "Monte Carlo: P85 after due",
		warn: func(f model.Forecast, c *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastOK && f.P85.After(c.Due)
		},
		date: func(f model.Forecast) time.Time { return f.P85 }},
	{name: "Straight line after due",
		warn: func(f model.Forecast, c *Case, _ time.Time, _ Config) bool {
			return f.Status == model.ForecastOK && f.LinearDate.After(c.Due)
		},
		date: func(f model.Forecast) time.Time { return f.LinearDate }},
	{name: "Behind a straight burn-down",
		warn: func(f model.Forecast, c *Case, at time.Time, _ Config) bool { return behind(f, c, at) }},
	{name: "Monte Carlo, else burn-down on insufficient data",
		warn: func(f model.Forecast, c *Case, at time.Time, _ Config) bool {
			if f.Status == model.ForecastInsufficient {
				return behind(f, c, at)
			}
			return f.Status == model.ForecastOK && f.ProbOnTime < 0.5
		}},
	{name: "Naive rule",
		warn: func(f model.Forecast, c *Case, at time.Time, cfg Config) bool {
			left := c.Due.Sub(at.UTC().Truncate(24*time.Hour)).Hours() / 24
			return left < float64(cfg.NaiveDays) && f.RemainingItems > cfg.NaiveItems
		}},
}

// behind: the share of scope done is below the share of time elapsed.
func behind(f model.Forecast, c *Case, at time.Time) bool {
	if f.ScopeItems == 0 || !c.Due.After(c.Start) {
		return false
	}
	elapsed := at.Sub(c.Start).Hours() / c.Due.Add(24*time.Hour).Sub(c.Start).Hours()
	return float64(f.DoneItems)/float64(f.ScopeItems) < elapsed
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
}

// Result is the outcome of a backtest on one input.
type Result struct {
	Input       string
	Milestones  int
	Missed      int
	Checkpoints int
	Rows        []Row
}

type judged struct {
	at   time.Time
	f    model.Forecast
	warn []bool
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
	return score(input, cases, out), nil
}

// checkpoints lists the moments a case is judged at.
func checkpoints(c *Case, cfg Config) []Checkpoint {
	if c.History == nil {
		return c.Points
	}
	var cps []Checkpoint
	for at := c.Start.AddDate(0, 0, cfg.FirstDays); at.Before(c.Due); at = at.AddDate(0, 0, cfg.StepDays) {
		if !c.Finished.IsZero() && !at.Before(c.Finished) {
			break // already done: nothing to predict
		}
		if !c.KnownUntil.IsZero() && at.After(c.KnownUntil) {
			break
		}
		cps = append(cps, Checkpoint{At: at, M: *c.History})
	}
	return cps
}

func judge(c *Case, cfg Config) []judged {
	var js []judged
	for _, cp := range checkpoints(c, cfg) {
		f := forecast.Compute(cp.M, cp.At, cfg.Forecast)
		if f.Status == model.ForecastDone {
			continue
		}
		j := judged{at: cp.At, f: f, warn: make([]bool, len(methods))}
		for k, m := range methods {
			j.warn[k] = m.warn(f, c, cp.At, cfg)
		}
		js = append(js, j)
	}
	return js
}

func score(input string, cases []Case, out [][]judged) Result {
	res := Result{Input: input}
	for i := range cases {
		if len(out[i]) > 0 {
			res.Milestones++
			res.Checkpoints += len(out[i])
			if cases[i].Missed {
				res.Missed++
			}
		}
	}
	for k, m := range methods {
		r := Row{Method: m.name, Calibration: math.NaN()}
		var leads []float64
		var ok, calIn int
		for i := range cases {
			c := &cases[i]
			js := out[i]
			if len(js) == 0 {
				continue
			}
			for _, j := range js {
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

// Markdown renders results as one table per input.
func Markdown(w io.Writer, results []Result, cfg Config) {
	for _, r := range results {
		fmt.Fprintf(w, "### %s\n\n%d milestones (%d missed), %d checkpoints.\n\n", r.Input, r.Milestones, r.Missed, r.Checkpoints)
		fmt.Fprintln(w, "| Method | Precision | Recall | Missed caught (warning stayed) | Median lead (days) | Date calibration | Judged |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, row := range r.Rows {
			name := row.Method
			if name == "Naive rule" {
				name = fmt.Sprintf("Naive: < %d days left and > %d open", cfg.NaiveDays, cfg.NaiveItems)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %d / %d | %s | %s | %s |\n", name, pct(row.Precision), pct(row.Recall),
				row.Caught, row.Missed, num(row.MedianLead), calib(row), pct(row.Judged))
		}
		fmt.Fprintln(w)
	}
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

// Main is `forewarn backtest ARGS...`.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	inputs := fs.String("input", "generated", "comma-separated inputs: generated, demo, sprints")
	n := fs.Int("n", 200, "generated: number of milestones")
	genSeed := fs.Int64("gen-seed", 1, "generated: generator seed")
	export := fs.String("export", "", "demo: tracker export to replay (default examples/demo/export.yaml in the repository)")
	datasets := fs.String("datasets", "", "sprints: directory of the shared datasets (default ../shared/datasets beside the repository)")
	trials := fs.Int("trials", forecast.DefaultTrials, "Monte Carlo trials per forecast")
	seed := fs.Int64("seed", forecast.DefaultSeed, "forecast seed")
	minHistory := fs.Int("min-history", 0, "forecast min_history_days (default: the forecast's default; sprints use 2)")
	minDone := fs.Int("min-completions", 0, "forecast min_completions (default: the forecast's default; sprints use 1)")
	step := fs.Int("step", 2, "calendar days between checkpoints of a history")
	naiveDays := fs.Int("naive-days", 10, "naive rule: fewer than this many calendar days left")
	naiveItems := fs.Int("naive-items", 5, "naive rule: more than this many items open")
	noGrowth := fs.Bool("no-growth", false, "forecast without scope growth")
	window := fs.Int("window", 0, "forecast window_days (default: the forecast's default)")
	resamples := fs.Int("resamples", 0, "forecast resamples; 1 turns resampling off (default: the forecast's default)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: forewarn backtest [flags]\n\nReplays histories with known outcomes and scores the forecast methods.\n\n")
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
	cfg := Config{StepDays: *step, NaiveDays: *naiveDays, NaiveItems: *naiveItems,
		Forecast: forecast.Options{Trials: *trials, Seed: *seed, MinHistoryDays: *minHistory, MinCompletions: *minDone, WindowDays: *window, Resamples: *resamples}}
	if *noGrowth {
		g := false
		cfg.Forecast.ScopeGrowth = &g
	}
	if err := cfg.Forecast.Validate(); err != nil {
		fmt.Fprintf(stderr, "backtest: %v\n", err)
		return 2
	}
	var results []Result
	for _, in := range strings.Split(*inputs, ",") {
		in = strings.TrimSpace(in)
		var cases []Case
		var err error
		c := cfg
		switch in {
		case "generated":
			cases = Generate(GenParams{Milestones: *n, Seed: *genSeed})
		case "demo":
			cases, err = DemoCases(*export)
		case "sprints":
			cases, err = SprintCases(*datasets)
			// Sprints are short and the data has no weekends: judge from the
			// second day, on any completion, over all seven days.
			if *minHistory == 0 {
				c.Forecast.MinHistoryDays = 2
			}
			if *minDone == 0 {
				c.Forecast.MinCompletions = 1
			}
			c.Forecast.WorkingDays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
		default:
			fmt.Fprintf(stderr, "backtest: unknown input %q (want generated, demo or sprints)\n", in)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "backtest: %s: %v\n", in, err)
			return 1
		}
		r, err := Run(ctx, in, cases, c)
		if err != nil {
			fmt.Fprintf(stderr, "backtest: %v\n", err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "forewarn backtest: trials %d, seed %d, checkpoints every %d days, naive rule < %d days and > %d open\n\n",
		*trials, *seed, *step, *naiveDays, *naiveItems)
	Markdown(stdout, results, cfg)
	return 0
}
