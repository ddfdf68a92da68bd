package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// One day is "1 day", "1 dag": a risk detected yesterday and a new date a
// day after the promised one read "(1 days ago)" and "1 dagen na" in the
// large scenario's drafts.
func TestOneDayIsSingular(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		p    model.Purpose
		want []string
	}{
		{langEN, model.PurposeClientNotice, []string{"(1 day ago)", "Saturday 5 December 2026, 1 day after the promised date"}},
		{langNL, model.PurposeClientNotice, []string{"(1 dag geleden)", "zaterdag 5 december 2026, 1 dag na de toegezegde datum"}},
		{langEN, model.PurposeProgressUpdate, []string{"(85% confidence), 1 day after Friday 4 December 2026."}},
		{langNL, model.PurposeProgressUpdate, []string{"(85% zekerheid), 1 dag na vrijdag 4 december 2026."}},
	} {
		req := fixture(tc.lang, tc.p)
		req.History.FirstDetected = req.Now.Add(-24 * time.Hour)
		req.Forecast.P85 = day(12, 5)
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(tk.Body, w) {
				t.Errorf("%s %s lacks %q", tc.p, tc.lang, w)
			}
		}
		for _, bad := range []string{"1 days", "1 dagen", "1 items", "1 onderdelen"} {
			if strings.Contains(tk.Body, bad) {
				t.Errorf("%s %s says %q", tc.p, tc.lang, bad)
			}
		}
	}
}

// A pace of exactly one is "1 item", "1 onderdeel": the large scenario's
// post-mortems said "the team finished 1 items per working day".
func TestPaceOfOneIsSingular(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct {
		lang string
		p    model.Purpose
		want string
	}{
		{langEN, model.PurposeClientNotice, "* Pace: 1 item per working day observed, 2 needed"},
		{langNL, model.PurposeClientNotice, "* Tempo: 1 onderdeel per werkdag gerealiseerd, 2 nodig"},
		{langEN, model.PurposeProgressUpdate, "* The team is finishing 1 item per working day; 2 would be needed"},
		{langNL, model.PurposeProgressUpdate, "* Het team rondt 1 onderdeel per werkdag af"},
		{langEN, model.PurposePostMortem, "the team finished 1 item per working day"},
		{langNL, model.PurposePostMortem, "het team rondde 1 onderdeel per werkdag af"},
	} {
		req := fixture(tc.lang, tc.p)
		req.Forecast.PaceObserved, req.Forecast.PaceNeeded = 1, 2
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, tc.want) {
			t.Errorf("%s %s lacks %q", tc.p, tc.lang, tc.want)
		}
		for _, bad := range []string{" 1 items", " 1 onderdelen"} {
			if strings.Contains(tk.Body, bad) {
				t.Errorf("%s %s says %q", tc.p, tc.lang, bad)
			}
		}
	}
}
