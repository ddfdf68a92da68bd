package worker_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Whatever a source returns passes one validation before it is judged: a
// milestone with bad data is reported with its key and the item's, not
// forecast, not drafted; the others are.
func TestBadTrackerDataIsRefusedNotJudged(t *testing.T) {
	nan := milestone("nan", 2)
	nan.Items[1].Points = math.NaN()
	stranger := milestone("stranger", 2)
	stranger.Client = "acmee"
	ancient := milestone("ancient", 1)
	ancient.Items[0].Created = model.At(time.Date(1, 3, 4, 0, 0, 0, 0, time.UTC))
	future := milestone("future", 1)
	future.Due = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	inf := milestone("inf", 1)
	inf.Items[0].BlockedDays = math.Inf(1)
	ok := milestone("ok", 2)
	ok.Client = "acme"

	w, _ := newWorker(t, t.TempDir(), fakeSource{name: "jira", ms: []model.Milestone{nan, stranger, ancient, future, inf, ok}})
	w.KnownClient = func(id string) bool { return id == "acme" }
	rep, err := w.Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"nan":      "milestone nan: item nan-1: points is NaN",
		"stranger": `milestone stranger: client "acmee" is not in the configuration's clients`,
		"ancient":  "milestone ancient: item ancient-0: created 0001-03-04T00:00:00Z is outside the years 1900–9999",
		"future":   "milestone future: due 10000-01-01T00:00:00Z is outside the years 1900–9999",
		"inf":      "milestone inf: item inf-0: blocked_days is +Inf, want a finite number",
	}
	got := map[string]string{}
	for _, f := range rep.Failed {
		got[f.Key] = f.Err
	}
	for k, msg := range want {
		if !strings.Contains(got[k], msg) {
			t.Errorf("%s reported as %q, want %q", k, got[k], msg)
		}
	}
	if !rep.Partial() || len(rep.Failed) != len(want) || len(rep.Milestones) != 1 || rep.Milestones[0].Milestone.Key != "ok" {
		t.Errorf("partial=%v failed=%d judged=%+v", rep.Partial(), len(rep.Failed), rep.Milestones)
	}
	for _, a := range rep.Actions {
		if a.MilestoneKey != "ok" {
			t.Errorf("a refused milestone was acted on: %+v", a)
		}
	}
}
