package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// Blocked time is said only when some was recorded: a tracker that keeps
// no blocked history (GitHub labels) left "0 days blocked in total" in
// every background and post-mortem of the large scenario.
func TestBlockedLineSaysNoZeroDays(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang  string
		p     model.Purpose
		items int
		days  float64
		want  string
		not   string
	}{
		{"en", model.PurposeClientNotice, 2, 0, "* Blocked now: 2 items\n", "days blocked in total"},
		{"en", model.PurposeClientNotice, 0, 0, "* Blocked now: 0 items\n", "days blocked in total"},
		{"en", model.PurposeClientNotice, 1, 6.5, "* Blocked now: 1 item; 6.5 days blocked in total", ""},
		{"nl", model.PurposeClientNotice, 1, 0, "* Nu geblokkeerd: 1 onderdeel\n", "dagen geblokkeerd"},
		{"nl", model.PurposeClientNotice, 1, 3, "* Nu geblokkeerd: 1 onderdeel; in totaal 3 dagen geblokkeerd", ""},
		{"en", model.PurposeProgressUpdate, 0, 0, "* Blocked now: 0 items\n", "days blocked in total"},
		{"nl", model.PurposeProgressUpdate, 2, 0, "* Nu geblokkeerd: 2 onderdelen\n", "dagen geblokkeerd"},
		{"en", model.PurposePostMortem, 1, 0, "*Blocked time:* 1 item blocked now.", " 0 days"},
		{"en", model.PurposePostMortem, 0, 0, "*Blocked time:* none recorded.", "0 items"},
		{"en", model.PurposePostMortem, 1, 6.5, "*Blocked time:* 6.5 days in total; 1 item blocked now.", ""},
		{"nl", model.PurposePostMortem, 2, 0, "*Geblokkeerde tijd:* nu 2 onderdelen geblokkeerd.", " 0 dagen"},
		{"nl", model.PurposePostMortem, 0, 0, "*Geblokkeerde tijd:* niets vastgelegd.", "0 onderdelen"},
	} {
		req := fixture(tc.lang, tc.p)
		req.Forecast.Signals.BlockedItems, req.Forecast.Signals.BlockedDays = tc.items, tc.days
		tk, err := r.Render(req, model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s %s %d blocked, %g days: body lacks %q", tc.lang, tc.p, tc.items, tc.days, tc.want)
		}
		if tc.not != "" && strings.Contains(tk.Body, tc.not) {
			t.Errorf("%s %s %d blocked, %g days: body has %q", tc.lang, tc.p, tc.items, tc.days, tc.not)
		}
	}
}

// A post-mortem's follow-up message apologises "again" only when a client
// notice was drafted; without one (a milestone forewarn first saw after its
// due date) it apologises once and the reviewer is told the client may not
// know yet.
func TestPostMortemApologisesAgainOnlyAfterANotice(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang    string
		drafted bool
		want    []string
		not     []string
	}{
		{"en", true, []string{"and I want to apologise again for that."}, []string{"No client notice was drafted for this milestone: if"}},
		{"en", false, []string{"and I want to apologise for that.", "No client notice was drafted for this milestone: if the client has not heard about the delay from you yet, call them before sending this."}, []string{"apologise again"}},
		{"nl", true, []string{"en daarvoor wil ik nogmaals mijn excuses aanbieden."}, []string{"geen klantbericht opgesteld: heeft"}},
		{"nl", false, []string{"en daarvoor wil ik mijn excuses aanbieden.", "Voor deze mijlpaal is geen klantbericht opgesteld: heeft de klant nog niet van jou gehoord over de vertraging, bel dan eerst voordat je dit verstuurt."}, []string{"nogmaals"}},
	} {
		req := fixture(tc.lang, model.PurposePostMortem)
		if !tc.drafted {
			req.History.NoticeDrafted = time.Time{}
		}
		for _, f := range formats {
			tk, err := r.Render(req, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(tk.Body, w) {
					t.Errorf("%s %s drafted=%v: body lacks %q", tc.lang, f, tc.drafted, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(tk.Body, w) {
					t.Errorf("%s %s drafted=%v: body has %q", tc.lang, f, tc.drafted, w)
				}
			}
		}
	}
}

// filed is the fixture shaped like a GitHub milestone whose issues are filed
// over its life and that falls behind (the large scenario's "Sprint board
// 12"): no start date of its own (only its creation), so the commitment
// point is the day work started in earnest; since then 27 of its 30 items
// were filed, and over the last 30 working days 27 were added and 13 done.
func filed(lang string, p model.Purpose) Request {
	req := fixture(lang, p)
	req.Milestone.StartBasis = model.StartCreated
	f := &req.Forecast
	f.Explanation.Commitment = time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC)
	f.ScopeItems, f.DoneItems, f.RemainingItems, f.AddedAfterStart = 30, 13, 17, 27
	f.Signals.ScopeCreep = 0.9
	f.AddedInWindow, f.DoneInWindow = 27, 13
	f.Explanation.Samples = make([]int, 30)
	return req
}

// Scope added is counted from the commitment point, and the drafts name it:
// "after the start" read as the milestone's creation on a milestone filed
// over its life. When items keep being added faster than they are done,
// the reviewer and the client are told so, not only that the team finishes
// 0.59 items a day where 0.68 are needed (which counts only the items
// there now and left a 77-day slip unexplained).
func TestScopeAddedNamesTheCommitmentPointAndTheGrowth(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		p    model.Purpose
		req  func(string, model.Purpose) Request
		want []string
		not  []string
	}{
		{"en", model.PurposeClientNotice, filed, []string{
			"The data: 27 items were added after work started on Wednesday 7 October 2026 (90% of the scope); items are still being added faster than they are finished (27 added and 13 finished over the last 30 working days); the team finished 0.45 items a working day where 0.79 were needed; items spent 6.5 days blocked.",
			"* Scope added after work started on Wednesday 7 October 2026 (no start date in the tracker: the day work started in earnest): 27 items (90%); removed: 0; over the last 30 working days 27 added, 13 done",
		}, []string{"after the start"}},
		{"nl", model.PurposeClientNotice, filed, []string{
			"De cijfers: er zijn 27 onderdelen bijgekomen nadat het werk op woensdag 7 oktober 2026 begon (90% van de omvang); er komt nog steeds sneller werk bij dan er af gaat (27 onderdelen erbij en 13 afgerond in de laatste 30 werkdagen); het team rondde 0,45 onderdelen per werkdag af, terwijl er 0,79 nodig waren; onderdelen stonden in totaal 6,5 dagen geblokkeerd.",
			"* Omvang bijgekomen nadat het werk op woensdag 7 oktober 2026 begon (geen startdatum in de tracker: de dag dat het werk echt begon): 27 onderdelen (90%); geschrapt: 0; in de laatste 30 werkdagen 27 erbij, 13 afgerond",
		}, []string{"na de start"}},
		{"en", model.PurposeProgressUpdate, filed, []string{
			"* 27 items were added after work started on Wednesday 7 October 2026 (90% of the work), and work is still being added faster than it is finished: 27 added and 13 finished over the last 30 working days.\n",
		}, nil},
		{"nl", model.PurposeProgressUpdate, filed, []string{
			"* Er zijn 27 onderdelen bijgekomen nadat het werk op woensdag 7 oktober 2026 begon (90% van het werk), en er komt nog steeds sneller werk bij dan er af gaat: 27 erbij en 13 afgerond in de laatste 30 werkdagen.\n",
		}, nil},
		{"en", model.PurposePostMortem, filed, []string{"*Scope:* 27 items were added after work started on Wednesday 7 October 2026 (90% of the scope)."}, nil},
		// A milestone with a start date of its own: "after the start on"
		// that date; growth slower than the work done is not called out.
		{"en", model.PurposeClientNotice, fixture, []string{"The data: 6 items were added after the start on Monday 5 October 2026 (25% of the scope); the team"},
			[]string{"still being added faster", "no start date in the tracker"}},
		{"nl", model.PurposeProgressUpdate, fixture, []string{"* Er zijn 6 onderdelen bijgekomen na de start op maandag 5 oktober 2026 (25% van het werk)."},
			[]string{"sneller werk bij"}},
	} {
		req := tc.req(tc.lang, tc.p)
		for _, f := range formats {
			tk, err := r.Render(req, f)
			if err != nil {
				t.Fatal(err)
			}
			body := strings.ReplaceAll(tk.Body, "**", "*") // Markdown bold as Jira's
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s %s: body lacks %q\n%s", tc.lang, tc.p, f, w, body)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(body, w) {
					t.Errorf("%s %s %s: body has %q", tc.lang, tc.p, f, w)
				}
			}
		}
	}
}

// The throughput window the background names is the one the forecast drew
// from, in working days: a sprint a week old read "from 10000 simulations
// over the last 42 days of throughput" (the configured window) beside "over
// the last 5 working days 5 added, 17 done".
func TestBackgroundNamesTheWindowTheForecastUsed(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang    string
		samples int
		want    string
	}{
		{"en", 5, "from 10000 simulations of the throughput of the last 5 working days:"},
		{"nl", 5, "uit 10000 simulaties van de doorzet in de laatste 5 werkdagen:"},
		{"en", 0, "from 10000 simulations of the throughput of the last 21 working days:"}, // no samples kept: the window's working days
	} {
		req := fixture(tc.lang, model.PurposeClientNotice)
		req.Forecast.Explanation.WindowDays = 42
		req.Forecast.Explanation.Samples = make([]int, tc.samples)
		tk, err := r.Render(req, model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s %d samples: body lacks %q", tc.lang, tc.samples, tc.want)
		}
		if strings.Contains(tk.Body, " 42 ") {
			t.Errorf("%s %d samples: body names the configured 42-day window", tc.lang, tc.samples)
		}
	}
}

// A post-mortem compares like with like in words a reader takes at face
// value: a pace shown equal to the plan's is "as many as", not "more than"
// ("7,9 per werkdag, meer dan de 7,9 per dag" on a sprint of the large
// scenario), and a duration that matched the plan is "as planned", not
// "(1 times the plan)".
func TestPostMortemSaysEqualFiguresAsEqual(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		pace float64
		p85  time.Time
		want string
		not  string
	}{
		{"en", 0.4, day(12, 4), "the team finished 0.4 items per working day, as many as the 0.4 a day the 18 items planned at the start needed", "more than the 0.4"},
		{"nl", 0.4, day(12, 4), "het team rondde 0,4 onderdelen per werkdag af, evenveel als de 0,4 per dag", "meer dan de 0,4"},
		{"en", 0.45, day(12, 15), "more than the 0.4 a day", "as many as"},
		{"en", 0.4, day(12, 4), "the P85 forecast puts it at 60 days, as planned.", "times the plan"},
		{"nl", 0.4, day(12, 4), "volgens de P85-prognose wordt het 60, zoals gepland.", "keer de planning"},
		{"en", 0.4, day(12, 6), "the P85 forecast puts it at 62 days, about as planned.", "1 times the plan"},
		{"en", 0.4, day(12, 15), "71 days (1.2 times the plan).", ""},
	} {
		req := fixture(tc.lang, model.PurposePostMortem)
		req.Forecast.PaceObserved, req.Forecast.P85 = tc.pace, tc.p85
		tk, err := r.Render(req, model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s pace %g P85 %s: body lacks %q\n%s", tc.lang, tc.pace, tc.p85.Format(time.DateOnly), tc.want, tk.Body)
		}
		if tc.not != "" && strings.Contains(tk.Body, tc.not) {
			t.Errorf("%s pace %g P85 %s: body has %q", tc.lang, tc.pace, tc.p85.Format(time.DateOnly), tc.not)
		}
	}
}

// A client notice whose new date lies further past the promised date than
// the whole delivery was planned to take (the large scenario proposed
// "16 July 2027, 494 days after the promised date" for a version planned
// at 63 days) asks the reviewer to weigh a smaller scope first; a slip
// shorter than the plan gets no such note.
func TestFarLateNoticeAsksForASmallerScope(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		p85  time.Time
		cut  bool
		want string // "" for no note
	}{
		{"en", time.Date(2027, 2, 10, 0, 0, 0, 0, time.UTC), true, "The new date is 68 days after the promised date, longer than the 60 days planned for the whole delivery. Before proposing it, consider agreeing a smaller scope with the client (the partial delivery below, or what matters most to them), and ask the team what would change the pace of 0.45 items a working day."},
		{"en", time.Date(2027, 2, 10, 0, 0, 0, 0, time.UTC), false, "a smaller scope with the client (what matters most to them), and ask"},
		{"nl", time.Date(2027, 2, 10, 0, 0, 0, 0, time.UTC), true, "De nieuwe datum ligt 68 dagen na de toegezegde datum, langer dan de 60 dagen die voor de hele oplevering gepland waren. Overweeg voordat je hem voorstelt een kleinere omvang met de klant af te spreken (de gedeeltelijke oplevering hieronder, of wat voor hen het belangrijkst is), en vraag het team wat het tempo van 0,45 onderdelen per werkdag kan veranderen."},
		{"en", time.Date(2027, 2, 2, 0, 0, 0, 0, time.UTC), true, ""}, // 60 days late: as long as the plan, no note
		{"nl", day(12, 16), true, ""},
	} {
		req := fixture(tc.lang, model.PurposeClientNotice)
		req.Forecast.P85 = tc.p85
		if !tc.cut {
			req.Forecast.CutLine = nil
		}
		for _, f := range formats {
			tk, err := r.Render(req, f)
			if err != nil {
				t.Fatal(err)
			}
			note := strings.Contains(tk.Body, "smaller scope") || strings.Contains(tk.Body, "kleinere omvang")
			switch {
			case tc.want == "" && note:
				t.Errorf("%s %s P85 %s: a note on a smaller scope for a slip within the plan", tc.lang, f, tc.p85.Format(time.DateOnly))
			case tc.want != "" && !strings.Contains(tk.Body, tc.want):
				t.Errorf("%s %s P85 %s: body lacks %q", tc.lang, f, tc.p85.Format(time.DateOnly), tc.want)
			}
		}
	}
}

// The reviewer's note on the cause leads its figures once ("The data: a;
// b; c."), not "The data: a. The data: b. The data: c." as every notice of
// the large scenario read, and gives the pace per working day as the
// background does.
func TestCauseNoteLeadsItsFiguresOnce(t *testing.T) {
	r := newRenderer(t)
	for lang, lead := range map[string]string{langEN: "The data:", langNL: "De cijfers:"} {
		tk, err := r.Render(filed(lang, model.PurposeClientNotice), model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(tk.Body, lead); n != 1 {
			t.Errorf("%s: %q %d times, want once", lang, lead, n)
		}
		req := fixture(lang, model.PurposeClientNotice)
		req.Forecast.AddedAfterStart, req.Forecast.Signals.ScopeCreep = 0, 0
		req.Forecast.PaceObserved = 1
		req.Forecast.Signals.BlockedItems, req.Forecast.Signals.BlockedDays = 0, 0
		if tk, err = r.Render(req, model.FormatMarkdown); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(tk.Body, lead) {
			t.Errorf("%s: %q with no figure to give", lang, lead)
		}
	}
}

// A post-mortem of a milestone with no start date of its own shows its
// creation and the inferred commitment point as two events: the large
// scenario's read "30 December 2025: work started" over "items were added
// after work started on Saturday 3 January 2026".
func TestPostMortemTimelineShowsTheCommitmentPoint(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		req  func(string, model.Purpose) Request
		want []string
		not  string
	}{
		{"en", filed, []string{"*Monday 5 October 2026*: milestone created.", "*Wednesday 7 October 2026*: work started in earnest; items added after this count as scope added."}, "work started."},
		{"nl", filed, []string{"*maandag 5 oktober 2026*: mijlpaal aangemaakt.", "*woensdag 7 oktober 2026*: het werk begon echt; wat daarna bijkwam, telt als bijgekomen omvang."}, "start van het werk."},
		{"en", fixture, []string{"*Monday 5 October 2026*: work started."}, "work started in earnest"},
	} {
		tk, err := r.Render(tc.req(tc.lang, model.PurposePostMortem), model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(tk.Body, w) {
				t.Errorf("%s: body lacks %q", tc.lang, w)
			}
		}
		if strings.Contains(tk.Body, tc.not) {
			t.Errorf("%s: body has %q", tc.lang, tc.not)
		}
	}
}

// When a post-mortem says the date was missed because items were added
// (the pace met the plan's), it proposes the scope action and the client
// follow-up names it, however small the share (a closed milestone of the
// large scenario blamed 8 added items, 10 % rounded from 9.5 %, and then
// proposed no action at all). With no measured cause, the actions start
// with a placeholder instead of "Owner and date for each action above"
// under nothing.
func TestPostMortemActionsFollowTheMeasuredCause(t *testing.T) {
	r := newRenderer(t)
	small := fixture("en", model.PurposePostMortem)
	small.Forecast.AddedAfterStart, small.Forecast.Signals.ScopeCreep = 2, 0.083
	small.Forecast.PaceObserved = 0.6
	tk, err := r.Render(small, model.FormatJiraWiki)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"the date was missed anyway because 2 items were added after the start on Monday 5 October 2026.",
		"* \\[ \\] Work added during a delivery comes with a new date or something taken out",
		"from now on, any work added during a delivery will come with a revised date",
	} {
		if !strings.Contains(tk.Body, w) {
			t.Errorf("small share: body lacks %q\n%s", w, tk.Body)
		}
	}
	for lang, want := range map[string]string{langEN: "* \\[ \\] [the action the team will change, from the checklist above]\n* \\[ \\] Owner and date",
		langNL: "* \\[ \\] [de actie die het team gaat veranderen, uit de checklist hierboven]\n* \\[ \\] Eigenaar en datum"} {
		none := fixture(lang, model.PurposePostMortem)
		f := &none.Forecast
		f.AddedAfterStart, f.Signals.ScopeCreep, f.P85, f.PaceNeeded = 0, 0, day(12, 4), 0
		f.Signals.BlockedItems, f.Signals.BlockedDays = 0, 0
		if tk, err = r.Render(none, model.FormatJiraWiki); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, want) {
			t.Errorf("%s no cause: body lacks %q\n%s", lang, want, tk.Body)
		}
	}
}

// The progress update's pace risk counts per working day, as the figure
// is measured, and its Dutch agrees in number ("zouden er 7,6 per werkdag
// nodig zijn", not "zou 7,6 per dag nodig zijn").
func TestProgressPaceRiskPerWorkingDay(t *testing.T) {
	r := newRenderer(t)
	for lang, want := range map[string]string{
		langEN: "* The team is finishing 0.45 items per working day; 0.79 would be needed to make Friday 4 December 2026.",
		langNL: "* Het team rondt 0,45 onderdelen per werkdag af; om vrijdag 4 december 2026 te halen, zouden er 0,79 per werkdag nodig zijn.",
	} {
		tk, err := r.Render(fixture(lang, model.PurposeProgressUpdate), model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, want) {
			t.Errorf("%s: body lacks %q", lang, want)
		}
	}
}

// A progress update whose forecast is not dependable yet (a sprint a few
// days old) tells the reviewer why and gives the calibrated chance, which
// exists without the simulation; the large scenario's said nothing of either.
// A diverging one keeps its own note, without this line.
func TestProgressBackgroundWithoutADependableForecast(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		want string
	}{
		{"en", "* Forecast: not dependable yet (work started only 4 working days ago, on Tuesday 10 November 2026; a forecast needs at least 10 working days); chance of making Friday 4 December 2026, calibrated against comparable deliveries and the team's record: 27%"},
		{"nl", "* Prognose: nog niet betrouwbaar (het werk begon pas 4 werkdagen geleden, op dinsdag 10 november 2026; een prognose heeft minstens 10 werkdagen nodig); kans om vrijdag 4 december 2026 te halen, gekalibreerd op vergelijkbare opleveringen en de staat van dienst van het team: 27%"},
	} {
		req := fixture(tc.lang, model.PurposeProgressUpdate)
		f := &req.Forecast
		f.Status, f.Why = model.ForecastInsufficient, model.ForecastReason{Code: model.ReasonShortHistory, Since: day(11, 10), Days: 4, Need: 10}
		f.Reason = f.Why.String()
		f.P50, f.P85, f.P95, f.ProbOnTime, f.SimProbOnTime = time.Time{}, time.Time{}, time.Time{}, 0.27, 0
		tk, err := r.Render(req, model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s: body lacks %q\n%s", tc.lang, tc.want, tk.Body)
		}
		d, err := r.Render(diverging(tc.lang, model.PurposeProgressUpdate), model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(d.Body, "not dependable yet") || strings.Contains(d.Body, "nog niet betrouwbaar") {
			t.Errorf("%s: a diverging update's background calls its forecast not dependable yet", tc.lang)
		}
	}
}

// Growth outpacing the work is named even when the share added stays under
// the 10 % that makes scope a risk on its own; with both, the update says
// it in one risk, not two that both count the same items.
func TestProgressOutpacedAlone(t *testing.T) {
	r := newRenderer(t)
	req := filed("en", model.PurposeProgressUpdate)
	req.Forecast.AddedAfterStart, req.Forecast.Signals.ScopeCreep = 2, 0.07
	req.Forecast.AddedInWindow, req.Forecast.DoneInWindow = 2, 1 // the two added, one item done, over the window
	tk, err := r.Render(req, model.FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	want := "* Work is still being added faster than it is finished: 2 items added and 1 finished over the last 30 working days.\n"
	if !strings.Contains(tk.Body, want) {
		t.Errorf("body lacks %q\n%s", want, tk.Body)
	}
	if strings.Contains(tk.Body, "items were added after") {
		t.Errorf("a 7 %% share named as a risk")
	}
}
