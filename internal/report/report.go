// Package report builds the portfolio page: every client milestone of a
// run on one self-contained HTML page (inline CSS and SVG, no script, no
// network at view time), grouped by client and sorted by risk, with the
// same data as JSON. Build and Render are pure: the caller reads the
// history and passes the clock in the run's report.
package report

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Options is the report: section of the configuration.
type Options struct {
	Path   string `yaml:"path" desc:"Write the portfolio page (one self-contained HTML file) here after every run and plan, relative to this file; --report overrides it."`
	Locale string `yaml:"locale" desc:"Language of the portfolio page: en (default) or nl." enum:"en,nl"`
}

// Validate checks the options.
func (o Options) Validate() error {
	if o.Locale != "" && !slices.Contains(Locales, o.Locale) {
		return fmt.Errorf("report.locale: %q is not a supported language (use one of %s)", o.Locale, strings.Join(Locales, ", "))
	}
	return nil
}

// Locales are the languages the page is written in.
var Locales = []string{"en", "nl"}

// WeekAgo is how far back "the forecast a week earlier" looks: the latest
// stored forecast made on this many calendar days before the run or earlier.
const WeekAgo = 7

// Likelihood bands of the probability of making the date.
const (
	LikelihoodLow    = "low"    // under 50 %
	LikelihoodMedium = "medium" // 50–84 %
	LikelihoodHigh   = "high"   // 85 % and more
)

// Input is what Build needs: the run's report, the configured clients and
// the forecast a week earlier per milestone key (absent: none stored).
type Input struct {
	Report  tracker.Report
	Client  func(id string) model.Client // nil: clients are named by id
	WeekAgo map[string]model.ForecastRecord
	Locale  string // "en" (default) or "nl"
}

// Portfolio is the page's data; /api/portfolio.json serves it as is.
type Portfolio struct {
	Version   int         `json:"version"`
	Generated time.Time   `json:"generated"` // the run's clock
	Mode      string      `json:"mode"`      // run or plan
	Locale    string      `json:"locale"`
	AtRisk    int         `json:"at_risk"`                // open milestones whose date is at risk
	Drafts    int         `json:"drafts_awaiting_review"` // open tickets forewarn wrote (or would write, in a plan)
	Judged    int         `json:"judged"`
	Axis      Axis        `json:"axis"`
	Clients   []Group     `json:"clients"`
	NotJudged []NotJudged `json:"not_judged"`
}

// Axis is the time axis every milestone's band is drawn on.
type Axis struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Group is one client's milestones, riskiest first.
type Group struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	AtRisk     int         `json:"at_risk"`
	Milestones []Milestone `json:"milestones"`
}

// Milestone is one row of the page.
type Milestone struct {
	Key    string `json:"key"`
	Title  string `json:"title"`
	URL    string `json:"url,omitempty"` // the milestone in its tracker (http or https only)
	Source string `json:"source"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	// Due is the date currently promised (an agreed new date when there is
	// one); OriginalDue is the tracker's date when it differs.
	Due         time.Time `json:"due"`
	OriginalDue time.Time `json:"original_due,omitzero"`
	Overdue     bool      `json:"overdue"`
	Status      string    `json:"status"`           // the forecast status: ok, done, insufficient_data, diverging
	Reason      string    `json:"reason,omitempty"` // in English
	// Why is the reason as a code and its figures (model.ForecastReason),
	// for a page in another language.
	Why model.ForecastReason `json:"why,omitzero"`
	P50 time.Time            `json:"p50,omitzero"`
	P85 time.Time            `json:"p85,omitzero"`
	P95 time.Time            `json:"p95,omitzero"`
	// ProbOnTime is nil when the forecast gives no probability.
	ProbOnTime *float64  `json:"prob_on_time"`
	Likelihood string    `json:"likelihood,omitempty"`
	AtRisk     bool      `json:"at_risk"`
	Risk       float64   `json:"risk"` // the sort key: higher is riskier
	WeekAgo    *Past     `json:"week_ago"`
	Done       int       `json:"done"`
	Total      int       `json:"total"`
	Added      int       `json:"added_after_start"`
	Removed    int       `json:"removed_after_start"`
	Burndown   []Point   `json:"burndown,omitempty"`
	Findings   []Finding `json:"findings,omitempty"`
	Tickets    []Ticket  `json:"tickets,omitempty"`
	// Record is the team's record on the container's earlier closed
	// milestones (nil: no history).
	Record *Record `json:"record,omitempty"`
}

// Record is how the team delivered its last closed milestones of the same
// repository, project or board.
type Record struct {
	Milestones     int     `json:"milestones"`
	OnTime         int     `json:"on_time"`
	DeliveredRatio float64 `json:"delivered_ratio"`
	Basis          string  `json:"basis"`
}

// Past is the forecast a week earlier.
type Past struct {
	AsOf       time.Time `json:"as_of"`
	Status     string    `json:"status"`
	P85        time.Time `json:"p85,omitzero"`
	ProbOnTime *float64  `json:"prob_on_time"`
}

// Point is one day of the burn-down.
type Point struct {
	Day       time.Time `json:"day"`
	Scope     int       `json:"scope"`
	Remaining int       `json:"remaining"`
}

// Finding is a rule that fired.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Purpose  string `json:"purpose,omitempty"`
	// Error is set for a rule that could not be evaluated (neither
	// holding nor not holding).
	Error string `json:"error,omitempty"`
}

// Ticket is a ticket forewarn opened (or, in a plan, would open).
type Ticket struct {
	Purpose string `json:"purpose"`
	ID      string `json:"id,omitempty"`
	URL     string `json:"url,omitempty"` // http or https only
	Open    bool   `json:"open"`
	Action  string `json:"action"`
	Planned bool   `json:"planned,omitempty"` // a plan: not written yet
	Failed  bool   `json:"failed,omitempty"`
}

// NotJudged is a milestone or source that could not be read completely.
type NotJudged struct {
	Source string `json:"source"`
	Key    string `json:"key,omitempty"`
	Title  string `json:"title,omitempty"`
	Reason string `json:"reason"`
}

// maxText bounds every piece of tracker text on the page (runes).
const maxText = 160

// maxBurndown bounds the burn-down points kept per milestone.
const maxBurndown = 40

// Build turns a run's report into the page's data. Pure.
func Build(in Input) Portfolio {
	rep := in.Report
	now := rep.Started.UTC()
	loc := in.Locale
	if loc == "" {
		loc = "en"
	}
	p := Portfolio{Version: 1, Generated: now, Mode: string(rep.Mode), Locale: loc,
		Judged: len(rep.Milestones), Clients: []Group{}, NotJudged: []NotJudged{}}

	tickets := ticketsByMilestone(rep)
	for _, ts := range tickets {
		for _, t := range ts {
			if t.Open && !t.Failed {
				p.Drafts++
			}
		}
	}

	ruleFailures := map[string][]tracker.RuleFailure{}
	for _, rf := range rep.RuleFailures {
		ruleFailures[rf.MilestoneKey] = append(ruleFailures[rf.MilestoneKey], rf)
	}
	groups := map[string]*Group{}
	var order []string
	for _, mr := range rep.Milestones {
		row := milestone(mr, now, in.WeekAgo, tickets[mr.Milestone.Key], ruleFailures)
		id := mr.Milestone.Client
		g, ok := groups[id]
		if !ok {
			name := id
			if in.Client != nil && id != "" {
				name = in.Client(id).Name
			}
			g = &Group{ID: id, Name: clean(name)}
			groups[id] = g
			order = append(order, id)
		}
		if row.AtRisk {
			g.AtRisk++
			p.AtRisk++
		}
		g.Milestones = append(g.Milestones, row)
	}
	for _, id := range order {
		g := groups[id]
		slices.SortStableFunc(g.Milestones, func(a, b Milestone) int {
			if c := cmp.Compare(b.Risk, a.Risk); c != 0 {
				return c
			}
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
			return cmp.Compare(a.Key, b.Key)
		})
		p.Clients = append(p.Clients, *g)
	}
	// Clients with the riskiest milestone first; those without a client last.
	slices.SortStableFunc(p.Clients, func(a, b Group) int {
		if (a.ID == "") != (b.ID == "") {
			if a.ID == "" {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(b.Milestones[0].Risk, a.Milestones[0].Risk); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	for _, f := range rep.Failed {
		p.NotJudged = append(p.NotJudged, NotJudged{Source: clean(f.Source), Key: clean(f.Key), Title: clean(f.Title),
			Reason: clean(firstLine(f.Err))})
	}
	p.Axis = axis(p, now)
	return p
}

func milestone(mr tracker.MilestoneReport, now time.Time, weekAgo map[string]model.ForecastRecord, tickets []Ticket, ruleFailures map[string][]tracker.RuleFailure) Milestone {
	m, f := mr.Milestone, mr.Forecast
	row := Milestone{Key: clean(m.Key), Title: clean(m.Title), URL: webURL(m.URL), Source: clean(m.Source),
		Kind: string(m.Kind), State: string(m.State), Due: m.EffectiveDue().UTC(),
		Status: string(f.Status), Reason: clean(f.Reason), Why: f.Why,
		Done: f.DoneItems, Total: f.ScopeItems, Added: f.AddedAfterStart, Removed: f.RemovedAfterStart, Tickets: tickets}
	if !m.AgreedDue.IsZero() && !m.AgreedDue.Equal(m.Due) {
		row.OriginalDue = m.Due.UTC()
	}
	if r := m.Record; r != nil && r.Milestones > 0 {
		row.Record = &Record{Milestones: r.Milestones, OnTime: r.OnTime, DeliveredRatio: r.DeliveredRatio, Basis: clean(r.Basis)}
	}
	if row.Status == "" {
		row.Status = string(model.ForecastInsufficient)
	}
	open := m.State != model.StateClosed && f.Status != model.ForecastDone
	// Due is the end of the day: overdue from the next midnight.
	row.Overdue = open && !now.Before(row.Due.AddDate(0, 0, 1))
	if f.Status == model.ForecastOK {
		row.P50, row.P85, row.P95 = f.P50.UTC(), f.P85.UTC(), f.P95.UTC()
		prob := f.ProbOnTime
		row.ProbOnTime = &prob
		row.Likelihood = likelihood(prob)
	}
	if f.Status == model.ForecastInsufficient && f.ScopeItems > 0 && !m.EffectiveDue().IsZero() {
		// No date, but the calibrated chance stands on what is known (time
		// elapsed, work done, the team's record), as in the table.
		prob := f.ProbOnTime
		row.ProbOnTime = &prob
		row.Likelihood = likelihood(prob)
	}
	if f.Status == model.ForecastDone {
		prob := 1.0
		if row.Overdue {
			prob = 0
		}
		row.ProbOnTime = &prob
		row.Likelihood = likelihood(prob)
	}
	switch {
	case !open:
		row.Risk = -1
	case row.Overdue:
		row.Risk = 2
	case row.Status == string(model.ForecastDiverging):
		row.Risk = 1
	case row.ProbOnTime != nil:
		row.Risk = 1 - *row.ProbOnTime
	default: // no probability: as uncertain as a coin
		row.Risk = 0.5
	}
	row.AtRisk = open && (row.Overdue || row.Status == string(model.ForecastDiverging) || (row.ProbOnTime != nil && row.Likelihood == LikelihoodLow))
	if r, ok := weekAgo[m.Key]; ok {
		past := &Past{AsOf: r.AsOf.UTC(), Status: string(r.Status)}
		if r.Status == model.ForecastOK {
			prob := r.ProbOnTime
			past.P85, past.ProbOnTime = r.P85.UTC(), &prob
		}
		row.WeekAgo = past
	}
	for _, fd := range mr.Findings {
		row.Findings = append(row.Findings, Finding{Rule: clean(fd.Rule), Severity: clean(fd.Severity), Purpose: string(fd.Purpose)})
	}
	for _, rf := range ruleFailures[m.Key] {
		row.Findings = append(row.Findings, Finding{Rule: clean(rf.Rule), Error: clean(firstLine(rf.Err))})
	}
	row.Burndown = burndown(f.Burndown)
	return row
}

// likelihood is the band of a probability, judged on the percentage the
// page shows (so 84.6 %, shown as 85 %, is "high").
func likelihood(p float64) string {
	switch pct := math.Round(100 * p); {
	case pct < 50:
		return LikelihoodLow
	case pct < 85:
		return LikelihoodMedium
	default:
		return LikelihoodHigh
	}
}

// burndown keeps at most maxBurndown points, always the first and last.
func burndown(pts []model.BurndownPoint) []Point {
	if len(pts) == 0 {
		return nil
	}
	n := min(len(pts), maxBurndown)
	out := make([]Point, 0, n)
	for i := range n {
		j := i
		if n > 1 {
			j = i * (len(pts) - 1) / (n - 1)
		}
		out = append(out, Point{Day: pts[j].Day.UTC(), Scope: pts[j].Scope, Remaining: pts[j].Remaining})
	}
	return out
}

// ticketsByMilestone reads the tickets of each milestone from the actions,
// one per fingerprint (the last action on it tells its state).
func ticketsByMilestone(rep tracker.Report) map[string][]Ticket {
	out := map[string][]Ticket{}
	idx := map[string]int{}
	for _, a := range rep.Actions {
		if a.Kind == tracker.ActionDeferred && a.Ref.ID == "" {
			continue // nothing exists and nothing will this run
		}
		t := Ticket{Purpose: string(a.Purpose), ID: clean(a.Ref.ID), URL: webURL(a.Ref.URL), Action: string(a.Kind),
			Open: a.Ref.Open, Failed: a.Err != ""}
		if a.Ref.ID == "" && a.Err == "" && rep.Mode == tracker.ModePlan {
			t.Planned, t.Open = true, true
		}
		if i, ok := idx[a.Fingerprint]; ok {
			ts := out[a.MilestoneKey]
			if t.ID == "" {
				t.ID, t.URL = ts[i].ID, ts[i].URL
			}
			ts[i] = t
			continue
		}
		idx[a.Fingerprint] = len(out[a.MilestoneKey])
		out[a.MilestoneKey] = append(out[a.MilestoneKey], t)
	}
	return out
}

// axis spans today, every due date and every forecast date, with a little
// room each side, and at most about 13 months (bands beyond are cut).
func axis(p Portfolio, now time.Time) Axis {
	from, to := model.Day(now), model.Day(now)
	for _, g := range p.Clients {
		for _, m := range g.Milestones {
			for _, t := range []time.Time{m.Due, m.OriginalDue, m.P50, m.P85, m.P95} {
				if t.IsZero() {
					continue
				}
				if t.Before(from) {
					from = model.Day(t)
				}
				if t.After(to) {
					to = model.Day(t)
				}
			}
		}
	}
	from = from.AddDate(0, 0, -3)
	to = to.AddDate(0, 0, 4)
	if limit := from.AddDate(0, 13, 0); to.After(limit) {
		to = limit
	}
	if earliest := model.Day(now).AddDate(0, -6, 0); from.Before(earliest) {
		from = earliest
	}
	return Axis{From: from, To: to}
}

// clean makes tracker text fit for the page: notice.Sanitize drops control,
// bidirectional and invisible characters; the result is cut to maxText
// runes. Escaping is html/template's job.
func clean(s string) string {
	s = notice.Sanitize(s)
	if utf8.RuneCountInString(s) <= maxText {
		return s
	}
	r := []rune(s)
	return string(r[:maxText-1]) + "…"
}

// webURL keeps http and https links and drops anything else (javascript:,
// file paths, garbage).
func webURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
