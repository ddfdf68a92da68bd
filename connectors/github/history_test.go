package github_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

// addHistory adds three closed milestones to seed's acme/web, closed 200,
// 150 and 120 days ago (Ancient, closed 800 days ago, is outside any
// window of 12 months), each with one issue.
func addHistory(s *fakegh.Server) {
	for i, closed := range []int{-200, -150, -120} {
		n := 5 + i
		s.AddMilestone("acme/web", fakegh.Milestone{Number: n, Title: fmt.Sprintf("Release %d", n), DueOn: pacificMidnight(2026, 1, 1),
			CreatedAt: day(closed - 30), State: "closed", ClosedAt: day(closed), UpdatedAt: day(closed)})
		s.AddIssue("acme/web", fakegh.Issue{Number: 50 + i, Title: fmt.Sprintf("Work for %d", n), Milestone: n,
			CreatedAt: day(closed - 60), State: "closed", StateReason: "completed", ClosedAt: day(closed - 1)})
	}
}

func historyKeys(res tracker.FetchResult) (judged, history string) {
	var j, h []string
	for _, m := range res.Milestones {
		j = append(j, m.Key)
	}
	for _, m := range res.History {
		h = append(h, m.Key)
	}
	return strings.Join(j, " "), strings.Join(h, " ")
}

// The team's record needs the last closed milestones of each repository:
// those closed within closed_within are read (and judged) anyway; older
// ones within the window are read for the record only, with one issue page
// each and no events lookups, and never again while their listing shows
// them unchanged.
func TestFetchReadsClosedHistoryForTheRecord(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	addHistory(s)
	cache := newCache()
	src := func(count int) *github.Source {
		src, err := github.NewSource("acme-gh", github.SourceConfig{AuthConfig: github.AuthConfig{BaseURL: s.URL}, Repos: []string{"acme/web"}},
			func() connectors.Env {
				e := testEnv(cache, nil)
				e.History = connectors.History{Count: count, Months: 12}
				return e
			}())
		if err != nil {
			t.Fatal(err)
		}
		return src
	}

	// The last 2 closed: Search (#2, closed a week ago: judged) and #7.
	res := fetch(t, src(2))
	judged, history := historyKeys(res)
	if judged != "github:acme/web#1 github:acme/web#2" || history != "github:acme/web#7" {
		t.Fatalf("judged %q, history %q; want #1 #2 judged and #7 for the record only", judged, history)
	}
	h := res.History[0]
	if h.State != model.StateClosed || !h.ClosedAt.Equal(day(-120)) || h.Container != "acme/web" || h.Kind != model.KindMilestone ||
		len(h.Items) != 1 || h.Items[0].Status != model.StatusDone || h.Items[0].JoinedKnown || !h.Items[0].JoinedAt.Equal(day(-150)) {
		t.Errorf("history milestone: %+v", h)
	}
	// Before: 1 milestone list + 2 issue pages + 1 events page (the test
	// above). Now one more issue page, for #7; no events lookup for its
	// issue created before it.
	if got, want := s.Counted(), 1+2+1+1; got != want {
		t.Errorf("first sync with a record of 2: %d rate-limited requests, want %d:\n%s", got, want, s.StatsTable())
	}

	// A larger record reads #6 and #5 once more, never Ancient (800 days).
	s.ResetLog()
	res = fetch(t, src(10))
	if _, history := historyKeys(res); history != "github:acme/web#5 github:acme/web#6 github:acme/web#7" {
		t.Fatalf("history %q, want #5 #6 #7", history)
	}
	if got := s.Counted(); got != 2 {
		t.Errorf("record of 10 after one of 2: %d rate-limited requests, want 2 (#5 and #6's issue pages):\n%s", got, s.StatsTable())
	}

	// Unchanged: the closed milestones cost no request at all, not even a
	// conditional one.
	s.ResetLog()
	again := fetch(t, src(10))
	for _, r := range s.Requests() {
		for _, n := range []string{"milestone=5", "milestone=6", "milestone=7"} {
			if strings.Contains(r.Path, n) {
				t.Errorf("unchanged closed milestone read again: %s %s", r.Method, r.Path)
			}
		}
	}
	if fmt.Sprint(again.History) != fmt.Sprint(res.History) {
		t.Errorf("history from the cache differs:\n%v\n%v", again.History, res.History)
	}

	// An issue of #6 reopened: the milestone's counts change, it is read again.
	s.Edit("acme/web", 51, func(is *fakegh.Issue) { is.State, is.ClosedAt = "open", time.Time{} })
	s.ResetLog()
	res = fetch(t, src(10))
	var read []string
	for _, r := range s.Requests() {
		if strings.Contains(r.Path, "milestone=") {
			read = append(read, r.Path[strings.Index(r.Path, "milestone="):][:len("milestone=")+1])
		}
	}
	slices.Sort(read)
	if strings.Join(read, " ") != "milestone=1 milestone=2 milestone=6" {
		t.Errorf("issue lists read after #6 changed: %v, want #1 and #2 (conditional) and #6", read)
	}
	for _, m := range res.History {
		if m.Key == "github:acme/web#6" && m.Items[0].Status != model.StatusTodo {
			t.Errorf("#6's reopened issue: %+v", m.Items[0])
		}
	}

	// count 0: nothing beyond what is judged.
	s.ResetLog()
	if _, history := historyKeys(fetch(t, src(0))); history != "" {
		t.Errorf("history with count 0: %q", history)
	}
}
