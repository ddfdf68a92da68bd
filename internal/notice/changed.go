package notice

import (
	"fmt"
	"math"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// What counts as a material change between two forecasts.
const (
	materialDays  = 2    // the date at the confidence used moved this many days or more
	materialProb  = 0.15 // the chance of finishing on time moved this much or more
	materialScope = 3    // this many items were added or removed
)

func recQuantile(r model.ForecastRecord, q float64) time.Time {
	switch {
	case q <= 0.675:
		return r.P50
	case q <= 0.9:
		return r.P85
	}
	return r.P95
}

// change compares the forecast a ticket was last written with against the
// current one, at the confidence q and in the locale's language, and says
// what changed: "the P85 date moved 9 days later (from 3 Dec 2026 to
// 12 Dec 2026) because 14 items were added". A change is material when the
// date at q moved by 2 days or more, the chance of finishing on time moved by
// 15 points or more, the scope changed by 3 items or more, or the forecast's
// status changed (it became usable, unusable, or the work finished).
// Renderer.Render uses it to fill Ticket.Comment, for the reviewer; with
// client set it is worded for the client instead (a progress update's
// "Since the last update"): "the expected delivery date" rather than "the
// P85 date", nothing about "this draft", and nothing at all when the status
// changed between two kinds of no date (the update's forecast line already
// says there is none).
func change(prev model.ForecastRecord, cur model.Forecast, q float64, l locale, client bool) (bool, string) {
	nl := l.lang == langNL
	label, _ := quantileLabel(q)
	dateEN, dateNL := "the "+label+" date", "de "+label+"-datum"
	if client {
		dateEN, dateNL = "the expected delivery date", "de verwachte opleverdatum"
	}
	if prev.Status != cur.Status {
		var prevDate time.Time
		if prev.Status == model.ForecastOK {
			prevDate = recQuantile(prev, q)
		}
		noDate := cur.Status == model.ForecastDiverging || cur.Status == model.ForecastInsufficient
		switch {
		case cur.Status == model.ForecastDone:
			if nl {
				return true, "alle onderdelen zijn afgerond."
			}
			return true, "all items are now done."
		case noDate && client && prevDate.IsZero():
			return false, ""
		case noDate && client && nl:
			return true, "de datum die we toen noemden, geldt niet meer."
		case noDate && client:
			return true, "the date we gave you then no longer holds."
		case noDate && prevDate.IsZero() && nl:
			return true, fmt.Sprintf("de prognose geeft nog steeds geen datum (%s).", l.reason(cur.Status, cur.Why))
		case noDate && prevDate.IsZero():
			return true, fmt.Sprintf("the forecast still gives no date (%s).", l.reason(cur.Status, cur.Why))
		case noDate && nl:
			return true, fmt.Sprintf("de prognose geeft geen datum meer (%s); de datum in dit concept is niet meer onderbouwd.", l.reason(cur.Status, cur.Why))
		case noDate:
			return true, fmt.Sprintf("the forecast no longer gives a date (%s); the date in this draft is no longer backed by data.", l.reason(cur.Status, cur.Why))
		case cur.Status == model.ForecastOK && !cur.Quantile(q).IsZero() && client && nl:
			return true, "we hebben nu genoeg gegevens voor een betrouwbare datum."
		case cur.Status == model.ForecastOK && !cur.Quantile(q).IsZero() && client:
			return true, "we now have enough data for a dependable date."
		case cur.Status == model.ForecastOK && !cur.Quantile(q).IsZero():
			if nl {
				return true, fmt.Sprintf("er is nu een prognose: %s is %s.", dateNL, l.long(model.Day(cur.Quantile(q))))
			}
			return true, fmt.Sprintf("a forecast is now available: %s is %s.", dateEN, l.long(model.Day(cur.Quantile(q))))
		}
	}
	if cur.Status != model.ForecastOK {
		return false, ""
	}
	before, after := recQuantile(prev, q), cur.Quantile(q)
	moved := 0
	if !before.IsZero() && !after.IsZero() {
		moved = daysBetween(before, after)
	}
	added := cur.ScopeItems - prev.Scope
	finished := (prev.Remaining - cur.RemainingItems) + added // items done in between
	dProb := cur.ProbOnTime - prev.ProbOnTime

	material := abs(moved) >= materialDays || math.Abs(dProb) >= materialProb || abs(added) >= materialScope
	if !material {
		return false, ""
	}
	var parts []string
	switch {
	case moved != 0 && nl:
		dir := "later"
		if moved < 0 {
			dir = "eerder"
		}
		parts = append(parts, fmt.Sprintf("%s is %s %s komen te liggen (van %s naar %s)", dateNL, l.days(moved), dir, l.short(model.Day(before)), l.short(model.Day(after))))
	case moved != 0:
		dir := "later"
		if moved < 0 {
			dir = "earlier"
		}
		parts = append(parts, fmt.Sprintf("%s moved %s %s (from %s to %s)", dateEN, l.days(moved), dir, l.short(model.Day(before)), l.short(model.Day(after))))
	case nl:
		parts = append(parts, fmt.Sprintf("%s blijft %s", dateNL, l.short(model.Day(after))))
	default:
		parts = append(parts, fmt.Sprintf("%s stays %s", dateEN, l.short(model.Day(after))))
	}
	s := parts[0]
	s += reasons(moved, added, finished, l)
	if math.Abs(dProb) >= 0.05 {
		if nl {
			s += fmt.Sprintf("; de kans op levering op tijd is nu %s (was %s)", l.pct(cur.ProbOnTime), l.pct(prev.ProbOnTime))
		} else {
			s += fmt.Sprintf("; the chance of delivering on time is now %s (was %s)", l.pct(cur.ProbOnTime), l.pct(prev.ProbOnTime))
		}
	}
	return true, s + "."
}

// reasons explains a move from the scope change and the work finished in
// between, in the client's language.
func reasons(moved, added, finished int, l locale) string {
	nl := l.lang == langNL
	verb := func(n int, en1, enN, nl1, nlN string) string {
		switch {
		case nl && n == 1:
			return nl1
		case nl:
			return nlN
		case n == 1:
			return en1
		}
		return enN
	}
	// Dutch puts the verb last after "omdat" (sub) and second otherwise.
	dutch := func(n int, participle string, sub bool) string {
		v := verb(n, "", "", "is", "zijn")
		if sub {
			return fmt.Sprintf("er %s %s %s", l.items(n), v, participle)
		}
		return fmt.Sprintf("er %s %s %s", v, l.items(n), participle)
	}
	addedTxt := func(n int) string {
		if nl {
			return dutch(n, "bijgekomen", true)
		}
		return fmt.Sprintf("%s %s added", l.items(n), verb(n, "was", "were", "", ""))
	}
	removedTxt := func(n int) string {
		if nl {
			return dutch(n, "geschrapt", true)
		}
		return fmt.Sprintf("%s %s removed", l.items(n), verb(n, "was", "were", "", ""))
	}
	finishedTxt := func(n int) string {
		if nl {
			return dutch(n, "afgerond", true)
		}
		return fmt.Sprintf("%s %s finished", l.items(n), verb(n, "was", "were", "", ""))
	}
	because, and, while := " because ", " and ", ", while "
	if nl {
		because, and, while = " omdat ", " en ", ", terwijl "
	}
	switch {
	case moved > 0 && added > 0 && finished > 0:
		return because + addedTxt(added) + while + l.items(finished) + map[bool]string{true: " afgerond werden", false: " got finished"}[nl]
	case moved > 0 && added > 0:
		if nl {
			return because + addedTxt(added) + and + "er in de tussentijd niets is afgerond"
		}
		return because + addedTxt(added) + and + "nothing was finished in the meantime"
	case moved > 0 && finished > 0:
		if nl {
			return because + "het tempo is gedaald: er " + verb(finished, "", "", "is", "zijn") + " maar " + l.items(finished) + " afgerond"
		}
		return because + "the pace fell: only " + l.items(finished) + " " + verb(finished, "was", "were", "", "") + " finished"
	case moved > 0:
		if nl {
			return because + "er in de tussentijd niets is afgerond"
		}
		return because + "nothing was finished in the meantime"
	case moved < 0 && added < 0 && finished > 0:
		return because + finishedTxt(finished) + and + removedTxt(-added)
	case moved < 0 && added < 0:
		return because + removedTxt(-added)
	case moved < 0 && finished > 0:
		return because + finishedTxt(finished)
	case added > 0 && nl:
		return "; " + dutch(added, "bijgekomen", false)
	case added < 0 && nl:
		return "; " + dutch(-added, "geschrapt", false)
	case added > 0:
		return "; " + addedTxt(added)
	case added < 0:
		return "; " + removedTxt(-added)
	}
	return ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
