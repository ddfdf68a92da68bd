package notice

import (
	"fmt"

	"github.com/forewarn/forewarn/internal/model"
)

// reasonTexts say why a forecast gives no date, per language and reason
// code, as a clause that reads after "not dependable yet (…)": the drafts
// show it to the reviewer and the client in the client's language, never
// the forecast's English Reason. Every code in model.ReasonCodes has one in
// every language (TestEveryReasonInEveryLanguage).
var reasonTexts = map[string]map[model.ReasonCode]func(locale, model.ForecastReason) string{
	langEN: {
		model.ReasonNoItems: func(locale, model.ForecastReason) string {
			return "there are no work items in it yet"
		},
		model.ReasonNoHistory: func(locale, model.ForecastReason) string {
			return "no item has been started or finished yet"
		},
		model.ReasonNotStarted: func(l locale, r model.ForecastReason) string {
			return "work starts on " + l.long(model.Day(r.Since))
		},
		model.ReasonShortHistory: func(l locale, r model.ForecastReason) string {
			ago := "less than a working day"
			if r.Days > 0 {
				ago = "only " + l.workdays(r.Days)
			}
			return fmt.Sprintf("work started %s ago, on %s; a forecast needs at least %s",
				ago, l.long(model.Day(r.Since)), l.workdays(r.Need))
		},
		model.ReasonThinHistory: func(l locale, r model.ForecastReason) string {
			done := "no items were"
			switch {
			case r.Done == 1:
				done = "only 1 item was"
			case r.Done > 1:
				done = fmt.Sprintf("only %d items were", r.Done)
			}
			return fmt.Sprintf("%s finished %s; a forecast needs at least %d", done, l.lastWorkdays(r.Days), r.Need)
		},
		model.ReasonBeyondHorizon: func(l locale, r model.ForecastReason) string {
			remain := fmt.Sprintf("%s remain", l.items(r.Remaining))
			if r.Remaining == 1 {
				remain = "1 item remains"
			}
			return fmt.Sprintf("at the current pace the work does not finish within %s, the forecast's horizon: %s, and %s %d %s added and %d finished",
				l.days(r.HorizonDays), remain, l.lastWorkdays(r.Days), r.Added, plural(r.Added, "was", "were"), r.Done)
		},
	},
	langNL: {
		model.ReasonNoItems: func(locale, model.ForecastReason) string {
			return "er staan nog geen onderdelen in"
		},
		model.ReasonNoHistory: func(locale, model.ForecastReason) string {
			return "er is nog geen onderdeel begonnen of afgerond"
		},
		model.ReasonNotStarted: func(l locale, r model.ForecastReason) string {
			return "het werk begint op " + l.long(model.Day(r.Since))
		},
		model.ReasonShortHistory: func(l locale, r model.ForecastReason) string {
			ago := "minder dan een werkdag"
			if r.Days > 0 {
				ago = "pas " + l.workdays(r.Days)
			}
			return fmt.Sprintf("het werk begon %s geleden, op %s; een prognose heeft minstens %s nodig",
				ago, l.long(model.Day(r.Since)), l.workdays(r.Need))
		},
		model.ReasonThinHistory: func(l locale, r model.ForecastReason) string {
			done := "is er geen enkel onderdeel"
			switch {
			case r.Done == 1:
				done = "is er maar 1 onderdeel"
			case r.Done > 1:
				done = fmt.Sprintf("zijn er maar %d onderdelen", r.Done)
			}
			return fmt.Sprintf("%s %s afgerond; een prognose heeft er minstens %d nodig", l.lastWorkdays(r.Days), done, r.Need)
		},
		model.ReasonBeyondHorizon: func(l locale, r model.ForecastReason) string {
			return fmt.Sprintf("in het huidige tempo is het werk niet binnen %s af, de horizon van de prognose: er %s %s, en %s %s er %d bij en %s er %d afgerond",
				l.days(r.HorizonDays), plural(r.Remaining, "rest", "resten"), l.items(r.Remaining),
				l.lastWorkdays(r.Days), plural(r.Added, "kwam", "kwamen"), r.Added, plural(r.Done, "werd", "werden"), r.Done)
		},
	},
}

// reason says why the forecast gives no date, in the locale's language: from
// its code when it has one, else (a forecast stored before codes, or made
// elsewhere) from its status alone. "" when the forecast gives a date or
// the work is done.
func (l locale) reason(status model.ForecastStatus, why model.ForecastReason) string {
	if fn, ok := reasonTexts[l.lang][why.Code]; ok {
		return fn(l, why)
	}
	nl := l.lang == langNL
	switch {
	case status == model.ForecastDiverging && nl:
		return "in het huidige tempo is het werk niet binnen de horizon van de prognose af"
	case status == model.ForecastDiverging:
		return "at the current pace the work does not finish within the forecast's horizon"
	case status == model.ForecastInsufficient && nl:
		return "er zijn nog te weinig gegevens"
	case status == model.ForecastInsufficient:
		return "there is not enough data yet"
	}
	return ""
}

// ReasonText says why a forecast gives no date, in the language of locale
// ("en", "nl", "nl-BE", …; anything else gets English): what drafts show, for
// other pages written in the client's or the reader's language.
func ReasonText(locale string, status model.ForecastStatus, why model.ForecastReason) string {
	return newLocale(locale, nil).reason(status, why)
}

// inWindow says what was added and finished over the forecast's window:
// "in the last 22 working days 12 items were added and 5 finished", "in de
// laatste 22 werkdagen kwamen er 12 onderdelen bij en werden er 5
// afgerond".
func (l locale) inWindow(added, done, days int) string {
	if l.lang == langNL {
		return fmt.Sprintf("%s %s er %s bij en %s er %d afgerond", l.lastWorkdays(days),
			plural(added, "kwam", "kwamen"), l.items(added), plural(done, "werd", "werden"), done)
	}
	return fmt.Sprintf("%s %s %s added and %d finished", l.lastWorkdays(days), l.items(added), plural(added, "was", "were"), done)
}

// growth compares items added and finished over the window: "faster",
// "same" (added at least 80 % as many as finished) or "slower".
func growth(added, done int) string {
	switch {
	case added > done:
		return "faster"
	case 5*added >= 4*done:
		return "same"
	}
	return "slower"
}

// workdays formats a number of working days: "1 working day", "3 werkdagen".
func (l locale) workdays(n int) string {
	return l.counted(n, "working day", "working days", "werkdag", "werkdagen")
}

// lastWorkdays names the last n working days: "in the last 10 working days",
// "on the last working day", "in de laatste 10 werkdagen".
func (l locale) lastWorkdays(n int) string {
	switch {
	case l.lang == langNL && n == 1:
		return "op de laatste werkdag"
	case l.lang == langNL:
		return fmt.Sprintf("in de laatste %d werkdagen", n)
	case n == 1:
		return "on the last working day"
	}
	return fmt.Sprintf("in the last %d working days", n)
}

// plural picks the singular for n == 1 and the plural otherwise.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
