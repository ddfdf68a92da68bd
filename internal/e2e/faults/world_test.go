package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	jirac "github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
	"github.com/forewarn/forewarn/internal/tracker"
)

// now is the frozen clock of every run (--now), so forecasts and findings
// are the same on every machine.
var now = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)

func day(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }

// Credentials of the fakes; the binary gets them through the environment
// variables the configuration names.
const (
	ghToken    = "ghp_faultSuite0000000000000000000000000000"
	ghTokenApp = "ghp_faultSuiteApp000000000000000000000000"
	jiraEmail  = "pm@example.com"
	jiraToken  = "ATATT-fault-suite-cloud"
	jiraPAT    = "NjE2-fault-suite-dc-pat"
)

// side says which fake a fault goes to: the primary holds the first
// source (a milestone at risk, one missed, one healthy) and the target;
// the secondary holds a second source with one milestone at risk, so a
// fault there makes its milestone unreadable while the others go on.
type side int

const (
	primary side = iota
	secondary
)

// op is the kind of request a fault hits, mapped to each fake's route.
type op int

const (
	opItems      op = iota // reading a milestone's work items (GitHub issues list, Jira search)
	opMilestones           // listing milestones (GitHub milestones, Jira versions)
	opCreate               // creating a ticket on the target
)

// kind is the misbehaviour, mapped to each fake's FaultKind.
type kind int

const (
	kStatus kind = iota
	kTooMany
	kMalformed
	kTruncated
	kReset
	kSlow
	kLose
)

type fault struct {
	side       side
	op         op
	kind       kind
	status     int
	retryAfter time.Duration
	delay      time.Duration
	times      int // 0: once; -1: every matching request
}

// world is one tracker's pair of fakes, seeded, plus the configuration
// that points forewarn at them.
type world interface {
	name() string
	// config writes forewarn.yaml into dir and returns its path.
	config(t *testing.T, dir string, o cfgOpts) string
	env() []string
	inject(f fault)
	clearFaults()
	// tickets counts the target's tickets per fingerprint (marker in the
	// body and fingerprint label both required).
	tickets(t *testing.T) map[string]int
	// expected are the fingerprints a clean run must leave on the target.
	expected() []string
	// expectedVia: the same when the primary is reached through pURL.
	expectedVia(pURL string) []string
	// isCreate reports whether a request creates a ticket on the target.
	isCreate(r *http.Request) bool
	primaryKeys() []string
	secondaryKeys() []string
	// createsSeen is the number of create requests the target fake saw.
	createsSeen() int
	// primaryURL is where the fake holding the target listens.
	primaryURL() string
	close()
}

type cfgOpts struct {
	lockWait string // state.lock_wait ("" = default)
	sTimeout string // timeout of the secondary source
	pURL     string // base URL for the primary fake (a tap in front of it), "" = the fake itself
}

func (o cfgOpts) lock() string {
	if o.lockWait == "" {
		return "30s"
	}
	return o.lockWait
}

func (o cfgOpts) timeout() string {
	if o.sTimeout == "" {
		return "20s"
	}
	return o.sTimeout
}

const clientsYAML = `clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
`

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	rules, err := filepath.Abs("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := "version: 1\nrules: " + rules + "\n" + body + clientsYAML
	path := filepath.Join(dir, "forewarn.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- GitHub ----

type ghWorld struct {
	p, s *fakegh.Server
	// triage: the token may not label new issues (GitHub drops the labels
	// of the create; forewarn adds them afterwards), so a ticket whose
	// create answer was lost keeps no labels and is known by its marker.
	triage bool
}

func newGitHub() world { return seedGitHub(false) }

// newGitHubTriage is GitHub where forewarn's token has triage access to
// the target repository, not push.
func newGitHubTriage() world { return seedGitHub(true) }

func seedGitHub(triage bool) world {
	w := &ghWorld{p: fakegh.New(ghToken), s: fakegh.New(ghTokenApp), triage: triage}
	if triage {
		w.p.SetRole("acme/delivery", "triage")
	}
	ghMilestoneAtRisk(w.p, "acme/web", 1)
	ghMilestoneMissed(w.p, "acme/web", 2)
	ghMilestoneHealthy(w.p, "acme/web", 3)
	w.p.AddRepo("acme/delivery")
	ghMilestoneAtRisk(w.s, "acme/app", 1)
	return w
}

func ghDue(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 8, 0, 0, 0, time.UTC)
}

// At risk: due in five days, 24 items of which 4 closed at a slow pace.
func ghMilestoneAtRisk(s *fakegh.Server, repo string, n int) {
	s.AddMilestone(repo, fakegh.Milestone{Number: n, Title: "Checkout v2", DueOn: ghDue(day(5)), CreatedAt: day(-40)})
	for i := range 24 {
		is := fakegh.Issue{Title: fmt.Sprintf("Checkout task %d", i), Milestone: n, CreatedAt: day(-39 + i%5), Labels: []string{"points:2"}}
		if i < 4 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(-30+i*7), day(-30+i*7)
		}
		s.AddIssue(repo, is)
	}
}

// Missed: due six days ago with half its work open.
func ghMilestoneMissed(s *fakegh.Server, repo string, n int) {
	s.AddMilestone(repo, fakegh.Milestone{Number: n, Title: "Search", DueOn: ghDue(day(-6)), CreatedAt: day(-60)})
	for i := range 10 {
		is := fakegh.Issue{Title: fmt.Sprintf("Search task %d", i), Milestone: n, CreatedAt: day(-59)}
		if i < 5 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(-50+i*8), day(-50+i*8)
		}
		s.AddIssue(repo, is)
	}
}

// Healthy: due in two months, most work done at a steady pace: no finding.
func ghMilestoneHealthy(s *fakegh.Server, repo string, n int) {
	s.AddMilestone(repo, fakegh.Milestone{Number: n, Title: "Reports", DueOn: ghDue(day(60)), CreatedAt: day(-30)})
	for i := range 10 {
		is := fakegh.Issue{Title: fmt.Sprintf("Reports task %d", i), Milestone: n, CreatedAt: day(-29)}
		if i < 8 {
			is.State, is.StateReason, is.ClosedAt, is.UpdatedAt = "closed", "completed", day(-27+i*3), day(-27+i*3)
		}
		s.AddIssue(repo, is)
	}
}

func (w *ghWorld) name() string {
	if w.triage {
		return "github-triage"
	}
	return "github"
}

func (w *ghWorld) config(t *testing.T, dir string, o cfgOpts) string {
	p := w.p.URL
	if o.pURL != "" {
		p = o.pURL
	}
	return writeConfig(t, dir, fmt.Sprintf(`state:
  driver: sqlite
  path: state.db
  lock_wait: %s
forecast:
  trials: 2000
  seed: 7
sources:
  - name: web
    github:
      repos: [acme/web]
      client: acme
      base_url: %s
      token_env: FW_E2E_GH_TOKEN
      max_wait: 5s
  - name: app
    github:
      repos: [acme/app]
      client: acme
      base_url: %s
      token_env: FW_E2E_GH_TOKEN_APP
      max_wait: 5s
      timeout: %s
target:
  github:
    repo: acme/delivery
    base_url: %s
    token_env: FW_E2E_GH_TOKEN
    max_wait: 5s
    labels: [client-comms]
`, o.lock(), p, w.s.URL, o.timeout(), p))
}

func (w *ghWorld) env() []string {
	return []string{"FW_E2E_GH_TOKEN=" + ghToken, "FW_E2E_GH_TOKEN_APP=" + ghTokenApp}
}

func (w *ghWorld) inject(f fault) {
	srv := w.p
	if f.side == secondary {
		srv = w.s
	}
	g := fakegh.Fault{Method: "GET", Status: f.status, RetryAfter: f.retryAfter, Delay: f.delay, Times: f.times}
	switch f.op {
	case opItems:
		g.Route = "/repos/{owner}/{repo}/issues"
	case opMilestones:
		g.Route = "/repos/{owner}/{repo}/milestones"
	case opCreate:
		g.Method, g.Route = "POST", "/repos/{owner}/{repo}/issues"
	}
	g.Kind = map[kind]fakegh.FaultKind{kStatus: fakegh.FaultStatus, kTooMany: fakegh.FaultTooMany, kMalformed: fakegh.FaultMalformed,
		kTruncated: fakegh.FaultTruncated, kReset: fakegh.FaultReset, kSlow: fakegh.FaultSlow, kLose: fakegh.FaultLoseResponse}[f.kind]
	srv.Inject(g)
}

func (w *ghWorld) clearFaults() { w.p.ClearFaults(); w.s.ClearFaults() }

func (w *ghWorld) tickets(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, is := range w.p.Issues("acme/delivery") {
		fp, ok := modeltest.ParseMarker(is.Body)
		if !ok {
			t.Errorf("acme/delivery#%d %q carries no fingerprint marker", is.Number, is.Title)
			continue
		}
		if !slices.Contains(is.Labels, fp) && !w.triage {
			t.Errorf("acme/delivery#%d %q lacks its fingerprint label %s (labels %v)", is.Number, is.Title, fp, is.Labels)
		}
		out[fp]++
	}
	return out
}

func (w *ghWorld) expected() []string { return w.expectedVia(w.p.URL) }

func (w *ghWorld) isCreate(r *http.Request) bool {
	// go-github puts Enterprise Server's /api/v3 before every path.
	return r.Method == http.MethodPost && strings.TrimPrefix(r.URL.Path, "/api/v3") == "/repos/acme/delivery/issues"
}

// expectedVia: GitHub milestone keys do not carry the host.
func (w *ghWorld) expectedVia(string) []string {
	return []string{
		model.Fingerprint("github:acme/web#1", model.PurposeClientNotice),
		model.Fingerprint("github:acme/web#2", model.PurposePostMortem),
		model.Fingerprint("github:acme/app#1", model.PurposeClientNotice),
	}
}

func (w *ghWorld) primaryKeys() []string {
	return []string{"github:acme/web#1", "github:acme/web#2", "github:acme/web#3"}
}

func (w *ghWorld) secondaryKeys() []string { return []string{"github:acme/app#1"} }

func (w *ghWorld) createsSeen() int {
	n := 0
	for _, r := range w.p.Requests() {
		if r.Method == "POST" && r.Route == "/repos/{owner}/{repo}/issues" {
			n++
		}
	}
	return n
}

func (w *ghWorld) primaryURL() string { return w.p.URL }

func (w *ghWorld) close() { w.p.Close(); w.s.Close() }

// ---- Jira ----

// jiraWorld: the primary is Jira Cloud (project WEB read, project REV
// written), the secondary a Data Center site (project APP).
type jiraWorld struct {
	p, s *fakejira.Server
}

func newJira() world {
	clock := func() time.Time { return now }
	w := &jiraWorld{
		p: fakejira.New(fakejira.Options{Cloud: true, Email: jiraEmail, APIToken: jiraToken, Now: clock}),
		s: fakejira.New(fakejira.Options{Cloud: false, PAT: jiraPAT, Now: clock}),
	}
	jiraVersionAtRisk(w.p, "WEB", "10100")
	jiraVersionMissed(w.p, "WEB", "10101")
	jiraVersionHealthy(w.p, "WEB", "10102")
	w.p.AddProject("REV")
	jiraVersionAtRisk(w.s, "APP", "20100")
	return w
}

func ymd(t time.Time) string { return t.Format(time.DateOnly) }

func jiraVersionAtRisk(s *fakejira.Server, project, id string) {
	s.AddVersion(fakejira.Version{ID: id, Project: project, Name: "Checkout v2", ReleaseDate: ymd(day(5)), StartDate: ymd(day(-40))})
	for i := range 24 {
		p := 2.0
		is := fakejira.Issue{Project: project, Summary: fmt.Sprintf("Checkout task %d", i), FixVersions: []string{id}, Created: day(-39 + i%5), Points: &p}
		if i < 4 {
			is.Category, is.Resolved, is.Updated = "done", day(-30+i*7), day(-30+i*7)
		}
		s.AddIssue(is)
	}
}

func jiraVersionMissed(s *fakejira.Server, project, id string) {
	s.AddVersion(fakejira.Version{ID: id, Project: project, Name: "Search", ReleaseDate: ymd(day(-6)), StartDate: ymd(day(-60))})
	for i := range 10 {
		is := fakejira.Issue{Project: project, Summary: fmt.Sprintf("Search task %d", i), FixVersions: []string{id}, Created: day(-59)}
		if i < 5 {
			is.Category, is.Resolved, is.Updated = "done", day(-50+i*8), day(-50+i*8)
		}
		s.AddIssue(is)
	}
}

func jiraVersionHealthy(s *fakejira.Server, project, id string) {
	s.AddVersion(fakejira.Version{ID: id, Project: project, Name: "Reports", ReleaseDate: ymd(day(60)), StartDate: ymd(day(-30))})
	for i := range 10 {
		is := fakejira.Issue{Project: project, Summary: fmt.Sprintf("Reports task %d", i), FixVersions: []string{id}, Created: day(-29)}
		if i < 8 {
			is.Category, is.Resolved, is.Updated = "done", day(-27+i*3), day(-27+i*3)
		}
		s.AddIssue(is)
	}
}

func (w *jiraWorld) name() string { return "jira" }

func (w *jiraWorld) config(t *testing.T, dir string, o cfgOpts) string {
	p := w.p.URL
	if o.pURL != "" {
		p = o.pURL
	}
	return writeConfig(t, dir, fmt.Sprintf(`state:
  driver: sqlite
  path: state.db
  lock_wait: %s
forecast:
  trials: 2000
  seed: 7
sources:
  - name: web
    jira:
      base_url: %s
      deployment: cloud
      auth: {email_env: FW_E2E_JIRA_EMAIL, token_env: FW_E2E_JIRA_TOKEN}
      max_wait: 5s
      projects: [WEB]
      client: acme
  - name: app
    jira:
      base_url: %s
      deployment: datacenter
      auth: {pat_env: FW_E2E_JIRA_PAT}
      max_wait: 5s
      timeout: %s
      projects: [APP]
      client: acme
target:
  jira:
    base_url: %s
    deployment: cloud
    auth: {email_env: FW_E2E_JIRA_EMAIL, token_env: FW_E2E_JIRA_TOKEN}
    max_wait: 5s
    project: REV
    labels: [client-comms]
`, o.lock(), p, w.s.URL, o.timeout(), p))
}

func (w *jiraWorld) env() []string {
	return []string{"FW_E2E_JIRA_EMAIL=" + jiraEmail, "FW_E2E_JIRA_TOKEN=" + jiraToken, "FW_E2E_JIRA_PAT=" + jiraPAT}
}

func (w *jiraWorld) inject(f fault) {
	srv := w.p
	search := "/rest/api/2/search/jql" // Cloud's enhanced search
	if f.side == secondary {
		srv, search = w.s, "/rest/api/2/search"
	}
	g := fakejira.Fault{Method: "GET", Status: f.status, RetryAfter: f.retryAfter, Delay: f.delay, Times: f.times}
	switch f.op {
	case opItems:
		g.Route = search
	case opMilestones:
		g.Route = "/rest/api/2/project/{key}/version"
	case opCreate:
		g.Method, g.Route = "POST", "/rest/api/2/issue"
	}
	g.Kind = map[kind]fakejira.FaultKind{kStatus: fakejira.FaultStatus, kTooMany: fakejira.FaultTooMany, kMalformed: fakejira.FaultMalformed,
		kTruncated: fakejira.FaultTruncated, kReset: fakejira.FaultReset, kSlow: fakejira.FaultSlow, kLose: fakejira.FaultLoseResponse}[f.kind]
	srv.Inject(g)
}

func (w *jiraWorld) clearFaults() { w.p.ClearFaults(); w.s.ClearFaults() }

func (w *jiraWorld) tickets(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, is := range w.p.Issues("REV") {
		fp, ok := modeltest.ParseMarker(is.Description)
		if !ok {
			t.Errorf("%s %q carries no fingerprint marker", is.Key, is.Summary)
			continue
		}
		if !slices.Contains(is.Labels, fp) {
			t.Errorf("%s %q lacks its fingerprint label %s (labels %v)", is.Key, is.Summary, fp, is.Labels)
		}
		out[fp]++
	}
	return out
}

// chartless counts tickets without the burn-down chart Create attaches
// right after the issue is made (best effort, never repeated later).
func (w *jiraWorld) chartless() int {
	n := 0
	for _, is := range w.p.Issues("REV") {
		if len(is.Attachments) == 0 {
			n++
		}
	}
	return n
}

func (w *jiraWorld) host(u string) string {
	p, _ := url.Parse(u)
	return strings.ToLower(p.Host)
}

func (w *jiraWorld) expected() []string { return w.expectedVia(w.p.URL) }

func (w *jiraWorld) isCreate(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/rest/api/2/issue"
}

// expectedVia: Jira milestone keys carry the site's host, so a tap in
// front of the primary changes them.
func (w *jiraWorld) expectedVia(pURL string) []string {
	return []string{
		model.Fingerprint(jirac.VersionKey(w.host(pURL), "WEB", "10100"), model.PurposeClientNotice),
		model.Fingerprint(jirac.VersionKey(w.host(pURL), "WEB", "10101"), model.PurposePostMortem),
		model.Fingerprint(jirac.VersionKey(w.host(w.s.URL), "APP", "20100"), model.PurposeClientNotice),
	}
}

func (w *jiraWorld) primaryKeys() []string {
	h := w.host(w.p.URL)
	return []string{jirac.VersionKey(h, "WEB", "10100"), jirac.VersionKey(h, "WEB", "10101"), jirac.VersionKey(h, "WEB", "10102")}
}

func (w *jiraWorld) secondaryKeys() []string {
	return []string{jirac.VersionKey(w.host(w.s.URL), "APP", "20100")}
}

func (w *jiraWorld) createsSeen() int { return w.p.Count("POST /rest/api/2/issue") }

func (w *jiraWorld) primaryURL() string { return w.p.URL }

func (w *jiraWorld) close() { w.p.Close(); w.s.Close() }

// ---- running the binary ----

type result struct {
	code   int
	stdout string
	stderr string
	rep    tracker.Report
	dur    time.Duration
}

// judged lists the keys of the milestones the run judged.
func (r result) judged() []string {
	var out []string
	for _, m := range r.rep.Milestones {
		out = append(out, m.Milestone.Key)
	}
	sort.Strings(out)
	return out
}

// notJudged lists the milestone keys (or sources) reported as failed.
func (r result) notJudged() []string {
	var out []string
	for _, f := range r.rep.Failed {
		out = append(out, f.Source+" "+f.Key)
	}
	return out
}

// String is a summary for failure messages: the exit code, what was not
// judged, the actions, and the end of the log.
func (r result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d after %v; judged %v\n", r.code, r.dur.Round(time.Millisecond), r.judged())
	for _, f := range r.rep.Failed {
		fmt.Fprintf(&b, "  not judged: %s %s: %s\n", f.Source, f.Key, f.Err)
	}
	for _, a := range r.rep.Actions {
		fmt.Fprintf(&b, "  action %s %s %s %s %s\n", a.Kind, a.Purpose, a.MilestoneKey, a.Ref.ID, a.Err)
	}
	fmt.Fprintf(&b, "--- stderr\n%s", tail(r.stderr, 3000))
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// command builds `forewarn run --json --now … --config cfg`.
func command(ctx context.Context, w world, cfg string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, "run", "--config", cfg, "--json", "--now", now.Format(time.RFC3339), "--log-level", "info")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(cfg), "TZ=UTC"}, w.env()...)
	cmd.Dir = filepath.Dir(cfg)
	return cmd
}

// run runs the binary to the end (at most a minute).
func run(t *testing.T, w world, cfg string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := command(ctx, w, cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	return finish(t, err, &out, &errb, time.Since(start))
}

func finish(t *testing.T, err error, out, errb *bytes.Buffer, dur time.Duration) result {
	t.Helper()
	r := result{stdout: out.String(), stderr: errb.String(), dur: dur}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			r.code = -int(st.Signal())
		} else {
			r.code = ee.ExitCode()
		}
	default:
		t.Fatalf("running forewarn: %v", err)
	}
	if r.code == 0 || r.code == 1 {
		if len(bytes.TrimSpace(out.Bytes())) > 0 {
			if err := json.Unmarshal(out.Bytes(), &r.rep); err != nil {
				t.Fatalf("the --json report does not decode: %v\n%s", err, r)
			}
		}
	}
	for _, secret := range []string{ghToken, ghTokenApp, jiraToken, jiraPAT} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("a token appears in forewarn's output")
		}
	}
	return r
}

// checkOnce fails on any fingerprint with more than one ticket and returns
// the number of tickets and of duplicates.
func checkOnce(t *testing.T, w world) (tickets, dups int) {
	t.Helper()
	for fp, n := range w.tickets(t) {
		tickets += n
		if n > 1 {
			dups += n - 1
			t.Errorf("%s: %d tickets for fingerprint %s, want exactly one", w.name(), n, fp)
		}
	}
	return tickets, dups
}

// checkComplete fails unless the target holds exactly the expected
// tickets, one each.
func checkComplete(t *testing.T, w world, want []string) {
	t.Helper()
	got := w.tickets(t)
	for _, fp := range want {
		if got[fp] != 1 {
			t.Errorf("%s: %d tickets for %s after a clean run, want exactly 1 (none lost, none doubled)", w.name(), got[fp], fp)
		}
	}
	for fp, n := range got {
		if !slices.Contains(want, fp) {
			t.Errorf("%s: %d unexpected ticket(s) for %s", w.name(), n, fp)
		}
	}
}
