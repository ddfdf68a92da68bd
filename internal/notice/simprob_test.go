package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// When the calibrated chance and the simulation's own differ, the reviewer
// sees both beside the dates, so a P85 date before the promised date next
// to a chance under 85 % is explained: the chance is the calibrated one,
// the dates are the simulation's. "And the team's record" is said only when
// there is one (seen on the large scenario: a draft said the chance was
// calibrated against the team's record right above "No history: the
// simulation stands alone."). When they agree, only one figure is shown.
func TestSimulationChanceBesideTheCalibratedOne(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang     string
		p        model.Purpose
		cal, sim float64
		noRecord bool
		want     []string // the body holds every one
		not      []string // and none of these
	}{
		{"en", model.PurposeProgressUpdate, 0.70, 0.89, false,
			[]string{": 70%, calibrated against comparable deliveries and the team's record (the simulation behind the dates: 89%)", "* Based on the team's last 8 milestones"}, nil},
		{"nl", model.PurposeProgressUpdate, 0.70, 0.89, false,
			[]string{": 70%, gekalibreerd op vergelijkbare opleveringen en de staat van dienst van het team (de simulatie achter de datums: 89%)"}, nil},
		{"en", model.PurposeClientNotice, 0.09, 0.31, false, []string{": 9%, calibrated against comparable deliveries and the team's record (the simulation behind the dates: 31%)"}, nil},
		{"nl", model.PurposeClientNotice, 0.09, 0.31, false, []string{": 9%, gekalibreerd op vergelijkbare opleveringen en de staat van dienst van het team (de simulatie achter de datums: 31%)"}, nil},
		{"en", model.PurposeProgressUpdate, 0.70, 0.72, false, nil, []string{"simulation behind"}}, // within 5 points: one figure
		{"en", model.PurposeClientNotice, 0.12, 0, false, []string{": 12%, calibrated against comparable deliveries and the team's record (the simulation behind the dates: 0%)"}, nil},
		// No record: calibrated on comparable deliveries only, and the
		// record line does not claim the simulation stands alone.
		{"en", model.PurposeClientNotice, 0.09, 0, true,
			[]string{": 9%, calibrated against comparable deliveries (the simulation behind the dates: 0%)", "* No earlier deliveries of this team on record: the forecast rests on this delivery's own data."},
			[]string{"team's record", "stands alone"}},
		{"nl", model.PurposeProgressUpdate, 0.93, 1, true,
			[]string{": 93%, gekalibreerd op vergelijkbare opleveringen (de simulatie achter de datums: 100%)", "* Geen eerdere opleveringen van dit team bekend: de prognose steunt alleen op de gegevens van deze oplevering."},
			[]string{"staat van dienst", "op zichzelf"}},
	} {
		req := fixture(tc.lang, tc.p)
		req.Forecast.ProbOnTime, req.Forecast.SimProbOnTime = tc.cal, tc.sim
		if tc.noRecord {
			req.Milestone.Record = nil
		}
		if req.Forecast.Status != model.ForecastOK {
			t.Fatalf("the fixture's forecast is %s; the case needs one the simulation made", req.Forecast.Status)
		}
		for _, f := range formats {
			tk, err := r.Render(req, f)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.lang, tc.p, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(tk.Body, w) {
					t.Errorf("%s %s %s cal %.2f sim %.2f: body lacks %q", tc.lang, tc.p, f, tc.cal, tc.sim, w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(tk.Body, w) {
					t.Errorf("%s %s %s cal %.2f sim %.2f: body has %q", tc.lang, tc.p, f, tc.cal, tc.sim, w)
				}
			}
		}
	}
}

// A progress update on track (the P85 date on or before the promised one)
// tells the client "85% confident of finishing by <P85>" only when the
// calibrated chance of making the promised date is 85 % or more; under it,
// the letter gives the calibrated chance instead, so it never promises 85 %
// on an earlier date beside a lower chance of a later one (seen on the
// large scenario: "by 16 April with 85% confidence" over a 72 % chance of
// making 21 April).
func TestOnTrackUpdateSaysTheCalibratedChanceWhenUnderTheConfidence(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		cal  float64
		want string
	}{
		{"en", 0.72, "*Forecast:* on track for Friday 4 December 2026: we expect to finish by Tuesday 1 December 2026, and put the chance of making Friday 4 December 2026 at 72%."},
		{"nl", 0.72, "*Prognose:* op schema voor vrijdag 4 december 2026: we verwachten uiterlijk dinsdag 1 december 2026 klaar te zijn, en schatten de kans dat we vrijdag 4 december 2026 halen op 72%."},
		{"en", 0.844, "and put the chance of making Friday 4 December 2026 at 84%."},
		{"en", 0.849, "2026 with 85% confidence."}, // shown as 85 %: the two figures the reader sees agree
		{"en", 0.93, "*Forecast:* on track for Friday 4 December 2026. We expect to finish by Tuesday 1 December 2026 with 85% confidence."},
		{"nl", 0.85, "*Prognose:* op schema voor vrijdag 4 december 2026. We verwachten met 85% zekerheid uiterlijk dinsdag 1 december 2026 klaar te zijn."},
	} {
		req := fixture(tc.lang, model.PurposeProgressUpdate)
		f := &req.Forecast
		f.P50, f.P85, f.P95 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
		f.ProbOnTime, f.SimProbOnTime = tc.cal, 0.97
		tk, err := r.Render(req, model.FormatJiraWiki)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s cal %.3f: body lacks %q\n%s", tc.lang, tc.cal, tc.want, tk.Body)
		}
	}
}
