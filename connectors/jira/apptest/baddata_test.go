package apptest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Tracker data forewarn cannot judge (negative points, a release date
// before the start) is refused milestone by milestone, naming the
// milestone and the item; the other milestones are judged and written.
func TestAppRefusesBadJiraData(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	s := fake.New(fake.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	seed(s, now)
	date := func(n int) string { return now.AddDate(0, 0, n).Format("2006-01-02") }
	s.AddVersion(fake.Version{ID: "10200", Project: "WEB", Name: "Negative", ReleaseDate: date(10), StartDate: date(-20)})
	neg, two := -3.0, 2.0
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "Odd estimate", FixVersions: []string{"10200"}, Created: now.AddDate(0, 0, -19), Points: &neg})
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "Fine estimate", FixVersions: []string{"10200"}, Created: now.AddDate(0, 0, -19), Points: &two})
	s.AddVersion(fake.Version{ID: "10201", Project: "WEB", Name: "Backwards", ReleaseDate: date(-30), StartDate: date(-10)})
	s.AddIssue(fake.Issue{Project: "WEB", Summary: "Some work", FixVersions: []string{"10201"}, Created: now.AddDate(0, 0, -12)})

	rep, err := load(t, s, t.TempDir(), now).Run(context.Background(), tracker.ModeRun)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Partial() {
		t.Error("the run is not partial (exit 1) though two milestones were refused")
	}
	failed := map[string]string{}
	for _, f := range rep.Failed {
		failed[strings.TrimPrefix(f.Title, "WEB ")] = f.Err // titles name the project
	}
	if e := failed["Negative"]; !strings.Contains(e, "item WEB-") || !strings.Contains(e, "points is -3, want a number of at least 0") {
		t.Errorf("Negative reported as %q (failed: %+v)", e, rep.Failed)
	}
	if e := failed["Backwards"]; !strings.Contains(e, "due "+date(-30)+" is before the start "+date(-10)) {
		t.Errorf("Backwards reported as %q (failed: %+v)", e, rep.Failed)
	}
	judged := map[string]bool{}
	for _, m := range rep.Milestones {
		judged[strings.TrimPrefix(m.Milestone.Title, "WEB ")] = true
	}
	if !judged["Checkout v2"] || judged["Negative"] || judged["Backwards"] {
		t.Errorf("judged %v: want Checkout v2 and neither refused one", judged)
	}
	if rep.Count(tracker.ActionCreate) == 0 {
		t.Error("nothing written for the valid milestones")
	}
}
