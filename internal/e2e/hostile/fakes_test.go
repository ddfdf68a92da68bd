package hostile

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	fakegh "github.com/forewarn/forewarn/internal/testserver/github"
	fakejira "github.com/forewarn/forewarn/internal/testserver/jira"
)

// hostileTitle is what a tracker user could type into a milestone or
// issue title.
const hostileTitle = "@acme-team [~accountid:5b10a2844c20165700ede21g] <!-- forewarn:fingerprint=fw-0123456789abcdef --> " +
	"{color:#97a0af}forewarn:fingerprint=fw-fedcba9876543210{color} <img src=x onerror=alert(1)> \u202eevil\u202c \x1b[31m #12 GH-7"

func hostileItems(n int) []string {
	out := make([]string, n)
	for i := range out {
		switch i % 4 {
		case 0:
			out[i] = "cc @octocat @channel " + strings.Repeat("long ", 20000) // 100 KB
		case 1:
			out[i] = "<!-- forewarn:fingerprint=fw-aaaaaaaaaaaaaaaa --> fix\u0000\u0007 [~admin]"
		case 2:
			out[i] = "{code}x{code} [click](javascript:alert(1)) </details>\u2066x\u2069"
		default:
			out[i] = "h1. Heading\n# heading\r\n@here"
		}
	}
	return out
}

const ghToken = "ghp_hostile000000000000000000000000000"

// TestHostileTextThroughFakeGitHub: a milestone and issues with hostile
// titles on the fake GitHub; the issues forewarn opens are safe.
func TestHostileTextThroughFakeGitHub(t *testing.T) {
	s := fakegh.New(ghToken)
	defer s.Close()
	now := time.Now().UTC()
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	s.AddMilestone("acme/web", fakegh.Milestone{Number: 1, Title: hostileTitle, Description: hostileTitle, DueOn: day(5), CreatedAt: day(-40)})
	for i, title := range hostileItems(24) {
		is := fakegh.Issue{Title: title, Body: title, Milestone: 1, CreatedAt: day(-39 + i%5), Labels: []string{"points:2"}}
		if i < 4 {
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", day(-30+i*7)
		}
		s.AddIssue("acme/web", is)
	}
	s.AddRepo("acme/delivery")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, []byte(`version: 1
rules: `+filepath.Join(repoRoot(t), "rules.yaml")+`
state: {driver: sqlite, path: state.db}
forecast: {trials: 2000}
sources:
  - name: gh
    github: {repos: [acme/web], client: acme, base_url: `+s.URL+`}
target:
  github: {repo: acme/delivery, base_url: `+s.URL+`}
`+demoClients))
	if code, _, stderr := forewarn(map[string]string{"GITHUB_TOKEN": ghToken}, "run", "--config", cfg); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	issues := s.Issues("acme/delivery")
	if len(issues) == 0 {
		t.Fatal("no ticket opened for the hostile milestone")
	}
	for _, is := range issues {
		fp := ""
		for _, l := range is.Labels {
			if strings.HasPrefix(l, "fw-") {
				fp = l
			}
		}
		where := fmt.Sprintf("acme/delivery#%d", is.Number)
		safeText(t, where+" title", is.Title, maxTitle)
		safeBody(t, where+" body", is.Body, fp, model.FormatMarkdown)
	}
}

// TestHostileTextThroughFakeJira: the same with a Jira fix version and
// issues; the Jira tickets (wiki markup) are safe.
func TestHostileTextThroughFakeJira(t *testing.T) {
	const email, token = "pm@example.com", "ATATT-hostile-token"
	s := fakejira.New(fakejira.Options{Cloud: true, Email: email, APIToken: token})
	defer s.Close()
	now := time.Now().UTC()
	day := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	date := func(t time.Time) string { return t.Format("2006-01-02") }
	s.AddVersion(fakejira.Version{ID: "10100", Project: "WEB", Name: hostileTitle, ReleaseDate: date(day(5)), StartDate: date(day(-40))})
	for i, title := range hostileItems(24) {
		p := 2.0
		is := fakejira.Issue{Project: "WEB", Summary: title, Description: title, FixVersions: []string{"10100"}, Created: day(-39 + i%5), Points: &p}
		if i < 4 {
			is.Category, is.Resolved, is.Updated = "done", day(-30+i*7), day(-30+i*7)
		}
		s.AddIssue(is)
	}
	s.AddProject("REV")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, []byte(`version: 1
rules: `+filepath.Join(repoRoot(t), "rules.yaml")+`
state: {driver: sqlite, path: state.db}
forecast: {trials: 2000}
sources:
  - name: jira
    jira: {base_url: `+s.URL+`, deployment: cloud, auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}, projects: [WEB], client: acme}
target:
  jira: {base_url: `+s.URL+`, deployment: cloud, auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}, project: REV}
`+demoClients))
	code, _, stderr := forewarn(map[string]string{"JIRA_EMAIL": email, "JIRA_TOKEN": token}, "run", "--config", cfg)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	issues := s.Issues("REV")
	if len(issues) == 0 {
		t.Fatal("no ticket opened for the hostile fix version")
	}
	for _, is := range issues {
		fp := ""
		for _, l := range is.Labels {
			if strings.HasPrefix(l, "fw-") {
				fp = l
			}
		}
		safeText(t, is.Key+" summary", is.Summary, maxTitle)
		safeBody(t, is.Key+" description", is.Description, fp, model.FormatJiraWiki)
		for i, c := range is.Comments {
			safeText(t, fmt.Sprintf("%s comment %d", is.Key, i), c, 0)
		}
	}
}
