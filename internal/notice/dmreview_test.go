package notice

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// A post-mortem of a milestone forewarn first saw after it had closed (a
// first run, a source added later) does not list "forewarn first detected
// the risk" after the delivery in its timeline; one it warned about before
// the close keeps the line.
func TestPostMortemTimelineNoDetectionAfterClose(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range languages {
		line := map[string]string{langEN: "forewarn first detected the risk", langNL: "forewarn signaleerde het risico voor het eerst"}[lang]
		late := fixture(lang, model.PurposePostMortem)
		late.Milestone.State, late.Milestone.ClosedAt = model.StateClosed, day(12, 5).Add(15*time.Hour)
		late.Forecast.Status, late.Forecast.RemainingItems = model.ForecastDone, 0
		late.History = History{FirstDetected: day(12, 7)}
		late.Finding.FiredAt, late.Finding.ActiveSince = day(12, 7), day(12, 7)
		tk, err := r.Render(late, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(tk.Body, line) {
			t.Errorf("%s: detection after the close is in the timeline:\n%s", lang, tk.Body)
		}
		early := late
		early.History.FirstDetected = day(11, 13)
		tk, err = r.Render(early, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tk.Body, line) {
			t.Errorf("%s: the warning before the close is missing from the timeline", lang)
		}
	}
}
