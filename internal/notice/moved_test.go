package notice

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
)

// A due date the tracker moved later after work started, with no date
// agreed with the client on record: the client may still expect the first
// one. The reviewer is told, in both drafts and both languages, and the
// client-facing text is left as it is. An agreed date on record, or no
// move seen, says nothing.
func TestMovedDueDateIsToldToTheReviewer(t *testing.T) {
	want := map[string]map[model.Purpose]string{
		langEN: {
			model.PurposeProgressUpdate: "The due date in the tracker was Friday 27 November 2026 when work started and is Friday 4 December 2026 now, and no date agreed with the client is on record. If Northwind Traders still expects Friday 27 November 2026, this update must say the date has moved; if the new date was agreed, record it: a line agreed: YYYY-MM-DD in the milestone's description in the tracker, or agreed_dates in the configuration.",
			model.PurposeClientNotice:   "This notice measures the delay from Friday 4 December 2026; if Northwind Traders still expects Friday 27 November 2026, put that date in instead",
		},
		langNL: {
			model.PurposeProgressUpdate: "De opleverdatum in de tracker was vrijdag 27 november 2026 toen het werk begon en is nu vrijdag 4 december 2026, en er is geen met de klant afgesproken datum vastgelegd. Rekent Bakkerij De Korenschoof nog op vrijdag 27 november 2026, zeg dan in deze update dat de datum is verschoven; is de nieuwe datum afgesproken, leg die dan vast: een regel agreed: JJJJ-MM-DD in de beschrijving van de mijlpaal in de tracker, of agreed_dates in de configuratie.",
			model.PurposeClientNotice:   "Dit bericht meet de vertraging vanaf vrijdag 4 december 2026; rekent",
		},
	}
	r := newRenderer(t)
	for lang, byPurpose := range want {
		for purpose, note := range byPurpose {
			req := fixture(lang, purpose)
			req.Milestone.PromisedDue = day(11, 27)
			body := render(t, r, req, model.FormatMarkdown).Body
			mustContain(t, body, note)
			if strings.Contains(draftPart(t, body, lang), "27") {
				t.Errorf("%s %s: the client-facing text names the earlier date:\n%s", lang, purpose, draftPart(t, body, lang))
			}
			// A sprint's agreed date has no description to go in.
			sprint := req
			sprint.Milestone.Kind = model.KindSprint
			if b := render(t, r, sprint, model.FormatMarkdown).Body; purpose == model.PurposeProgressUpdate &&
				(strings.Contains(b, "YYYY-MM-DD") || strings.Contains(b, "JJJJ-MM-DD") || !strings.Contains(b, "agreed_dates")) {
				t.Errorf("%s: a sprint's note points to its description, or not to agreed_dates:\n%s", lang, b)
			}
			agreed := req
			agreed.Milestone.AgreedDue = day(12, 4)
			for name, other := range map[string]Request{"agreed date on record": agreed, "no move seen": fixture(lang, purpose)} {
				if b := render(t, r, other, model.FormatMarkdown).Body; strings.Contains(b, note[:40]) {
					t.Errorf("%s %s, %s: the reviewer is told of a moved date:\n%s", lang, purpose, name, b)
				}
			}
		}
	}
}

// A post-mortem's timeline shows the due date the milestone had when work
// started and the tracker's, moved there later, in both languages.
func TestPostMortemTimelineShowsAMovedDueDate(t *testing.T) {
	r := newRenderer(t)
	for lang, want := range map[string][]string{
		langEN: {"* **Friday 27 November 2026**: the due date when work started; it was moved later in the tracker since.",
			"* **Friday 4 December 2026**: due date in the tracker, moved there later."},
		langNL: {"* **vrijdag 27 november 2026**: de deadline toen het werk begon; die is later in de tracker verschoven.",
			"* **vrijdag 4 december 2026**: deadline in de tracker, later daarheen verschoven."},
	} {
		req := fixture(lang, model.PurposePostMortem)
		req.Milestone.PromisedDue = day(11, 27)
		body := render(t, r, req, model.FormatMarkdown).Body
		mustContain(t, body, want...)
		if i, j := strings.Index(body, want[0]), strings.Index(body, want[1]); i > j {
			t.Errorf("%s: the later date comes first in the timeline:\n%s", lang, body)
		}
		plain := render(t, r, fixture(lang, model.PurposePostMortem), model.FormatMarkdown).Body
		mustNotContain(t, plain, want...)
	}
}
