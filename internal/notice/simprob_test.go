package notice

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// When the calibrated chance and the simulation's own differ, the reviewer
// sees both beside the dates, so a P85 date before the promised date next
// to a chance under 85 % is explained; when they agree, only one is shown.
func TestSimulationChanceBesideTheCalibratedOne(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang     string
		p        model.Purpose
		cal, sim float64
		want     string // "" for none
	}{
		{"en", model.PurposeProgressUpdate, 0.70, 0.89, ": 70% (the simulation alone: 89%; calibrated against comparable deliveries and the team's record)"},
		{"nl", model.PurposeProgressUpdate, 0.70, 0.89, ": 70% (de simulatie alleen: 89%; gekalibreerd op vergelijkbare opleveringen en de staat van dienst van het team)"},
		{"en", model.PurposeClientNotice, 0.09, 0.31, ": 9% (the simulation alone: 31%;"},
		{"nl", model.PurposeClientNotice, 0.09, 0.31, ": 9% (de simulatie alleen: 31%;"},
		{"en", model.PurposeProgressUpdate, 0.70, 0.72, ""}, // within 5 points: one figure
		{"en", model.PurposeClientNotice, 0.12, 0, ": 12% (the simulation alone: 0%;"},
	} {
		req := fixture(tc.lang, tc.p)
		req.Forecast.ProbOnTime, req.Forecast.SimProbOnTime = tc.cal, tc.sim
		if req.Forecast.Status != model.ForecastOK {
			t.Fatalf("the fixture's forecast is %s; the case needs one the simulation made", req.Forecast.Status)
		}
		for _, f := range formats {
			tk, err := r.Render(req, f)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.lang, tc.p, err)
			}
			alone := strings.Contains(tk.Body, "simulation alone") || strings.Contains(tk.Body, "simulatie alleen")
			switch {
			case tc.want == "" && alone:
				t.Errorf("%s %s %s cal %.2f sim %.2f: shows the simulation's chance though they agree", tc.lang, tc.p, f, tc.cal, tc.sim)
			case tc.want != "" && !strings.Contains(tk.Body, tc.want):
				t.Errorf("%s %s %s: body lacks %q", tc.lang, tc.p, f, tc.want)
			}
		}
	}
}
