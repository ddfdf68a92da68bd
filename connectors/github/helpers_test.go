package github_test

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/connectorstest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
)

const testToken = "ghp_TESTtoken0000000000000000000000000000"

// memCache is the state store in memory: the connectors.Cache and one
// namespace of sync state (connectors.State).
type memCache struct {
	connectorstest.Cache
	st *memState
}

type memState = connectorstest.State

func newCache() *memCache { return &memCache{st: &memState{}} }

func testEnv(cache *memCache, vars map[string]string) connectors.Env {
	if vars == nil {
		vars = map[string]string{"GITHUB_TOKEN": testToken}
	}
	env := connectors.Env{
		Log:    zerolog.Nop(),
		Getenv: func(k string) string { return vars[k] },
		Now:    func() time.Time { return now },
	}
	if cache != nil {
		env.Cache, env.State = cache, cache.st
	}
	return env
}

// now is the test clock: the fake's recorded data sits around it.
var now = time.Now().UTC().Truncate(time.Second)

func day(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }

// pacificMidnight is how GitHub stores a due date: midnight US Pacific.
func pacificMidnight(y int, m time.Month, d int) time.Time {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return time.Date(y, m, d, 7, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// seed builds the agency's repository: a milestone due soon with a mix of
// issues (sized by label, one in progress, one blocked, one closed as not
// planned, a pull request, an old issue moved in later), a milestone closed
// last week, one closed long ago and one without a due date.
func seed(s *fakegh.Server) {
	s.AddRepo("acme/web", "client-work")
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Checkout v2", DueOn: pacificMidnight(2026, 12, 4),
		CreatedAt: day(-30)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 2, Title: "Search", DueOn: pacificMidnight(2026, 11, 1),
		CreatedAt: day(-60), State: "closed", ClosedAt: day(-7),
		Description: "Search for the shop.\n\n- **Start:** 2026-10-05\n"})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 3, Title: "Ancient", DueOn: pacificMidnight(2024, 1, 1),
		CreatedAt: day(-900), State: "closed", ClosedAt: day(-800)})
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 4, Title: "Someday", CreatedAt: day(-10)})

	s.AddIssue("acme/web", fakegh.Issue{Number: 10, Title: "Cart summary", Milestone: 1, Labels: []string{"points:3"},
		CreatedAt: day(-29), State: "closed", StateReason: "completed", ClosedAt: day(-20), Assignees: []string{"ann"}})
	s.AddIssue("acme/web", fakegh.Issue{Number: 11, Title: "Address autocomplete", Milestone: 1, Labels: []string{"size/M", "in progress"},
		CreatedAt: day(-28)})
	s.AddIssue("acme/web", fakegh.Issue{Number: 12, Title: "3-D Secure", Milestone: 1, Labels: []string{"Blocked"},
		CreatedAt: day(-27)})
	s.AddIssue("acme/web", fakegh.Issue{Number: 13, Title: "Dropped idea", Milestone: 1,
		CreatedAt: day(-26), State: "closed", StateReason: "not_planned", ClosedAt: day(-10)})
	s.AddIssue("acme/web", fakegh.Issue{Number: 14, Title: "PR: cart", Milestone: 1, PullRequest: true, CreatedAt: day(-25)})
	// Created long before the milestone, moved into it three days ago.
	s.AddIssue("acme/web", fakegh.Issue{Number: 5, Title: "Old bug", Milestone: 1, CreatedAt: day(-100),
		Events: []fakegh.Event{{Event: "labeled", Label: "bug", CreatedAt: day(-99)},
			{Event: "milestoned", Milestone: "Checkout v2", CreatedAt: day(-3)}}})
	s.AddIssue("acme/web", fakegh.Issue{Number: 20, Title: "Search box", Milestone: 2, CreatedAt: day(-55),
		State: "closed", ClosedAt: day(-8)})
	s.AddIssue("acme/web", fakegh.Issue{Number: 30, Title: "Ancient thing", Milestone: 3, CreatedAt: day(-850)})
	s.AddIssue("acme/web", fakegh.Issue{Number: 40, Title: "Not in a milestone", CreatedAt: day(-5)})
}
