package table_test

import (
	"strings"
	"testing"

	"github.com/forewarn/forewarn/internal/table"
	"github.com/forewarn/forewarn/internal/model"
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
