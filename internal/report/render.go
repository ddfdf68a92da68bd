package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

//go:embed page.html
var pageHTML string

//go:embed style.css
var styleCSS string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// ContentSecurityPolicy is the policy the page carries in a meta element
// and serve sends as a header: no script, no network, only its own inline
// styles. A viewer that honours it fetches nothing at all.
const ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

// Render writes the page. Tracker text is escaped by html/template in the
// context it lands in; only http and https links become links.
func Render(w io.Writer, p Portfolio) error {
	if err := pageTmpl.Execute(w, view(p)); err != nil {
		return fmt.Errorf("rendering the portfolio page: %w", err)
	}
	return nil
}

type pageView struct {
	Lang, CSP, Generated          string
	Style, Labels                 template.CSS
	W                             *words
	Plan                          bool
	AtRisk, Drafts, NotJudgedText string
	AtRiskN                       int
	Ticks                         []tickView
	TodayX                        string
	Groups                        []groupView
	NotJudged                     []NotJudged
	Empty                         bool
}

type tickView struct{ Left, Label string }

type groupView struct {
	Anchor, Name, Count string
	Rows                []rowView
}

type rowView struct {
	Key, Title, URL     string
	Class               string // likelihood class: low, medium, high, nodate, done
	AtRisk, Overdue     bool
	Due, OriginalDue    string
	Band                *bandView
	BandSVG, BurnSVG    template.HTML // numbers and our class names only
	NoDate              string
	Prob, Likelihood    string
	LikelihoodClass     string // the chance's band: low, medium, high, done
	Record              string // "before: 5 of the last 8 on time"
	Change, ChangeClass string
	Work, Scope         string
	Findings            []Finding
	Tickets             []ticketView
}

type bandView struct {
	X50, W85, W95, DueX, TodayX string
	Text                        string
	Beyond                      bool
}

type burnView struct {
	Remaining, Scope, Ideal, DueX string
}

// bandSVG draws the forecast band on the shared axis. It holds numbers
// and fixed class names only, so it is built here rather than escaped
// value by value (which made the page of 500 milestones twice as slow).
func (b *bandView) svg() template.HTML {
	var s strings.Builder
	s.WriteString(`<svg class="band" viewBox="0 0 1000 20" preserveAspectRatio="none" aria-hidden="true" focusable="false">`)
	if b.W95 != "" {
		fmt.Fprintf(&s, `<rect class="p95" x="%s" y="4" width="%s" height="12"/><rect class="p85" x="%s" y="4" width="%s" height="12"/><line class="p50" x1="%s" x2="%s" y1="1" y2="19"/>`,
			b.X50, b.W95, b.X50, b.W85, b.X50, b.X50)
	}
	fmt.Fprintf(&s, `<line class="today" x1="%s" x2="%s" y1="0" y2="20"/><line class="due" x1="%s" x2="%s" y1="0" y2="20"/></svg>`,
		b.TodayX, b.TodayX, b.DueX, b.DueX)
	return template.HTML(s.String())
}

func (b *burnView) svg() template.HTML {
	var s strings.Builder
	s.WriteString(`<svg class="burn" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true" focusable="false">`)
	if b.Ideal != "" {
		fmt.Fprintf(&s, `<polyline class="ideal" points="%s"/>`, b.Ideal)
	}
	fmt.Fprintf(&s, `<polyline class="scope" points="%s"/><polyline class="rem" points="%s"/><line class="due" x1="%s" x2="%s" y1="0" y2="30"/></svg>`,
		b.Scope, b.Remaining, b.DueX, b.DueX)
	return template.HTML(s.String())
}

// labels names the cells of a row on a phone, where the table becomes a
// card per milestone; the words are ours, quoted for CSS.
func labels(w *words) template.CSS {
	var s strings.Builder
	for i, l := range []string{w.Due, w.Forecast, w.OnTime, w.SinceLastWeek, w.Burndown, w.Work, w.Findings, w.Tickets} {
		fmt.Fprintf(&s, "@media (max-width:760px){table.ms tbody td:nth-of-type(%d)::before{content:%s}}\n", i+1, cssString(l))
	}
	return template.CSS(s.String())
}

// cssString quotes s as a CSS string (the words have no quotes, but a
// translation one day might).
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' || r == '<' || r == '>' || r < 0x20 {
			fmt.Fprintf(&b, "\\%x ", r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

type ticketView struct {
	Label, ID, URL, State, Class string
}

// The band's SVG is 1000 units wide; the axis labels are placed in percent.
const bandWidth = 1000.0

func view(p Portfolio) pageView {
	w := lang[p.Locale]
	if w == nil {
		w = lang["en"]
	}
	now := p.Generated
	v := pageView{Lang: p.Locale, CSP: ContentSecurityPolicy, Style: template.CSS(styleCSS), Labels: labels(w), W: w,
		Plan: p.Mode == "plan", Generated: fmt.Sprintf("%s %s %s UTC", w.AsOf, w.fullDate(now), now.Format("15:04")),
		AtRisk: w.AtRisk(p.AtRisk), AtRiskN: p.AtRisk, Drafts: w.Drafts(p.Drafts), NotJudged: p.NotJudged,
		Empty: len(p.Clients) == 0}
	if len(p.NotJudged) > 0 {
		v.NotJudgedText = w.JudgedNotJudged(len(p.NotJudged))
	}
	span := p.Axis.To.Sub(p.Axis.From).Hours()
	frac := func(t time.Time) float64 {
		if span <= 0 {
			return 0
		}
		return math.Max(0, math.Min(1, t.Sub(p.Axis.From).Hours()/span))
	}
	x := func(t time.Time) string { return num(bandWidth * frac(t)) }
	v.TodayX = x(now)
	v.Ticks = ticks(p.Axis, w, frac)
	for _, g := range p.Clients {
		name := g.Name
		if g.ID == "" {
			name = w.NoClient
		}
		gv := groupView{Anchor: "client-" + anchor(g.ID), Name: name, Count: fmt.Sprintf(w.OfClient, g.AtRisk, len(g.Milestones))}
		for _, m := range g.Milestones {
			gv.Rows = append(gv.Rows, row(m, w, now, p.Axis, x))
		}
		v.Groups = append(v.Groups, gv)
	}
	return v
}

func row(m Milestone, w *words, now time.Time, ax Axis, x func(time.Time) string) rowView {
	r := rowView{Key: m.Key, Title: m.Title, URL: m.URL, AtRisk: m.AtRisk, Overdue: m.Overdue,
		Due: w.date(m.Due, now), Work: fmt.Sprintf(w.DoneOf, m.Done, m.Total), Findings: m.Findings}
	if r.Title == "" {
		r.Title = m.Key
	}
	if !m.OriginalDue.IsZero() {
		r.OriginalDue = w.date(m.OriginalDue, now)
	}
	switch {
	case m.Added > 0 && m.Removed > 0:
		r.Scope = fmt.Sprintf("+%d %s, −%d %s", m.Added, w.Added, m.Removed, w.Removed)
	case m.Added > 0:
		r.Scope = fmt.Sprintf("+%d %s", m.Added, w.Added)
	case m.Removed > 0:
		r.Scope = fmt.Sprintf("−%d %s", m.Removed, w.Removed)
	default:
		r.Scope = "+0 " + w.Added
	}
	closed := m.State == "closed" || m.Status == "done"
	switch {
	case m.Status == "ok":
		r.Class = m.Likelihood
		r.Band = &bandView{X50: x(m.P50), DueX: x(m.Due), TodayX: x(now),
			Text:   w.date(m.P50, now) + " · " + w.date(m.P85, now) + " · " + w.date(m.P95, now),
			Beyond: m.P95.After(ax.To)}
		x50, _ := strconv.ParseFloat(r.Band.X50, 64)
		x85, _ := strconv.ParseFloat(x(m.P85), 64)
		x95, _ := strconv.ParseFloat(x(m.P95), 64)
		r.Band.W85, r.Band.W95 = num(math.Max(x85-x50, 3)), num(math.Max(x95-x50, 3))
	case closed:
		r.Class = "done"
		r.NoDate = w.Done
		if m.State == "closed" && m.Status != "done" {
			r.NoDate = w.Closed
		}
	case m.Status == string(model.ForecastDiverging):
		r.Class, r.NoDate = "nodate", w.Diverging+w.reason(m)
	default:
		r.Class, r.NoDate = "nodate", w.NoForecast+w.reason(m)
	}
	if r.Band == nil {
		r.Band = &bandView{DueX: x(m.Due), TodayX: x(now)}
	}
	if m.ProbOnTime != nil {
		r.Prob = fmt.Sprintf("%.0f %%", 100**m.ProbOnTime)
		r.Likelihood, r.LikelihoodClass = w.likelihood(m.Likelihood), r.Class
		if r.Class == "nodate" { // a calibrated chance without a date
			r.LikelihoodClass = m.Likelihood
		}
	}
	if m.Record != nil {
		r.Record = fmt.Sprintf(w.RecordOnTime, m.Record.OnTime, m.Record.Milestones)
	}
	r.Change, r.ChangeClass = change(m, w)
	r.BandSVG = r.Band.svg()
	if b := burn(m); b != nil {
		r.BurnSVG = b.svg()
	}
	for _, t := range m.Tickets {
		tv := ticketView{Label: w.purpose(t.Purpose), ID: t.ID, URL: t.URL}
		switch {
		case t.Failed:
			tv.State, tv.Class = w.Failed, "failed"
		case t.Planned:
			tv.State, tv.Class = w.Planned, "planned"
		case t.Open:
			tv.State, tv.Class = w.OpenTicket, "open"
		default:
			tv.State, tv.Class = w.ClosedTicket, "closed"
		}
		r.Tickets = append(r.Tickets, tv)
	}
	return r
}

// change says how the forecast moved since a week ago, in words.
func change(m Milestone, w *words) (string, string) {
	p := m.WeekAgo
	if p == nil {
		return w.NoHistory, "none"
	}
	if p.ProbOnTime == nil {
		if m.ProbOnTime == nil {
			return w.WasStatus, "none"
		}
		return w.WasStatus + "; " + fmt.Sprintf("%.0f %%", 100**m.ProbOnTime), "none"
	}
	was := math.Round(100 * *p.ProbOnTime)
	if m.ProbOnTime == nil {
		return fmt.Sprintf("%.0f %% → –", was), "down"
	}
	d := int(math.Round(100**m.ProbOnTime) - was)
	var s, class string
	switch {
	case d > 0:
		s, class = fmt.Sprintf(w.PtsUp, d), "up"
	case d < 0:
		s, class = fmt.Sprintf(w.PtsDown, -d), "down"
	default:
		s, class = w.PtsSame, "same"
	}
	s = fmt.Sprintf("%.0f %% → %.0f %% (%s)", was, math.Round(100**m.ProbOnTime), s)
	if !p.P85.IsZero() && !m.P85.IsZero() {
		switch days := int(math.Round(m.P85.Sub(p.P85).Hours() / 24)); {
		case days > 0:
			s += "; " + fmt.Sprintf(w.DaysLater, days)
		case days < 0:
			s += "; " + fmt.Sprintf(w.DaysEarlier, -days)
		default:
			s += "; " + w.SameDate
		}
	}
	return s, class
}

// burn draws remaining and scope over the recorded days, on a 100×30 box,
// with the ideal line from the first day's remaining work to none on the
// due date.
func burn(m Milestone) *burnView {
	pts := m.Burndown
	if len(pts) < 2 {
		return nil
	}
	first, last := pts[0].Day, pts[len(pts)-1].Day
	if m.Due.After(last) {
		last = m.Due
	}
	span := last.Sub(first).Hours()
	top := 1
	for _, p := range pts {
		top = max(top, p.Scope, p.Remaining)
	}
	px := func(t time.Time) float64 {
		if span <= 0 {
			return 0
		}
		return 100 * t.Sub(first).Hours() / span
	}
	py := func(n int) float64 { return 29 - 28*float64(n)/float64(top) }
	var rem, scope strings.Builder
	for i, p := range pts {
		if i > 0 {
			rem.WriteByte(' ')
			scope.WriteByte(' ')
		}
		rem.WriteString(num(px(p.Day)) + "," + num(py(p.Remaining)))
		scope.WriteString(num(px(p.Day)) + "," + num(py(p.Scope)))
	}
	b := &burnView{Remaining: rem.String(), Scope: scope.String(), DueX: num(px(m.Due))}
	if !m.Due.Before(first) {
		b.Ideal = "0," + num(py(pts[0].Remaining)) + " " + num(px(m.Due)) + "," + num(py(0))
	}
	return b
}

// ticks labels the axis: months, or quarters on a long axis.
func ticks(ax Axis, w *words, frac func(time.Time) float64) []tickView {
	months := int(ax.To.Sub(ax.From).Hours()/24/30) + 1
	step := 1
	if months > 7 {
		step = 3
	}
	var out []tickView
	t := time.Date(ax.From.Year(), ax.From.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	for ; t.Before(ax.To); t = t.AddDate(0, step, 0) {
		label := w.Months[t.Month()-1]
		if t.Month() == time.January || (len(out) == 0 && t.Year() != ax.From.AddDate(0, 0, 3).Year()) {
			label += " " + strconv.Itoa(t.Year())
		}
		out = append(out, tickView{Left: num(100 * frac(t)), Label: label})
	}
	return out
}

// num writes a coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// anchor makes an id fragment of a client id (ids are [A-Za-z0-9_.-]).
func anchor(id string) string {
	if id == "" {
		return "none"
	}
	var b strings.Builder
	for _, r := range id {
		if r < 128 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
