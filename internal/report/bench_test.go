package report_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/tracker"
)

// portfolio500 is a large agency: 500 milestones over 50 clients, each
// with 60 days of burn-down, findings and two tickets, and a forecast of a
// week earlier.
func portfolio500() report.Input {
	in := report.Input{Report: tracker.Report{Mode: tracker.ModeRun, Started: now}, WeekAgo: map[string]model.ForecastRecord{},
		Client: func(id string) model.Client { return model.Client{ID: id, Name: "Client " + id} }}
	for i := range 500 {
		key := fmt.Sprintf("jira:PROJ%d/v%d", i%50, i)
		status := model.ForecastOK
		if i%17 == 0 {
			status = model.ForecastInsufficient
		}
		mr := ms(key, fmt.Sprintf("c%02d", i%50), day("2026-12-01").AddDate(0, 0, i%90).Format("2006-01-02"), status, float64(i%100)/100)
		mr.Milestone.Title = fmt.Sprintf("Release %d: checkout, search & <accounts>", i)
		mr.Forecast.Burndown = nil
		for d := range 60 {
			mr.Forecast.Burndown = append(mr.Forecast.Burndown, model.BurndownPoint{Day: now.AddDate(0, 0, d-60), Scope: 40 + d/10, Remaining: 40 - d/2})
		}
		mr.Findings = []model.Finding{{Rule: "milestone-at-risk", Severity: "warning", Purpose: model.PurposeClientNotice},
			{Rule: "weekly-progress-update", Severity: "info", Purpose: model.PurposeProgressUpdate}}
		in.Report.Milestones = append(in.Report.Milestones, mr)
		for j, p := range []model.Purpose{model.PurposeClientNotice, model.PurposeProgressUpdate} {
			id := fmt.Sprintf("PROJ%d-%d", i%50, 1000+2*i+j)
			in.Report.Actions = append(in.Report.Actions, tracker.Action{Kind: tracker.ActionNone, Fingerprint: model.Fingerprint(key, p),
				MilestoneKey: key, Purpose: p, Ref: model.TicketRef{ID: id, URL: "https://jira.example/browse/" + id, Open: true}})
		}
		in.WeekAgo[key] = model.ForecastRecord{AsOf: now.AddDate(0, 0, -7), Status: model.ForecastOK, P85: day("2026-12-20"), ProbOnTime: 0.6}
	}
	return in
}

// BenchmarkRender500 builds and renders the page of 500 milestones; the
// page's size is reported as bytes/page (issue 18: under 200 ms and 2 MB).
func BenchmarkRender500(b *testing.B) {
	in := portfolio500()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := report.Render(&buf, report.Build(in)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}

// TestRender500Size keeps the budget honest between benchmark runs: the
// page of 500 milestones stays under 2 MB and well-formed.
func TestRender500Size(t *testing.T) {
	page := render(t, report.Build(portfolio500()))
	if len(page) >= 2<<20 {
		t.Errorf("500 milestones: %d bytes, want under 2 MB", len(page))
	}
	rows := 0
	parse(t, page).walk(func(n node) {
		if n.XMLName.Local == "tr" && n.attr("data-key") != "" {
			rows++
		}
	})
	if rows != 500 {
		t.Errorf("%d rows, want 500", rows)
	}
}
