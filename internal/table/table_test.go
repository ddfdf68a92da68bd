package table_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/table"
	"github.com/forewarn/forewarn/internal/tracker"
)

// A plan line names every op of an action that takes several, in order,
// so a reviewer sees "reopen, then update" before a run does it.
func TestPlanPrintsTheOps(t *testing.T) {
	rep := tracker.Report{Mode: tracker.ModePlan, Actions: []tracker.Action{
		{Kind: tracker.ActionUpdate, Purpose: model.PurposeClientNotice, MilestoneKey: "jira:ACME/1", Title: "Notice",
			Ref: model.TicketRef{ID: "ACME-7"}, Reason: "the draft changed", Ops: []string{"reopen", "update"}},
		{Kind: tracker.ActionCreate, Purpose: model.PurposePostMortem, MilestoneKey: "jira:ACME/2", Title: "Post-mortem"},
	}}
	var b strings.Builder
	table.Print(&b, rep, "")
	out := b.String()
	if !strings.Contains(out, "ACME-7 (the draft changed) [reopen → update]") {
		t.Fatalf("the ops of a several-step action are missing:\n%s", out)
	}
	if strings.Contains(out, "[create]") {
		t.Fatalf("a one-step action lists its op:\n%s", out)
	}
	if !strings.Contains(out, "Plan: 1 to create, 1 to update, 0 to comment, 0 to reopen, 0 unchanged. Nothing was written.") {
		t.Fatalf("plan counts:\n%s", out)
	}
}

// A diverging forecast (P85 beyond the horizon) shows plainly in the table
// and in the JSON report: no date, never the horizon date.
func TestDivergingForecastShowsNoDate(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	m := model.Milestone{Key: "github:acme/web#7", Start: start, Due: start.AddDate(0, 1, 0)}
	for i := 0; i < 600; i++ { // one done a working day for two weeks, 590 left
		w := model.WorkItem{Key: fmt.Sprintf("#%d", i), Created: model.At(start), JoinedAt: model.At(start), JoinedKnown: true, Status: model.StatusTodo}
		if i < 10 {
			d := start.AddDate(0, 0, i+2*(i/5)).Add(15 * time.Hour)
			w.Started, w.Closed, w.Status = model.At(d.Add(-time.Hour)), model.At(d), model.StatusDone
		}
		m.Items = append(m.Items, w)
	}
	f := forecast.Compute(m, start.AddDate(0, 0, 14).Add(9*time.Hour), forecast.Options{Trials: 2000})
	if f.Status != model.ForecastDiverging {
		t.Fatalf("status %s (%s), want diverging", f.Status, f.Reason)
	}
	rep := tracker.Report{Mode: tracker.ModePlan, Milestones: []tracker.MilestoneReport{{Milestone: m, Forecast: f}}}
	var b strings.Builder
	table.Print(&b, rep, "")
	if out := b.String(); !strings.Contains(out, "diverging (no date)") || strings.Contains(out, "2028") {
		t.Errorf("table:\n%s", out)
	}
	js, err := json.Marshal(rep.Milestones[0].Forecast)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(js); !strings.Contains(s, `"status":"diverging"`) || strings.Contains(s, `"p85"`) || strings.Contains(s, "2028") ||
		!strings.Contains(s, `"reason":"P85 is beyond the 730-day horizon: 590 items remain`) {
		t.Errorf("JSON does not show the diverging forecast plainly: %.600s", s)
	}
}

// A forecast with too little data gives no date, but the calibrated chance
// on time stands on what is known, and the table shows it.
func TestInsufficientDataShowsTheCalibratedChance(t *testing.T) {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	m := model.Milestone{Key: "jira:ACME/board 3/sprint 9", Start: start, Due: start.AddDate(0, 0, 13)}
	for i := 0; i < 12; i++ {
		w := model.WorkItem{Key: fmt.Sprintf("ACME-%d", i), Created: model.At(start), JoinedAt: model.At(start), JoinedKnown: true, Status: model.StatusTodo}
		if i == 0 {
			w.Started, w.Closed, w.Status = model.At(start.Add(10*time.Hour)), model.At(start.Add(15*time.Hour)), model.StatusDone
		}
		m.Items = append(m.Items, w)
	}
	f := forecast.Compute(m, start.AddDate(0, 0, 1).Add(9*time.Hour), forecast.Options{Trials: 2000})
	if f.Status != model.ForecastInsufficient || f.ProbOnTime <= 0 || f.ProbOnTime >= 1 {
		t.Fatalf("status %s, P(on time) %v: want insufficient data with a calibrated chance", f.Status, f.ProbOnTime)
	}
	rep := tracker.Report{Mode: tracker.ModePlan, Milestones: []tracker.MilestoneReport{{Milestone: m, Forecast: f}}}
	var b strings.Builder
	table.Print(&b, rep, "")
	want := fmt.Sprintf("insufficient data  %.0f%%", 100*f.ProbOnTime)
	if out := b.String(); !strings.Contains(out, want) {
		t.Errorf("table lacks %q:\n%s", want, out)
	}
	m.Due = time.Time{} // no due date: no chance to give
	f = forecast.Compute(m, start.AddDate(0, 0, 1).Add(9*time.Hour), forecast.Options{Trials: 2000})
	b.Reset()
	table.Print(&b, tracker.Report{Mode: tracker.ModePlan, Milestones: []tracker.MilestoneReport{{Milestone: m, Forecast: f}}}, "")
	if !strings.Contains(b.String(), "insufficient data") || strings.Contains(b.String(), "%") {
		t.Errorf("a milestone without a due date shows a chance:\n%s", b.String())
	}
}
