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
