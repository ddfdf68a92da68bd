package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	forewarn "github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/exitcode"
)

// initFlags is the FlagSet of init (help prints it too).
func initFlags(getenv func(string) string) (*flag.FlagSet, *initArgs) {
	fs := flag.NewFlagSet("forewarn init", flag.ContinueOnError)
	var a initArgs
	def := getenv("FOREWARN_CONFIG")
	if def == "" {
		def = "forewarn.yaml"
	}
	fs.StringVar(&a.config, "config", def, "configuration `file` to write")
	fs.BoolVar(&a.rules, "rules", false, "also write the default rules to rules.yaml beside it, and point the configuration at them")
	fs.BoolVar(&a.force, "force", false, "overwrite files that exist")
	return fs, &a
}

type initArgs struct {
	config       string
	rules, force bool
}

func init() {
	extra["init"] = initCommand
	h := helps["init"]
	h.flags = func(getenv func(string) string) *flag.FlagSet { fs, _ := initFlags(getenv); return fs }
	helps["init"] = h
}

// initCommand writes a starter configuration for the trackers named.
func initCommand(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fset, a := initFlags(getenv)
	fset.SetOutput(stderr)
	// Flags may come before or after the trackers.
	var trackers []string
	for {
		if err := fset.Parse(args); err != nil {
			return exitcode.Usage
		}
		if fset.NArg() == 0 {
			break
		}
		trackers = append(trackers, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(trackers) == 0 {
		fmt.Fprintln(stderr, "forewarn init: name the trackers to read: github, jira or file (e.g. forewarn init github)")
		return exitcode.Usage
	}
	seen := map[string]bool{}
	for _, t := range trackers {
		if _, ok := starterSources[t]; !ok {
			fmt.Fprintf(stderr, "forewarn init: unknown tracker %q (want github, jira or file)\n", t)
			return exitcode.Usage
		}
		if seen[t] {
			fmt.Fprintf(stderr, "forewarn init: %s is named twice\n", t)
			return exitcode.Usage
		}
		seen[t] = true
	}
	rulesPath := filepath.Join(filepath.Dir(a.config), "rules.yaml")
	files := map[string][]byte{a.config: []byte(starter(trackers, a.rules))}
	if a.rules {
		files[rulesPath] = forewarn.DefaultRules
	}
	if !a.force {
		for p := range files {
			if _, err := os.Stat(p); err == nil {
				fmt.Fprintf(stderr, "forewarn init: %s exists; nothing was written (--force overwrites)\n", p)
				return exitcode.Usage
			} else if !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(stderr, "forewarn init: %v\n", err)
				return exitcode.Partial
			}
		}
	}
	for _, p := range []string{a.config, rulesPath} {
		data, ok := files[p]
		if !ok {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintf(stderr, "forewarn init: %v\n", err)
			return exitcode.Partial
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			fmt.Fprintf(stderr, "forewarn init: %v\n", err)
			return exitcode.Partial
		}
		fmt.Fprintf(stdout, "wrote %s\n", p)
	}
	fmt.Fprintf(stdout, "next: edit the placeholders (search for CHANGE-ME), then\n  forewarn check --config %s\n  forewarn plan --config %s\n", a.config, a.config)
	return exitcode.OK
}

// starterSources are the commented source sections init writes.
var starterSources = map[string]string{
	"github": `  - name: github
    github:
      repos: [CHANGE-ME/your-repo]     # owner/name; or org: + topic:
      client: client-1                 # the client (below) these milestones are for
      token_env: GITHUB_TOKEN          # the variable holding a token (never the token itself)
      concurrency: 1                   # requests at once, 1 to 4 (GitHub asks for one at a time)
`,
	"jira": `  - name: jira
    jira:
      base_url: https://CHANGE-ME.atlassian.net
      deployment: auto                 # cloud | datacenter | auto
      auth: {email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}   # Data Center: {pat_env: JIRA_PAT}
      projects: [CHANGEME]             # their fix versions are read
      client: client-1
`,
	"file": `  - name: export
    file:
      path: export.yaml                # a tracker export on disk; each milestone names its client
`,
}

// starterTargets: where tickets go, picked from the first tracker named.
var starterTargets = map[string]string{
	"github": `target:
  github:
    repo: CHANGE-ME/delivery          # the repository the drafts are opened in, for review
    token_env: GITHUB_TOKEN
`,
	"jira": `target:
  jira:
    base_url: https://CHANGE-ME.atlassian.net
    auth: {email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}
    project: CHANGEME                  # the review project the drafts are opened in
`,
	"file": `target:
  outbox:
    dir: outbox                        # drafts as Markdown files, for review
`,
}

func starter(trackers []string, withRules bool) string {
	var b strings.Builder
	b.WriteString(`# forewarn configuration, written by forewarn init.
# Check it with: forewarn check    (every problem at once, as file:line:col)
# Preview with:  forewarn plan     (prints what a run would do, writes nothing)
# Keys and defaults: forewarn schema config; README.md, "Configuration".
version: 1
`)
	if withRules {
		b.WriteString("\n# The rules (when to draft a client notice, a progress update, a post-mortem).\n# Leave this out to use the rules built into forewarn.\nrules: rules.yaml\n")
	} else {
		b.WriteString("\n# rules: is left out: the rules built into forewarn are used.\n# forewarn init --rules writes a copy to edit.\n")
	}
	b.WriteString(`
# Where forewarn remembers what it wrote (so every ticket is created once).
state:
  driver: sqlite                       # sqlite | postgres (dsn_env) | none
  path: .forewarn/state.db

# Where milestones, fix versions and sprints are read.
sources:
`)
	for _, t := range trackers {
		b.WriteString(starterSources[t])
	}
	b.WriteString("\n# Where the drafts are opened for people to review.\n")
	b.WriteString(starterTargets[trackers[0]])
	b.WriteString(`
# How forecasts are made: every key is optional (forewarn schema config).
# The team's record on the last closed milestones of the same repository,
# project or board calibrates each forecast; count: 0 turns it off.
# forecast:
#   history: {count: 10, months: 12}   # the last 10, closed within 12 months
`)
	b.WriteString(`
# The clients milestones are delivered to.
clients:
  - id: client-1
    name: CHANGE-ME Client Ltd
    contact: CHANGE-ME               # the person the notice is addressed to
    owner: CHANGE-ME                 # the account owner who sends it
    locale: en                       # en | nl
    time_zone: Europe/London
`)
	return b.String()
}
