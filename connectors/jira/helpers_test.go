package jira_test

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/connectors/connectorstest"
	"github.com/forewarn/forewarn/connectors/jira"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
)

// memCache and memState are the state store in memory (one namespace of
// sync state).
type (
	memCache = connectorstest.Cache
	memState = connectorstest.State
)

// syncBuf is a log sink safe for concurrent writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	email  = "pm@example.com"
	token  = "cloud-token-s3cr3t"
	pat    = "dc-pat-s3cr3t"
	emailV = "JIRA_EMAIL"
	tokenV = "JIRA_TOKEN"
	patV   = "JIRA_PAT"
)

// site is a fake Jira and the env and config pointing at it.
type site struct {
	srv   *fake.Server
	env   connectors.Env
	conn  jira.ConnConfig
	log   *syncBuf
	cache *memCache
	state *memState
}

func newSite(t testing.TB, cloud bool) *site {
	t.Helper()
	srv := fake.New(fake.Options{Cloud: cloud, Email: email, APIToken: token, PAT: pat, LegacySprintField: !cloud,
		Now: func() time.Time { return now }})
	t.Cleanup(srv.Close)
	logs := &syncBuf{}
	cache, state := &memCache{}, &memState{}
	env := connectors.Env{Log: zerolog.New(logs).Level(zerolog.DebugLevel), Cache: cache, State: state, Now: func() time.Time { return now },
		Getenv: func(k string) string {
			return map[string]string{emailV: email, tokenV: token, patV: pat}[k]
		}}
	cc := jira.ConnConfig{BaseURL: srv.URL}
	if cloud {
		cc.Deployment = jira.DeployCloud
		cc.Auth = jira.AuthConfig{EmailEnv: emailV, TokenEnv: tokenV}
	} else {
		cc.Deployment = jira.DeployDataCenter
		cc.Auth = jira.AuthConfig{PATEnv: patV}
	}
	return &site{srv: srv, env: env, conn: cc, log: logs, cache: cache, state: state}
}

func pts(f float64) *float64 { return &f }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// seed fills the site with a project WEB: two versions (one with a name
// full of JQL traps), a board with an active and a closed sprint, and
// issues in each.
func (s *site) seed() {
	srv := s.srv
	srv.AddVersion(fake.Version{ID: "10100", Project: "WEB", Name: "1.0", ReleaseDate: "2026-03-31", StartDate: "2026-03-01"})
	srv.AddVersion(fake.Version{ID: "10101", Project: "WEB", Name: `2.0 "order" AND \ or`, ReleaseDate: "2026-05-15"})
	srv.AddVersion(fake.Version{ID: "10102", Project: "WEB", Name: "no date"})
	srv.AddVersion(fake.Version{ID: "10103", Project: "WEB", Name: "0.9", ReleaseDate: "2025-06-01", Released: true})
	srv.AddSprint(fake.Sprint{ID: 7, Board: 3, Name: "Sprint 7", State: "active",
		Start: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 16, 17, 0, 0, 0, time.UTC)})
	srv.AddSprint(fake.Sprint{ID: 6, Board: 3, Name: "Sprint 6", State: "closed",
		Start: time.Date(2026, 2, 16, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC),
		Completed: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)})
	srv.AddSprint(fake.Sprint{ID: 8, Board: 3, Name: "Sprint 8", State: "future"})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Login page", FixVersions: []string{"10100"}, Sprints: []int64{7}, Points: pts(3),
		Category: "done", Created: day("2026-02-20"), Resolved: day("2026-03-05"), Updated: day("2026-03-05"),
		History: []fake.Change{{At: day("2026-03-04"), Field: "Fix Version", FieldID: "fixVersions", To: "10100", ToString: "1.0"}}})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Signup form", FixVersions: []string{"10100"}, Points: pts(5),
		Category: "indeterminate", Created: day("2026-03-03"), Labels: []string{"blocked"}})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Password reset", FixVersions: []string{"10100"}, Sprints: []int64{6, 7},
		Created: day("2026-02-18"), Flagged: true})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "API v2", FixVersions: []string{"10101"}, Points: pts(8), Created: day("2026-03-01")})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Upstream fix", Created: day("2026-03-01")})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Waits on upstream", FixVersions: []string{"10101"}, Created: day("2026-03-02"),
		Links: []fake.Link{{Name: "Blocks", Inward: "is blocked by", Outward: "blocks", Other: "WEB-5"}}})
	srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Old sprint work", Sprints: []int64{6}, Category: "done",
		Created: day("2026-02-10"), Resolved: day("2026-02-27"), Updated: day("2026-02-27")})
	srv.AddProject("REV")
}
