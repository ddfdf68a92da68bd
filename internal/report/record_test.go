package report_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/report"
)

// The team's record rides on the portfolio's milestone (JSON) and shows
// under the chance of being on time, in the page's language; a milestone
// without history shows nothing more.
func TestPortfolioShowsTheTeamRecord(t *testing.T) {
	for _, tc := range []struct{ locale, want string }{
		{"en", "before: 5 of the last 8 on time"},
		{"nl", "eerder: 5 van de laatste 8 op tijd"},
	} {
		in := fixture()
		in.Locale = tc.locale
		in.Report.Milestones[1].Milestone.Record = &model.TeamRecord{Basis: "the last 8 closed milestones of acme/web (closed 5 Jun – 30 Oct 2026)",
			Milestones: 8, OnTime: 5, DeliveredRatio: 0.91}
		p := report.Build(in)
		js, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(js), `"record":{"milestones":8,"on_time":5,"delivered_ratio":0.91,"basis":"the last 8 closed milestones of acme/web`) {
			t.Errorf("%s: portfolio JSON lacks the record: %.400s", tc.locale, js)
		}
		var b strings.Builder
		if err := report.Render(&b, p); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		if strings.Count(html, `<span class="rec">`) != 1 || !strings.Contains(html, `<span class="rec">`+tc.want+`</span>`) {
			t.Errorf("%s: the page shows the record %d times, want once as %q", tc.locale, strings.Count(html, `class="rec"`), tc.want)
		}
	}
}
