// Package config reads forewarn's configuration file. It decodes strictly
// (unknown keys are errors) and validates everything it owns, reporting every
// problem at once as file:line:col. Sections that belong to other packages
// (connectors, forecast, drafts, state) are kept as YAML nodes with their
// positions and decoded by internal/app with the same strictness.
package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/duration"
	"github.com/forewarn/forewarn/internal/logx"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// BuiltinRules is the RulesPath of a configuration that leaves rules: out:
// the default rules built into the binary.
const BuiltinRules = "(built-in rules)"

// Version is the only configuration format version there is.
const Version = 1

// File is the configuration file as written by the user.
type File struct {
	Version int `yaml:"version" desc:"Format version; must be 1."`
	// Rules is the rules file, relative to this file. Default: the rules
	// built into the binary (BuiltinRules).
	Rules    string       `yaml:"rules" desc:"Path of the rules file, relative to this file (default: the rules built into forewarn)."`
	State    yaml.Node    `yaml:"state" desc:"Where forewarn keeps state between runs (driver: sqlite, postgres or none)."`
	Forecast yaml.Node    `yaml:"forecast" desc:"Forecast options (trials, seed, window, working days, holidays)."`
	Drafts   yaml.Node    `yaml:"drafts" desc:"Draft options (template_dir, confidence, check_in_days)."`
	Report   yaml.Node    `yaml:"report" desc:"The portfolio page: one HTML file of every milestone, written after each run and plan (path, locale)."`
	Sources  []SourceSpec `yaml:"sources" desc:"Trackers to read milestones from."`
	Target   TargetSpec   `yaml:"target" desc:"Where tickets are written: exactly one of outbox, github or jira."`
	Clients  []ClientSpec `yaml:"clients" desc:"The clients milestones are delivered to."`
	// Agreed lists re-baselined due dates agreed with clients.
	Agreed []AgreedSpec `yaml:"agreed_dates" desc:"New due dates agreed with a client after a notice; tracked like the original."`
	// ReopenWithin: a closed ticket whose rule fires again is reopened when
	// it was closed less than this long ago. Default 14d.
	// AsOf freezes the clock for every run of this configuration.
	AsOf         string             `yaml:"as_of" desc:"Evaluate as of this moment (RFC 3339 or YYYY-MM-DD) instead of the real time: demos, reproducing a past report. The --now flag overrides it."`
	ReopenWithin *duration.Duration `yaml:"reopen_within" desc:"Reopen a closed ticket when its rule fires again within this long after closing (default 14d)."`
}

// SourceSpec names a source and holds exactly one connector section.
type SourceSpec struct {
	Name   string     `yaml:"name" desc:"Name of the source, used in reports and milestone keys."`
	File   *yaml.Node `yaml:"file" desc:"A tracker export on disk."`
	GitHub *yaml.Node `yaml:"github" desc:"GitHub milestones."`
	Jira   *yaml.Node `yaml:"jira" desc:"Jira fix versions and sprints."`
}

// TargetSpec holds exactly one target section.
type TargetSpec struct {
	Outbox *yaml.Node `yaml:"outbox" desc:"Write tickets as Markdown files to a directory."`
	GitHub *yaml.Node `yaml:"github" desc:"Open tickets as GitHub issues."`
	Jira   *yaml.Node `yaml:"jira" desc:"Open tickets as Jira issues."`
}

// ClientSpec is a client as configured.
type ClientSpec struct {
	ID         string           `yaml:"id" desc:"Identifier milestones refer to."`
	Name       string           `yaml:"name" desc:"The client's name as used in drafts."`
	Contact    string           `yaml:"contact" desc:"Person the notice is addressed to."`
	Owner      string           `yaml:"owner" desc:"Account owner: sender of the notice and assignee of tickets."`
	TrackerID  string           `yaml:"tracker_id" desc:"Assignee id of the account owner in the target tracker (GitHub login or Jira account id)."`
	Locale     string           `yaml:"locale" desc:"Language of the drafts: en or nl."`
	TimeZone   string           `yaml:"time_zone" desc:"IANA time zone of the client, e.g. Europe/Amsterdam."`
	Concession string           `yaml:"concession" desc:"What the account offers when a date slips, stated plainly."`
	Confidence float64          `yaml:"confidence" desc:"Confidence of the new date offered (default 0.85)."`
	Dates      []ClientDateSpec `yaml:"dates" desc:"The client's own dates that depend on the delivery."`
}

// ClientDateSpec is one of the client's own dates.
type ClientDateSpec struct {
	Name string `yaml:"name"`
	Date string `yaml:"date" desc:"YYYY-MM-DD"`
}

// AgreedSpec is a new due date agreed for a milestone.
type AgreedSpec struct {
	Milestone string `yaml:"milestone" desc:"Key of the milestone, as shown by forewarn plan."`
	Date      string `yaml:"date" desc:"YYYY-MM-DD"`
}

// SourceKinds and TargetKinds are the connector keys a source and the
// target may hold: the section fields of SourceSpec and TargetSpec, in
// their order. internal/app's registry builds a connector for each (its
// test holds the lists equal).
var (
	SourceKinds = sectionKeys(reflect.TypeFor[SourceSpec]())
	TargetKinds = sectionKeys(reflect.TypeFor[TargetSpec]())
)

func sectionKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Type == reflect.TypeFor[*yaml.Node]() {
			keys = append(keys, strings.Split(f.Tag.Get("yaml"), ",")[0])
		}
	}
	return keys
}

// oneOf is "a, b or c".
func oneOf(keys []string) string {
	if len(keys) < 2 {
		return strings.Join(keys, "")
	}
	return strings.Join(keys[:len(keys)-1], ", ") + " or " + keys[len(keys)-1]
}

// Config is a loaded, validated configuration.
type Config struct {
	Path         string // the file it came from
	Dir          string // its directory: relative paths resolve against it
	File         File
	RulesPath    string
	Clients      map[string]model.Client
	Agreed       map[string][]time.Time // milestone key → agreed dates, in order
	ReopenWithin time.Duration
	AsOf         time.Time // zero: the real time
	Sources      []Source
	Target       Section
	// The sections other packages decode, with their positions (nil when
	// absent).
	State, Forecast, Drafts, Report *yaml.Node
}

// Source is one configured source: its name, kind and section.
type Source struct {
	Name string
	Kind string // "file", "github", "jira"
	Node *yaml.Node
}

// Section is a connector section with its kind.
type Section struct {
	Kind string
	Node *yaml.Node
}

// Load reads and validates the configuration at path. Problems come back
// as a *diag.List, all of them at once.
// A file larger than MaxSize is refused unread.
func Load(path string) (*Config, error) {
	data, err := readLimited(path)
	if err != nil {
		l := &diag.List{}
		l.AddAt(path, 0, 0, "", "cannot read configuration: %v", unwrapPathErr(err))
		return nil, l.Err()
	}
	return Parse(path, data)
}

// MaxSize is the largest configuration file forewarn reads (1 MiB): a
// real one is a few kilobytes, and a larger one is a mistake (a log or a
// data file given as --config) or hostile.
const MaxSize = 1 << 20

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("the file is larger than %d KiB; a configuration is a few kilobytes (is this the right file?)", MaxSize>>10)
	}
	return data, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Parse validates configuration text; path names it in messages and
// anchors relative paths. When the text is YAML but has problems, the
// *diag.List comes with what could be read of the configuration, so the
// caller can check its sections too and report everything at once; the
// configuration is unusable.
func Parse(path string, data []byte) (*Config, error) {
	root, err := yamlx.Parse(path, data)
	if err != nil {
		return nil, err
	}
	l := &diag.List{}
	var f File
	// Values of the wrong type are reported with the checks below: a
	// file's problems come all at once.
	if !yamlx.Decode(path, root, &f, "", l) {
		return nil, l.Err()
	}
	c := &Config{Path: path, Dir: filepath.Dir(path), File: f, Clients: map[string]model.Client{}, Agreed: map[string][]time.Time{}}

	key := func(name string) *yaml.Node { return yamlx.Child(root, name) }
	// Sections are taken from the node tree itself, which keeps their
	// positions for the packages that decode them.
	c.State, c.Forecast, c.Drafts, c.Report = key("state"), key("forecast"), key("drafts"), key("report")
	if f.Version != Version {
		l.Add(path, yamlx.Or(key("version"), root), "", "version must be %d (got %d)", Version, f.Version)
	}
	c.RulesPath = f.Rules
	if c.RulesPath == "" {
		c.RulesPath = BuiltinRules
	} else if !filepath.IsAbs(c.RulesPath) {
		c.RulesPath = filepath.Join(c.Dir, c.RulesPath)
	}

	if f.AsOf != "" {
		t, err := ParseTime(f.AsOf)
		if err != nil {
			l.Add(path, key("as_of"), "", "as_of: %v", err)
		}
		c.AsOf = t
	}

	c.ReopenWithin = f.ReopenWithin.Or(14 * 24 * time.Hour)

	// Sources: each names exactly one connector.
	srcSeq := key("sources")
	if len(f.Sources) == 0 {
		l.Add(path, yamlx.Or(srcSeq, root), "", "sources: at least one source is required")
	}
	names := map[string]bool{}
	for i, s := range f.Sources {
		n := root
		if srcSeq != nil && i < len(srcSeq.Content) {
			n = srcSeq.Content[i]
		}
		if !idRe.MatchString(s.Name) {
			l.Add(path, yamlx.Or(yamlx.Child(n, "name"), n), "", "sources[%d].name: must be letters, digits, '.', '_' or '-' (got %q)", i, s.Name)
		} else if names[s.Name] {
			l.Add(path, yamlx.Child(n, "name"), "", "sources[%d].name: %q is used twice", i, s.Name)
		}
		names[s.Name] = true
		var kinds []Source
		for _, kind := range SourceKinds {
			if kn := yamlx.Child(n, kind); kn != nil {
				kinds = append(kinds, Source{Name: s.Name, Kind: kind, Node: kn})
			}
		}
		if len(kinds) != 1 {
			l.Add(path, n, "", "sources[%d] (%s): give exactly one of %s", i, s.Name, oneOf(SourceKinds))
			continue
		}
		c.Sources = append(c.Sources, kinds[0])
	}

	// Target: exactly one.
	var targets []Section
	for _, kind := range TargetKinds {
		if kn := yamlx.Child(key("target"), kind); kn != nil {
			targets = append(targets, Section{Kind: kind, Node: kn})
		}
	}
	if len(targets) != 1 {
		l.Add(path, yamlx.Or(key("target"), root), "", "target: give exactly one of %s", oneOf(TargetKinds))
	} else {
		c.Target = targets[0]
	}

	// Clients.
	clSeq := key("clients")
	for i, cs := range f.Clients {
		n := root
		if clSeq != nil && i < len(clSeq.Content) {
			n = clSeq.Content[i]
		}
		at := func(k string) *yaml.Node { return yamlx.Or(yamlx.Child(n, k), n) }
		cl := model.Client{ID: cs.ID, Name: cs.Name, Contact: cs.Contact, Owner: cs.Owner, Tracker: cs.TrackerID,
			Locale: cs.Locale, TimeZone: cs.TimeZone, Concession: cs.Concession, Confidence: cs.Confidence}
		if !idRe.MatchString(cs.ID) {
			l.Add(path, at("id"), "", "clients[%d].id: must be letters, digits, '.', '_' or '-' (got %q)", i, cs.ID)
		} else if _, dup := c.Clients[cs.ID]; dup {
			l.Add(path, at("id"), "", "clients[%d].id: %q is used twice", i, cs.ID)
		}
		if cs.Name == "" {
			l.Add(path, at("name"), "", "clients[%d].name (%s): required", i, cs.ID)
		}
		if cl.Locale == "" {
			cl.Locale = "en"
		}
		if !slices.Contains([]string{"en", "nl"}, cl.Locale) {
			l.Add(path, at("locale"), "", "clients[%d].locale (%s): must be en or nl (got %q)", i, cs.ID, cs.Locale)
		}
		if cs.TimeZone != "" {
			if _, err := time.LoadLocation(cs.TimeZone); err != nil {
				l.Add(path, at("time_zone"), "", "clients[%d].time_zone (%s): unknown time zone %q", i, cs.ID, cs.TimeZone)
			}
		}
		if cs.Confidence != 0 && (cs.Confidence < 0.5 || cs.Confidence >= 1) {
			l.Add(path, at("confidence"), "", "clients[%d].confidence (%s): must be at least 0.5 and below 1 (got %g)", i, cs.ID, cs.Confidence)
		}
		dseq := yamlx.Child(n, "dates")
		for j, d := range cs.Dates {
			dn := n
			if dseq != nil && j < len(dseq.Content) {
				dn = yamlx.Or(yamlx.Child(dseq.Content[j], "date"), dseq.Content[j])
			}
			t, err := ParseDate(d.Date)
			if err != nil {
				l.Add(path, dn, "", "clients[%d].dates[%d].date (%s): %v", i, j, cs.ID, err)
				continue
			}
			cl.Dates = append(cl.Dates, model.ClientDate{Name: d.Name, Date: t})
		}
		c.Clients[cs.ID] = cl
	}

	agSeq := key("agreed_dates")
	for i, a := range f.Agreed {
		n := root
		if agSeq != nil && i < len(agSeq.Content) {
			n = agSeq.Content[i]
		}
		if a.Milestone == "" {
			l.Add(path, n, "", "agreed_dates[%d].milestone: required", i)
		}
		t, err := ParseDate(a.Date)
		if err != nil {
			l.Add(path, yamlx.Or(yamlx.Child(n, "date"), n), "", "agreed_dates[%d].date: %v", i, err)
			continue
		}
		c.Agreed[a.Milestone] = append(c.Agreed[a.Milestone], t)
	}
	for k := range c.Agreed {
		slices.SortFunc(c.Agreed[k], func(a, b time.Time) int { return a.Compare(b) })
	}

	if err := l.Err(); err != nil {
		return c, err
	}
	return c, nil
}

// KnownClient reports whether id is a configured client.
func (c *Config) KnownClient(id string) bool {
	_, ok := c.Clients[id]
	return ok
}

// Client returns the configured client, or a minimal one named after the id.
func (c *Config) Client(id string) model.Client {
	if cl, ok := c.Clients[id]; ok {
		return cl
	}
	return model.Client{ID: id, Name: id, Locale: "en"}
}

// ParseDate reads a YYYY-MM-DD date as midnight UTC.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return t, nil
}

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, e.g. 2026-11-20T09:00:00Z, or YYYY-MM-DD)", s)
}

// Redactor returns a redactor that knows every secret the configuration at
// path reads from the environment (see SecretEnvNames), the basic-auth
// headers built from them (BasicAuthEnvs), and the values of the extra
// variables named (GITHUB_TOKEN, which a GitHub section without token_env
// reads).
func Redactor(path string, getenv func(string) string, extra ...string) *logx.Redactor {
	red := &logx.Redactor{}
	red.AddFromEnv(getenv, append(SecretEnvNames(path), extra...)...)
	for _, p := range BasicAuthEnvs(path) {
		red.AddBasic(strings.TrimSpace(getenv(p[0])), strings.TrimSpace(getenv(p[1])))
	}
	return red
}

// BasicAuthEnvs returns the pairs of environment variables the
// configuration at path names for HTTP basic authentication: email_env and
// token_env in the same section (Jira Cloud). The Authorization header
// carries base64(email:token), which is scrubbed too.
func BasicAuthEnvs(path string) [][2]string {
	var out [][2]string
	walkSecretEnvs(path, func(m map[string]string) {
		if m["email_env"] != "" && m["token_env"] != "" {
			out = append(out, [2]string{m["email_env"], m["token_env"]})
		}
	})
	return out
}

// SecretEnvNames returns every environment variable the configuration at
// path names for a secret: the value of any key ending in _env (token_env,
// private_key_env, dsn_env, ...), anywhere in the file. Their values are
// scrubbed from logs and output. A file that cannot be read or parsed
// gives none; loading it reports the problem.
func SecretEnvNames(path string) []string {
	names := map[string]bool{}
	walkSecretEnvs(path, func(m map[string]string) {
		for _, v := range m {
			names[v] = true
		}
	})
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// walkSecretEnvs calls f with the keys ending in _env (and their values) of
// every mapping of the file at path that has any.
func walkSecretEnvs(path string, f func(map[string]string)) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			m := map[string]string{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if strings.HasSuffix(k.Value, "_env") && v.Kind == yaml.ScalarNode && v.Value != "" {
					m[k.Value] = v.Value
				}
			}
			if len(m) > 0 {
				f(m)
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
}
