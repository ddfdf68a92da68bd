package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/forewarn/forewarn/internal/model"
)

// Env is what a `when` expression and a template see. Names are snake_case,
// as in the YAML; docs/rules.md lists them all. It is built once per
// milestone and reused by every rule.
type Env struct {
	Milestone MilestoneEnv `expr:"milestone"`
	Forecast  ForecastEnv  `expr:"forecast"`
	Signals   SignalsEnv   `expr:"signals"`
	Client    ClientEnv    `expr:"client"`
	// Now is the evaluation time (UTC); NowLocal the same instant in the
	// client's time zone; Today midnight UTC of the current day.
	Now      time.Time `expr:"now"`
	NowLocal time.Time `expr:"now_local"`
	Today    time.Time `expr:"today"`
}

// MilestoneEnv is the milestone as expressions see it.
type MilestoneEnv struct {
	Key         string    `expr:"key"`
	Title       string    `expr:"title"`
	URL         string    `expr:"url"`
	Source      string    `expr:"source"`
	Kind        string    `expr:"kind"`
	Client      string    `expr:"client"`
	Labels      []string  `expr:"labels"`
	State       string    `expr:"state"`
	Open        bool      `expr:"open"`
	Closed      bool      `expr:"closed"`
	Start       time.Time `expr:"start"`
	Due         time.Time `expr:"due"`          // effective due date: the agreed one when re-baselined
	OriginalDue time.Time `expr:"original_due"` // the tracker's due date
	AgreedDue   time.Time `expr:"agreed_due"`   // zero unless re-baselined
	Rebaselined bool      `expr:"rebaselined"`
	// PromisedDue is the due date the milestone had when work started, as
	// forewarn saw it, when the tracker's was moved later since (zero
	// otherwise); DueMoved says there is one.
	PromisedDue time.Time `expr:"promised_due"`
	DueMoved    bool      `expr:"due_moved"`
	ClosedAt    time.Time `expr:"closed_at"`
	// DaysLeft is the time until the end of the due day, in days (negative once past).
	DaysLeft   float64 `expr:"days_left"`
	Overdue    bool    `expr:"overdue"`     // open and past the end of the due day
	ClosedLate bool    `expr:"closed_late"` // closed after the end of the due day
	Items      int     `expr:"items"`       // work items currently in the milestone
	OpenItems  int     `expr:"open_items"`
	// UnfinishedAtClose counts, for a closed milestone, the items that were
	// in it when it closed and not done by then: a sprint's committed work
	// Jira carried over to the next sprint, a version released or a GitHub
	// milestone closed with issues open. 0 while open.
	UnfinishedAtClose int `expr:"unfinished_at_close"`
	// DaysSinceClosed is the time since the milestone closed, in days
	// (0 while open).
	DaysSinceClosed float64 `expr:"days_since_closed"`
	// ElapsedShare is the share of the time from start to the end of the
	// due day that has passed (0 when the start is unknown; above 1 once past).
	ElapsedShare float64 `expr:"elapsed_share"`
}

// ForecastEnv is the forecast as expressions see it.
type ForecastEnv struct {
	Status       string `expr:"status"` // ok, insufficient_data, diverging, done
	OK           bool   `expr:"ok"`
	Insufficient bool   `expr:"insufficient"`
	// Diverging: the P85 date lies beyond the horizon; no date is given and
	// reason, added_in_window and done_in_window say why.
	Diverging         bool      `expr:"diverging"`
	AddedInWindow     int       `expr:"added_in_window"`
	DoneInWindow      int       `expr:"done_in_window"`
	Done              bool      `expr:"done"`
	Reason            string    `expr:"reason"`
	ReasonCode        string    `expr:"reason_code"`
	ScopeItems        int       `expr:"scope_items"`
	DoneItems         int       `expr:"done_items"`
	RemainingItems    int       `expr:"remaining_items"`
	ScopePoints       float64   `expr:"scope_points"`
	DonePoints        float64   `expr:"done_points"`
	RemainingPoints   float64   `expr:"remaining_points"`
	AddedAfterStart   int       `expr:"added_after_start"`
	RemovedAfterStart int       `expr:"removed_after_start"`
	P50               time.Time `expr:"p50"`
	P85               time.Time `expr:"p85"`
	P95               time.Time `expr:"p95"`
	ProbOnTime        float64   `expr:"prob_on_time"`
	LinearDate        time.Time `expr:"linear_date"`
	PaceNeeded        float64   `expr:"pace_needed"`
	PaceObserved      float64   `expr:"pace_observed"`
	// SlipDays is P85 minus the effective due date in days (positive: late); 0 unless ok.
	SlipDays float64 `expr:"slip_days"`
	// DoneShare is done_items / scope_items (0 with no scope).
	DoneShare float64 `expr:"done_share"`
	// BehindBurndown: the share done is below the share of time elapsed
	// (a straight burn-down); usable when the forecast has too little data.
	BehindBurndown bool `expr:"behind_burndown"`
}

// SignalsEnv are the early-warning signals.
type SignalsEnv struct {
	ScopeCreep        float64 `expr:"scope_creep"`
	BlockedItems      int     `expr:"blocked_items"`
	BlockedDays       float64 `expr:"blocked_days"`
	StaleInProgress   int     `expr:"stale_in_progress"`
	UnestimatedShare  float64 `expr:"unestimated_share"`
	ThroughputTrend   float64 `expr:"throughput_trend"`
	DaysSinceLastDone int     `expr:"days_since_last_done"`
}

// ClientEnv is the milestone's client (empty fields when none is configured).
type ClientEnv struct {
	ID       string `expr:"id"`
	Name     string `expr:"name"`
	Locale   string `expr:"locale"`
	TimeZone string `expr:"time_zone"`
	Owner    string `expr:"owner"`
	Contact  string `expr:"contact"`
	HasDates bool   `expr:"has_dates"` // the client has own dates depending on ours
}

const day = 24 * time.Hour

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// fill sets e from an input; it reuses e's label slice.
func (e *Env) fill(now time.Time, in *Input, loc *time.Location) {
	m, f, c := &in.Milestone, &in.Forecast, &in.Client
	now = now.UTC()
	due := m.EffectiveDue()
	endOfDue := due.Add(day)
	open := 0
	for i := range m.Items {
		if m.Items[i].Closed.IsZero() || m.Items[i].Closed.After(now) {
			open++
		}
	}
	e.Milestone = MilestoneEnv{
		Key: m.Key, Title: m.Title, URL: m.URL, Source: m.Source, Kind: string(m.Kind), Client: m.Client,
		Labels: m.Labels, State: string(m.State), Open: m.State != model.StateClosed, Closed: m.State == model.StateClosed,
		Start: m.Start, Due: due, OriginalDue: m.Due, AgreedDue: m.AgreedDue, Rebaselined: !m.AgreedDue.IsZero(),
		PromisedDue: m.PromisedDue, DueMoved: !m.PromisedDue.IsZero(),
		ClosedAt: m.ClosedAt, DaysLeft: float64(endOfDue.Sub(now)) / float64(day),
		Overdue:    m.State != model.StateClosed && !now.Before(endOfDue),
		ClosedLate: m.State == model.StateClosed && !m.ClosedAt.IsZero() && !m.ClosedAt.Before(endOfDue),
		Items:      len(m.Items), OpenItems: open,
	}
	e.Forecast = ForecastEnv{
		Status: string(f.Status), OK: f.Status == model.ForecastOK, Insufficient: f.Status == model.ForecastInsufficient,
		Done: f.Status == model.ForecastDone, Reason: f.Reason, ReasonCode: string(f.Why.Code), Diverging: f.Status == model.ForecastDiverging,
		AddedInWindow: f.AddedInWindow, DoneInWindow: f.DoneInWindow,
		ScopeItems: f.ScopeItems, DoneItems: f.DoneItems, RemainingItems: f.RemainingItems,
		ScopePoints: f.ScopePoints, DonePoints: f.DonePoints, RemainingPoints: f.RemainingPoints,
		AddedAfterStart: f.AddedAfterStart, RemovedAfterStart: f.RemovedAfterStart,
		P50: f.P50, P85: f.P85, P95: f.P95, ProbOnTime: f.ProbOnTime, LinearDate: f.LinearDate,
		PaceNeeded: f.PaceNeeded, PaceObserved: f.PaceObserved,
	}
	if m.State == model.StateClosed && !m.ClosedAt.IsZero() {
		e.Milestone.UnfinishedAtClose = model.UnfinishedAt(m.Items, m.ClosedAt)
		e.Milestone.DaysSinceClosed = max(float64(now.Sub(m.ClosedAt))/float64(day), 0)
	}
	if !m.Start.IsZero() && endOfDue.After(m.Start) {
		e.Milestone.ElapsedShare = max(float64(now.Sub(m.Start))/float64(endOfDue.Sub(m.Start)), 0)
	}
	if f.ScopeItems > 0 {
		e.Forecast.DoneShare = float64(f.DoneItems) / float64(f.ScopeItems)
		e.Forecast.BehindBurndown = e.Milestone.ElapsedShare > 0 && e.Forecast.DoneShare < e.Milestone.ElapsedShare
	}
	if f.Status == model.ForecastOK && !f.P85.IsZero() {
		e.Forecast.SlipDays = float64(f.P85.Sub(due)) / float64(day)
	}
	s := f.Signals
	e.Signals = SignalsEnv{ScopeCreep: s.ScopeCreep, BlockedItems: s.BlockedItems, BlockedDays: s.BlockedDays,
		StaleInProgress: s.StaleInProgress, UnestimatedShare: s.UnestimatedShare, ThroughputTrend: s.ThroughputTrend,
		DaysSinceLastDone: s.DaysSinceLastDone}
	e.Client = ClientEnv{ID: c.ID, Name: c.Name, Locale: c.Locale, TimeZone: c.TimeZone, Owner: c.Owner,
		Contact: c.Contact, HasDates: len(c.Dates) > 0}
	e.Now = now
	e.NowLocal = now.In(loc)
	e.Today = model.Day(now)
}

// functions are the helpers available to expressions and templates, with
// their types so calls are checked at load.
func functions() []expr.Option {
	return []expr.Option{
		expr.Function("days", func(p ...any) (any, error) {
			return float64(p[0].(time.Duration)) / float64(day), nil
		}, new(func(time.Duration) float64)),
		expr.Function("hours", func(p ...any) (any, error) {
			return p[0].(time.Duration).Hours(), nil
		}, new(func(time.Duration) float64)),
		expr.Function("weekday", func(p ...any) (any, error) {
			return weekdays[p[0].(time.Time).Weekday()], nil
		}, new(func(time.Time) string)),
		expr.Function("ymd", func(p ...any) (any, error) {
			t := p[0].(time.Time)
			if t.IsZero() {
				return "", nil
			}
			return t.Format(time.DateOnly), nil
		}, new(func(time.Time) string)),
		expr.Function("percent", func(p ...any) (any, error) {
			return strconv.FormatFloat(math.Round(p[0].(float64)*100), 'f', -1, 64) + "%", nil
		}, new(func(float64) string)),
		expr.Function("has_label", func(p ...any) (any, error) {
			for _, l := range p[0].([]string) {
				if strings.EqualFold(l, p[1].(string)) {
					return true, nil
				}
			}
			return false, nil
		}, new(func([]string, string) bool)),
	}
}

// render prints a template value.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		if x.Equal(model.Day(x)) {
			return x.UTC().Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	case time.Duration:
		return formatDuration(x)
	case float64:
		return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
	case []string:
		return strings.Join(x, ", ")
	default:
		return fmt.Sprint(x)
	}
}
