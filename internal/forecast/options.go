package forecast

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Options are the `forecast:` section of the user's config. Zero values mean
// the defaults listed beside each field.
type Options struct {
	Trials      int      `yaml:"trials" desc:"Monte Carlo trials per forecast (default 10000)."`
	Seed        int64    `yaml:"seed" desc:"Random seed; the same seed, data and clock give the same forecast (default 1)."`
	WindowDays  int      `yaml:"window_days" desc:"Throughput window in calendar days (default 42)."`
	WorkingDays []string `yaml:"working_days" desc:"Days the team works: mon..sun (default mon-fri)."`
	Holidays    []string `yaml:"holidays" desc:"Non-working dates, YYYY-MM-DD."`
	ScopeGrowth *bool    `yaml:"scope_growth" desc:"Model scope growth at the observed rate (default true)."`
	Confidence  float64  `yaml:"confidence" desc:"Confidence for the cut line and quick wins, 0.5-0.99 (default 0.85)."`
	// GrowthModel is how scope growth is modelled: "converging" (items
	// added per item done, at most two, until the due date)
	// or "resampled" (each simulated day brings the additions of the
	// observed day it copies; kept to compare, it can run past the horizon
	// when issues are filed as fast as they are closed).
	GrowthModel string `yaml:"growth_model" desc:"Scope growth model: converging or resampled (default converging)."`

	// TimeZone is the team's IANA time zone: an instant counts on the
	// calendar day it falls on there (default UTC).
	TimeZone string `yaml:"time_zone" desc:"Team's IANA time zone for day boundaries, e.g. Europe/Amsterdam (default UTC)."`

	// Resamples: the trials are shared among this many resamples of the
	// observed days, so a short history's uncertainty widens the forecast
	// (default 4; 1 uses the observed days as they are, which is faster but
	// overconfident on short histories).
	Resamples int `yaml:"resamples" desc:"Resampled histories the trials are shared among; 1 turns resampling off (default 4)."`

	// MinHistoryDays is the fewest working days of history (since work
	// started, inside the window) needed for a date (default 5).
	MinHistoryDays int `yaml:"min_history_days" desc:"Fewest working days of throughput history for a forecast (default 5)."`
	// MinCompletions is the fewest items completed inside the window needed
	// for a date (default 3).
	MinCompletions int `yaml:"min_completions" desc:"Fewest completed items in the window for a forecast (default 3)."`
	// StaleDays: an item in progress for longer than this many calendar days
	// is stale (default 14).
	StaleDays int `yaml:"stale_days" desc:"Calendar days in progress after which an item counts as stale (default 14)."`
	// HorizonDays caps the simulation, in calendar days from today (default 730).
	HorizonDays int `yaml:"horizon_days" desc:"Longest simulated future in calendar days (default 730)."`
	// QuickWinPoints: remaining items with at most this many points may be
	// quick wins (default 2).
	QuickWinPoints float64 `yaml:"quick_win_points" desc:"Largest item, in points, that can be a quick win (default 2)."`

	// History is how much of a container's closed milestones make the
	// team's record (TeamRecordOf).
	History HistoryOptions `yaml:"history" desc:"Which earlier closed milestones of the same repository, project or board make the team's record."`
}

// HistoryOptions choose the closed milestones of the team's record: the
// last Count of them that closed within the last Months months. nil means
// the default; count 0 turns the record off.
type HistoryOptions struct {
	Count  *int `yaml:"count" desc:"Most earlier closed milestones in the team's record (default 10; 0: no record)."`
	Months *int `yaml:"months" desc:"Only milestones closed within this many months count (default 12; 1-120)."`
}

// Defaults of the team's record.
const (
	DefaultHistoryCount  = 10
	DefaultHistoryMonths = 12
)

// count and months with the defaults applied.
func (h HistoryOptions) count() int {
	if h.Count == nil {
		return DefaultHistoryCount
	}
	return max(*h.Count, 0)
}

func (h HistoryOptions) months() int {
	if h.Months == nil || *h.Months < 1 {
		return DefaultHistoryMonths
	}
	return *h.Months
}

// Window is the record's window with the defaults applied: the last count
// closed milestones of a container, closed within months (count 0: none).
// Sources read that much closed history.
func (h HistoryOptions) Window() (count, months int) { return h.count(), h.months() }

// Defaults.
const (
	DefaultTrials         = 10000
	DefaultSeed           = 1
	DefaultWindowDays     = 42
	DefaultConfidence     = 0.85
	DefaultMinHistoryDays = 5
	DefaultMinCompletions = 3
	DefaultStaleDays      = 14
	DefaultHorizonDays    = 730
	DefaultQuickWinPoints = 2
	DefaultResamples      = 4
)

// Growth models (Options.GrowthModel).
const (
	GrowthConverging = "converging"
	GrowthResampled  = "resampled"
)

// MaxGrowthPerDone bounds the converging growth model: at most two items
// added per item done, tapering (GrowthAtDue), and none after the due
// date. The growth is that rate times the observed pace over the working
// days to the due date, the same number of items in every resampled
// history. So it is at most 2 × (1 + GrowthAtDue) / 2 = 1.5 times the
// items the team finishes between now and the due date at its observed
// pace: a team with a steady pace finishes, in expectation, within
// remaining ÷ pace + 1.5 × the working days to the due date, and growth
// alone never pushes it past the horizon. (Measured on generated
// histories: with the bound at 1 and a linear taper to none at the due
// date, P85 held only 79 % and 48 % of the time on the two generated
// shapes; with this bound and no taper, 84 % and 85 %.) The growth from
// the team's filing habit (profile.go), which does not taper, is bounded at
// 2 times those items: remaining ÷ pace + 2 × the working days to the due
// date.
const MaxGrowthPerDone = 2.0

// GrowthAtDue is how far the converging growth tapers: from today's rate
// per item done to this share of it at the due date, linearly, so the
// growth modelled to the due date is (1 + GrowthAtDue) / 2 of today's rate
// over the working days left. Issues stop being filed into a milestone as
// its due date nears (late ones go to the next milestone, or a freeze
// stops them), and a rate measured from the earlier weeks overstates
// what is still to come. Measured (docs/benchmarks.md, issue 13, "Filed
// over time, third session"): with no taper, P85 held 84 % of the time on
// generated histories (whose growth runs at a steady rate to the due date)
// and 91 % on the filed ones (filed until 85 % of the life), and on-time
// filed milestones had P85 by their due date at 6 % of checkpoints;
// tapering to 60 %, 83 % and 83 %, and 30 %; to half, 82 % and 80 %, and
// 39 %; to none, 79 % and 58 %. Since the growth is the same items in
// every resampled history ("Spread and growth, third session of
// 2026-12-06"), the filed forecasts are wider early, and half keeps both
// shapes inside 80–90 % (83 % and 85 %) with truly-on-track filed
// milestones' P85 by their due date as often as 60 % did before (45 %),
// and early ones better calibrated (P85 held 79 % instead of 74 % before
// 30 % of the life); 60 % would put the filed shape at 87 % and that share
// at 35 %.
const GrowthAtDue = 0.5

// StoppedGaps is when the window's growth is taken to have stopped: no
// item has joined for this many times the window's mean gap between days
// on which items joined (working days ÷ those days; days, not items, so
// that a batch filed at once counts once). Were items still joining on
// days at that rate, at random, a spell that long would be seen about
// e^−2 = 14 % of the time, and the next join ends it; after a freeze
// before the release it is seen two gaps after the last filing. Three
// gaps (5 %) held back the filed shape's truly-on-track share by half a
// point and changed nothing else (docs/benchmarks.md, issue 13, seventh
// session). The team's filing habit (TeamRecordOf) knows when its
// milestones stop filing and is not affected.
const StoppedGaps = 2.0

// FieldError is one problem with the options, naming its yaml key.
type FieldError struct {
	Key string // yaml key, e.g. "window_days" or "holidays[2]"
	Msg string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// Validate reports every problem with the options at once (errors.Join of
// *FieldError), each naming its yaml key. Zero values are valid: they mean
// the defaults.
func (o Options) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if o.Trials < 0 || o.Trials > 1_000_000 {
		bad("trials", "must be between 1 and 1000000 (got %d)", o.Trials)
	}
	if o.WindowDays < 0 || (o.WindowDays > 0 && o.WindowDays < 7) || o.WindowDays > 366 {
		bad("window_days", "must be between 7 and 366 calendar days (got %d)", o.WindowDays)
	}
	seen := map[string]bool{}
	for i, d := range o.WorkingDays {
		k := strings.ToLower(strings.TrimSpace(d))
		if len(k) > 3 {
			k = k[:3]
		}
		if _, ok := dayNames[k]; !ok {
			bad(fmt.Sprintf("working_days[%d]", i), "%q is not a day; use mon, tue, wed, thu, fri, sat or sun", d)
			continue
		}
		if seen[k] {
			bad(fmt.Sprintf("working_days[%d]", i), "%q is listed twice", d)
		}
		seen[k] = true
	}
	for i, h := range o.Holidays {
		if _, err := time.Parse(time.DateOnly, h); err != nil {
			bad(fmt.Sprintf("holidays[%d]", i), "%q is not a date in the form YYYY-MM-DD", h)
		}
	}
	if o.Confidence != 0 && (o.Confidence < 0.5 || o.Confidence > 0.99) {
		bad("confidence", "must be between 0.5 and 0.99 (got %g)", o.Confidence)
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			bad("time_zone", "%q is not a known IANA time zone (e.g. Europe/Amsterdam)", o.TimeZone)
		}
	}
	if o.Resamples < 0 || o.Resamples > 64 {
		bad("resamples", "must be between 1 and 64 (got %d)", o.Resamples)
	}
	if o.MinHistoryDays < 0 {
		bad("min_history_days", "must not be negative (got %d)", o.MinHistoryDays)
	}
	if o.MinCompletions < 0 {
		bad("min_completions", "must not be negative (got %d)", o.MinCompletions)
	}
	if o.StaleDays < 0 {
		bad("stale_days", "must not be negative (got %d)", o.StaleDays)
	}
	if o.HorizonDays < 0 || (o.HorizonDays > 0 && o.HorizonDays < 30) || o.HorizonDays > 3660 {
		bad("horizon_days", "must be between 30 and 3660 calendar days (got %d)", o.HorizonDays)
	}
	switch o.GrowthModel {
	case "", GrowthConverging, GrowthResampled:
	default:
		bad("growth_model", "%q is not a growth model; use converging or resampled", o.GrowthModel)
	}
	if o.QuickWinPoints < 0 {
		bad("quick_win_points", "must not be negative (got %g)", o.QuickWinPoints)
	}
	if c := o.History.Count; c != nil && (*c < 0 || *c > 100) {
		bad("history.count", "must be between 0 (no record) and 100 closed milestones (got %d)", *c)
	}
	if m := o.History.Months; m != nil && (*m < 1 || *m > 120) {
		bad("history.months", "must be between 1 and 120 months (got %d)", *m)
	}
	return errors.Join(errs...)
}

// settings are Options with defaults applied and strings parsed.
type settings struct {
	trials, windowDays             int
	seed                           int64
	work                           [7]bool
	workNames                      []string
	holidays                       []int64 // sorted day numbers
	growth                         bool
	resampledGrowth                bool
	confidence                     float64
	minHistory, minDone, staleDays int
	horizon                        int
	quickWinPoints                 float64
	loc                            *time.Location // nil: UTC
	resamples                      int
}

// resolve applies defaults. Invalid entries (which Validate reports) are
// skipped so Compute never fails.
func (o Options) resolve() settings {
	s := settings{trials: o.Trials, windowDays: o.WindowDays, seed: o.Seed, growth: true,
		confidence: o.Confidence, minHistory: o.MinHistoryDays, minDone: o.MinCompletions,
		staleDays: o.StaleDays, horizon: o.HorizonDays, quickWinPoints: o.QuickWinPoints}
	if s.trials <= 0 {
		s.trials = DefaultTrials
	}
	if s.trials > 1_000_000 {
		s.trials = 1_000_000
	}
	if s.windowDays <= 0 {
		s.windowDays = DefaultWindowDays
	}
	if s.seed == 0 {
		s.seed = DefaultSeed
	}
	if o.ScopeGrowth != nil {
		s.growth = *o.ScopeGrowth
	}
	s.resampledGrowth = o.GrowthModel == GrowthResampled
	if s.confidence <= 0 || s.confidence >= 1 {
		s.confidence = DefaultConfidence
	}
	if s.minHistory <= 0 {
		s.minHistory = DefaultMinHistoryDays
	}
	if s.minDone <= 0 {
		s.minDone = DefaultMinCompletions
	}
	if s.staleDays <= 0 {
		s.staleDays = DefaultStaleDays
	}
	if s.horizon <= 0 {
		s.horizon = DefaultHorizonDays
	}
	if s.quickWinPoints <= 0 {
		s.quickWinPoints = DefaultQuickWinPoints
	}
	s.resamples = o.Resamples
	if s.resamples <= 0 {
		s.resamples = DefaultResamples
	}
	s.resamples = min(s.resamples, 64)
	for _, d := range o.WorkingDays {
		k := strings.ToLower(strings.TrimSpace(d))
		if len(k) > 3 {
			k = k[:3]
		}
		if wd, ok := dayNames[k]; ok && !s.work[wd] {
			s.work[wd] = true
			s.workNames = append(s.workNames, k)
		}
	}
	if len(s.workNames) == 0 {
		for _, k := range []string{"mon", "tue", "wed", "thu", "fri"} {
			s.work[dayNames[k]] = true
		}
		s.workNames = []string{"mon", "tue", "wed", "thu", "fri"}
	}
	if o.TimeZone != "" && o.TimeZone != "UTC" {
		if loc, err := time.LoadLocation(o.TimeZone); err == nil {
			s.loc = loc
		}
	}
	for _, h := range o.Holidays {
		if t, err := time.Parse(time.DateOnly, h); err == nil {
			s.holidays = append(s.holidays, dayNum(t))
		}
	}
	sortInt64(s.holidays)
	return s
}
