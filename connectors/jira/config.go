package jira

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/forewarn/forewarn/internal/duration"
)

// Deployment says which Jira flavour a site is.
type Deployment string

const (
	DeployAuto       Deployment = "auto"       // Cloud for *.atlassian.net and when serverInfo says so
	DeployCloud      Deployment = "cloud"      // enhanced search, token paging, basic auth
	DeployDataCenter Deployment = "datacenter" // /rest/api/2/search, offset paging, bearer PAT
)

// AuthConfig names the environment variables holding the credentials. A
// config never holds a secret itself.
type AuthConfig struct {
	EmailEnv string `yaml:"email_env" desc:"Jira Cloud: environment variable holding the account's email (basic auth with token_env)."`
	TokenEnv string `yaml:"token_env" desc:"Jira Cloud: environment variable holding the API token."`
	PATEnv   string `yaml:"pat_env" desc:"Jira Data Center: environment variable holding a personal access token (bearer)."`
}

// ConnConfig is what sources and targets share: where the site is, which
// flavour it is, and how to authenticate.
type ConnConfig struct {
	BaseURL    string             `yaml:"base_url" desc:"Site URL, e.g. https://acme.atlassian.net or https://jira.example.com (with any context path)."`
	Deployment Deployment         `yaml:"deployment" desc:"auto (default), cloud or datacenter: chooses the search endpoint and its paging."`
	Auth       AuthConfig         `yaml:"auth" desc:"Credentials: email_env + token_env (Cloud) or pat_env (Data Center)."`
	MaxWait    *duration.Duration `yaml:"max_wait" desc:"Longest single wait for a rate limit, e.g. 60s (default); longer waits stop the call cleanly."`
	Timeout    *duration.Duration `yaml:"timeout" desc:"Deadline for this connector within one run, e.g. 10m (default)."`
}

func (c ConnConfig) validate(errs *[]error) {
	if c.BaseURL == "" {
		*errs = append(*errs, errors.New("base_url: required (e.g. https://acme.atlassian.net)"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		*errs = append(*errs, fmt.Errorf("base_url: %q is not an http(s) URL without credentials", redactURL(c.BaseURL)))
	}
	switch c.Deployment {
	case "", DeployAuto, DeployCloud, DeployDataCenter:
	default:
		*errs = append(*errs, fmt.Errorf("deployment: %q is not one of auto, cloud, datacenter", c.Deployment))
	}
	a := c.Auth
	basic := a.EmailEnv != "" || a.TokenEnv != ""
	switch {
	case basic && a.PATEnv != "":
		*errs = append(*errs, errors.New("auth: give email_env + token_env (Cloud) or pat_env (Data Center), not both"))
	case basic && (a.EmailEnv == "" || a.TokenEnv == ""):
		*errs = append(*errs, errors.New("auth: email_env and token_env go together (Cloud basic auth)"))
	case !basic && a.PATEnv == "":
		*errs = append(*errs, errors.New("auth: required: email_env + token_env (Cloud) or pat_env (Data Center)"))
	}
	for key, v := range map[string]string{"auth.email_env": a.EmailEnv, "auth.token_env": a.TokenEnv, "auth.pat_env": a.PATEnv} {
		if v != "" && !envRe.MatchString(v) {
			// The value is not shown: a secret pasted here by mistake would be.
			*errs = append(*errs, fmt.Errorf("%s: not an environment variable name (give the variable's name, never the secret; the value is not shown)", key))
		}
	}
	if c.Deployment == DeployCloud && a.PATEnv != "" {
		*errs = append(*errs, errors.New("auth.pat_env: Jira Cloud refuses personal access tokens (403); use email_env + token_env"))
	}
	if c.MaxWait != nil && *c.MaxWait <= 0 {
		*errs = append(*errs, errors.New("max_wait: must be positive (e.g. 60s)"))
	}
	if c.Timeout != nil && *c.Timeout <= 0 {
		*errs = append(*errs, errors.New("timeout: must be positive (e.g. 10m)"))
	}
}

// BlockedConfig says how a blocked item is recognised. Any one suffices.
type BlockedConfig struct {
	Flag      *bool    `yaml:"flag" desc:"Jira's Flagged field (Impediment) marks an item blocked (default true)."`
	Labels    []string `yaml:"labels" desc:"Labels that mark an item blocked (default: blocked)."`
	LinkTypes []string `yaml:"link_types" desc:"Inward link descriptions meaning blocked, e.g. \"is blocked by\" (default); the link counts while the other issue is not done."`
}

// SourceConfig is the `jira:` section of a source.
type SourceConfig struct {
	ConnConfig `yaml:",inline"`

	Projects []string `yaml:"projects" desc:"Project keys whose fix versions are read."`
	Boards   []int    `yaml:"boards" desc:"Agile board ids whose active and recently closed sprints are read."`

	FixVersions *bool `yaml:"fix_versions" desc:"Read the projects' fix versions (default true)."`
	Sprints     *bool `yaml:"sprints" desc:"Read the boards' sprints (default true when boards are given)."`
	Archived    bool  `yaml:"archived" desc:"Include archived fix versions (default false)."`

	ClosedLookback *duration.Duration `yaml:"closed_lookback" desc:"Released versions and closed sprints are read while they ended at most this long ago, e.g. 90d (default); 0 for none."`

	StoryPoints string  `yaml:"story_points" desc:"Story points field, by name or id (default: the field named \"Story Points\" or \"Story point estimate\", found via /rest/api/2/field)."`
	DefaultSize float64 `yaml:"default_size" desc:"Size of an item without story points (default 1; not an estimate)."`

	Blocked BlockedConfig `yaml:"blocked" desc:"How a blocked item is recognised."`

	Client  string            `yaml:"client" desc:"Client id (from clients:) of this source's milestones."`
	Clients map[string]string `yaml:"clients" desc:"Client id per project key, overriding client."`

	ChangelogBudget *int               `yaml:"changelog_budget" desc:"Most changelog lookups per run, to learn when an item joined a sprint or version (default 200); the rest fall back to creation time and are reported."`
	SafetyMargin    *duration.Duration `yaml:"safety_margin" desc:"Incremental sync asks for items updated since the last sync minus this margin (default 15m)."`
	FullSyncEvery   *duration.Duration `yaml:"full_sync_every" desc:"A full read replaces the incremental one this often, catching deleted items (default 24h; 0: always full)."`
	PageSize        int                `yaml:"page_size" desc:"Issues per search page (default 100, at most 1000)."`
	Concurrency     int                `yaml:"concurrency" desc:"Changelog lookups sent at once (default 1, at most 4: Jira Cloud limits request rate per site, and every forewarn source and person shares it)."`
}

// Validate reports every problem, each naming its yaml key.
// ClientIDs lists the client ids the source names (client and the values
// of clients), so loading can refuse one that clients: does not define.
func (c SourceConfig) ClientIDs() map[string]string {
	ids := map[string]string{}
	if c.Client != "" {
		ids["client"] = c.Client
	}
	for k, id := range c.Clients {
		ids["clients["+k+"]"] = id
	}
	return ids
}

func (c SourceConfig) Validate() error {
	var errs []error
	c.ConnConfig.validate(&errs)
	if len(c.Projects) == 0 && len(c.Boards) == 0 {
		errs = append(errs, errors.New("projects: give project keys (fix versions) and/or boards (sprints)"))
	}
	seen := map[string]bool{}
	for i, p := range c.Projects {
		if !projectRe.MatchString(p) {
			errs = append(errs, fmt.Errorf("projects[%d]: %q is not a Jira project key (e.g. WEB)", i, p))
		} else if seen[p] {
			errs = append(errs, fmt.Errorf("projects[%d]: %q is listed twice", i, p))
		}
		seen[p] = true
	}
	seenB := map[int]bool{}
	for i, b := range c.Boards {
		if b <= 0 {
			errs = append(errs, fmt.Errorf("boards[%d]: %d is not a board id", i, b))
		} else if seenB[b] {
			errs = append(errs, fmt.Errorf("boards[%d]: %d is listed twice", i, b))
		}
		seenB[b] = true
	}
	if c.Concurrency < 0 || c.Concurrency > 4 {
		errs = append(errs, fmt.Errorf("concurrency: %d is out of range (1 to 4; 0 means 1)", c.Concurrency))
	}
	if c.Sprints != nil && *c.Sprints && len(c.Boards) == 0 {
		errs = append(errs, errors.New("sprints: true needs boards (sprints are read through the boards)"))
	}
	if c.FixVersions != nil && *c.FixVersions && len(c.Projects) == 0 {
		errs = append(errs, errors.New("fix_versions: true needs projects"))
	}
	if c.StoryPoints != "" && strings.TrimSpace(c.StoryPoints) == "" {
		errs = append(errs, errors.New("story_points: blank field name"))
	}
	if c.DefaultSize < 0 {
		errs = append(errs, errors.New("default_size: cannot be negative"))
	}
	for i, l := range c.Blocked.Labels {
		if l == "" || strings.ContainsAny(l, " \t") {
			errs = append(errs, fmt.Errorf("blocked.labels[%d]: %q is not a Jira label (no spaces)", i, l))
		}
	}
	for i, l := range c.Blocked.LinkTypes {
		if strings.TrimSpace(l) == "" {
			errs = append(errs, fmt.Errorf("blocked.link_types[%d]: empty", i))
		}
	}
	for p := range c.Clients {
		if !projectRe.MatchString(p) {
			errs = append(errs, fmt.Errorf("clients: key %q is not a project key", p))
		}
	}
	if c.ChangelogBudget != nil && *c.ChangelogBudget < 0 {
		errs = append(errs, errors.New("changelog_budget: cannot be negative"))
	}
	if c.PageSize < 0 || c.PageSize > 1000 {
		errs = append(errs, fmt.Errorf("page_size: %d is not between 1 and 1000", c.PageSize))
	}
	return errors.Join(errs...)
}

// TargetConfig is the `jira:` section of the target: the review project
// where forewarn's drafts are opened.
type TargetConfig struct {
	ConnConfig `yaml:",inline"`

	Project    string   `yaml:"project" desc:"Key of the review project where tickets are opened."`
	IssueType  string   `yaml:"issue_type" desc:"Issue type name of the tickets (default Task)."`
	Labels     []string `yaml:"labels" desc:"Labels added to every ticket, besides forewarn's own."`
	Components []string `yaml:"components" desc:"Component names set on every ticket."`
	Priority   string   `yaml:"priority" desc:"Priority name set on new tickets (default: the project's default)."`
	Assignee   string   `yaml:"assignee" desc:"Assignee when the client names none: an account id (Cloud) or a user name (Data Center)."`

	// Link says how a ticket points at the fix version it is about: by
	// setting fixVersions (only possible when the version belongs to the
	// review project), by a web link, both, or not at all.
	Link string `yaml:"link" desc:"How a ticket points at its milestone: auto (default: fix version when the version is in the review project, else a web link), fix_version, web_link or none."`

	ReopenTransitions  []string `yaml:"reopen_transitions" desc:"Transition names tried, in order, to reopen a ticket (default: Reopen, Reopen Issue, Back to To Do, To Do; else any transition to a not-done status)."`
	WontDoResolutions  []string `yaml:"wont_do_resolutions" desc:"Resolutions that mean won't do: such tickets are never reopened (default: Won't Fix, Won't Do, Declined, Duplicate, Cannot Reproduce)."`
	AttachmentsEnabled *bool    `yaml:"attachments" desc:"Attach the burn-down chart (default true)."`
}

// Validate reports every problem, each naming its yaml key.
func (c TargetConfig) Validate() error {
	var errs []error
	c.ConnConfig.validate(&errs)
	if c.Project == "" {
		errs = append(errs, errors.New("project: required (the review project's key)"))
	} else if !projectRe.MatchString(c.Project) {
		errs = append(errs, fmt.Errorf("project: %q is not a Jira project key", c.Project))
	}
	for i, l := range c.Labels {
		if l == "" || strings.ContainsAny(l, " \t") {
			errs = append(errs, fmt.Errorf("labels[%d]: %q is not a Jira label (no spaces)", i, l))
		}
	}
	for i, comp := range c.Components {
		if strings.TrimSpace(comp) == "" {
			errs = append(errs, fmt.Errorf("components[%d]: empty", i))
		}
	}
	switch c.Link {
	case "", "auto", "fix_version", "web_link", "none":
	default:
		errs = append(errs, fmt.Errorf("link: %q is not one of auto, fix_version, web_link, none", c.Link))
	}
	for i, t := range c.ReopenTransitions {
		if strings.TrimSpace(t) == "" {
			errs = append(errs, fmt.Errorf("reopen_transitions[%d]: empty", i))
		}
	}
	return errors.Join(errs...)
}

var (
	envRe     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	projectRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,254}$`)
)

// redactURL drops any user info from a URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	return u.String()
}
