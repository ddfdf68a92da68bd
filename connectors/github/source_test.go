package github_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/connectors/github"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	"github.com/forewarn/forewarn/internal/tracker"
)

func newSource(t *testing.T, s *fakegh.Server, cfg github.SourceConfig, cache *memCache) *github.Source {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = s.URL
	}
	if len(cfg.Repos) == 0 && cfg.Org == "" {
		cfg.Repos = []string{"acme/web"}
	}
	src, err := github.NewSource("acme-gh", cfg, testEnv(cache, nil))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func fetch(t *testing.T, src *github.Source) tracker.FetchResult {
	t.Helper()
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return res
}

func TestFetchReadsMilestonesAndItems(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	src := newSource(t, s, github.SourceConfig{Client: "acme"}, newCache())
	res := fetch(t, src)

	if len(res.Failed) != 0 {
		t.Fatalf("failed: %+v", res.Failed)
	}
	var keys []string
	for _, m := range res.Milestones {
		keys = append(keys, m.Key)
	}
	if got, want := strings.Join(keys, " "), "github:acme/web#1 github:acme/web#2"; got != want {
		t.Fatalf("milestones %q, want %q (the one closed long ago and the one without a due date are left out)", got, want)
	}
	m := res.Milestones[0]
	if m.Title != "Checkout v2" || m.Kind != model.KindMilestone || m.State != model.StateOpen || m.Client != "acme" || m.Source != "acme-gh" {
		t.Errorf("milestone header: %+v", m)
	}
	if want := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC); !m.Due.Equal(want) {
		t.Errorf("due %v, want %v (due_on is midnight US Pacific: a date)", m.Due, want)
	}
	if !m.Start.Equal(day(-30)) || m.StartBasis != model.StartCreated {
		t.Errorf("start %v (%q), want the milestone's creation %v (created)", m.Start, m.StartBasis, day(-30))
	}
	if c := res.Milestones[1]; !c.Start.Equal(time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)) || c.StartBasis != model.StartDescription {
		t.Errorf("start %v (%q), want 2026-10-05 from the description's start: line", c.Start, c.StartBasis)
	}
	items := map[string]model.WorkItem{}
	for _, it := range m.Items {
		items[it.Key] = it
	}
	if len(items) != 5 {
		t.Fatalf("items %v: want 5 (the pull request is left out)", keys2(items))
	}
	tests := []struct {
		key       string
		status    model.StatusCategory
		points    float64
		estimated bool
		blocked   bool
		reason    string
	}{
		{"acme/web#10", model.StatusDone, 3, true, false, "completed"},
		{"acme/web#11", model.StatusInProgress, 3, true, false, ""},
		{"acme/web#12", model.StatusTodo, 1, false, true, ""},
		{"acme/web#13", model.StatusDone, 1, false, false, "not_planned"},
		{"acme/web#5", model.StatusTodo, 1, false, false, ""},
	}
	for _, tc := range tests {
		it := items[tc.key]
		if it.Status != tc.status || it.Points != tc.points || it.Estimated != tc.estimated || it.Blocked != tc.blocked || it.Resolution != tc.reason {
			t.Errorf("%s: status=%s points=%v estimated=%v blocked=%v resolution=%q; want %s %v %v %v %q",
				tc.key, it.Status, it.Points, it.Estimated, it.Blocked, it.Resolution, tc.status, tc.points, tc.estimated, tc.blocked, tc.reason)
		}
	}
	if it := items["acme/web#10"]; !it.Closed.Equal(day(-20)) || len(it.Assignees) != 1 || it.Assignees[0] != "ann" || it.URL == "" {
		t.Errorf("closed item: %+v", it)
	}
	if it := items["acme/web#5"]; !it.JoinedKnown || !it.JoinedAt.Equal(day(-3)) {
		t.Errorf("old issue moved in: joined %v known=%v, want %v from its milestoned event", it.JoinedAt, it.JoinedKnown, day(-3))
	}
	if it := items["acme/web#11"]; it.JoinedKnown || it.JoinedAt != it.Created {
		t.Errorf("issue created in the milestone: joined %v known=%v, want its creation, unknown", it.JoinedAt, it.JoinedKnown)
	}
	if c := res.Milestones[1]; c.State != model.StateClosed || !c.ClosedAt.Equal(day(-7)) || len(c.Items) != 1 {
		t.Errorf("closed milestone: %+v", c)
	}
	// Minimum pages: 1 milestone list + 1 issue page per milestone read + 1
	// events page for the one issue that predates its milestone.
	if got, want := s.Counted(), 1+2+1; got != want {
		t.Errorf("first sync used %d rate-limited requests, minimum is %d:\n%s", got, want, s.StatsTable())
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "1 milestone(s) without a due date") {
		t.Errorf("notes %q do not report the milestone without a due date", res.Notes)
	}
}

func keys2(m map[string]model.WorkItem) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFetchFollowsLinkPagination(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Big", DueOn: pacificMidnight(2026, 12, 4), CreatedAt: day(-400)})
	for i := 1; i <= 250; i++ {
		s.AddIssue("acme/web", fakegh.Issue{Title: fmt.Sprintf("issue %d", i), Milestone: 1, CreatedAt: day(-300)})
	}
	src := newSource(t, s, github.SourceConfig{}, newCache())
	res := fetch(t, src)
	if len(res.Milestones) != 1 || len(res.Milestones[0].Items) != 250 {
		t.Fatalf("got %d milestones, items %d; want 1 with 250", len(res.Milestones), len(res.Milestones[0].Items))
	}
	st := s.Stats()["GET /repos/{owner}/{repo}/issues"]
	if st.Requests != 3 {
		t.Fatalf("issue pages fetched %d times, want 3 (100+100+50):\n%s", st.Requests, s.StatsTable())
	}
}

func TestUnchangedRepollCostsNoRateLimitedRequests(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	cache := newCache()
	first := fetch(t, newSource(t, s, github.SourceConfig{}, cache))
	before := s.Counted()
	// A new process (a new source) with the cache the store kept.
	second := fetch(t, newSource(t, s, github.SourceConfig{}, cache))
	if got := s.Counted() - before; got != 0 {
		t.Fatalf("unchanged re-poll used %d rate-limited requests, want 0:\n%s", got, s.StatsTable())
	}
	if fmt.Sprint(first.Milestones) != fmt.Sprint(second.Milestones) {
		t.Fatalf("re-poll from the cache differs:\n%v\n%v", first.Milestones, second.Milestones)
	}
	// A change is seen at the cost of the pages that changed.
	s.Edit("acme/web", 11, func(is *fakegh.Issue) { is.State, is.ClosedAt = "closed", day(0) })
	third := fetch(t, newSource(t, s, github.SourceConfig{}, cache))
	for _, it := range third.Milestones[0].Items {
		if it.Key == "acme/web#11" && it.Status != model.StatusDone {
			t.Fatalf("the change was not seen: %+v", it)
		}
	}
}

func TestPullRequestsWhenConfigured(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	res := fetch(t, newSource(t, s, github.SourceConfig{IncludePullRequests: true}, nil))
	if n := len(res.Milestones[0].Items); n != 6 {
		t.Fatalf("items %d, want 6 with the pull request", n)
	}
}

func TestOrgFilteredByTopic(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.AddRepo("acme/internal-tools", "tooling")
	s.AddMilestone("acme/internal-tools", fakegh.Milestone{Title: "Tools", DueOn: pacificMidnight(2026, 12, 1)})
	s.AddRepo("acme/app", "client-work")
	s.AddMilestone("acme/app", fakegh.Milestone{Title: "App launch", DueOn: pacificMidnight(2026, 12, 20)})
	res := fetch(t, newSource(t, s, github.SourceConfig{Org: "acme", Topic: "client-work",
		Clients: map[string]string{"acme/app": "acme-mobile"}}, nil))
	got := map[string]string{}
	for _, m := range res.Milestones {
		got[m.Key] = m.Client
	}
	if _, ok := got["github:acme/internal-tools#1"]; ok || len(got) != 3 || got["github:acme/app#1"] != "acme-mobile" {
		t.Fatalf("milestones and clients %v: want acme/app#1 (acme-mobile) and acme/web#1, #2", got)
	}
}

func TestBudgetStopsAndNextRunResumes(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	for i := 1; i <= 3; i++ {
		s.AddMilestone("acme/web", fakegh.Milestone{Title: fmt.Sprintf("M%d", i), DueOn: pacificMidnight(2026, 12, i), CreatedAt: day(-40)})
		s.AddIssue("acme/web", fakegh.Issue{Title: "x", Milestone: i, CreatedAt: day(-30)})
	}
	cache := newCache()
	cfg := github.SourceConfig{Budget: 2}
	res := fetch(t, newSource(t, s, cfg, cache))
	if len(res.Milestones) != 1 || len(res.Failed) != 2 {
		t.Fatalf("with a budget of 2: read %d, failed %d; want 1 and 2 %v", len(res.Milestones), len(res.Failed), res.Failed)
	}
	if !errors.Is(res.Failed[0].Err, github.ErrBudget) || res.Failed[0].Key != "github:acme/web#2" {
		t.Fatalf("failure %+v, want the budget error for #2", res.Failed[0])
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "next run starts at github:acme/web#2") {
		t.Fatalf("notes %q do not say where the next run starts", res.Notes)
	}
	// The next run starts with #2. The milestone list is a free 304 now,
	// so the budget covers #2 and #3; #1, read last run, waits its turn.
	res = fetch(t, newSource(t, s, cfg, cache))
	var keys []string
	for _, m := range res.Milestones {
		keys = append(keys, m.Key)
	}
	if got := strings.Join(keys, " "); got != "github:acme/web#2 github:acme/web#3" {
		t.Fatalf("second run read %q, want #2 and #3", got)
	}
	if len(res.Failed) != 1 || res.Failed[0].Key != "github:acme/web#1" {
		t.Fatalf("second run failed %+v, want #1 left for the next run", res.Failed)
	}
}

func TestPrimaryLimitMidRunIsWaitedOut(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	// Two requests left, reset in two seconds: the run hits the limit after
	// the milestone list and one issue page, waits, and completes.
	s.SetRateLimit(5000, 2, 2*time.Second)
	start := time.Now()
	res := fetch(t, newSource(t, s, github.SourceConfig{}, nil))
	if len(res.Failed) != 0 || len(res.Milestones) != 2 {
		t.Fatalf("read %d, failed %+v; want both milestones after waiting", len(res.Milestones), res.Failed)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("completed in %v: it did not wait for the reset", waited)
	}
}

func TestPrimaryLimitPastTheCapStopsCleanly(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.SetRateLimit(5000, 2, time.Hour)
	start := time.Now()
	src := newSource(t, s, github.SourceConfig{AuthConfig: github.AuthConfig{MaxWait: dur(2 * time.Second)}}, nil)
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v (a limit mid-run is reported per milestone, not as a failed source)", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v: it waited for an hour-long reset", time.Since(start))
	}
	var le *github.LimitError
	if len(res.Failed) == 0 || !errors.As(res.Failed[len(res.Failed)-1].Err, &le) {
		t.Fatalf("failed %+v: want milestones not read with a LimitError", res.Failed)
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "next run starts at") {
		t.Fatalf("notes %q", res.Notes)
	}
	// Nothing was judged on partial data.
	for _, m := range res.Milestones {
		for _, f := range res.Failed {
			if f.Key == m.Key {
				t.Fatalf("%s both read and failed", m.Key)
			}
		}
	}
}

func TestSecondaryLimitAndServerErrorsOnReadsAreRetried(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/milestones", Kind: fakegh.FaultSecondary, RetryAfter: time.Second})
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultStatus, Status: 502, Times: 2})
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues/{number}/events", Kind: fakegh.FaultReset})
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultTruncated, Skip: 1})
	res := fetch(t, newSource(t, s, github.SourceConfig{}, nil))
	if len(res.Failed) != 0 || len(res.Milestones) != 2 {
		t.Fatalf("read %d, failed %+v", len(res.Milestones), res.Failed)
	}
	hit := map[string]int{}
	for _, r := range s.Requests() {
		hit[r.Fault]++
	}
	if hit["secondary-limit"] != 1 || hit["status"] != 2 || hit["connection-reset"] != 1 || hit["truncated"] != 1 {
		t.Fatalf("faults hit %v: every one should have been met and survived", hit)
	}
}

func TestMalformedAnswerFailsOnlyThatMilestone(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultMalformed})
	res := fetch(t, newSource(t, s, github.SourceConfig{JoinedEvents: "none"}, nil))
	// Two milestones are read at a time: whichever gets the bad page first
	// fails (not judged on partial data), the other is read.
	if len(res.Milestones) != 1 || len(res.Failed) != 1 || res.Failed[0].Key == res.Milestones[0].Key ||
		!strings.HasPrefix(res.Failed[0].Key, "github:acme/web#") || !strings.Contains(res.Failed[0].Err.Error(), "decoding the issue list") {
		t.Fatalf("read %v, failed %+v: want one failed (not judged on partial data), the other read", res.Milestones, res.Failed)
	}
}

// A page that came back malformed is not kept in the ETag cache: the next
// run's conditional request is not answered from it, and the milestone
// that failed is read.
func TestMalformedPageIsNotCached(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultMalformed})
	src := newSource(t, s, github.SourceConfig{JoinedEvents: "none"}, newCache())
	if res := fetch(t, src); len(res.Failed) != 1 {
		t.Fatalf("first fetch: failed %+v, want the milestone with the bad page", res.Failed)
	}
	res := fetch(t, src)
	if len(res.Failed) != 0 || len(res.Milestones) != 2 {
		t.Fatalf("second fetch: read %d, failed %+v; want both read (the bad page was not cached)", len(res.Milestones), res.Failed)
	}
}

func TestUnauthorizedNamesTheSourceNotTheToken(t *testing.T) {
	s := fakegh.New("ghp_theRightOne")
	defer s.Close()
	seed(s)
	src := newSource(t, s, github.SourceConfig{}, nil) // sends testToken
	_, err := src.Fetch(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	var ae *github.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AuthError", err)
	}
	msg := err.Error()
	for _, want := range []string{`github source "acme-gh"`, "$GITHUB_TOKEN", "401 Bad credentials"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, testToken) || strings.Contains(msg, testToken[4:12]) {
		t.Errorf("error leaks the token: %q", msg)
	}
}

func TestMissingTokenIsAClearError(t *testing.T) {
	src, err := github.NewSource("acme-gh", github.SourceConfig{Repos: []string{"acme/web"}, AuthConfig: github.AuthConfig{TokenEnv: "ACME_GH"}},
		testEnv(nil, map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ACME_GH is empty or unset") || !strings.Contains(err.Error(), "acme-gh") {
		t.Fatalf("error %v", err)
	}
}

func TestGitHubAppInstallationToken(t *testing.T) {
	s := fakegh.New("ghp_nobodyHasThis")
	defer s.Close()
	seed(s)
	s.SetApp(4242)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	cfg := github.SourceConfig{Repos: []string{"acme/web"}, AuthConfig: github.AuthConfig{AppID: 4242, InstallationID: 7,
		PrivateKeyEnv: "APP_KEY", BaseURL: s.URL}}
	src, err := github.NewSource("acme-app", cfg, testEnv(nil, map[string]string{"APP_KEY": string(pemKey)}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch with app auth: %v", err)
	}
	if len(res.Milestones) != 2 {
		t.Fatalf("read %d milestones", len(res.Milestones))
	}
	if n := s.Stats()["POST /app/installations/{id}/access_tokens"].Requests; n != 1 {
		t.Fatalf("installation token minted %d times, want 1", n)
	}
}

func TestSourceConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  github.SourceConfig
		want []string // substrings, each a yaml key
	}{
		{"ok", github.SourceConfig{Repos: []string{"a/b"}}, nil},
		{"nothing to read", github.SourceConfig{}, []string{"repos:"}},
		{"both", github.SourceConfig{Repos: []string{"a/b"}, Org: "a"}, []string{"repos, org:"}},
		{"bad repo and dup", github.SourceConfig{Repos: []string{"a", "x/y", "X/y"}}, []string{"repos[0]:", "repos[2]:"}},
		{"topic without org", github.SourceConfig{Repos: []string{"a/b"}, Topic: "t"}, []string{"topic:"}},
		{"app half set", github.SourceConfig{Repos: []string{"a/b"}, AuthConfig: github.AuthConfig{AppID: 1}},
			[]string{"installation_id:", "private_key_env, private_key_file:"}},
		{"bad values", github.SourceConfig{Repos: []string{"a/b"}, JoinedEvents: "some", Budget: -1,
			AuthConfig: github.AuthConfig{BaseURL: "ftp://x", TokenEnv: "MY-TOKEN", MaxWait: dur(0)}},
			[]string{"joined_events:", "budget:", "base_url:", "token_env:", "max_wait:"}},
		{"bad timeout", github.SourceConfig{Repos: []string{"a/b"}, Timeout: dur(0)}, []string{"timeout:"}},
		{"concurrency over the bound", github.SourceConfig{Repos: []string{"a/b"}, Concurrency: 5}, []string{"concurrency: 5 is out of range (1 to 4"}},
		{"negative concurrency", github.SourceConfig{Repos: []string{"a/b"}, Concurrency: -1}, []string{"concurrency: -1"}},
		{"concurrency at the bound", github.SourceConfig{Repos: []string{"a/b"}, Concurrency: 4}, nil},
		{"closed_within 0 reads no closed milestone", github.SourceConfig{Repos: []string{"a/b"}, ClosedWithin: dur(0)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("want errors")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestRateLimitStopsCleanlyWithinTheRunDeadline(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	// The reset is 30 s away: under max_wait (60 s), but past the run's
	// deadline of 2 s. The run must not sleep into the deadline.
	s.SetRateLimit(5000, 2, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	res, err := newSource(t, s, github.SourceConfig{}, nil).Fetch(ctx)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Fatalf("took %v: it waited toward the deadline instead of stopping", took)
	}
	var le *github.LimitError
	if len(res.Failed) == 0 || !errors.As(res.Failed[0].Err, &le) {
		t.Fatalf("failed %+v: want a LimitError", res.Failed)
	}
	if !strings.Contains(le.Error(), "stopped cleanly") {
		t.Fatalf("message %q", le.Error())
	}
}

func TestActionsAPIURLSelectsEnterpriseServer(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	src, err := github.NewSource("acme-gh", github.SourceConfig{Repos: []string{"acme/web"}},
		testEnv(nil, map[string]string{"GITHUB_TOKEN": testToken, "GITHUB_API_URL": s.URL + "/api/v3"}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := src.Fetch(context.Background())
	if err != nil || len(res.Milestones) != 2 {
		t.Fatalf("Fetch via $GITHUB_API_URL: %v, %d milestones", err, len(res.Milestones))
	}
}

func TestLogsNeverCarryTheToken(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues", Kind: fakegh.FaultStatus, Status: 502})
	var buf strings.Builder
	env := testEnv(nil, nil)
	// Two milestones are read at once: the writer must take concurrent logs.
	env.Log = zerolog.New(zerolog.SyncWriter(&buf)).Level(zerolog.DebugLevel)
	src, err := github.NewSource("acme-gh", github.SourceConfig{Repos: []string{"acme/web"}, AuthConfig: github.AuthConfig{BaseURL: s.URL}}, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "retrying request") {
		t.Fatalf("expected the retry to be logged: %s", buf.String())
	}
	if strings.Contains(buf.String(), testToken) || strings.Contains(buf.String(), "Bearer") {
		t.Fatalf("log carries the credential:\n%s", buf.String())
	}
}

func TestTimeoutKeyIsTheRunDeadline(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	s.SetRateLimit(5000, 2, 30*time.Second)
	start := time.Now()
	res, err := newSource(t, s, github.SourceConfig{Timeout: dur(2 * time.Second)}, nil).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var le *github.LimitError
	if time.Since(start) > 1500*time.Millisecond || len(res.Failed) == 0 || !errors.As(res.Failed[0].Err, &le) {
		t.Fatalf("took %v, failed %+v: want a prompt, clean stop", time.Since(start), res.Failed)
	}
}

func TestBudgetRunningOutMidMilestoneResumesThroughTheCache(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: "Big", DueOn: pacificMidnight(2026, 12, 4), CreatedAt: day(-400)})
	for i := 1; i <= 250; i++ {
		s.AddIssue("acme/web", fakegh.Issue{Title: fmt.Sprintf("issue %d", i), Milestone: 1, CreatedAt: day(-300)})
	}
	cache := newCache()
	cfg := github.SourceConfig{Budget: 2}
	res := fetch(t, newSource(t, s, cfg, cache))
	if len(res.Milestones) != 0 || len(res.Failed) != 1 || !errors.Is(res.Failed[0].Err, github.ErrBudget) {
		t.Fatalf("first run: read %d, failed %+v; want the milestone left for the next run", len(res.Milestones), res.Failed)
	}
	if n := s.Counted(); n != 2 {
		t.Fatalf("first run spent %d requests on a budget of 2", n)
	}
	// The pages already read are free now: the second run finishes it.
	res = fetch(t, newSource(t, s, cfg, cache))
	if len(res.Milestones) != 1 || len(res.Milestones[0].Items) != 250 {
		t.Fatalf("second run: read %d milestones, failed %+v", len(res.Milestones), res.Failed)
	}
}

// An issue's events are read once: while the issue is unchanged the next
// runs reuse the join date they gave (no request at all, not even a
// conditional one), and one answering 404 is not asked again either.
func TestFetchRemembersJoinDates(t *testing.T) {
	s := fakegh.New(testToken)
	defer s.Close()
	seed(s)
	// Issue 6 predates the milestone too; its events answer 404.
	s.AddIssue("acme/web", fakegh.Issue{Number: 6, Title: "Moved here", Milestone: 1, CreatedAt: day(-90)})
	s.Inject(fakegh.Fault{Method: "GET", Route: "/repos/{owner}/{repo}/issues/{number}/events", Kind: fakegh.FaultStatus, Status: 404, Skip: 1, Times: 1})
	cache := newCache()
	events := func() int { return s.Stats()["GET /repos/{owner}/{repo}/issues/{number}/events"].Requests }
	check := func(run int, res tracker.FetchResult, wantEvents int) {
		t.Helper()
		if len(res.Failed) != 0 {
			t.Fatalf("run %d failed: %+v", run, res.Failed)
		}
		items := map[string]model.WorkItem{}
		for _, it := range res.Milestones[0].Items {
			items[it.Key] = it
		}
		if it := items["acme/web#5"]; !it.JoinedKnown || !it.JoinedAt.Equal(day(-3)) {
			t.Errorf("run %d: #5 joined %v known=%v, want %v from its milestoned event", run, it.JoinedAt, it.JoinedKnown, day(-3))
		}
		if it := items["acme/web#6"]; it.JoinedKnown || !it.JoinedAt.Equal(day(-30)) {
			t.Errorf("run %d: #6 (events 404) joined %v known=%v, want the milestone's start, unknown", run, it.JoinedAt, it.JoinedKnown)
		}
		if n := events(); n != wantEvents {
			t.Errorf("run %d: %d events requests, want %d\n%s", run, n, wantEvents, s.StatsTable())
		}
	}
	check(1, fetch(t, newSource(t, s, github.SourceConfig{}, cache)), 2)
	s.ResetLog()
	check(2, fetch(t, newSource(t, s, github.SourceConfig{}, cache)), 0)
	// #5 changes: its events are read again (a conditional request).
	s.Edit("acme/web", 5, func(is *fakegh.Issue) { is.Title = "Old bug (again)" })
	s.ResetLog()
	check(3, fetch(t, newSource(t, s, github.SourceConfig{}, cache)), 1)
	if s.Counted() != 1 { // the changed issue page; the events are unchanged (304)
		t.Errorf("run 3: %d rate-limited requests, want 1\n%s", s.Counted(), s.StatsTable())
	}
}

// dur is a configured duration, as the YAML decoder makes it.
func dur(d time.Duration) *duration.Duration {
	v := duration.Duration(d)
	return &v
}
