package notice

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// everyReason is one forecast reason of each code with every figure it
// names set (and distinct, so a figure rendered in the wrong place shows).
func everyReason() []model.ForecastReason {
	var rs []model.ForecastReason
	for _, c := range model.ReasonCodes {
		r := model.ForecastReason{Code: c}
		switch c {
		case model.ReasonNotStarted:
			r.Since = day(11, 23)
		case model.ReasonShortHistory:
			r.Since, r.Days, r.Need = day(11, 12), 3, 5
		case model.ReasonThinHistory:
			r.Done, r.Days, r.Need = 2, 21, 3
		case model.ReasonBeyondHorizon:
			r.HorizonDays, r.Remaining, r.Days, r.Added, r.Done, r.Pace = 730, 11, 22, 12, 5, 0.23
		}
		rs = append(rs, r)
	}
	return rs
}

// figures are the numbers a reason names, as a draft must show them.
func figures(r model.ForecastReason) []string {
	var out []string
	for _, n := range []int{r.Days, r.Need, r.Done, r.Added, r.Remaining, r.HorizonDays} {
		if n != 0 {
			out = append(out, strconv.Itoa(n))
		}
	}
	return out
}

// englishWord matches words only English text has; Dutch drafts must hold
// none outside tracker text, links, the rule's name and the chart's code.
var englishWord = regexp.MustCompile(`(?i)\b(the|items?|working|history|finished|started|starts|forecast|remains?|added|were|yet|not|with|no|needs?|only|days?|at|and|within|pace|current)\b`)

// dutchProse is a Dutch draft without what is not forewarn's own wording:
// fenced code (the chart), links and their addresses, markup comments and
// the rule's name.
func dutchProse(s, rule string) string {
	s = regexp.MustCompile("(?s)```.*?```").ReplaceAllString(s, "")
	s = regexp.MustCompile(`\[[^\]]*\]\([^)]*\)|https?://\S+|<!--.*?-->`).ReplaceAllString(s, "")
	return strings.ReplaceAll(s, rule, "")
}

// TestEveryReasonInEveryLanguage renders every reason code the forecast can
// give in every language drafts are written in: a code added to
// model.ReasonCodes without a rendering fails here. Each rendering names the
// reason's figures, and the Dutch one holds no English.
func TestEveryReasonInEveryLanguage(t *testing.T) {
	for _, lang := range languages {
		l := newLocale(lang, time.UTC)
		for _, r := range everyReason() {
			t.Run(lang+"/"+string(r.Code), func(t *testing.T) {
				if _, ok := reasonTexts[lang][r.Code]; !ok {
					t.Fatalf("no %s rendering of reason %q", lang, r.Code)
				}
				got := l.reason(model.ForecastInsufficient, r)
				if got == "" || got == r.String() && lang != langEN {
					t.Fatalf("reason %q in %s: %q", r.Code, lang, got)
				}
				for _, f := range figures(r) {
					if !strings.Contains(got, f) {
						t.Errorf("%q lacks the figure %s", got, f)
					}
				}
				if !r.Since.IsZero() && !strings.Contains(got, l.long(r.Since)) {
					t.Errorf("%q lacks the date %s", got, l.long(r.Since))
				}
				if w := englishWord.FindString(got); lang == langNL && w != "" {
					t.Errorf("Dutch reason %q holds the English %q", got, w)
				}
			})
		}
	}
	// The codes' Dutch and English figures agree in number.
	one := model.ForecastReason{Code: model.ReasonThinHistory, Done: 1, Days: 1, Need: 3}
	for lang, want := range map[string]string{
		langEN: "only 1 item was finished on the last working day; a forecast needs at least 3",
		langNL: "op de laatste werkdag is er maar 1 onderdeel afgerond; een prognose heeft er minstens 3 nodig",
	} {
		if got := newLocale(lang, time.UTC).reason(model.ForecastInsufficient, one); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	div := model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: 730, Remaining: 1, Days: 10, Added: 1, Done: 1}
	for lang, want := range map[string]string{
		langEN: "at the current pace the work does not finish within 730 days, the forecast's horizon: 1 item remains, and in the last 10 working days 1 was added and 1 finished",
		langNL: "in het huidige tempo is het werk niet binnen 730 dagen af, de horizon van de prognose: er rest 1 onderdeel, en in de laatste 10 werkdagen kwam er 1 bij en werd er 1 afgerond",
	} {
		if got := newLocale(lang, time.UTC).reason(model.ForecastDiverging, div); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	// A forecast without a code (stored before codes existed) still gets
	// its language.
	if got := ReasonText("nl-BE", model.ForecastInsufficient, model.ForecastReason{}); got != "er zijn nog te weinig gegevens" {
		t.Errorf("no code, Dutch: %q", got)
	}
}

// insufficient is the fixture forecast by the forecast package itself with
// a team that wants 12 items done in the window before it trusts a date:
// 11 were, so the forecast gives none, with figures that match the items.
func insufficient(t *testing.T, lang string, p model.Purpose) Request {
	t.Helper()
	req := fixture(lang, p)
	f := forecast.Compute(req.Milestone, req.Now, forecast.Options{MinCompletions: 12, WindowDays: 30})
	if f.Status != model.ForecastInsufficient || f.Why.Code != model.ReasonThinHistory {
		t.Fatalf("fixture forecast %s (%s), want insufficient data: thin history", f.Status, f.Reason)
	}
	req.Forecast = f
	return req
}

// TestDutchDraftsWithoutADateHoldNoEnglish drafts the Dutch client notice and
// progress update for a forecast with too little data (the forecast
// package's own, on the fixture) and for a diverging one, compares them with
// golden files and checks they hold no English: the forecast's Reason is
// English, and these drafts once showed it verbatim. Every other reason code
// is drafted in every Dutch kind of draft and checked the same way.
func TestDutchDraftsWithoutADateHoldNoEnglish(t *testing.T) {
	r := newRenderer(t)
	check := func(t *testing.T, req Request) string {
		t.Helper()
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		got := "TITLE: " + tk.Title + "\n\n" + tk.Body
		prose := dutchProse(got, req.Finding.Rule)
		for _, line := range strings.Split(prose, "\n") {
			if w := englishWord.FindString(line); w != "" {
				t.Errorf("English %q in the Dutch draft: %s", w, line)
			}
		}
		if req.Forecast.Reason != "" && strings.Contains(got, req.Forecast.Reason) {
			t.Errorf("the English reason %q is in the Dutch draft", req.Forecast.Reason)
		}
		return got
	}
	for _, p := range []model.Purpose{model.PurposeClientNotice, model.PurposeProgressUpdate} {
		for _, kind := range []string{"insufficient", "diverging"} {
			name := kind + "." + string(p) + ".nl"
			t.Run(name, func(t *testing.T) {
				var req Request
				want := []string{"onderdelen"}
				if kind == "insufficient" {
					req = insufficient(t, langNL, p)
					want = append(want, "in de laatste 20 werkdagen zijn er maar 11 onderdelen afgerond; een prognose heeft er minstens 12 nodig")
					if p == model.PurposeClientNotice {
						// No cut line was computed: the draft must not say none fits.
						want = append(want, "Zonder betrouwbare prognose valt nog niet te zeggen welk deel van het resterende werk vóór vrijdag 4 december 2026 past")
					}
				} else {
					req = diverging(langNL, p)
					want = append(want, "in de laatste 22 werkdagen kwamen er 12 onderdelen bij en werden er 5 afgerond")
				}
				got := check(t, req)
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("missing %q", w)
					}
				}
				if kind == "diverging" {
					return // its golden is TestDivergingDraftProposesNoDate's
				}
				path := filepath.Join("testdata", "golden", name+".md")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if golden, err := os.ReadFile(path); err != nil || string(golden) != got {
					t.Errorf("differs from %s (run with -update and review): %v\n%s", path, err, got)
				}
			})
		}
	}
	for _, p := range purposes {
		for _, why := range everyReason() {
			t.Run(string(p)+"/"+string(why.Code), func(t *testing.T) {
				req := diverging(langNL, p)
				f := &req.Forecast
				f.Why, f.Reason = why, why.String()
				if why.Code != model.ReasonBeyondHorizon {
					f.Status = model.ForecastInsufficient
				}
				check(t, req)
			})
		}
	}
}

// A diverging progress update says how growth compares with the work
// finished as the figures have it, with number agreement: it once said "the
// work is growing about as fast as it is done" beside "12 added and 5
// finished", and "1 items were added".
func TestDivergingUpdateSaysWhatTheFiguresSay(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang        string
		added, done int
		want        string
	}{
		{langEN, 12, 5, "in the last 22 working days 12 items were added and 5 finished, so work is being added faster than it is finished. We will agree a new date with you once the scope is settled."},
		{langEN, 5, 6, "in the last 22 working days 5 items were added and 6 finished, so the work is growing about as fast as it is finished."},
		{langEN, 1, 1, "in the last 22 working days 1 item was added and 1 finished, so the work is growing about as fast as it is finished."},
		{langEN, 0, 9, "in the last 22 working days 0 items were added and 9 finished, and at that pace the 11 items left take longer than we can forecast. We will agree a new date with you."},
		{langNL, 12, 5, "in de laatste 22 werkdagen kwamen er 12 onderdelen bij en werden er 5 afgerond, dus er komt sneller werk bij dan er af gaat. Zodra de scope vaststaat"},
		{langNL, 1, 1, "in de laatste 22 werkdagen kwam er 1 onderdeel bij en werd er 1 afgerond, dus het werk groeit ongeveer even snel als het klaar is."},
		{langNL, 0, 9, "in de laatste 22 werkdagen kwamen er 0 onderdelen bij en werden er 9 afgerond, en in dat tempo duren de 11 resterende onderdelen langer dan we kunnen overzien. We spreken een nieuwe datum met je af."},
	} {
		req := diverging(tc.lang, model.PurposeProgressUpdate)
		req.Forecast.AddedInWindow, req.Forecast.DoneInWindow = tc.added, tc.done
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s %d/%d: lacks %q\n%s", tc.lang, tc.added, tc.done, tc.want, draftPart(t, tk.Body, tc.lang))
		}
	}
}

// named are the figures a reason's text gives as numbers (a single
// working day is "the last working day", no items done is "no items").
func named(r model.ForecastReason) []int {
	var out []int
	days := func() {
		if r.Days != 1 {
			out = append(out, r.Days)
		}
	}
	switch r.Code {
	case model.ReasonShortHistory:
		if r.Days > 0 {
			out = append(out, r.Days)
		}
		out = append(out, r.Need)
	case model.ReasonThinHistory:
		if r.Done > 0 {
			out = append(out, r.Done)
		}
		days()
		out = append(out, r.Need)
	case model.ReasonBeyondHorizon:
		days()
		out = append(out, r.HorizonDays, r.Remaining, r.Added, r.Done)
	}
	return out
}

// Any figures: every code renders in every language, with the figures it
// names, no formatting error, and in Dutch no English.
func FuzzReason(f *testing.F) {
	f.Add(uint8(0), 3, 5, 2, 12, 11, 730, int64(0))
	f.Add(uint8(4), 1, 1, 1, 1, 1, 1, int64(1e6))
	f.Add(uint8(5), 0, 0, 0, 0, 0, 0, int64(-1e9))
	f.Fuzz(func(t *testing.T, code uint8, days, need, done, added, remaining, horizon int, since int64) {
		r := model.ForecastReason{Code: model.ReasonCodes[int(code)%len(model.ReasonCodes)],
			Days: abs(days % 10000), Need: abs(need % 10000), Done: abs(done % 10000), Added: abs(added % 10000),
			Remaining: abs(remaining % 10000), HorizonDays: abs(horizon % 10000),
			Since: time.Unix(since%(1<<34), 0).UTC()}
		for _, lang := range languages {
			got := newLocale(lang, time.UTC).reason(model.ForecastDiverging, r)
			if got == "" || strings.Contains(got, "%!") {
				t.Fatalf("%s %+v: %q", lang, r, got)
			}
			if w := englishWord.FindString(got); lang == langNL && w != "" {
				t.Fatalf("Dutch %q holds the English %q", got, w)
			}
			for _, n := range named(r) {
				if !strings.Contains(got, strconv.Itoa(n)) {
					t.Fatalf("%s %q lacks the figure %d", lang, got, n)
				}
			}
		}
	})
}
