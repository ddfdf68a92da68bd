package notice

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// diverging is the fixture with a forecast that gives no date: items are
// added about as fast as they are done and the P85 date lies beyond the
// horizon.
func diverging(lang string, p model.Purpose) Request {
	req := fixture(lang, p)
	req.Milestone.Record = nil // a first milestone: no history
	f := &req.Forecast
	f.Status = model.ForecastDiverging
	f.Why = model.ForecastReason{Code: model.ReasonBeyondHorizon, HorizonDays: 730, Remaining: 11, Days: 22, Added: 12, Done: 5, Pace: 0.23}
	f.Reason = f.Why.String()
	f.P50, f.P85, f.P95, f.LinearDate = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	f.ProbOnTime = 0.02
	f.AddedInWindow, f.DoneInWindow = 12, 5
	f.AddedAfterStart, f.Signals.ScopeCreep = 14, 0.583 // at least the 12 of the window: a reviewer checks one against the other
	f.Explanation.Samples = make([]int, 22)
	f.CutLine, f.QuickWins = nil, nil
	return req
}

// TestDivergingDraftProposesNoDate drafts the client notice and the progress
// update for a diverging milestone in both languages: no date is proposed
// (no date after the promised one appears anywhere), the numbers are given,
// and the reviewer is asked to agree a date with the team.
func TestDivergingDraftProposesNoDate(t *testing.T) {
	r := newRenderer(t)
	want := map[string][]string{
		"client-notice.en":   {"The data: 14 items were added after the start on Monday 5 October 2026 (58% of the scope); items are still being added faster than they are finished (12 added and 5 finished over the last 22 working days)", "No date is proposed: in the last 22 working days 12 items were added and 5 finished", "agree one with the team", "no date can be proposed", "hand over well before the date you agree"},
		"client-notice.nl":   {"er komt nog steeds sneller werk bij dan er af gaat (12 onderdelen erbij en 5 afgerond in de laatste 22 werkdagen)", "Er wordt geen datum voorgesteld: in de laatste 22 werkdagen kwamen er 12 onderdelen bij en werden er 5 afgerond", "spreek er een af met het team", "ruim voor de datum die jullie afspreken kan opleveren"},
		"progress-update.en": {"The forecast gives no date: in the last 22 working days 12 items were added and 5 finished", "so work is being added faster than it is finished", "Agree a date with the team", "we cannot give a dependable date at the moment"},
		"progress-update.nl": {"De prognose geeft geen datum", "dus er komt sneller werk bij dan er af gaat", "Spreek met het team een datum af", "we kunnen op dit moment geen betrouwbare datum geven"},
	}
	// Any December date after the due date (4 December) would be a proposed date.
	later := regexp.MustCompile(`(?i)\b([5-9]|[12][0-9]|3[01]) (December|december|Dec|dec\.) 2026|December ([5-9]|[12][0-9]|3[01]), 2026|\b20(27|28)\b`)
	for _, p := range []model.Purpose{model.PurposeClientNotice, model.PurposeProgressUpdate} {
		for _, lang := range languages {
			name := string(p) + "." + lang
			t.Run(name, func(t *testing.T) {
				tk, err := r.Render(diverging(lang, p), model.FormatMarkdown)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				got := "TITLE: " + tk.Title + "\n\n" + tk.Body
				path := filepath.Join("testdata", "golden", "diverging."+name+".md")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				} else if golden, err := os.ReadFile(path); err != nil || string(golden) != got {
					t.Errorf("differs from %s (run with -update and review): %v\n%s", path, err, got)
				}
				if m := later.FindString(got); m != "" {
					t.Errorf("a date after the promised one appears (%q): a diverging draft must propose none", m)
				}
				for _, w := range want[name] {
					if !strings.Contains(got, w) {
						t.Errorf("missing %q", w)
					}
				}
				if strings.Contains(tk.Title, "new date") || strings.Contains(tk.Title, "nieuwe datum") {
					t.Errorf("title %q proposes a date", tk.Title)
				}
			})
		}
	}
}
