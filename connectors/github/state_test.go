package github_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

// threeMilestones is a repository whose milestones cost one request each.
func threeMilestones(t *testing.T) *fakegh.Server {
	s := fakegh.New(testToken)
	t.Cleanup(s.Close)
	for n := 1; n <= 3; n++ {
		s.AddMilestone("acme/web", fakegh.Milestone{Number: n, Title: fmt.Sprintf("M%d", n), DueOn: pacificMidnight(2026, 12, n),
			CreatedAt: day(-60)})
		s.AddIssue("acme/web", fakegh.Issue{Title: fmt.Sprintf("work for M%d", n), Milestone: n, CreatedAt: day(-50)})
	}
	return s
}

func titles(ms []model.Milestone) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Title)
	}
	return strings.Join(out, ",")
}

// Where a budget-stopped read resumes is sync state, not a cached
// response: a run whose conditional-request cache is gone (a fresh cache,
// the same state) still starts where the last one stopped. A run that
// lost the state too starts over: the assertion can tell the two apart.
func TestResumeCursorOutlivesTheCache(t *testing.T) {
	s := threeMilestones(t)
	cfg := github.SourceConfig{Budget: 2} // the milestone list and one milestone
	first := newCache()
	res := fetch(t, newSource(t, s, cfg, first))
	if got := titles(res.Milestones); got != "M1" {
		t.Fatalf("first run read %q; want M1, then stop for the budget", got)
	}
	noCache := newCache()
	noCache.st = first.st // the ETag cache is dropped, the sync state kept
	res = fetch(t, newSource(t, s, cfg, noCache))
	if got := titles(res.Milestones); got != "M2" {
		t.Fatalf("run without the cache read %q; want M2, where the first run stopped", got)
	}
	res = fetch(t, newSource(t, s, cfg, newCache()))
	if got := titles(res.Milestones); got != "M1" {
		t.Fatalf("run without any state read %q; want M1 (starting over)", got)
	}
}

// A sync state that cannot be read fails the source with the store's
// error: it is never taken for "nothing saved" (which would resume from
// the start and forget the join memos). One that cannot be written fails
// it too.
func TestSyncStateErrorFailsTheSource(t *testing.T) {
	s := threeMilestones(t)
	cache := newCache()
	cache.st.Err = errors.New("state store: database is locked")
	_, err := newSource(t, s, github.SourceConfig{}, cache).Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "sync state") || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Fetch with an unreadable sync state = %v; want the source to fail naming the sync state and the cause", err)
	}

	cache.st.Err, cache.st.SaveErr = nil, errors.New("state store: disk full")
	env := testEnv(cache, nil)
	cfg := github.SourceConfig{Repos: []string{"acme/web"}}
	cfg.BaseURL = s.URL
	src, err := github.NewSource("acme-gh", cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "saving its sync state") {
		t.Fatalf("Fetch with an unwritable sync state = %v; want the source to fail", err)
	}
}

// A target that cannot read whether the repository drops forewarn's
// labels creates nothing: the mark may be there, and a ticket it cannot
// label would be created again on every run.
func TestNoLabelMarkUnreadableRefusesToCreate(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	cache := newCache()
	cache.st.Err = errors.New("state store: connection refused")
	_, err := newTarget(t, s, github.TargetConfig{}, cache).Create(context.Background(), ticket("github:acme/web#1", model.PurposeClientNotice))
	if err == nil || !strings.Contains(err.Error(), "sync state") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Create with an unreadable sync state = %v; want a refusal naming it", err)
	}
	if n := len(s.Issues("acme/delivery")); n != 0 {
		t.Fatalf("%d issues created; want none", n)
	}
}

// The closed milestones read for the team's record are sync state too: a
// run that lost its conditional-request cache reads none of them again,
// and a sync state that cannot be read fails the source.
func TestRecordHistoryOutlivesTheCache(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	addHistory(s)
	src := func(c *memCache) *github.Source {
		env := testEnv(c, nil)
		env.History = connectors.History{Count: 10, Months: 12}
		src, err := github.NewSource("acme-gh", github.SourceConfig{AuthConfig: github.AuthConfig{BaseURL: s.URL}, Repos: []string{"acme/web"}}, env)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	historyReads := func() int {
		n := 0
		for _, r := range s.Requests() {
			for _, m := range []string{"milestone=5", "milestone=6", "milestone=7"} {
				if strings.Contains(r.Path, m) {
					n++
				}
			}
		}
		return n
	}
	first := newCache()
	if res := fetch(t, src(first)); len(res.History) != 3 {
		t.Fatalf("first run: %d closed milestones for the record, want 3", len(res.History))
	}
	noCache := newCache()
	noCache.st = first.st
	s.ResetLog()
	if res := fetch(t, src(noCache)); len(res.History) != 3 || historyReads() != 0 {
		t.Fatalf("run without the cache: %d for the record, %d of them read again; want 3, none", len(res.History), historyReads())
	}
	s.ResetLog()
	if fetch(t, src(newCache())); historyReads() != 3 {
		t.Fatalf("run without any state read %d closed milestones again; want 3", historyReads())
	}
	broken := newCache()
	broken.st = first.st
	first.st.Err = errors.New("state store: database is locked")
	if _, err := src(broken).Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("Fetch with an unreadable sync state = %v; want it to fail", err)
	}
}
