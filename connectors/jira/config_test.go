package jira_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/connectors/jira"
	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// The sections decode strictly, as the app's registry decodes them.
func TestSectionsDecodeStrictly(t *testing.T) {
	src := `base_url: https://acme.atlassian.net
deployment: auto
auth: {email_env: JIRA_EMAIL, token_env: JIRA_TOKEN}
projects: [WEB, APP]
boards: [12]
fix_versions: true
closed_lookback: 90d
story_points: Story point estimate
default_size: 2
blocked: {flag: false, labels: [blocked, waiting], link_types: ["is blocked by"]}
client: acme
clients: {APP: globex}
changelog_budget: 50
safety_margin: 10m
full_sync_every: 12h
page_size: 200
max_wait: 30s
timeout: 5m
`
	n, err := yamlx.Parse("forewarn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var c jira.SourceConfig
	l := &diag.List{}
	yamlx.Decode("forewarn.yaml", n, &c, "", l)
	if err := l.Err(); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, d := range []struct {
		got, want time.Duration
	}{{c.ClosedLookback.Or(0), 90 * 24 * time.Hour}, {c.SafetyMargin.Or(0), 10 * time.Minute}, {c.FullSyncEvery.Or(0), 12 * time.Hour},
		{c.MaxWait.Or(0), 30 * time.Second}, {c.Timeout.Or(0), 5 * time.Minute}} {
		if d.got != d.want {
			t.Errorf("decoded duration %v, want %v", d.got, d.want)
		}
	}
	if c.Auth.TokenEnv != "JIRA_TOKEN" || *c.ChangelogBudget != 50 || *c.Blocked.Flag || c.Clients["APP"] != "globex" || c.BaseURL == "" {
		t.Fatalf("decoded %+v", c)
	}

	bad := "base_url: https://jira.example.com\nauth: {pat_env: JIRA_PAT}\nproject: REV\nreviewers: [sam]\n"
	n, _ = yamlx.Parse("forewarn.yaml", []byte(bad))
	var tc jira.TargetConfig
	l = &diag.List{}
	yamlx.Decode("forewarn.yaml", n, &tc, "", l)
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "forewarn.yaml:4:1") || !strings.Contains(err.Error(), `unknown key "reviewers"`) {
		t.Fatalf("want the unknown key with its position, got %v", err)
	}
}

func TestValidateNamesEveryKey(t *testing.T) {
	no := false
	neg := -1
	var zero duration.Duration
	for _, tc := range []struct {
		name string
		err  error
		want []string
	}{
		{"empty source", jira.SourceConfig{}.Validate(), []string{"base_url: required", "auth: required", "projects: give"}},
		{"bad source", jira.SourceConfig{ConnConfig: jira.ConnConfig{BaseURL: "ftp://x", Deployment: "server",
			Auth: jira.AuthConfig{EmailEnv: "A", PATEnv: "B"}, MaxWait: &zero},
			Projects: []string{"web", "WEB", "WEB"}, Boards: []int{0}, ChangelogBudget: &neg,
			PageSize: 5000, Blocked: jira.BlockedConfig{Labels: []string{"on hold"}}, FixVersions: &no}.Validate(),
			[]string{"base_url:", "deployment:", "auth: give", "max_wait:", "projects[0]:", "projects[2]: \"WEB\" is listed twice",
				"boards[0]:", "changelog_budget:", "page_size:", "blocked.labels[0]:"}},
		{"cloud with a PAT", jira.SourceConfig{ConnConfig: jira.ConnConfig{BaseURL: "https://a.atlassian.net", Deployment: jira.DeployCloud,
			Auth: jira.AuthConfig{PATEnv: "P"}}, Projects: []string{"WEB"}}.Validate(), []string{"auth.pat_env: Jira Cloud refuses"}},
		{"half basic auth", jira.SourceConfig{ConnConfig: jira.ConnConfig{BaseURL: "https://a.atlassian.net",
			Auth: jira.AuthConfig{EmailEnv: "E"}}, Projects: []string{"WEB"}}.Validate(), []string{"auth: email_env and token_env go together"}},
		{"empty target", jira.TargetConfig{}.Validate(), []string{"base_url: required", "project: required"}},
		{"bad target", jira.TargetConfig{ConnConfig: jira.ConnConfig{BaseURL: "https://user:pw@jira.example.com", Auth: jira.AuthConfig{PATEnv: "1X"}},
			Project: "rev", Labels: []string{"two words"}, Link: "sideways", Components: []string{" "}}.Validate(),
			[]string{"base_url:", "auth.pat_env:", "project:", "labels[0]:", "link:", "components[0]:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(tc.err.Error(), w) {
					t.Errorf("error %q lacks %q", tc.err, w)
				}
			}
			if strings.Contains(tc.err.Error(), "pw@") {
				t.Errorf("error shows URL credentials: %q", tc.err)
			}
		})
	}
	// Validate is applied by the constructors too.
	if _, err := jira.NewSource("x", jira.SourceConfig{}, newSite(t, true).env); err == nil {
		t.Error("NewSource accepted an empty config")
	}
}

func TestWaitForReadsJiraResetHeader(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		header map[string]string
		ok     bool
		min    time.Duration
	}{
		{"429 with an ISO reset", 429, map[string]string{"X-RateLimit-Reset": time.Now().Add(20 * time.Second).UTC().Format(time.RFC3339)}, true, 15 * time.Second},
		{"429 with Retry-After is left to httpx", 429, map[string]string{"Retry-After": "5"}, false, 0},
		{"200 is no limit", 200, map[string]string{"X-RateLimit-Reset": time.Now().UTC().Format(time.RFC3339)}, false, 0},
		{"429 without headers", 429, nil, false, 0},
	} {
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
		for k, v := range tc.header {
			resp.Header.Set(k, v)
		}
		d, ok := jira.WaitFor(resp)
		if ok != tc.ok || d < tc.min || d > 21*time.Second {
			t.Errorf("%s: %v %v", tc.name, d, ok)
		}
	}
}

func TestRoutePath(t *testing.T) {
	for in, want := range map[string]string{
		"/rest/api/2/issue/WEB-12/comment":     "/rest/api/2/issue/{key}/comment",
		"/jira/rest/api/2/project/WEB/version": "/rest/api/2/project/{key}/version",
		"/rest/agile/1.0/board/12/sprint":      "/rest/agile/1.0/board/{id}/sprint",
		"/rest/api/2/search/jql":               "/rest/api/2/search/jql",
		"/rest/api/2/issue/10001/attachments":  "/rest/api/2/issue/{key}/attachments",
	} {
		if got := jira.RoutePath(in); got != want {
			t.Errorf("RoutePath(%q) = %q, want %q", in, got, want)
		}
	}
}

var _ = errors.New

// TestDurationsAreTypedAtDecode: every duration of a Jira section is
// parsed once, when it is decoded, and a bad one is reported at its value
// (file:line:col), all at once.
func TestDurationsAreTypedAtDecode(t *testing.T) {
	src := "base_url: https://jira.example.com\nauth: {pat_env: P}\nprojects: [WEB]\nclosed_lookback: 3 months\nsafety_margin: -5m\nfull_sync_every: {h: 1}\ntimeout: soon\n"
	n, err := yamlx.Parse("forewarn.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var c jira.SourceConfig
	l := &diag.List{}
	yamlx.DecodeAt("forewarn.yaml", n, &c, "", "sources[1].jira", l)
	got := l.Err()
	for _, want := range []string{
		`forewarn.yaml:4:18: sources[1].jira.closed_lookback: "3 months" is not a duration`,
		`forewarn.yaml:5:16: sources[1].jira.safety_margin: "-5m" is not a duration`,
		`forewarn.yaml:6:18: sources[1].jira.full_sync_every: want a duration (such as 90s, 10m or 14d), got a mapping`,
		`forewarn.yaml:7:10: sources[1].jira.timeout: "soon" is not a duration`,
	} {
		if got == nil || !strings.Contains(got.Error(), want) {
			t.Errorf("missing %q in\n%v", want, got)
		}
	}
	if len(c.Projects) != 1 {
		t.Errorf("the rest of the section was not decoded: %+v", c)
	}
}
