package github_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/github"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// agency fills the fake with an agency-sized org: three client
// repositories, each with milestones of 3 to 240 issues (pull requests
// among them), some closed long ago, and a few issues that predate their
// milestone. It returns the minimum number of pages a first sync must
// read: every milestone list page, every issue page of each milestone
// read, and one events page per issue that predates its milestone.
func agency(s *fakegh.Server) (repos []string, minPages int) {
	sizes := []int{3, 40, 99, 100, 101, 240, 17, 65}
	for r := 0; r < 3; r++ {
		repo := fmt.Sprintf("agency/client-%d", r)
		repos = append(repos, repo)
		s.AddRepo(repo, "client-work")
		milestones := 0
		for i, n := range sizes {
			m := fakegh.Milestone{Title: fmt.Sprintf("Release %d.%d", r, i), DueOn: pacificMidnight(2026, 12, 1+i),
				CreatedAt: day(-60)}
			read := true
			if i == 6 { // closed two years ago: listed, not read
				m.State, m.ClosedAt, read = "closed", day(-700), false
			}
			ms := s.AddMilestone(repo, m)
			milestones++
			items := 0
			for k := 0; k < n; k++ {
				is := fakegh.Issue{Title: fmt.Sprintf("task %d", k), Milestone: ms.Number, CreatedAt: day(-50 + k%40),
					Labels: []string{fmt.Sprintf("points:%d", 1+k%5)}}
				if k%7 == 0 {
					is.State, is.ClosedAt = "closed", day(-10+k%9)
				}
				if k%11 == 0 {
					is.PullRequest = true
				}
				if k == 1 { // predates the milestone: needs its events
					is.CreatedAt = day(-90)
					is.Events = []fakegh.Event{{Event: "milestoned", Milestone: m.Title, CreatedAt: day(-20)}}
					if read {
						minPages++
					}
				}
				s.AddIssue(repo, is)
				items++
			}
			if read {
				minPages += max(1, (items+99)/100)
			}
		}
		minPages += (milestones + 99) / 100
	}
	return repos, minPages
}

func syncOnce(b testing.TB, s *fakegh.Server, repos []string, cache *memCache) {
	src, err := github.NewSource("agency", github.SourceConfig{Repos: repos, AuthConfig: github.AuthConfig{BaseURL: s.URL}},
		testEnv(cache, nil))
	if err != nil {
		b.Fatal(err)
	}
	res, err := src.Fetch(context.Background())
	if err != nil || len(res.Failed) > 0 {
		b.Fatalf("fetch: %v %+v", err, res.Failed)
	}
}

// TestSyncFigures holds the targets of docs/benchmarks.md: a first sync
// within 1.05× the minimum pages, an unchanged re-poll at 0 rate-limited
// requests.
func TestSyncFigures(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	repos, minPages := agency(s)
	cache := newCache()
	syncOnce(t, s, repos, cache)
	first := s.Counted()
	if ratio := float64(first) / float64(minPages); ratio > 1.05 {
		t.Errorf("first sync: %d requests for %d minimum pages (%.3f×, target ≤ 1.05×)\n%s", first, minPages, ratio, s.StatsTable())
	}
	firstStats := s.StatsTable()
	s.ResetLog()
	syncOnce(t, s, repos, cache)
	if n := s.Counted(); n != 0 {
		t.Errorf("unchanged re-poll: %d rate-limited requests, want 0\n%s", n, s.StatsTable())
	}
	t.Logf("first sync: %d requests, minimum %d pages\n%s", first, minPages, firstStats)
	t.Logf("unchanged re-poll: %d requests, %d rate-limited\n%s", len(s.Requests()), s.Counted(), s.StatsTable())
}

// BenchmarkFirstSync reports requests per first sync against the minimum.
func BenchmarkFirstSync(b *testing.B) {
	s := fakegh.New(testToken)
	defer s.Close()
	repos, minPages := agency(s)
	s.SetRateLimit(1<<30, 1<<30, time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ResetLog()
		syncOnce(b, s, repos, newCache())
	}
	b.StopTimer()
	n := s.Counted()
	b.ReportMetric(float64(n), "requests/sync")
	b.ReportMetric(float64(minPages), "min-pages")
	b.ReportMetric(float64(n)/float64(minPages), "ratio")
}

// BenchmarkUnchangedRepoll reports rate-limited requests of a re-poll
// with a warm ETag cache.
func BenchmarkUnchangedRepoll(b *testing.B) {
	s := fakegh.New(testToken)
	defer s.Close()
	repos, _ := agency(s)
	s.SetRateLimit(1<<30, 1<<30, time.Hour)
	cache := newCache()
	syncOnce(b, s, repos, cache)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.ResetLog()
		syncOnce(b, s, repos, cache)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(s.Requests())), "requests/sync")
	b.ReportMetric(float64(s.Counted()), "rate-limited/sync")
}
