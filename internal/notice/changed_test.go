package notice

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

func TestChanged(t *testing.T) {
	prev := model.ForecastRecord{AsOf: day(11, 9), Status: model.ForecastOK, P50: day(12, 1), P85: day(12, 7), P95: day(12, 10), ProbOnTime: 0.4, Scope: 30, Remaining: 12}
	cur := func(edit func(*model.Forecast)) model.Forecast {
		f := model.Forecast{AsOf: day(11, 16), Status: model.ForecastOK, P50: day(12, 1), P85: day(12, 7), P95: day(12, 10), ProbOnTime: 0.4, ScopeItems: 30, RemainingItems: 12}
		edit(&f)
		return f
	}
	tests := []struct {
		name     string
		cur      model.Forecast
		material bool
		summary  string
	}{
		{"nothing changed", cur(func(*model.Forecast) {}), false, ""},
		{"one day is noise", cur(func(f *model.Forecast) { f.P85 = day(12, 8) }), false, ""},
		{"scope added pushes the date", cur(func(f *model.Forecast) {
			f.P85, f.ScopeItems, f.RemainingItems = day(12, 16), 44, 26
		}), true, "the P85 date moved 9 days later (from 7 Dec 2026 to 16 Dec 2026) because 14 items were added and nothing was finished in the meantime."},
		{"added while work got done", cur(func(f *model.Forecast) {
			f.P85, f.ScopeItems, f.RemainingItems = day(12, 10), 33, 11
		}), true, "the P85 date moved 3 days later (from 7 Dec 2026 to 10 Dec 2026) because 3 items were added, while 4 items got finished."},
		{"pace fell", cur(func(f *model.Forecast) { f.P85, f.RemainingItems = day(12, 11), 11 }), true,
			"the P85 date moved 4 days later (from 7 Dec 2026 to 11 Dec 2026) because the pace fell: only 1 item was finished."},
		{"earlier after good progress", cur(func(f *model.Forecast) {
			f.P85, f.RemainingItems, f.ProbOnTime = day(12, 3), 6, 0.7
		}), true, "the P85 date moved 4 days earlier (from 7 Dec 2026 to 3 Dec 2026) because 6 items were finished; the chance of delivering on time is now 70% (was 40%)."},
		{"scope cut", cur(func(f *model.Forecast) { f.P85, f.ScopeItems, f.RemainingItems = day(12, 4), 26, 8 }), true,
			"the P85 date moved 3 days earlier (from 7 Dec 2026 to 4 Dec 2026) because 4 items were removed."},
		{"probability alone", cur(func(f *model.Forecast) { f.ProbOnTime = 0.2 }), true,
			"the P85 date stays 7 Dec 2026; the chance of delivering on time is now 20% (was 40%)."},
		{"work finished", cur(func(f *model.Forecast) { f.Status = model.ForecastDone }), true, "all items are now done."},
		{"data ran out", cur(func(f *model.Forecast) { f.Status = model.ForecastInsufficient }), true,
			"the forecast no longer gives a date (there is not enough data yet); the date in this draft is no longer backed by data."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			material, summary := change(prev, tt.cur, DefaultConfidence, newLocale("en", time.UTC), false)
			if material != tt.material || summary != tt.summary {
				t.Errorf("change = %v, %q\nwant      %v, %q", material, summary, tt.material, tt.summary)
			}
		})
	}
}

func TestChangedDutch(t *testing.T) {
	prev := model.ForecastRecord{Status: model.ForecastOK, P85: day(12, 7), Scope: 30, Remaining: 12}
	cur := model.Forecast{Status: model.ForecastOK, P85: day(12, 16), ScopeItems: 44, RemainingItems: 26}
	_, got := change(prev, cur, 0.85, newLocale("nl", time.UTC), false)
	want := "de P85-datum is 9 dagen later komen te liggen (van 7 dec. 2026 naar 16 dec. 2026) omdat er 14 onderdelen zijn bijgekomen en er in de tussentijd niets is afgerond."
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// The change as the client reads it in a progress update ("Since the last
// update, …") names no P85 and no draft, and says nothing when the update
// had no date before and has none now; the reviewer's comment says why in
// the forecast's figures.
func TestChangedForTheClient(t *testing.T) {
	ok := model.ForecastRecord{Status: model.ForecastOK, P85: day(12, 7), Scope: 30, Remaining: 12}
	none := model.ForecastRecord{Status: model.ForecastInsufficient, Scope: 30, Remaining: 12}
	moved := model.Forecast{Status: model.ForecastOK, P85: day(12, 16), ScopeItems: 44, RemainingItems: 26}
	div := model.Forecast{Status: model.ForecastDiverging, ScopeItems: 44, RemainingItems: 26,
		Why: model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: 730, Remaining: 26, Days: 10, Added: 14, Done: 3}}
	tests := []struct {
		name   string
		prev   model.ForecastRecord
		cur    model.Forecast
		lang   string
		client bool
		want   string
	}{
		{"moved, client", ok, moved, "en", true, "the expected delivery date moved 9 days later (from 7 Dec 2026 to 16 Dec 2026) because 14 items were added and nothing was finished in the meantime."},
		{"moved, client, Dutch", ok, moved, "nl", true, "de verwachte opleverdatum is 9 dagen later komen te liggen (van 7 dec. 2026 naar 16 dec. 2026) omdat er 14 onderdelen zijn bijgekomen en er in de tussentijd niets is afgerond."},
		{"diverging, client", ok, div, "en", true, "the date we gave you then no longer holds."},
		{"diverging, client, Dutch", ok, div, "nl", true, "de datum die we toen noemden, geldt niet meer."},
		{"diverging, reviewer", ok, div, "en", false, "the forecast no longer gives a date (at the current pace the work does not finish within 730 days, the forecast's horizon: 26 items remain, and in the last 10 working days 14 were added and 3 finished); the date in this draft is no longer backed by data."},
		{"diverging, reviewer, Dutch", ok, div, "nl", false, "de prognose geeft geen datum meer (in het huidige tempo is het werk niet binnen 730 dagen af, de horizon van de prognose: er resten 26 onderdelen, en in de laatste 10 werkdagen kwamen er 14 bij en werden er 3 afgerond); de datum in dit concept is niet meer onderbouwd."},
		{"no date before either, client", none, div, "nl", true, ""},
		{"no date before either, reviewer", none, div, "en", false, "the forecast still gives no date (at the current pace the work does not finish within 730 days, the forecast's horizon: 26 items remain, and in the last 10 working days 14 were added and 3 finished)."},
		{"a date again, client", none, moved, "nl", true, "we hebben nu genoeg gegevens voor een betrouwbare datum."},
		{"a date again, reviewer", none, moved, "en", false, "a forecast is now available: the P85 date is Wednesday 16 December 2026."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			material, got := change(tt.prev, tt.cur, 0.85, newLocale(tt.lang, time.UTC), tt.client)
			if got != tt.want || material != (tt.want != "") {
				t.Errorf("got  %v %q\nwant %q", material, got, tt.want)
			}
		})
	}
}
