package action_test

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// The job summary says the team's record under an at-risk milestone, with
// its basis (tracker text, escaped); without history it says nothing more.
func TestSummaryShowsTheTeamRecord(t *testing.T) {
	rep := sampleReport(tracker.ModePlan)
	rep.Milestones[0].Milestone.Record = &model.TeamRecord{Basis: "the last 8 closed milestones of acme/*web* (closed 5 Jun – 30 Oct 2026)",
		Milestones: 8, OnTime: 5}
	md := (&action.Summary{Mode: tracker.ModePlan, Report: &rep}).Markdown()
	want := `The team's record: 5 of the last 8 on time (the last 8 closed milestones of acme/\*web\* (closed 5 Jun – 30 Oct 2026)).`
	if strings.Count(md, "The team's record:") != 1 || !strings.Contains(md, want) {
		t.Errorf("summary lacks %q once:\n%s", want, md)
	}
}
