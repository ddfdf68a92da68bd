// Package chart draws a milestone's burn-down: an SVG image for Jira
// attachments and the outbox, and a Mermaid xychart for GitHub bodies and
// Action step summaries. Both are pure functions of the data.
package chart

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/forewarn/forewarn/internal/model"
)

// Size of the SVG in pixels, and its plot margins.
const (
	width   = 760
	height  = 380
	marginL = 56
	marginR = 32
	marginT = 44
	marginB = 64
)

// series is the data both charts are drawn from: prepare computes it once,
// and the SVG, the PNG and the Mermaid chart only place it, so they show
// the same days, the same ideal line and the same dates.
type series struct {
	points  []model.BurndownPoint
	start   time.Time // first day
	end     time.Time // last day on the x axis
	due     time.Time
	today   time.Time // last observed day
	ymax    int
	p50     time.Time
	p85     time.Time
	p95     time.Time
	initial int // committed scope: the ideal line starts there
	w       words
	left    int  // remaining per the forecast, when there are no points
	years   bool // dates carry their year: the range crosses a year or is not in the current one
}

// words are the chart's text in one language; dates are numbers and month
// abbreviations, nothing from the tracker.
type words struct {
	title, today, due, remaining, scope, ideal string
	mermaidTitle, mermaidDue, items            string
	months                                     [12]string
	monthFirst                                 bool // Mermaid axis as "Jan 2" (English) rather than "2 jan"
}

var english = words{title: "Burn-down: items remaining", today: "today", due: "due", remaining: "remaining", scope: "scope", ideal: "ideal",
	mermaidTitle: "Items remaining", mermaidDue: "due", items: "Items", monthFirst: true,
	months: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}}

var dutch = words{title: "Burn-down: onderdelen te gaan", today: "vandaag", due: "deadline", remaining: "te gaan", scope: "omvang", ideal: "ideaal",
	mermaidTitle: "Onderdelen te gaan", mermaidDue: "deadline", items: "Onderdelen",
	months: [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}}

// dayMonth is "2 Jan" / "2 jan".
func (w words) dayMonth(t time.Time) string {
	return strconv.Itoa(t.Day()) + " " + w.months[t.Month()-1]
}

// axis is a Mermaid axis label: "Jan 2" in English, "2 jan" in Dutch.
func (w words) axis(t time.Time) string {
	if w.monthFirst {
		return w.months[t.Month()-1] + " " + strconv.Itoa(t.Day())
	}
	return w.dayMonth(t)
}

// date is a day as the SVG writes it: "2 Jan", with the year when the
// chart's dates need it ("2 Jan 2027").
func (s series) date(t time.Time) string {
	if s.years {
		return s.w.dayMonth(t) + " " + strconv.Itoa(t.Year())
	}
	return s.w.dayMonth(t)
}

// axisDate is a day as Mermaid writes it: "Jan 2" / "2 jan", with the year
// when the chart's dates need it ("Jan 2, 2027" / "2 jan 2027").
func (s series) axisDate(t time.Time) string {
	switch {
	case !s.years:
		return s.w.axis(t)
	case s.w.monthFirst:
		return s.w.axis(t) + ", " + strconv.Itoa(t.Year())
	}
	return s.w.axis(t) + " " + strconv.Itoa(t.Year())
}

// tickLabel labels an x-axis tick: the year is written on the first tick
// and where it changes, so a range across New Year reads unambiguously.
func (s series) tickLabel(t, prev time.Time, axis bool) string {
	if !s.years || (!prev.IsZero() && prev.Year() == t.Year()) {
		if axis {
			return s.w.axis(t)
		}
		return s.w.dayMonth(t)
	}
	if axis {
		return s.axisDate(t)
	}
	return s.date(t)
}

// yearSpan is "2026" or "2026–2027": the years the x axis covers.
func (s series) yearSpan() string {
	if s.start.Year() == s.end.Year() {
		return fmt.Sprint(s.start.Year())
	}
	return fmt.Sprintf("%d–%d", s.start.Year(), s.end.Year())
}

// ideal is the ideal line on day t: the committed scope on the first day,
// falling straight to zero on the due date.
func (s series) ideal(t time.Time) float64 {
	dueDays := s.due.Sub(s.start).Hours() / 24
	if dueDays <= 0 {
		return 0
	}
	return math.Max(0, float64(s.initial)*(1-model.Day(t).Sub(s.start).Hours()/24/dueDays))
}

// Option adjusts a chart.
type Option func(*words)

// Locale draws the chart's words in the drafts' language: "nl" for Dutch,
// anything else English.
func Locale(lang string) Option {
	return func(w *words) {
		if lang == "nl" {
			*w = dutch
		}
	}
}

func wordsFor(opts []Option) words {
	w := english
	for _, o := range opts {
		o(&w)
	}
	return w
}

func prepare(points []model.BurndownPoint, due time.Time, f model.Forecast, opts []Option) series {
	ps := make([]model.BurndownPoint, len(points))
	copy(ps, points)
	byDay := func(a, b model.BurndownPoint) int { return a.Day.Compare(b.Day) }
	if !slices.IsSortedFunc(ps, byDay) { // they usually come in order
		slices.SortStableFunc(ps, byDay)
	}
	s := series{points: ps, due: model.Day(due), left: f.RemainingItems, w: wordsFor(opts)}
	if f.Status == model.ForecastOK {
		s.p50, s.p85, s.p95 = model.Day(f.P50), model.Day(f.P85), model.Day(f.P95)
	}
	if len(ps) > 0 {
		s.start = model.Day(ps[0].Day)
		s.today = model.Day(ps[len(ps)-1].Day)
		s.initial = committed(ps)
	} else {
		s.start = model.Day(f.AsOf)
		if s.start.IsZero() {
			s.start = model.Day(due) // nothing dated at all: draw around the due date, not from year 1
		}
		s.today = s.start
		s.initial = f.ScopeItems
	}
	if s.due.IsZero() {
		s.due = s.today
	}
	s.end = s.today
	for _, t := range []time.Time{s.due, s.p50, s.p85, s.p95} {
		if t.After(s.end) {
			s.end = t
		}
	}
	if s.start.After(s.due) {
		s.start = s.due
	}
	s.ymax = max(s.initial, f.ScopeItems, 1)
	for _, p := range ps {
		s.ymax = max(s.ymax, p.Scope, p.Remaining)
	}
	// The current year is the forecast's: a chart drawn in January about
	// December, or about last year, says which year it means.
	now := model.Day(f.AsOf)
	if now.IsZero() {
		now = s.today
	}
	s.years = s.start.Year() != s.end.Year() || s.start.Year() != now.Year()
	return s
}

// committed is the scope the ideal line starts from: the first day's, or,
// when the range starts before any work joined (a sprint or milestone whose
// items were added on a later day), the first scope that was committed.
func committed(ps []model.BurndownPoint) int {
	for _, p := range ps {
		if p.Scope > 0 {
			return p.Scope
		}
	}
	return 0
}

func (s series) remainingNow() int {
	if len(s.points) == 0 {
		return s.left
	}
	return s.points[len(s.points)-1].Remaining
}

// SVG draws the burn-down as a standalone SVG image: remaining items per day,
// the scope line, the ideal line to the due date, the due date, today, and
// the forecast's P50/P85/P95 projections from the last observed day. Labels
// are dates and numbers only (no tracker text).
func SVG(points []model.BurndownPoint, due time.Time, forecast model.Forecast, opts ...Option) []byte {
	c := &svgCanvas{}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	draw(c, prepare(points, due, forecast, opts))
	c.b.WriteString("</svg>\n")
	return []byte(c.b.String())
}

// PNG draws the same chart as SVG as a PNG image (for trackers that do not
// show SVG attachments inline, such as Jira).
// A chart drawn recently from the same series is not drawn again (see
// pngs); each caller gets its own copy of the file.
func PNG(points []model.BurndownPoint, due time.Time, forecast model.Forecast, opts ...Option) ([]byte, error) {
	s := prepare(points, due, forecast, opts)
	k := s.key()
	if b, ok := pngs.get(k); ok {
		return bytes.Clone(b), nil
	}
	c := rasters.Get().(*rasterCanvas)
	defer rasters.Put(c)
	draw(c, s)
	b, err := encodePNG(c.img)
	if err != nil {
		return nil, fmt.Errorf("encoding the burn-down PNG: %w", err)
	}
	pngs.put(k, bytes.Clone(b))
	return b, nil
}

func draw(c canvas, s series) {
	pw := float64(width - marginL - marginR)
	ph := float64(height - marginT - marginB)
	span := max(1, s.end.Sub(s.start).Hours()/24) // one day at least: a single day still gets an axis
	x := func(t time.Time) float64 {
		return float64(marginL) + pw*(model.Day(t).Sub(s.start).Hours()/24)/span
	}
	ytop := niceCeil(s.ymax)
	y := func(v float64) float64 { return float64(marginT) + ph*(1-v/float64(ytop)) }
	const (
		ink   = "#172b4d"
		muted = "#5e6c84"
	)
	c.rect(0, 0, width, height, "#ffffff")
	title := s.w.title
	if s.years {
		title += " (" + s.yearSpan() + ")"
	}
	c.text(marginL, 24, title, ink, "start", 16, true)

	// Grid and y axis.
	step := niceStep(ytop)
	for v := 0; v <= ytop; v += step {
		c.line(marginL, y(float64(v)), width-marginR, y(float64(v)), "#ebecf0", 1, nil)
		c.text(marginL-8, y(float64(v))+4, fmt.Sprint(v), muted, "end", 12, false)
	}
	// X axis ticks: about eight dates, whole weeks when the span is long.
	days := int(math.Round(span))
	tick := max(1, (days+7)/8)
	if tick > 3 {
		tick = (tick + 6) / 7 * 7
	}
	var prev time.Time
	for d := 0; d <= days; d += tick {
		t := s.start.AddDate(0, 0, d)
		c.line(x(t), height-marginB, x(t), height-marginB+5, "#c1c7d0", 1, nil)
		c.text(x(t), height-marginB+19, s.tickLabel(t, prev, false), muted, "middle", 12, false)
		prev = t
	}
	c.line(marginL, height-marginB, width-marginR, height-marginB, muted, 1, nil)
	c.line(marginL, marginT, marginL, height-marginB, muted, 1, nil)

	// Ideal line: from the first day's scope to zero on the due date.
	c.line(x(s.start), y(s.ideal(s.start)), x(s.due), y(s.ideal(s.due)), "#97a0af", 1.5, []float64{2, 4})
	// Today and the due date.
	if len(s.points) > 0 && s.today.Before(s.end) {
		c.line(x(s.today), marginT, x(s.today), height-marginB, "#c1c7d0", 1, []float64{3, 3})
		c.text(x(s.today), height-marginB-6, s.w.today, muted, "middle", 11, false)
	}
	c.line(x(s.due), marginT, x(s.due), height-marginB, "#de350b", 1.5, nil)
	dueLabel := s.w.due + " " + s.date(s.due)
	c.text(inside(x(s.due), dueLabel), marginT-6, dueLabel, "#de350b", "middle", 12, false)

	if len(s.points) > 0 {
		xs := make([]float64, len(s.points))
		scope := make([]float64, len(s.points))
		rem := make([]float64, len(s.points))
		for i, p := range s.points {
			xs[i], scope[i], rem[i] = x(p.Day), y(float64(p.Scope)), y(float64(p.Remaining))
		}
		c.polyline(xs, scope, "#6554c0", 1.5, []float64{6, 3})
		c.polyline(xs, rem, "#0052cc", 2.5, nil)
		// Forecast projections from today's remaining to zero; their dates
		// are in the legend.
		r := float64(s.remainingNow())
		for _, q := range projections(s) {
			if q.t.IsZero() {
				continue
			}
			c.line(x(s.today), y(r), x(q.t), y(0), q.color, 2, q.dash)
			c.circle(x(q.t), y(0), 3.5, q.color)
		}
	}

	// Legend.
	legend := []legendEntry{{s.w.remaining, "#0052cc", nil}, {s.w.scope, "#6554c0", []float64{6, 3}}, {s.w.ideal, "#97a0af", []float64{2, 4}}}
	for _, q := range projections(s) {
		if !q.t.IsZero() {
			legend = append(legend, legendEntry{q.name + " " + s.date(q.t), q.color, q.dash})
		}
	}
	for _, it := range layoutLegend(legend) {
		c.line(it.x, it.y-4, it.x+legendLine, it.y-4, it.color, 2.5, it.dash)
		c.text(it.x+legendLine+legendGap, it.y, it.label, ink, "start", 12, false)
	}
}

// inside moves a label centred on x so that it stays within the chart:
// a due date on the axis's last day would otherwise run past the right
// edge.
func inside(x float64, label string) float64 {
	half := legendChar * float64(utf8.RuneCountInString(label)) / 2
	return max(half+2, min(x, width-half-2))
}

type legendEntry struct {
	label, color string
	dash         []float64
}

type placedEntry struct {
	legendEntry
	x, y float64
}

// The legend's geometry: a sample line, the gap before its label, the
// width of a label's character (the PNG's bitmap face is 7 pixels a
// character; the SVG's 12-pixel sans averages less), and the space
// between entries.
const (
	legendLine    = 22
	legendGap     = 6
	legendChar    = 7.5
	legendSpacing = 18
)

// layoutLegend places the entries on one row under the x axis, or on two
// when one would run past the right edge (three projection dates with
// long labels, or Dutch ones, do not fit beside the three series).
func layoutLegend(entries []legendEntry) []placedEntry {
	widths := make([]float64, len(entries))
	total := 0.0
	for i, e := range entries {
		widths[i] = legendLine + legendGap + legendChar*float64(utf8.RuneCountInString(e.label))
		total += widths[i]
		if i > 0 {
			total += legendSpacing
		}
	}
	right := float64(width - marginR)
	rows := []float64{height - 18}
	if marginL+total > right {
		rows = []float64{height - 28, height - 10}
	}
	out := make([]placedEntry, 0, len(entries))
	x, row := float64(marginL), 0
	for i, e := range entries {
		if x > marginL && x+widths[i] > right && row+1 < len(rows) {
			x, row = marginL, row+1
		}
		out = append(out, placedEntry{e, x, rows[row]})
		x += widths[i] + legendSpacing
	}
	return out
}

type projection struct {
	name  string
	t     time.Time
	color string
	dash  []float64
}

func projections(s series) []projection {
	return []projection{{"P50", s.p50, "#36b37e", []float64{5, 4}}, {"P85", s.p85, "#ff8b00", nil}, {"P95", s.p95, "#ff5630", []float64{5, 4}}}
}

// niceCeil rounds n up to a round axis maximum.
func niceCeil(n int) int {
	st := niceStep(n)
	return (n + st - 1) / st * st
}

func niceStep(n int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000} {
		if n/s <= 8 {
			return s
		}
	}
	return n/8 + 1
}

// mermaidMaxPoints caps the x axis so GitHub renders a readable chart.
const mermaidMaxPoints = 30

// Mermaid draws the burn-down as a fenced Mermaid xychart-beta block, usable
// in GitHub issue bodies and Action step summaries. The first line is the
// remaining items: observed up to the last day, then the straight path to
// zero on the P85 date. The second is the ideal line to the due date. Days
// are sampled evenly when there are more than 30.
func Mermaid(points []model.BurndownPoint, due time.Time, forecast model.Forecast, opts ...Option) string {
	s := prepare(points, due, forecast, opts)
	target := s.p85
	n := int(math.Round(s.end.Sub(s.start).Hours()/24)) + 1
	stride := max(1, (n+mermaidMaxPoints-1)/mermaidMaxPoints)
	byDay := make(map[time.Time]model.BurndownPoint, len(s.points))
	for _, p := range s.points {
		byDay[model.Day(p.Day)] = p
	}
	r := float64(s.remainingNow())
	var labels, actual, ideal []string
	last := float64(s.initial)
	if len(s.points) == 0 {
		last = float64(s.left)
	}
	var prev time.Time
	for i := 0; i < n; i += stride {
		if i+stride >= n {
			i = n - 1 // always end on the last day
		}
		t := s.start.AddDate(0, 0, i)
		labels = append(labels, strconv.Quote(s.tickLabel(t, prev, true)))
		prev = t
		var v float64
		switch p, ok := byDay[t]; {
		case ok:
			v = float64(p.Remaining)
			last = v
		case !t.After(s.today):
			v = last // a day without a point keeps the last value
		case !target.IsZero() && target.After(s.today):
			left := target.Sub(t).Hours() / target.Sub(s.today).Hours()
			v = math.Max(0, r*left)
		case target.IsZero():
			// No forecast date to project towards (too little data, or
			// diverging): a Mermaid line cannot stop at today, and the
			// zeros it once drew up to the due date read as "all done".
			// It stays at today's remaining, beside the ideal line.
			v = r
		default:
			v = 0
		}
		actual = append(actual, trimNum(v))
		ideal = append(ideal, trimNum(s.ideal(t)))
	}
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	fmt.Fprintf(&b, "    title \"%s (%s %s", s.w.mermaidTitle, s.w.mermaidDue, s.axisDate(s.due))
	if !target.IsZero() {
		fmt.Fprintf(&b, ", P85 %s", s.axisDate(target))
	}
	b.WriteString(")\"\n")
	fmt.Fprintf(&b, "    x-axis [%s]\n", strings.Join(labels, ", "))
	fmt.Fprintf(&b, "    y-axis \"%s\" 0 --> %d\n", s.w.items, niceCeil(s.ymax))
	fmt.Fprintf(&b, "    line [%s]\n", strings.Join(actual, ", "))
	fmt.Fprintf(&b, "    line [%s]\n", strings.Join(ideal, ", "))
	b.WriteString("```\n")
	return b.String()
}

func trimNum(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}
