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
// Renderer.Render uses it to fill Ticket.Comment.
func change(prev model.ForecastRecord, cur model.Forecast, q float64, l locale) (bool, string) {
	nl := l.lang == langNL
	label, _ := quantileLabel(q)
	if prev.Status != cur.Status {
		switch {
		case cur.Status == model.ForecastDone:
			if nl {
				return true, "alle onderdelen zijn afgerond."
			}
			return true, "all items are now done."
		case cur.Status == model.ForecastDiverging:
			if nl {
				return true, "de prognose geeft geen datum meer: er komen ongeveer even snel onderdelen bij als er klaar zijn; de datum in dit concept is niet meer onderbouwd."
			}
			return true, "the forecast no longer gives a date: items are being added about as fast as they are done; the date in this draft is no longer backed by data."
		case cur.Status == model.ForecastInsufficient:
			if nl {
				return true, "er zijn te weinig gegevens voor een betrouwbare prognose; de datum in dit concept is niet meer onderbouwd."
			}
			return true, "there is no longer enough data for a reliable forecast; the date in this draft is no longer backed by data."
		case cur.Status == model.ForecastOK && !cur.Quantile(q).IsZero():
			if nl {
				return true, fmt.Sprintf("er is nu een prognose: de %s-datum is %s.", label, l.long(model.Day(cur.Quantile(q))))
			}
			return true, fmt.Sprintf("a forecast is now available: the %s date is %s.", label, l.long(model.Day(cur.Quantile(q))))
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
		parts = append(parts, fmt.Sprintf("de %s-datum is %s %s komen te liggen (van %s naar %s)", label, l.days(moved), dir, l.short(model.Day(before)), l.short(model.Day(after))))
	case moved != 0:
		dir := "later"
		if moved < 0 {
			dir = "earlier"
		}
		parts = append(parts, fmt.Sprintf("the %s date moved %s %s (from %s to %s)", label, l.days(moved), dir, l.short(model.Day(before)), l.short(model.Day(after))))
	case nl:
		parts = append(parts, fmt.Sprintf("de %s-datum blijft %s", label, l.short(model.Day(after))))
	default:
		parts = append(parts, fmt.Sprintf("the %s date stays %s", label, l.short(model.Day(after))))
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
			return because + addedTxt(added) + and + "er sindsdien niets is afgerond"
		}
		return because + addedTxt(added) + and + "nothing was finished since"
	case moved > 0 && finished > 0:
		if nl {
			return because + "het tempo is gedaald: er " + verb(finished, "", "", "is", "zijn") + " maar " + l.items(finished) + " afgerond"
		}
		return because + "the pace fell: only " + l.items(finished) + " " + verb(finished, "was", "were", "", "") + " finished"
	case moved > 0:
		if nl {
			return because + "er sindsdien niets is afgerond"
		}
		return because + "nothing was finished since"
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
