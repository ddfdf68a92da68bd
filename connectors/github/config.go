package github

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/forewarn/forewarn/internal/duration"
)

// AuthConfig is how forewarn authenticates: a token from an environment
// variable (the default, GITHUB_TOKEN as in Actions), or a GitHub App
// installation when app_id is set.
type AuthConfig struct {
	TokenEnv string `yaml:"token_env" desc:"Environment variable holding the token (default GITHUB_TOKEN)."`
	// App authentication: installation tokens minted from the app's key.
	AppID          int64  `yaml:"app_id" desc:"GitHub App id; when set, the app's installation token is used instead of token_env."`
	InstallationID int64  `yaml:"installation_id" desc:"Installation id of the GitHub App."`
	PrivateKeyEnv  string `yaml:"private_key_env" desc:"Environment variable holding the app's PEM private key."`
	PrivateKeyFile string `yaml:"private_key_file" desc:"File holding the app's PEM private key (relative to the config)."`
	// BaseURL is the API of GitHub Enterprise Server (https://ghe.example/api/v3).
	BaseURL string `yaml:"base_url" desc:"API base URL for GitHub Enterprise Server; empty for github.com."`
	// MaxWait caps any single wait for a rate limit ("60s").
	MaxWait *duration.Duration `yaml:"max_wait" desc:"Longest single wait for a rate limit, e.g. 60s (default); longer waits stop the run cleanly."`
}

func (a AuthConfig) tokenEnv() string {
	if a.TokenEnv == "" {
		return "GITHUB_TOKEN"
	}
	return a.TokenEnv
}

func (a AuthConfig) validate(errs *[]error) {
	if a.AppID != 0 || a.InstallationID != 0 || a.PrivateKeyEnv != "" || a.PrivateKeyFile != "" {
		if a.AppID <= 0 {
			*errs = append(*errs, errors.New("app_id: required (a positive number) for GitHub App authentication"))
		}
		if a.InstallationID <= 0 {
			*errs = append(*errs, errors.New("installation_id: required (a positive number) for GitHub App authentication"))
		}
		if (a.PrivateKeyEnv == "") == (a.PrivateKeyFile == "") {
			*errs = append(*errs, errors.New("private_key_env, private_key_file: give exactly one for GitHub App authentication"))
		}
		if a.TokenEnv != "" {
			*errs = append(*errs, errors.New("token_env: not used with GitHub App authentication (app_id is set); remove one"))
		}
	}
	if a.TokenEnv != "" && !envRe.MatchString(a.TokenEnv) {
		// The value is not shown: a token pasted here by mistake would be.
		*errs = append(*errs, errors.New("token_env: not an environment variable name (give the variable's name, e.g. GITHUB_TOKEN, never the token; the value is not shown)"))
	}
	if a.PrivateKeyEnv != "" && !envRe.MatchString(a.PrivateKeyEnv) {
		*errs = append(*errs, errors.New("private_key_env: not an environment variable name (give the variable's name, never the key; the value is not shown)"))
	}
	if a.BaseURL != "" {
		u, err := url.Parse(a.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			*errs = append(*errs, fmt.Errorf("base_url: %q is not an http(s) URL", a.BaseURL))
		}
	}
	if a.MaxWait != nil && *a.MaxWait <= 0 {
		*errs = append(*errs, errors.New("max_wait: must be positive (e.g. 60s, 5m)"))
	}
}

var (
	envRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	repoRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	nameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// SizeConfig says how an issue's size is read from its labels. A label
// matching one of Labels exactly gives that size; otherwise a label that
// starts with one of Prefixes and ends in a number gives the number
// ("points:3"). Issues with neither count as Default (not an estimate).
type SizeConfig struct {
	Prefixes []string           `yaml:"prefixes" desc:"Label prefixes followed by a number, e.g. \"points:\" (default points:, estimate:, size:)."`
	Labels   map[string]float64 `yaml:"labels" desc:"Exact labels and their size, e.g. size/M: 3 (default size/XS..size/XL = 1,2,3,5,8)."`
	Default  float64            `yaml:"default" desc:"Size of an issue without a size label (default 1)."`
}

// SourceConfig is the `github:` section of a source.
type SourceConfig struct {
	AuthConfig `yaml:",inline"`

	Repos []string `yaml:"repos" desc:"Repositories as owner/name."`
	Org   string   `yaml:"org" desc:"An organisation whose repositories are read (with topic: only those carrying it)."`
	Topic string   `yaml:"topic" desc:"Repository topic that selects the org's repositories."`

	IncludePullRequests bool `yaml:"include_pull_requests" desc:"Count pull requests in a milestone as work items (default false)."`

	Sizes            SizeConfig `yaml:"sizes" desc:"How sizes are read from labels."`
	InProgressLabels []string   `yaml:"in_progress_labels" desc:"Labels meaning work has started (default: in progress, in-progress, status: in progress, doing)."`
	BlockedLabels    []string   `yaml:"blocked_labels" desc:"Labels meaning an issue is blocked (default: blocked)."`

	ClosedWithin *duration.Duration `yaml:"closed_within" desc:"Closed milestones are read while closed at most this long ago, e.g. 90d (default); 0 for none."`

	Client  string            `yaml:"client" desc:"Client id (from clients:) of this source's milestones."`
	Clients map[string]string `yaml:"clients" desc:"Client id per repository (owner/name), overriding client."`

	// JoinedEvents chooses which issues get an events lookup to learn when
	// they joined their milestone: "older" (created before the milestone;
	// the default), "all", or "none".
	JoinedEvents    string `yaml:"joined_events" desc:"Which issues get an events lookup for when they joined the milestone: older (default), all or none."`
	JoinedEventsMax *int   `yaml:"joined_events_max" desc:"Most event lookups per run (default 200); the rest fall back and are reported."`

	// Budget is the most requests counted against the rate limit one run
	// may spend (cached 304 answers are free). When it runs out the
	// remaining milestones are reported as not read, and the next run
	// starts with them.
	Budget int `yaml:"budget" desc:"Most rate-limited requests per run (default 2000); the next run resumes where this one stopped."`

	// Concurrency is how many requests the source has in flight at once.
	Concurrency int `yaml:"concurrency" desc:"Requests in flight at once (default 1, at most 4: GitHub asks integrations to make requests serially and answers too many at once with secondary rate limits; with 1 a page is still decoded while the next is on the wire)."`

	// Timeout is the source's deadline within a run: no wait for a rate
	// limit ends past it, and milestones not reached are reported.
	Timeout *duration.Duration `yaml:"timeout" desc:"Deadline for reading this source in one run, e.g. 10m (default)."`
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
	c.AuthConfig.validate(&errs)
	switch {
	case len(c.Repos) == 0 && c.Org == "":
		errs = append(errs, errors.New("repos: give a list of owner/name, or org (with an optional topic)"))
	case len(c.Repos) > 0 && c.Org != "":
		errs = append(errs, errors.New("repos, org: give one of them, not both"))
	}
	seen := map[string]bool{}
	for i, r := range c.Repos {
		if !repoRe.MatchString(r) {
			errs = append(errs, fmt.Errorf("repos[%d]: %q is not owner/name", i, r))
		} else if seen[strings.ToLower(r)] {
			errs = append(errs, fmt.Errorf("repos[%d]: %q is listed twice", i, r))
		}
		seen[strings.ToLower(r)] = true
	}
	if c.Org != "" && !nameRe.MatchString(c.Org) {
		errs = append(errs, fmt.Errorf("org: %q is not an organisation name", c.Org))
	}
	if c.Topic != "" && c.Org == "" {
		errs = append(errs, errors.New("topic: only used with org"))
	}
	for p := range c.Sizes.Labels {
		if c.Sizes.Labels[p] < 0 {
			errs = append(errs, fmt.Errorf("sizes.labels.%s: a size cannot be negative", p))
		}
	}
	for i, p := range c.Sizes.Prefixes {
		if p == "" {
			errs = append(errs, fmt.Errorf("sizes.prefixes[%d]: empty prefix", i))
		}
	}
	if c.Sizes.Default < 0 {
		errs = append(errs, errors.New("sizes.default: a size cannot be negative"))
	}
	for r := range c.Clients {
		if !repoRe.MatchString(r) {
			errs = append(errs, fmt.Errorf("clients: key %q is not owner/name", r))
		}
	}
	switch c.JoinedEvents {
	case "", "older", "all", "none":
	default:
		errs = append(errs, fmt.Errorf("joined_events: %q is not one of older, all, none", c.JoinedEvents))
	}
	if c.JoinedEventsMax != nil && *c.JoinedEventsMax < 0 {
		errs = append(errs, errors.New("joined_events_max: cannot be negative"))
	}
	if c.Timeout != nil && *c.Timeout <= 0 {
		errs = append(errs, errors.New("timeout: must be positive (e.g. 10m)"))
	}
	if c.Budget < 0 {
		errs = append(errs, errors.New("budget: cannot be negative"))
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		errs = append(errs, fmt.Errorf("concurrency: %d is out of range (1 to %d; 0 means 1)", c.Concurrency, MaxConcurrency))
	}
	return errors.Join(errs...)
}

// MaxConcurrency bounds a source's concurrency: GitHub's guidance is to
// make requests serially, its hard secondary limit is 100 concurrent
// requests for all of a token's clients together, and a few at once are
// all a read gains from (the pages are decoded while the next ones are on
// the wire).
const MaxConcurrency = 4

// TargetConfig is the `github:` section of the target.
type TargetConfig struct {
	AuthConfig `yaml:",inline"`

	Repo      string   `yaml:"repo" desc:"Repository (owner/name) where tickets are opened; may differ from the sources."`
	Labels    []string `yaml:"labels" desc:"Labels added to every ticket, besides forewarn's own."`
	Assignees []string `yaml:"assignees" desc:"Logins assigned to every ticket, besides the client's owner."`
}

// Validate reports every problem, each naming its yaml key.
func (c TargetConfig) Validate() error {
	var errs []error
	c.AuthConfig.validate(&errs)
	if c.Repo == "" {
		errs = append(errs, errors.New("repo: required (owner/name)"))
	} else if !repoRe.MatchString(c.Repo) {
		errs = append(errs, fmt.Errorf("repo: %q is not owner/name", c.Repo))
	}
	for i, l := range c.Labels {
		if strings.TrimSpace(l) == "" || strings.Contains(l, ",") {
			errs = append(errs, fmt.Errorf("labels[%d]: %q is not a usable label (empty or containing a comma)", i, l))
		}
	}
	for i, a := range c.Assignees {
		if !nameRe.MatchString(a) {
			errs = append(errs, fmt.Errorf("assignees[%d]: %q is not a GitHub login", i, a))
		}
	}
	return errors.Join(errs...)
}
