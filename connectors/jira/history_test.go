package jira_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/model"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// seedHistory adds closed history to seed's site (now is 10 March 2026,
// the lookback 90 days): version 0.9 (seed, released 1 June 2025) and 0.8
// (1 May 2025) are older than the lookback but within 12 months; sprint 5
// (completed 16 January) is within the lookback, so judged; sprint 4
// (14 November 2025) only for the record; sprint 2 (January 2025) is
// outside any 12-month window. One issue each (WEB-8 to WEB-12).
func seedHistory(s *site) {
	srv := s.srv
	srv.AddVersion(fake.Version{ID: "10104", Project: "WEB", Name: "0.8", ReleaseDate: "2025-05-01", StartDate: "2025-04-01", Released: true})
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 17, 0, 0, 0, time.UTC) }
	srv.AddSprint(fake.Sprint{ID: 2, Board: 3, Name: "Sprint 2", State: "closed", Start: at(2024, 12, 30), End: at(2025, 1, 10), Completed: at(2025, 1, 10)})
	srv.AddSprint(fake.Sprint{ID: 4, Board: 3, Name: "Sprint 4", State: "closed", Start: at(2025, 11, 3), End: at(2025, 11, 14), Completed: at(2025, 11, 14)})
	srv.AddSprint(fake.Sprint{ID: 5, Board: 3, Name: "Sprint 5", State: "closed", Start: at(2026, 1, 5), End: at(2026, 1, 16), Completed: at(2026, 1, 16)})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "0.9 work", FixVersions: []string{"10103"}, Category: "done",
		Created: day("2025-05-10"), Resolved: day("2025-05-28"), Updated: day("2025-05-28")})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "0.8 work", FixVersions: []string{"10104"}, Category: "done",
		Created: day("2025-04-02"), Resolved: day("2025-04-28"), Updated: day("2025-04-28")})
	// Created long before its sprint: a judged sprint would look its join
	// up in the changelog; the record does not.
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Sprint 4 work", Sprints: []int64{4},
		Created: day("2025-10-01"), Updated: day("2025-11-14")})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Sprint 5 work", Sprints: []int64{5}, Category: "done",
		Created: day("2026-01-06"), Resolved: day("2026-01-12"), Updated: day("2026-01-12")})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Sprint 2 work", Sprints: []int64{2}, Category: "done",
		Created: day("2024-12-31"), Resolved: day("2025-01-08"), Updated: day("2025-01-08")})
}

func fetchWith(t *testing.T, s *site, count int, mod func(*jira.SourceConfig)) tracker.FetchResult {
	t.Helper()
	env := s.env
	env.History = connectors.History{Count: count, Months: 12}
	cfg := jira.SourceConfig{ConnConfig: s.conn, Projects: []string{"WEB"}, Boards: []int{3}, Client: "acme", PageSize: 2}
	if mod != nil {
		mod(&cfg)
	}
	src, err := jira.NewSource("jira", cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 {
		t.Fatalf("failed: %+v", res.Failed)
	}
	return res
}

func keysOf(ms []model.Milestone) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Key)
	}
	slices.Sort(out)
	return out
}

// Released versions and closed sprints older than the lookback are read
// for the team's record (the last ones of each project and board within
// the window) in the same union search as the rest, without changelog
// lookups, and never judged; a full sync does not read them again.
func TestFetchReadsClosedHistoryForTheRecord(t *testing.T) {
	const search, changelog = "GET /rest/api/2/search/jql", "GET /rest/api/2/issue/{key}/changelog"
	base := newSite(t, true)
	base.seed()
	seedHistory(base)
	fetchWith(t, base, 0, nil)
	before := base.srv.Counts()

	s := newSite(t, true)
	s.seed()
	seedHistory(s)
	res := fetchWith(t, s, 10, nil)
	host := strings.TrimPrefix(s.srv.URL, "http://")
	v, sp := func(id string) string { return jira.VersionKey(host, "WEB", id) }, func(id int64) string { return jira.SprintKey(host, id) }
	wantJudged := []string{v("10100"), v("10101"), sp(5), sp(6), sp(7)}
	slices.Sort(wantJudged)
	if got := keysOf(res.Milestones); !slices.Equal(got, wantJudged) {
		t.Fatalf("judged %v, want %v (history is never judged)", got, wantJudged)
	}
	wantHistory := []string{v("10103"), v("10104"), sp(4)}
	slices.Sort(wantHistory)
	if got := keysOf(res.History); !slices.Equal(got, wantHistory) {
		t.Fatalf("history %v, want %v (0.9, 0.8 and sprint 4; not sprint 2, 14 months ago)", got, wantHistory)
	}
	for _, m := range res.History {
		if m.State != model.StateClosed || m.ClosedAt.IsZero() || len(m.Items) != 1 {
			t.Errorf("history milestone %s: %+v", m.Key, m)
		}
		if m.Key == sp(4) && (m.Container != "WEB" || m.Items[0].JoinedKnown || m.Items[0].Status != model.StatusTodo) {
			t.Errorf("sprint 4: container %q, item %+v (no changelog lookup: joined when created)", m.Container, m.Items[0])
		}
	}
	// Request counts of the first sync, without → with the record: the 7
	// distinct issues at 2 a page (4 pages) → 10 (5 pages); the version and
	// sprint lists were read in full already; no changelog lookup more.
	after := s.srv.Counts()
	if before[search] != 4 || after[search] != 5 || before[changelog] != 3 || after[changelog] != 3 {
		t.Errorf("search pages %d → %d (want 4 → 5), changelog lookups %d → %d (want 3 → 3)\n%s",
			before[search], after[search], before[changelog], after[changelog], s.srv.StatsTable())
	}

	// A record of 1: per project and board, the last closed only. WEB's is
	// 0.9; board 3's is sprint 6, judged anyway.
	one := newSite(t, true)
	one.seed()
	seedHistory(one)
	oneHost := strings.TrimPrefix(one.srv.URL, "http://")
	if got := keysOf(fetchWith(t, one, 1, nil).History); !slices.Equal(got, []string{jira.VersionKey(oneHost, "WEB", "10103")}) {
		t.Errorf("history with count 1: %v, want only 0.9", got)
	}

	// A full sync reads the closed ones no more: the same pages as without
	// the record, and the record's milestones keep their issues.
	s.srv.ResetLog()
	full := fetchWith(t, s, 10, func(c *jira.SourceConfig) { always := duration.Duration(0); c.FullSyncEvery = &always })
	if got := s.srv.Counts()[search]; got != 4 {
		t.Errorf("full sync: %d search pages, want 4 (the record's closed milestones are not read again)\n%s", got, s.srv.StatsTable())
	}
	if got := keysOf(full.History); !slices.Equal(got, wantHistory) {
		t.Errorf("history after a full sync %v, want %v", got, wantHistory)
	}
	for _, m := range full.History {
		if len(m.Items) != 1 {
			t.Errorf("%s lost its issues in the full sync: %+v", m.Key, m.Items)
		}
	}

	// An incremental sync still sees a change to one of their issues.
	now = now.Add(time.Hour)
	t.Cleanup(func() { now = now.Add(-time.Hour) })
	s.srv.Edit("WEB-10", func(is *fake.Issue) { is.Category, is.Status, is.Resolved = "done", "Done", now })
	for _, m := range fetchWith(t, s, 10, nil).History {
		if m.Key == sp(4) && m.Items[0].Status != model.StatusDone {
			t.Errorf("sprint 4's issue done since: %+v", m.Items[0])
		}
	}
}
