package report

import (
	"fmt"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/notice"
)

// words are the page's fixed texts in one language.
type words struct {
	Locale                                              string // en, nl
	Title, AsOf, PlanNote                               string
	AtRisk, Drafts, JudgedNotJudged                     func(n int) string
	Milestone, Due, Forecast, OnTime, SinceLastWeek     string
	Burndown, Work, Findings, Tickets                   string
	Low, Medium, High                                   string
	NoClient, NotJudged, NotJudgedIntro, NoMilestones   string
	Today, DueMark, Overdue, WasDue, Done, Closed       string
	NoForecast, Diverging, InTracker, Added, Removed    string
	NoHistory, WasStatus, PtsUp, PtsDown, PtsSame       string
	DaysLater, DaysEarlier, SameDate                    string
	Planned, Failed, ClosedTicket, OpenTicket, Beyond   string
	Legend, LegendBand, LegendDue, LegendToday, Summary string
	Purposes                                            map[string]string
	Months                                              [12]string
	DoneOf                                              string
	AtRiskLabel, OfClient, RuleFailed                   string
	RecordOnTime                                        string // the team's record: on time, of the last n
}

var lang = map[string]*words{
	"en": {
		Locale: "en",
		Title:  "Client deadlines", AsOf: "As of", PlanNote: "Plan: nothing was written; the drafts shown are what a run would write.",
		AtRisk:          func(n int) string { return plural(n, "date at risk", "dates at risk") },
		Drafts:          func(n int) string { return plural(n, "draft awaiting review", "drafts awaiting review") },
		JudgedNotJudged: func(n int) string { return plural(n, "milestone not judged", "milestones not judged") },
		Milestone:       "Milestone", Due: "Due", Forecast: "Forecast (P50 · P85 · P95)", OnTime: "On time",
		SinceLastWeek: "Since last week", Burndown: "Burn-down", Work: "Done", Findings: "Findings", Tickets: "Tickets",
		Low: "Unlikely (<\u00a050\u00a0%)", Medium: "Uncertain (50–84\u00a0%)", High: "Likely (≥\u00a085\u00a0%)",
		NoClient: "No client", NotJudged: "Not judged",
		NotJudgedIntro: "These could not be read completely, so forewarn did not judge them on partial data.",
		NoMilestones:   "No milestones with a due date were found.",
		Today:          "today", DueMark: "due", Overdue: "overdue", WasDue: "was", Done: "done", Closed: "closed",
		NoForecast: "No date: not enough history", Diverging: "No date: the forecast does not converge",
		InTracker: "open in tracker", Added: "added", Removed: "removed",
		NoHistory: "no forecast a week ago", WasStatus: "a week ago: no date",
		PtsUp: "up %d pts", PtsDown: "down %d pts", PtsSame: "unchanged",
		DaysLater: "P85 %d days later", DaysEarlier: "P85 %d days earlier", SameDate: "P85 same date",
		Planned: "to be drafted", Failed: "write failed", ClosedTicket: "closed", OpenTicket: "awaiting review",
		Beyond: "beyond the axis", Legend: "How to read this",
		LegendBand:  "Band: the forecast completion date, 50 % likely by its left edge (P50), 85 % by the darker part's end (P85), 95 % by its right edge (P95).",
		LegendDue:   "Dashed line: the due date promised to the client.",
		LegendToday: "Thin line: today.",
		Summary:     "Summary",
		Purposes:    map[string]string{"client-notice": "Client notice", "progress-update": "Progress update", "post-mortem": "Post-mortem"},
		Months:      [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		DoneOf:      "%d of %d done", AtRiskLabel: "At risk", OfClient: "%d of %d at risk", RuleFailed: "rule failed",
		RecordOnTime: "before: %d of the last %d on time",
	},
	"nl": {
		Locale: "nl",
		Title:  "Klantdeadlines", AsOf: "Stand van", PlanNote: "Plan: er is niets geschreven; de concepten zijn wat een run zou schrijven.",
		AtRisk:          func(n int) string { return plural(n, "datum in gevaar", "data in gevaar") },
		Drafts:          func(n int) string { return plural(n, "concept wacht op review", "concepten wachten op review") },
		JudgedNotJudged: func(n int) string { return plural(n, "mijlpaal niet beoordeeld", "mijlpalen niet beoordeeld") },
		Milestone:       "Mijlpaal", Due: "Deadline", Forecast: "Prognose (P50 · P85 · P95)", OnTime: "Op tijd",
		SinceLastWeek: "Sinds vorige week", Burndown: "Burn-down", Work: "Klaar", Findings: "Bevindingen", Tickets: "Tickets",
		Low: "Onwaarschijnlijk (<\u00a050\u00a0%)", Medium: "Onzeker (50–84\u00a0%)", High: "Waarschijnlijk (≥\u00a085\u00a0%)",
		NoClient: "Geen klant", NotJudged: "Niet beoordeeld",
		NotJudgedIntro: "Deze konden niet volledig worden gelezen; forewarn beoordeelt ze niet op halve gegevens.",
		NoMilestones:   "Geen mijlpalen met een deadline gevonden.",
		Today:          "vandaag", DueMark: "deadline", Overdue: "te laat", WasDue: "was", Done: "klaar", Closed: "gesloten",
		NoForecast: "Geen datum: te weinig historie", Diverging: "Geen datum: de prognose convergeert niet",
		InTracker: "open in tracker", Added: "toegevoegd", Removed: "verwijderd",
		NoHistory: "geen prognose van een week geleden", WasStatus: "een week geleden: geen datum",
		PtsUp: "%d ptn hoger", PtsDown: "%d ptn lager", PtsSame: "onveranderd",
		DaysLater: "P85 %d dagen later", DaysEarlier: "P85 %d dagen eerder", SameDate: "P85 zelfde datum",
		Planned: "wordt opgesteld", Failed: "schrijven mislukt", ClosedTicket: "gesloten", OpenTicket: "wacht op review",
		Beyond: "voorbij de as", Legend: "Zo lees je dit",
		LegendBand:  "Balk: de verwachte opleverdatum, 50 % kans vóór de linkerrand (P50), 85 % vóór het einde van het donkere deel (P85), 95 % vóór de rechterrand (P95).",
		LegendDue:   "Stippellijn: de deadline die de klant is beloofd.",
		LegendToday: "Dunne lijn: vandaag.",
		Summary:     "Samenvatting",
		Purposes:    map[string]string{"client-notice": "Klantbericht", "progress-update": "Voortgangsupdate", "post-mortem": "Post-mortem"},
		Months:      [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		DoneOf:      "%d van %d klaar", AtRiskLabel: "In gevaar", OfClient: "%d van %d in gevaar", RuleFailed: "regel mislukt",
		RecordOnTime: "eerder: %d van de laatste %d op tijd",
	},
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// date writes a calendar date; the year only when it is not ref's.
func (w *words) date(t, ref time.Time) string {
	if t.IsZero() {
		return "–"
	}
	if t.Year() == ref.Year() {
		return fmt.Sprintf("%d %s", t.Day(), w.Months[t.Month()-1])
	}
	return fmt.Sprintf("%d %s %d", t.Day(), w.Months[t.Month()-1], t.Year())
}

// fullDate always has the year (the header, the not-judged list).
func (w *words) fullDate(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), w.Months[t.Month()-1], t.Year())
}

func (w *words) likelihood(l string) string {
	switch l {
	case LikelihoodLow:
		return w.Low
	case LikelihoodMedium:
		return w.Medium
	case LikelihoodHigh:
		return w.High
	}
	return ""
}

func (w *words) purpose(p string) string {
	if s, ok := w.Purposes[p]; ok {
		return s
	}
	return p
}

// reason says in parentheses why a milestone has no date, in the page's
// language: the forecast's English reason on an English page, the drafts'
// rendering of its code on another ("" when there is no reason).
func (w *words) reason(m Milestone) string {
	r := m.Reason
	if w.Locale != "en" && (m.Why.Code != "" || r != "") {
		r = notice.ReasonText(w.Locale, model.ForecastStatus(m.Status), m.Why)
	}
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}
