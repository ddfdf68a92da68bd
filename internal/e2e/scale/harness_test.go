package scale

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

const (
	ghToken    = "ghp_ScaleScenario000000000000000000000000"
	jiraEmail  = "pm@example.com"
	jiraToken  = "ATATT-scale-scenario-token"
	opsBudget  = 5000
	shipBudget = "operations_budget: 50"
)

func getenv(k string) string {
	return map[string]string{"GITHUB_TOKEN": ghToken, "JIRA_EMAIL": jiraEmail, "JIRA_TOKEN": jiraToken}[k]
}

// fakes are the two trackers of one scenario.
type fakes struct {
	gh *fakegh.Server
	jr *fakejira.Server
}

func newFakes(sc *Scenario) *fakes {
	f := &fakes{gh: fakegh.New(ghToken),
		jr: fakejira.New(fakejira.Options{Cloud: true, Email: jiraEmail, APIToken: jiraToken, Now: func() time.Time { return sc.Now }})}
	// A real token has 5,000 an hour; the scenario is about cost, not waiting.
	f.gh.SetRateLimit(1_000_000, 1_000_000, time.Hour)
	sc.Populate(f.gh, f.jr)
	return f
}

func (f *fakes) Close() {
	f.gh.Close()
	f.jr.Close()
}

func (f *fakes) ResetLog() {
	f.gh.ResetLog()
	f.jr.ResetLog()
}

func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// writeRules copies the shipped rules.yaml into dir with a larger
// operations budget: the shipped 50 writes a run would leave most of this
// scenario's tickets for later runs, and the point is to see them all.
func writeRules(tb testing.TB, dir string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(tb), "rules.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	if !strings.Contains(string(b), shipBudget) {
		tb.Fatalf("rules.yaml no longer says %q; update the scale harness", shipBudget)
	}
	out := strings.Replace(string(b), shipBudget, fmt.Sprintf("operations_budget: %d", opsBudget), 1)
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// writeConfig writes a configuration that reads every repository, project
// and board of the scenario and opens tickets in the Jira project REV.
func writeConfig(tb testing.TB, dir string, sc *Scenario, f *fakes, rulesPath string) string {
	tb.Helper()
	return writeConfigTarget(tb, dir, sc, f, rulesPath, false)
}

// writeConfigTarget is writeConfig with the tickets opened in the GitHub
// repository acme/delivery instead when github is true.
func writeConfigTarget(tb testing.TB, dir string, sc *Scenario, f *fakes, rulesPath string, github bool) string {
	tb.Helper()
	var repos, ghClients, boards, jiraClients []string
	for _, r := range sc.GitHub {
		repos = append(repos, r.Name)
		ghClients = append(ghClients, fmt.Sprintf("        %s: %s", r.Name, sc.Clients[r.Name]))
	}
	for _, p := range sc.Jira.Projects {
		jiraClients = append(jiraClients, fmt.Sprintf("        %s: %s", p, sc.Clients[p]))
	}
	for _, b := range sc.Jira.Boards {
		boards = append(boards, fmt.Sprint(b))
	}
	cfg := fmt.Sprintf(`version: 1
rules: %s
state:
  driver: sqlite
  path: state.db
sources:
  - name: agency-gh
    github:
      base_url: %s
      repos: [%s]
      # Caps a run's reads (defaults 2,000 requests, 200 event lookups);
      # raised so the ten-times scenario reads all of it in one run, as
      # the large one does under the defaults.
      budget: 100000
      joined_events_max: 100000
      client: acme
      clients:
%s
  - name: agency-jira
    jira:
      base_url: %s
      deployment: cloud
      auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}
      projects: [%s]
      boards: [%s]
      changelog_budget: 100000
      client: initech
      clients:
%s
target:
  jira:
    base_url: %s
    deployment: cloud
    auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}
    project: %s
    labels: [client-comms]
clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
  - id: globex
    name: Globex
    contact: Hank Scorpio
    owner: Sam Okafor
    locale: en
    time_zone: America/New_York
  - id: initech
    name: Initech BV
    contact: Bill Lumbergh
    owner: Sam Okafor
    locale: nl
    time_zone: Europe/Amsterdam
`, rulesPath, f.gh.URL, strings.Join(repos, ", "), strings.Join(ghClients, "\n"),
		f.jr.URL, strings.Join(sc.Jira.Projects, ", "), strings.Join(boards, ", "), strings.Join(jiraClients, "\n"),
		f.jr.URL, jiraReviewKey)
	if github {
		i := strings.Index(cfg, "target:\n")
		j := strings.Index(cfg, "clients:\n  - id:")
		cfg = cfg[:i] + fmt.Sprintf("target:\n  github:\n    base_url: %s\n    repo: %s\n    labels: [client-comms]\n", f.gh.URL, ghReviewRepo) + cfg[j:]
	}
	path := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// run loads the configuration and runs it once, as `forewarn run` does.
// A non-nil clock sits under the connectors (app.Options.Transport, over
// the same pooled transport they use by default) and notes when the
// sources' last page arrived.
func run(ctx context.Context, cfgPath string, now time.Time, mode tracker.Mode, clock ...*fetchClock) (tracker.Report, error) {
	opt := app.Options{ConfigPath: cfgPath, Log: zerolog.Nop(), Getenv: getenv, Now: func() time.Time { return now }}
	if len(clock) > 0 {
		clock[0].next = cleanhttp.DefaultPooledTransport()
		if clock[0].rtt > 0 {
			clock[0].next = slowTransport{next: clock[0].next, rtt: clock[0].rtt}
		}
		opt.Transport = clock[0]
	}
	a, err := app.Load(ctx, opt)
	if err != nil {
		return tracker.Report{}, fmt.Errorf("load: %w", err)
	}
	defer a.Close()
	return a.Run(ctx, mode)
}

// fetchClock is a transport that remembers when the last answer to a
// source's request came back: the end of the fetch phase of a run. With
// rtt set, every request is sent that much later (slowTransport).
type fetchClock struct {
	next http.RoundTripper
	rtt  time.Duration
	last atomic.Int64 // unix nanoseconds
}

func (c *fetchClock) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if r.Method == http.MethodGet && !isFind(r.URL.Query().Get("jql")) {
		c.last.Store(time.Now().UnixNano())
	}
	return resp, err
}

// isFind reports whether a JQL query is the target's search of the
// review project.
func isFind(jql string) bool {
	return strings.Contains(jql, "project = "+jiraReviewKey) || strings.Contains(jql, `project = "`+jiraReviewKey+`"`)
}

// traffic is what one run sent to the fakes.
type traffic struct {
	ghReads, ghWrites, ghCounted int
	jiraReads, jiraFinds         int // finds: the target's searches of REV
	jiraWrites                   int
	// raw are the source reads in the order sent, per tracker: the pages
	// the raw-fetch baseline replays.
	ghRaw, jiraRaw []string
	// writes are the POSTs and PUTs in the order sent (both trackers):
	// the raw-write baseline replays them.
	writes []write
	// The fakes' per-route tables.
	ghTable, jiraTable string
}

func (t traffic) String() string {
	return fmt.Sprintf("github: %d reads, %d writes, %d rate-limited; jira: %d reads, %d finds, %d writes",
		t.ghReads, t.ghWrites, t.ghCounted, t.jiraReads, t.jiraFinds, t.jiraWrites)
}

// write is one write request as sent.
type write struct {
	github      bool
	method      string
	path        string
	body        []byte
	contentType string
}

// measure reads the fakes' request logs. Jira searches of the review
// project are the target's finds; every other GET is a source read.
func (f *fakes) measure() traffic {
	t := traffic{jiraTable: routes(f.jr.Counts())}
	gs := map[string]int{}
	for k, v := range f.gh.Stats() {
		gs[k] = v.Requests
	}
	t.ghTable = routes(gs)
	for _, r := range f.gh.Requests() {
		if r.Counted {
			t.ghCounted++
		}
		if r.Method != http.MethodGet {
			t.ghWrites++
			t.writes = append(t.writes, write{github: true, method: r.Method, path: r.Path, body: r.Body, contentType: r.ContentType})
			continue
		}
		t.ghReads++
		t.ghRaw = append(t.ghRaw, r.Path)
	}
	for _, r := range f.jr.Requests() {
		switch {
		case r.Method != http.MethodGet:
			t.jiraWrites++
			t.writes = append(t.writes, write{method: r.Method, path: r.Path, body: r.Body, contentType: r.Header.Get("Content-Type")})
		case isFind(r.Query.Get("jql")):
			t.jiraFinds++
		default:
			t.jiraReads++
			t.jiraRaw = append(t.jiraRaw, r.Path)
		}
	}
	return t
}

// checkTickets asserts exactly one ticket per (milestone, purpose) in the
// review project, each one a ticket the report says was created.
func checkTickets(tb testing.TB, f *fakes, rep tracker.Report) map[model.Purpose]int {
	tb.Helper()
	created := map[string]tracker.Action{}
	pairs := map[string]bool{}
	for _, a := range rep.Actions {
		if a.Err != "" {
			tb.Errorf("action %s %s failed: %s", a.Kind, a.Fingerprint, a.Err)
		}
		if a.Kind != tracker.ActionCreate {
			continue
		}
		pair := a.MilestoneKey + " " + string(a.Purpose)
		if pairs[pair] {
			tb.Errorf("two creates for %s", pair)
		}
		pairs[pair] = true
		if fp := model.Fingerprint(a.MilestoneKey, a.Purpose); fp != a.Fingerprint {
			tb.Errorf("%s: fingerprint %s, want %s", pair, a.Fingerprint, fp)
		}
		created[a.Fingerprint] = a
	}
	seen := map[string]bool{}
	byPurpose := map[model.Purpose]int{}
	for _, is := range f.tickets() {
		fp, _ := modeltest.ParseMarker(is.Description)
		if seen[fp] {
			tb.Errorf("%s: a second ticket for %s", is.Key, fp)
		}
		seen[fp] = true
		a, ok := created[fp]
		if !ok {
			tb.Errorf("%s (%s) is not in the report's creates", is.Key, fp)
			continue
		}
		byPurpose[a.Purpose]++
	}
	if len(seen) != len(created) {
		tb.Errorf("%d tickets in %s, %d creates reported", len(seen), jiraReviewKey, len(created))
	}
	return byPurpose
}

// routes renders requests per route on one line (benchmark logs keep
// only a few lines).
func routes(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

// tickets are forewarn's tickets in the review project, which also holds
// client work (the issues without a marker).
func (f *fakes) tickets() []fakejira.Issue {
	var out []fakejira.Issue
	for _, is := range f.jr.Issues(jiraReviewKey) {
		if _, ok := modeltest.ParseMarker(is.Description); ok {
			out = append(out, is)
		}
	}
	return out
}

// checkOwnAndMissed is issue 14 on the scenario: no ticket of forewarn's
// is an item of any milestone (though some carry the version they are
// about), and each sprint that missed has exactly one post-mortem, no
// other sprint any. It logs both figures.
func checkOwnAndMissed(tb testing.TB, sc *Scenario, f *fakes, rep tracker.Report) {
	tb.Helper()
	tickets := map[string]bool{}
	versioned := 0
	for _, is := range f.tickets() {
		tickets[is.Key] = true
		if len(is.FixVersions) > 0 {
			versioned++
		}
	}
	own := 0
	for _, m := range rep.Milestones {
		for _, it := range m.Milestone.Items {
			if tickets[it.Key] {
				own++
				tb.Errorf("ticket %s is counted as an item of %s", it.Key, m.Milestone.Key)
			}
		}
	}
	host := strings.TrimPrefix(f.jr.URL, "http://")
	missed := sc.MissedSprints()
	postMortems := map[string]int{}
	for _, is := range f.tickets() {
		fp, _ := modeltest.ParseMarker(is.Description)
		postMortems[fp]++
	}
	withPM := 0
	for _, sp := range sc.Jira.Sprints {
		n := postMortems[model.Fingerprint(fmt.Sprintf("jira:%s:sprint:%d", host, sp.ID), model.PurposePostMortem)]
		switch {
		case slices.Contains(missed, sp.ID) && n != 1:
			tb.Errorf("sprint %d %q missed: %d post-mortems, want 1", sp.ID, sp.Name, n)
		case !slices.Contains(missed, sp.ID) && n != 0:
			tb.Errorf("sprint %d %q did not miss: %d post-mortems, want 0", sp.ID, sp.Name, n)
		}
		withPM += n
	}
	if len(missed) == 0 || versioned == 0 {
		tb.Errorf("the scenario lost its missed sprints (%d) or its tickets in versions (%d)", len(missed), versioned)
	}
	tb.Logf("review project %s is a source: %d tickets, %d in the version they are about; own tickets counted as items: %d; "+
		"missed sprints: %d, post-mortems for sprints: %d", jiraReviewKey, len(tickets), versioned, own, len(missed), withPM)
}
