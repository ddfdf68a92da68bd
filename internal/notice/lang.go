package notice

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// Languages forewarn writes drafts in. A client's locale ("nl", "nl-BE",
// "en_GB") picks one by its primary subtag; anything else gets English.
const (
	langEN = "en"
	langNL = "nl"
)

var languages = []string{langEN, langNL}

func language(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if l == langNL {
		return langNL
	}
	return langEN
}

var (
	nlMonths = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli",
		"augustus", "september", "oktober", "november", "december"}
	nlShort = [...]string{"jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."}
	nlDays  = [...]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}
)

// locale formats dates and numbers for one client.
type locale struct {
	lang string
	us   bool // en-US: month before day
	loc  *time.Location
}

// zones holds the time zones drafts were written in, by name: a client's
// Location reads the zone database from disk, and a run drafts hundreds of
// tickets for a handful of clients.
var zones sync.Map

// location is c.Location(), read from disk once per zone name.
func location(c model.Client) *time.Location {
	if c.TimeZone == "" {
		return time.UTC
	}
	if loc, ok := zones.Load(c.TimeZone); ok {
		return loc.(*time.Location)
	}
	loc := c.Location()
	zones.Store(c.TimeZone, loc)
	return loc
}

func newLocale(clientLocale string, loc *time.Location) locale {
	l := strings.ToLower(strings.ReplaceAll(clientLocale, "_", "-"))
	return locale{lang: language(clientLocale), us: l == "en-us", loc: loc}
}

// long formats a calendar date with its weekday: "Monday 14 December 2026",
// "Monday, December 14, 2026" (en-US), "maandag 14 december 2026".
func (l locale) long(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	switch {
	case l.lang == langNL:
		return nlDays[d.Weekday()] + " " + strconv.Itoa(d.Day()) + " " + nlMonths[d.Month()-1] + " " + strconv.Itoa(d.Year())
	case l.us:
		return d.Format("Monday, January 2, 2006")
	}
	return d.Format("Monday 2 January 2006")
}

// short formats a calendar date without weekday: "14 Dec 2026",
// "Dec 14, 2026", "14 dec. 2026".
func (l locale) short(d time.Time) string {
	if d.IsZero() {
		return ""
	}
	switch {
	case l.lang == langNL:
		return strconv.Itoa(d.Day()) + " " + nlShort[d.Month()-1] + " " + strconv.Itoa(d.Year())
	case l.us:
		return d.Format("Jan 2, 2006")
	}
	return d.Format("2 Jan 2006")
}

// num formats a number with at most one decimal, with a decimal comma in
// Dutch.
func (l locale) num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	var s string
	if math.Abs(f) < 10 {
		s = strconv.FormatFloat(f, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	} else {
		s = strings.TrimSuffix(strconv.FormatFloat(f, 'f', 1, 64), ".0")
	}
	if l.lang == langNL {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// pct formats a share (0..1) as a whole percentage.
func (l locale) pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return strconv.Itoa(int(math.Round(f*100))) + "%"
}

// days formats a number of days: "1 day", "9 days", "1 dag", "9 dagen".
func (l locale) days(n int) string {
	return l.counted(max(n, -n), "day", "days", "dag", "dagen")
}

// items formats a count of work items.
func (l locale) items(n int) string {
	return l.counted(n, "item", "items", "onderdeel", "onderdelen")
}

// counted formats n with its noun in the locale's language, singular for
// exactly one.
func (l locale) counted(n int, enOne, enMany, nlOne, nlMany string) string {
	if l.lang == langNL {
		enOne, enMany = nlOne, nlMany
	}
	return strconv.Itoa(n) + " " + plural(n, enOne, enMany)
}

// daysBetween counts calendar days from a to b (negative when b is earlier).
func daysBetween(a, b time.Time) int {
	return int(math.Round(model.Day(b).Sub(model.Day(a)).Hours() / 24))
}

// nextWorkday moves a Saturday or Sunday to the Monday after.
func nextWorkday(d time.Time) time.Time {
	switch d.Weekday() {
	case time.Saturday:
		return d.AddDate(0, 0, 2)
	case time.Sunday:
		return d.AddDate(0, 0, 1)
	}
	return d
}

// record says in one line how the team delivered its last closed
// milestones of the same kind and container, or that there is no such
// history, so the forecast rests on the milestone alone (its chance is still
// calibrated, on comparable deliveries: the line must not say the
// simulation stands alone beside a calibrated chance).
func (l locale) record(kind model.Kind, r *model.TeamRecord) string {
	nl := l.lang == langNL
	if r == nil || r.Milestones == 0 {
		if nl {
			return "Geen eerdere opleveringen van dit team bekend: de prognose steunt alleen op de gegevens van deze oplevering."
		}
		return "No earlier deliveries of this team on record: the forecast rests on this delivery's own data."
	}
	one, many := "milestone", "milestones"
	switch {
	case kind == model.KindSprint && nl:
		one, many = "sprint", "sprints"
	case kind == model.KindSprint:
		one, many = "sprint", "sprints"
	case kind == model.KindFixVersion && nl:
		one, many = "versie", "versies"
	case kind == model.KindFixVersion:
		one, many = "version", "versions"
	case nl:
		one, many = "mijlpaal", "mijlpalen"
	}
	n, k := r.Milestones, r.OnTime
	switch {
	case nl && n == 1 && k == 1:
		return fmt.Sprintf("Op basis van de laatste %s van het team: op tijd opgeleverd.", one)
	case nl && n == 1:
		return fmt.Sprintf("Op basis van de laatste %s van het team: niet op tijd opgeleverd.", one)
	case nl && k == 0:
		return fmt.Sprintf("Op basis van de laatste %d %s van het team: geen op tijd opgeleverd.", n, many)
	case nl:
		return fmt.Sprintf("Op basis van de laatste %d %s van het team: %d op tijd opgeleverd%s.", n, many, k, lastThree(r, "van de laatste"))
	case n == 1 && k == 1:
		return fmt.Sprintf("Based on the team's last %s: delivered on time.", one)
	case n == 1:
		return fmt.Sprintf("Based on the team's last %s: not delivered on time.", one)
	case k == 0:
		return fmt.Sprintf("Based on the team's last %d %s: none delivered on time.", n, many)
	}
	return fmt.Sprintf("Based on the team's last %d %s: %d delivered on time%s.", n, many, k, lastThree(r, "of the last"))
}

// lastThree says how many of the record's last three milestones were on
// time, " (1 of the last 3)", when the record is longer than three and
// knows their order: the latest weigh most in P(on time). Nothing when
// none or all were on time (then so were the last three, or none).
func lastThree(r *model.TeamRecord, ofTheLast string) string {
	if len(r.OnTimeByClose) <= 3 || len(r.OnTimeByClose) != r.Milestones || r.OnTime == 0 || r.OnTime == r.Milestones {
		return ""
	}
	k, n := r.LastOnTime(3)
	return fmt.Sprintf(" (%d %s %d)", k, ofTheLast, n)
}

// addedSince names the commitment point scope added is counted from: the
// start (a sprint's, a version's, a start date given) or, for a milestone
// with none, the day work started in earnest. Zero: "after the start".
func (l locale) addedSince(commit time.Time, inferred bool) string {
	nl := l.lang == langNL
	switch {
	case commit.IsZero() && nl:
		return "na de start"
	case commit.IsZero():
		return "after the start"
	case inferred && nl:
		return "nadat het werk op " + l.long(model.Day(commit)) + " begon"
	case inferred:
		return "after work started on " + l.long(model.Day(commit))
	case nl:
		return "na de start op " + l.long(model.Day(commit))
	}
	return "after the start on " + l.long(model.Day(commit))
}
