package jira_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

func byKey(ms []model.Milestone) map[string]model.Milestone {
	out := map[string]model.Milestone{}
	for _, m := range ms {
		out[m.Key] = m
	}
	return out
}

func item(m model.Milestone, key string) (model.WorkItem, bool) {
	for _, it := range m.Items {
		if it.Key == key {
			return it, true
		}
	}
	return model.WorkItem{}, false
}

func newSource(t *testing.T, s *site, mod func(*jira.SourceConfig)) *jira.Source {
	t.Helper()
	cfg := jira.SourceConfig{ConnConfig: s.conn, Projects: []string{"WEB"}, Boards: []int{3}, Client: "acme"}
	if mod != nil {
		mod(&cfg)
	}
	src, err := jira.NewSource("jira", cfg, s.env)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestFetchCloudAndDataCenter(t *testing.T) {
	for _, tc := range []struct {
		name        string
		cloud       bool
		searchRoute string
		otherSearch string
		changelog   string
	}{
		{"cloud", true, "GET /rest/api/2/search/jql", "GET /rest/api/2/search", "GET /rest/api/2/issue/{key}/changelog"},
		{"datacenter", false, "GET /rest/api/2/search", "GET /rest/api/2/search/jql", "GET /rest/api/2/issue/{key}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.cloud)
			s.seed()
			src := newSource(t, s, func(c *jira.SourceConfig) { c.PageSize = 2 }) // force paging
			res, err := src.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Failed) != 0 {
				t.Fatalf("failed: %+v", res.Failed)
			}
			host := strings.TrimPrefix(s.srv.URL, "http://")
			ms := byKey(res.Milestones)
			wantKeys := []string{
				jira.VersionKey(host, "WEB", "10100"), jira.VersionKey(host, "WEB", "10101"),
				jira.SprintKey(host, 6), jira.SprintKey(host, 7),
			}
			var got []string
			for k := range ms {
				got = append(got, k)
			}
			slices.Sort(got)
			slices.Sort(wantKeys)
			if !slices.Equal(got, wantKeys) {
				t.Fatalf("milestones = %v, want %v (no undated, future or long-released ones)", got, wantKeys)
			}
			v1 := ms[jira.VersionKey(host, "WEB", "10100")]
			if v1.Kind != model.KindFixVersion || !v1.Due.Equal(day("2026-03-31")) || !v1.Start.Equal(day("2026-03-01")) ||
				v1.Title != "WEB 1.0" || v1.Client != "acme" || v1.State != model.StateOpen {
				t.Errorf("version 1.0 = %+v", v1)
			}
			if len(v1.Items) != 3 {
				t.Fatalf("1.0 items = %d, want 3", len(v1.Items))
			}
			w1, _ := item(v1, "WEB-1")
			if w1.Status != model.StatusDone || !w1.Closed.Equal(day("2026-03-05")) || w1.Points != 3 || !w1.Estimated {
				t.Errorf("WEB-1 = %+v", w1)
			}
			if !w1.JoinedKnown || !w1.JoinedAt.Equal(day("2026-03-04")) {
				t.Errorf("WEB-1 joined %v (known %v), want 2026-03-04 from the changelog", w1.JoinedAt, w1.JoinedKnown)
			}
			w2, _ := item(v1, "WEB-2")
			if w2.Status != model.StatusInProgress || !w2.Blocked || w2.Points != 5 {
				t.Errorf("WEB-2 (blocked label, in progress) = %+v", w2)
			}
			w3, _ := item(v1, "WEB-3")
			if !w3.Blocked || w3.Estimated || w3.Points != 1 || w3.Status != model.StatusTodo {
				t.Errorf("WEB-3 (flagged, unestimated) = %+v", w3)
			}
			v2 := ms[jira.VersionKey(host, "WEB", "10101")]
			if v2.Title != `WEB 2.0 "order" AND \ or` {
				t.Errorf("title %q", v2.Title)
			}
			w6, ok := item(v2, "WEB-6")
			if !ok || !w6.Blocked {
				t.Errorf("WEB-6 is blocked by an open issue: %+v", w6)
			}
			sp7 := ms[jira.SprintKey(host, 7)]
			if sp7.Kind != model.KindSprint || !sp7.Due.Equal(day("2026-03-16")) || len(sp7.Items) != 2 {
				t.Errorf("sprint 7 = %+v", sp7)
			}
			sp6 := ms[jira.SprintKey(host, 6)]
			if sp6.State != model.StateClosed || !sp6.ClosedAt.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) || len(sp6.Items) != 2 {
				t.Errorf("sprint 6 = %+v", sp6)
			}
			c := s.srv.Counts()
			// One union query (fixVersion in … OR sprint in …): the 6
			// distinct issues of the four milestones (WEB-1 and WEB-3 are
			// in a version and a sprint) at 2 a page, the minimum. Two
			// queries, one per kind, took 5 pages (3 + 2).
			if c[tc.searchRoute] != 3 || c[tc.otherSearch] != 0 {
				t.Errorf("search pages: %v, want 3 on %s", c, tc.searchRoute)
			}
			if c["GET /rest/api/2/field"] != 1 {
				t.Errorf("field list read %d times, want 1", c["GET /rest/api/2/field"])
			}
			// Changelogs only where the join time matters: issues created
			// before their milestone's start (WEB-1, WEB-3 in 1.0 and
			// sprint 7, WEB-7 in sprint 6), one lookup per issue.
			if n := c[tc.changelog]; n != 3 {
				t.Errorf("changelog lookups = %d, want 3 (WEB-1, WEB-3, WEB-7)", n)
			}
			for _, r := range s.srv.Requests() {
				if r.Route == "/rest/api/2/search/jql" || r.Route == "/rest/api/2/search" {
					if f := r.Query.Get("fields"); strings.Contains(f, "description") || f == "" || strings.Contains(f, "*all") {
						t.Errorf("search asks for fields %q: only the needed ones", f)
					}
				}
			}
			t.Logf("%s first sync:\n%s", tc.name, s.srv.StatsTable())
		})
	}
}

func TestFetchIncrementalMerges(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		s := newSite(t, cloud)
		s.seed()
		src := newSource(t, s, nil)
		if _, err := src.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
		t.Cleanup(func() { now = now.Add(-time.Hour) })
		s.srv.Edit("WEB-2", func(is *fake.Issue) { is.Category, is.Status, is.Resolved = "done", "Done", now })
		s.srv.Edit("WEB-4", func(is *fake.Issue) { is.FixVersions = nil })
		s.srv.ResetLog()
		src2 := newSource(t, s, nil) // a new process: the snapshot comes from the cache
		res, err := src2.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		host := strings.TrimPrefix(s.srv.URL, "http://")
		ms := byKey(res.Milestones)
		w2, _ := item(ms[jira.VersionKey(host, "WEB", "10100")], "WEB-2")
		if w2.Status != model.StatusDone {
			t.Errorf("cloud=%v: WEB-2 after the incremental sync = %+v", cloud, w2)
		}
		if len(ms[jira.VersionKey(host, "WEB", "10100")].Items) != 3 {
			t.Errorf("cloud=%v: 1.0 lost items unchanged since the last sync", cloud)
		}
		w4, ok := item(ms[jira.VersionKey(host, "WEB", "10101")], "WEB-4")
		if !ok || w4.RemovedAt.IsZero() {
			t.Errorf("cloud=%v: WEB-4 left 2.0 and should be there with RemovedAt: %+v", cloud, w4)
		}
		for _, r := range s.srv.Requests() {
			if strings.HasPrefix(r.Route, "/rest/api/2/search") && !strings.Contains(r.Query.Get("jql"), `updated >= "-76m"`) {
				t.Errorf("cloud=%v: incremental search %q does not ask for updated >= last sync (1h ago) - 15m margin", cloud, r.Query.Get("jql"))
			}
		}
		if c := s.srv.Counts(); c["GET /rest/api/2/issue/{key}/changelog"]+c["GET /rest/api/2/issue/{key}"] != 0 {
			t.Errorf("cloud=%v: changelogs read again though the issues did not change: %v", cloud, c)
		}
	}
}

func TestFetchChangelogBudget(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	zero := 1
	src := newSource(t, s, func(c *jira.SourceConfig) { c.ChangelogBudget = &zero })
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.srv.Count("GET /rest/api/2/issue/{key}/changelog") != 1 {
		t.Errorf("changelog lookups = %d, want the budget of 1", s.srv.Count("GET /rest/api/2/issue/{key}/changelog"))
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, "capped at 1; 2 issues") }) {
		t.Errorf("notes %q do not report the cap", res.Notes)
	}
}

func TestFetchErrors(t *testing.T) {
	t.Run("401 names the credentials, not their values", func(t *testing.T) {
		s := newSite(t, true)
		s.seed()
		s.env.Getenv = func(k string) string { return map[string]string{emailV: email, tokenV: "wrong-token"}[k] }
		_, err := newSource(t, s, nil).Fetch(context.Background())
		var ae *jira.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
			t.Fatalf("err = %v, want a 401 APIError", err)
		}
		if strings.Contains(err.Error(), "wrong-token") || !strings.Contains(err.Error(), "token_env") {
			t.Errorf("error %q", err)
		}
	})
	t.Run("missing secret", func(t *testing.T) {
		s := newSite(t, false)
		s.env.Getenv = func(string) string { return "" }
		_, err := newSource(t, s, nil).Fetch(context.Background())
		if err == nil || !strings.Contains(err.Error(), "JIRA_PAT") {
			t.Fatalf("err = %v", err)
		}
		if s.srv.Total() != 0 {
			t.Errorf("%d requests sent without credentials", s.srv.Total())
		}
	})
	t.Run("a failed search fails its milestones, not the run", func(t *testing.T) {
		s := newSite(t, false)
		s.seed()
		s.srv.Inject(fake.Fault{Method: "GET", Route: "/rest/api/2/search", Kind: fake.FaultStatus, Status: 400, Times: 1})
		res, err := newSource(t, s, nil).Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// Versions and sprints are one union query: all four fail.
		if len(res.Failed) != 4 || len(res.Milestones) != 0 {
			t.Errorf("failed %d, read %d; want the union query's 4 milestones failed", len(res.Failed), len(res.Milestones))
		}
		for _, f := range res.Failed {
			if !strings.Contains(f.Err.Error(), "HTTP 400") {
				t.Errorf("%s: %v", f.Key, f.Err)
			}
		}
		// Nothing was remembered from the failed run: the next reads all.
		res, err = newSource(t, s, nil).Fetch(context.Background())
		if err != nil || len(res.Failed) != 0 || len(res.Milestones) != 4 {
			t.Errorf("next run: err %v, failed %d, read %d", err, len(res.Failed), len(res.Milestones))
		}
	})
	t.Run("retried reads: 429 with Retry-After, reset, truncated, malformed", func(t *testing.T) {
		s := newSite(t, true)
		s.seed()
		s.srv.Inject(fake.Fault{Route: "/rest/api/2/search/jql", Kind: fake.FaultTooMany, RetryAfter: time.Second})
		s.srv.Inject(fake.Fault{Route: "/rest/api/2/field", Kind: fake.FaultReset})
		s.srv.Inject(fake.Fault{Route: "/rest/agile/1.0/board/{id}/sprint", Kind: fake.FaultTruncated})
		s.srv.Inject(fake.Fault{Route: "/rest/api/2/project/{key}/version", Kind: fake.FaultStatus, Status: 503})
		res, err := newSource(t, s, nil).Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Failed) != 0 || len(res.Milestones) != 4 {
			t.Fatalf("failed %v; %d milestones", res.Failed, len(res.Milestones))
		}
		var waited bool
		for _, r := range s.srv.Requests() {
			if r.Fault == "too-many-requests" {
				waited = true
			}
		}
		if !waited || s.srv.Count("GET /rest/api/2/search/jql") < 2 {
			t.Errorf("429 not seen and retried: %v", s.srv.Counts())
		}
	})
	t.Run("JQL error body", func(t *testing.T) {
		s := newSite(t, true)
		s.seed()
		src := newSource(t, s, func(c *jira.SourceConfig) { c.Projects = []string{"NOPE"}; c.Boards = nil })
		res, err := src.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Err.Error(), "No project could be found with key 'NOPE'") {
			t.Errorf("failed = %+v", res.Failed)
		}
	})
}

var _ tracker.Source = (*jira.Source)(nil)

// A version that appears after the first sync is read in full, even in an
// incremental sync: its issues may not have changed since.
func TestFetchIncrementalReadsNewMilestonesInFull(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	if _, err := newSource(t, s, nil).Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.srv.AddVersion(fake.Version{ID: "10104", Project: "WEB", Name: "3.0", ReleaseDate: "2026-06-30"})
	s.srv.AddIssue(fake.Issue{Project: "WEB", Summary: "Old idea", FixVersions: []string{"10104"}, Created: day("2025-12-01"), Updated: day("2025-12-01")})
	now = now.Add(time.Hour)
	t.Cleanup(func() { now = now.Add(-time.Hour) })
	s.srv.ResetLog()
	res, err := newSource(t, s, nil).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.srv.URL, "http://")
	v3 := byKey(res.Milestones)[jira.VersionKey(host, "WEB", "10104")]
	if len(v3.Items) != 1 {
		t.Fatalf("new version 3.0 has %d items, want its 1 (unchanged for months)", len(v3.Items))
	}
	var full, incremental int
	for _, r := range s.srv.Requests() {
		if r.Route != "/rest/api/2/search/jql" {
			continue
		}
		if strings.Contains(r.Query.Get("jql"), "updated >=") {
			incremental++
		} else {
			full++
		}
	}
	// The known versions, sprints and the project clause (issues that
	// left every milestone) are one union query.
	if full != 1 || incremental != 1 {
		t.Errorf("queries: %d full (want 1: the new version), %d incremental (want 1)", full, incremental)
	}
}

// A changelog that answers 404 is remembered like one that was read: the
// next run does not ask again until the issue changes. An empty history
// (WEB-3, WEB-7: created in their milestones) is remembered too.
func TestFetchChangelogNotFoundIsNotAskedAgain(t *testing.T) {
	for _, cloud := range []bool{true, false} {
		s := newSite(t, cloud)
		s.seed()
		route := map[bool]string{true: "/rest/api/2/issue/{key}/changelog", false: "/rest/api/2/issue/{key}"}[cloud]
		lookups := func() int { return s.srv.Count("GET " + route) }
		s.srv.Inject(fake.Fault{Method: "GET", Route: route, Kind: fake.FaultStatus, Status: http.StatusNotFound, Times: 1})
		res, err := newSource(t, s, nil).Fetch(context.Background())
		if err != nil || len(res.Failed) != 0 {
			t.Fatalf("cloud=%v: %v %+v", cloud, err, res.Failed)
		}
		if n := lookups(); n != 3 {
			t.Fatalf("cloud=%v: first run looked %d changelogs up, want 3 (WEB-1 answered 404)", cloud, n)
		}
		host := strings.TrimPrefix(s.srv.URL, "http://")
		w1, _ := item(byKey(res.Milestones)[jira.VersionKey(host, "WEB", "10100")], "WEB-1")
		if w1.JoinedKnown || w1.JoinedAt != w1.Created {
			t.Errorf("cloud=%v: WEB-1 without a changelog: joined %v known %v, want its creation, unknown", cloud, w1.JoinedAt, w1.JoinedKnown)
		}

		for run, edit := range []bool{false, true} {
			now = now.Add(time.Hour)
			t.Cleanup(func() { now = now.Add(-time.Hour) })
			if edit {
				s.srv.Edit("WEB-1", func(is *fake.Issue) { is.Summary = "Login page (SSO)" })
			}
			s.srv.ResetLog()
			res, err := newSource(t, s, nil).Fetch(context.Background())
			if err != nil || len(res.Failed) != 0 {
				t.Fatalf("cloud=%v: %v %+v", cloud, err, res.Failed)
			}
			want := map[bool]int{false: 0, true: 1}[edit]
			if n := lookups(); n != want {
				t.Errorf("cloud=%v, run %d (WEB-1 changed: %v): %d changelog lookups, want %d", cloud, run+2, edit, n, want)
			}
			if edit {
				w1, _ := item(byKey(res.Milestones)[jira.VersionKey(host, "WEB", "10100")], "WEB-1")
				if !w1.JoinedKnown || !w1.JoinedAt.Equal(day("2026-03-04")) {
					t.Errorf("cloud=%v: WEB-1 changed and its changelog now answers: joined %v known %v", cloud, w1.JoinedAt, w1.JoinedKnown)
				}
			}
		}
	}
}

// With concurrency the changelog lookups overlap and give the same join
// dates as one at a time.
func TestFetchChangelogsConcurrently(t *testing.T) {
	s := newSite(t, true)
	s.seed()
	res, err := newSource(t, s, func(c *jira.SourceConfig) { c.Concurrency = 3 }).Fetch(context.Background())
	if err != nil || len(res.Failed) != 0 {
		t.Fatalf("%v %+v", err, res.Failed)
	}
	if n := s.srv.Count("GET /rest/api/2/issue/{key}/changelog"); n != 3 {
		t.Errorf("%d changelog lookups, want 3", n)
	}
	host := strings.TrimPrefix(s.srv.URL, "http://")
	w1, _ := item(byKey(res.Milestones)[jira.VersionKey(host, "WEB", "10100")], "WEB-1")
	if !w1.JoinedKnown || !w1.JoinedAt.Equal(day("2026-03-04")) {
		t.Errorf("WEB-1 joined %v known %v, want 2026-03-04", w1.JoinedAt, w1.JoinedKnown)
	}
	bad := jira.SourceConfig{ConnConfig: s.conn, Projects: []string{"WEB"}, Concurrency: 9}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "concurrency: 9") {
		t.Errorf("concurrency 9: %v", err)
	}
}
