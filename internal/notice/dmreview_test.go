package notice

import (
	"fmt"
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

// A progress update lists as done since the last one only what was closed
// after that update was written: an item closed on its day, before it was
// written, was in it already (it was listed to the client twice, and the
// count disagreed with "while N items got finished").
func TestDoneSinceCountsFromTheLastUpdatesMoment(t *testing.T) {
	r := newRenderer(t)
	req := fixture(langEN, model.PurposeProgressUpdate)
	written := req.History.LastWritten.AsOf                           // Monday 9 November, 9:30
	req.Milestone.Items[9].Closed = model.At(written.Add(-time.Hour)) // Wish list: in the last update
	req.Milestone.Items[8].Closed = model.At(written.Add(time.Hour))  // Store locator: after it, the same day
	tk, err := r.Render(req, model.FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	body := draftPart(t, tk.Body, langEN)
	mustContain(t, body, "**Done since Monday 9 November 2026:** 4 items.", "* Store locator")
	mustNotContain(t, body, "* Wish list")
}

// The post-mortem's late starts count every one of them, not the eight it
// lists (the large scenario's sprints all said "8 items"), and in a short
// delivery the window is a quarter of its planned length: starting work in
// the second week of a two-week sprint is not late.
func TestPostMortemLateStartsCountAll(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range languages {
		req := fixture(lang, model.PurposePostMortem)
		due := model.Day(req.Milestone.Due)
		req.Milestone.Start = due.AddDate(0, 0, -14) // a two-week sprint: a 3-day window
		for i := range 10 {
			req.Milestone.Items = append(req.Milestone.Items, model.WorkItem{Key: fmt.Sprintf("acme/web#%d", 200+i), Title: fmt.Sprintf("Late %d", i),
				Status: model.StatusTodo, Created: model.At(day(10, 5)), JoinedAt: model.At(day(10, 5)), JoinedKnown: true})
		}
		want := 0
		for _, it := range req.Milestone.Items {
			started := it.Started.Time()
			if (started.IsZero() && it.Status == model.StatusTodo) || (!started.IsZero() && !model.Day(started).Before(due.AddDate(0, 0, -3))) {
				want++
			}
		}
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		line := map[string]string{
			langEN: fmt.Sprintf("%d items were started in the last 3 days before the due date or not at all.", want),
			langNL: fmt.Sprintf("%d onderdelen zijn pas in de laatste 3 dagen voor de deadline of helemaal niet begonnen.", want),
		}[lang]
		more := map[string]string{langEN: fmt.Sprintf("and %d more", want-maxListed), langNL: fmt.Sprintf("en nog %d", want-maxListed)}[lang]
		if want <= maxListed || !strings.Contains(tk.Body, line) || !strings.Contains(tk.Body, more) {
			t.Errorf("%s: want %q and %q (%d late):\n%s", lang, line, more, want, tk.Body)
		}
	}
}

// A milestone forewarn first saw after its due date (it was not watched
// before) does not have "forewarn first detected the risk" on that day in
// its post-mortem, as if forewarn had been late: it says forewarn first saw
// it past its due date.
func TestPostMortemTimelineFirstSeenOverdue(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range languages {
		req := fixture(lang, model.PurposePostMortem) // due 4 December, open on 7 December
		req.History = History{FirstDetected: day(12, 7)}
		req.Finding.FiredAt, req.Finding.ActiveSince = day(12, 7), day(12, 7)
		tk, err := r.Render(req, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{langEN: "forewarn first saw it, already past its due date.", langNL: "forewarn zag de mijlpaal voor het eerst, toen de deadline al voorbij was."}[lang]
		not := map[string]string{langEN: "forewarn first detected the risk", langNL: "signaleerde het risico"}[lang]
		if !strings.Contains(tk.Body, want) || strings.Contains(tk.Body, not) {
			t.Errorf("%s: want %q, not %q:\n%s", lang, want, not, tk.Body)
		}
	}
}
