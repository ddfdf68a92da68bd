// Package ruletest runs rule unit tests written in YAML, as promtool does for
// Prometheus: fixture milestones in a compact notation, a frozen clock, a
// sequence of evaluation times and the findings (and drafted tickets)
// expected at each. `forewarn test FILE...` calls Main.
package ruletest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/notice"
	"github.com/forewarn/forewarn/internal/yamlx"
	"github.com/forewarn/forewarn/rules"
)

// Exit codes of Main.
const (
	ExitOK     = 0 // every test passed
	ExitFailed = 1 // a test failed
	ExitBad    = 2 // bad usage, a bad test file or a bad rules file
)

// FileSpec is a rule test file.
type FileSpec struct {
	RuleFiles []string     `yaml:"rule_files" desc:"Rules files to test, relative to this file (default [rules.yaml])."`
	Forecast  yaml.Node    `yaml:"forecast" desc:"Forecast options, as in the configuration's forecast section (default trials 2000, seed 1)."`
	Clients   []ClientSpec `yaml:"clients" desc:"Clients the fixture milestones refer to."`
	Tests     []TestSpec   `yaml:"tests" desc:"The tests." required:"true"`
}

// ClientSpec is a fixture client.
type ClientSpec struct {
	ID       string `yaml:"id" required:"true"`
	Name     string `yaml:"name"`
	Contact  string `yaml:"contact"`
	Owner    string `yaml:"owner"`
	Locale   string `yaml:"locale" desc:"en or nl (default en)."`
	TimeZone string `yaml:"time_zone"`
}

// TestSpec is one test: fixtures and a sequence of evaluations.
type TestSpec struct {
	Name       string          `yaml:"name" required:"true"`
	Milestones []MilestoneSpec `yaml:"milestones" required:"true"`
	Evals      []EvalSpec      `yaml:"evals" required:"true"`
}

// EvalSpec is one evaluation at a frozen time and what it must produce.
type EvalSpec struct {
	At    string `yaml:"at" desc:"The frozen clock: YYYY-MM-DD (midnight UTC) or RFC 3339."`
	After string `yaml:"after" desc:"Instead of at: this long after the previous evaluation (e.g. 1d)."`
	// Findings must match exactly in number; an empty list means nothing fires.
	Findings []FindingSpec `yaml:"findings" desc:"Every finding expected now; [] means nothing may fire."`
	// Suppressed, when given, must match the held-back findings.
	Suppressed *[]SuppressedSpec `yaml:"suppressed" desc:"When given: every finding expected to be held back now."`
}

// FindingSpec is an expected finding. Fields left out are not compared.
type FindingSpec struct {
	Rule        string            `yaml:"rule" required:"true"`
	Milestone   string            `yaml:"milestone" desc:"Milestone key (may be left out when the test has one milestone)."`
	Purpose     string            `yaml:"purpose"`
	Severity    string            `yaml:"severity"`
	CommentOnly *bool             `yaml:"comment_only"`
	MayUpdate   *bool             `yaml:"may_update" desc:"Whether the ticket may be updated now (repeat)."`
	Labels      map[string]string `yaml:"labels" desc:"Must equal the finding's labels exactly."`
	Annotations map[string]string `yaml:"annotations" desc:"Each listed annotation must equal the finding's."`
	Ticket      *TicketSpec       `yaml:"ticket" desc:"Fields of the drafted ticket (Markdown)."`
}

// TicketSpec is what the drafted ticket must show.
type TicketSpec struct {
	Title         string   `yaml:"title"`
	TitleContains string   `yaml:"title_contains"`
	BodyContains  []string `yaml:"body_contains"`
	Labels        []string `yaml:"labels" desc:"Each must be among the ticket's labels."`
	Assignee      string   `yaml:"assignee"`
}

// SuppressedSpec is an expected held-back finding.
type SuppressedSpec struct {
	Rule           string `yaml:"rule" required:"true"`
	Milestone      string `yaml:"milestone"`
	ReasonContains string `yaml:"reason_contains"`
}

// Main runs the test files named in args and prints SUCCESS or FAILED for
// each, with a diff of what differed.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("forewarn test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := fs.String("run", "", "run only tests whose name matches this regular expression")
	verbose := fs.Bool("v", false, "print what fired (and the forecast) at every evaluation")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: forewarn test [-run REGEXP] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitBad
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitBad
	}
	var filter *regexp.Regexp
	if *run != "" {
		var err error
		if filter, err = regexp.Compile(*run); err != nil {
			fmt.Fprintf(stderr, "forewarn test: -run: %v\n", err)
			return ExitBad
		}
	}
	code := ExitOK
	for _, path := range fs.Args() {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "forewarn test: %v\n", ctx.Err())
			return ExitBad
		}
		rep, err := RunFile(ctx, path, filter, *verbose)
		if err != nil {
			fmt.Fprintf(stdout, "FAILED: %s\n", path)
			fmt.Fprintln(stderr, err)
			code = ExitBad
			continue
		}
		for _, line := range rep.Log {
			fmt.Fprintln(stdout, line)
		}
		if len(rep.Failures) == 0 {
			fmt.Fprintf(stdout, "SUCCESS: %s (%d tests, %d evaluations)\n", path, rep.Tests, rep.Evals)
			continue
		}
		fmt.Fprintf(stdout, "FAILED: %s (%d of %d tests failed)\n", path, rep.failedTests(), rep.Tests)
		for _, f := range rep.Failures {
			fmt.Fprintln(stdout, f)
		}
		if code == ExitOK {
			code = ExitFailed
		}
	}
	return code
}

// Report is the outcome of one test file.
type Report struct {
	Tests, Evals int
	Failures     []string // one readable block per failed evaluation
	Log          []string // with verbose: what each evaluation saw and produced
	failed       map[string]bool
}

func (r *Report) failedTests() int { return len(r.failed) }

// RunFile runs one test file. A bad test or rules file is an error (a
// *diag.List with positions); failed expectations are in the report.
func RunFile(ctx context.Context, path string, filter *regexp.Regexp, verbose bool) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading rule tests: %w", err)
	}
	root, err := yamlx.Parse(path, data)
	if err != nil {
		return nil, err
	}
	l := &diag.List{}
	var spec FileSpec
	yamlx.Decode(path, root, &spec, "", l)
	if err := l.Err(); err != nil {
		return nil, err
	}
	s := &suite{path: path, clients: map[string]model.Client{}, verbose: verbose}
	s.fopts = forecast.Options{Trials: 2000, Seed: 1}
	if spec.Forecast.Kind != 0 {
		yamlx.Decode(path, &spec.Forecast, &s.fopts, "", l)
		if err := s.fopts.Validate(); err != nil {
			l.Add(path, &spec.Forecast, "", "forecast: %v", err)
		}
	}
	files := spec.RuleFiles
	if len(files) == 0 {
		files = []string{"rules.yaml"}
	}
	for _, f := range files {
		if !filepath.IsAbs(f) {
			f = filepath.Join(filepath.Dir(path), f)
		}
		set, err := rules.Load(f)
		if err != nil {
			var dl *diag.List
			if de, ok := err.(*diag.List); ok {
				dl = de
				l.Items = append(l.Items, dl.Items...)
				continue
			}
			return nil, err
		}
		s.sets = append(s.sets, set)
	}
	for _, c := range spec.Clients {
		s.clients[c.ID] = model.Client{ID: c.ID, Name: c.Name, Contact: c.Contact, Owner: c.Owner, Locale: c.Locale, TimeZone: c.TimeZone}
	}
	tn := yamlx.Child(root, "tests")
	if len(spec.Tests) == 0 {
		l.AddAt(path, root.Line, root.Column, "", "tests is missing or empty")
	}
	// Check every test before running any, so a bad file reports all its problems.
	plans := make([]*testPlan, len(spec.Tests))
	for i := range spec.Tests {
		plans[i] = s.plan(&spec.Tests[i], yamlx.Item(tn, i), l)
	}
	if err := l.Err(); err != nil {
		return nil, err
	}
	rep := &Report{failed: map[string]bool{}}
	if len(s.sets) == 0 {
		return rep, nil
	}
	if s.renderer, err = notice.New(notice.Options{}); err != nil {
		return nil, fmt.Errorf("loading the draft templates: %w", err)
	}
	for _, p := range plans {
		if filter != nil && !filter.MatchString(p.spec.Name) {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Tests++
		s.run(p, rep)
	}
	return rep, nil
}

type suite struct {
	path     string
	sets     []*rules.Set
	fopts    forecast.Options
	clients  map[string]model.Client
	renderer *notice.Renderer
	verbose  bool
}

type testPlan struct {
	spec       *TestSpec
	line       int
	milestones []model.Milestone
	times      []time.Time
	evalLines  []int
}

func (s *suite) plan(t *TestSpec, n *yaml.Node, l *diag.List) *testPlan {
	p := &testPlan{spec: t, line: n.Line}
	name := t.Name
	if name == "" {
		l.Add(s.path, n, "", "test needs a name")
	}
	mn := yamlx.Child(n, "milestones")
	if len(t.Milestones) == 0 {
		l.Add(s.path, n, "", "test %q: milestones is missing or empty", name)
	}
	keys := map[string]bool{}
	for i := range t.Milestones {
		ms := &t.Milestones[i]
		at := yamlx.Item(mn, i)
		if ms.Key == "" {
			l.Add(s.path, at, "", "test %q: milestone needs a key", name)
			continue
		}
		if keys[ms.Key] {
			l.Add(s.path, at, "", "test %q: milestone %q appears twice", name, ms.Key)
		}
		keys[ms.Key] = true
		if ms.Client != "" {
			if _, ok := s.clients[ms.Client]; !ok {
				l.Add(s.path, yamlx.Child(at, "client"), "", "test %q: unknown client %q (add it under clients)", name, ms.Client)
			}
		}
		m, err := ms.build()
		if err != nil {
			pos := at
			var fe *fieldError
			if errors.As(err, &fe) && yamlx.Child(at, fe.key) != nil {
				pos = yamlx.Child(at, fe.key)
			}
			l.Add(s.path, pos, "", "test %q: milestone %s: %v", name, ms.Key, err)
			continue
		}
		p.milestones = append(p.milestones, m)
	}
	en := yamlx.Child(n, "evals")
	if len(t.Evals) == 0 {
		l.Add(s.path, n, "", "test %q: evals is missing or empty", name)
	}
	var prev time.Time
	for i, e := range t.Evals {
		at := yamlx.Item(en, i)
		var when time.Time
		switch {
		case e.At != "" && e.After != "":
			l.Add(s.path, at, "", "test %q: give at or after, not both", name)
		case e.At != "":
			var err error
			if when, err = parseWhen(e.At); err != nil {
				l.Add(s.path, yamlx.Child(at, "at"), "", "test %q: at: %v", name, err)
			}
		case e.After != "":
			d, err := rules.ParseDuration(e.After)
			if err != nil || i == 0 {
				if err == nil {
					err = fmt.Errorf("the first evaluation needs at")
				}
				l.Add(s.path, yamlx.Child(at, "after"), "", "test %q: after: %v", name, err)
			}
			when = prev.Add(d)
		default:
			l.Add(s.path, at, "", "test %q: evaluation needs at (or after)", name)
		}
		if i > 0 && !when.IsZero() && !prev.IsZero() && !when.After(prev) {
			l.Add(s.path, at, "", "test %q: evaluations must go forward in time (%s is not after %s)", name, when.Format(time.RFC3339), prev.Format(time.RFC3339))
		}
		fn := yamlx.Child(at, "findings")
		if fn == nil {
			l.Add(s.path, at, "", "test %q: findings is missing (use [] for \"nothing fires\")", name)
		}
		for j, f := range e.Findings {
			if f.Milestone == "" && len(t.Milestones) != 1 {
				l.Add(s.path, yamlx.Item(fn, j), "", "test %q: finding needs milestone (the test has %d)", name, len(t.Milestones))
			}
			if f.Milestone != "" && !keys[f.Milestone] {
				l.Add(s.path, yamlx.Child(yamlx.Item(fn, j), "milestone"), "", "test %q: no milestone %q in this test", name, f.Milestone)
			}
		}
		prev = when
		p.times = append(p.times, when)
		p.evalLines = append(p.evalLines, at.Line)
	}
	return p
}

// run evaluates a test's steps and records every difference.
func (s *suite) run(p *testPlan, rep *Report) {
	states := make([]rules.State, len(s.sets))
	for i, now := range p.times {
		rep.Evals++
		e := &p.spec.Evals[i]
		var findings []model.Finding
		var suppressed []rules.Suppressed
		may := map[string]bool{}
		inputs := map[string]*rules.Input{}
		var errs []error
		for k, set := range s.sets {
			var in []rules.Input
			for _, full := range p.milestones {
				m, skip := set.Prepare(asOf(full, now))
				if skip {
					continue
				}
				in = append(in, rules.Input{Milestone: m, Forecast: forecast.Compute(m, now, s.fopts), Client: s.clients[m.Client]})
			}
			res := set.Evaluate(now, in, states[k])
			for _, f := range res.Findings {
				if res.MayUpdate[f.Fingerprint()] {
					res.State.Acted(f.Fingerprint(), now) // as the worker does after writing
				}
			}
			states[k] = res.State
			findings = append(findings, res.Findings...)
			suppressed = append(suppressed, res.Suppressed...)
			for fp, v := range res.MayUpdate {
				may[fp] = may[fp] || v
			}
			errs = append(errs, res.Errors...)
			for j := range in {
				inputs[in[j].Milestone.Key] = &in[j]
			}
		}
		if s.verbose {
			rep.Log = append(rep.Log, fmt.Sprintf("  test %q at %s:", p.spec.Name, now.Format(time.RFC3339)))
			for _, k := range sortedKeys(inputs) {
				f := inputs[k].Forecast
				rep.Log = append(rep.Log, fmt.Sprintf("    %s: forecast %s remaining=%d/%d p50=%s p85=%s prob_on_time=%.2f pace=%.2f/%.2f days_since_last_done=%d %s",
					k, f.Status, f.RemainingItems, f.ScopeItems, f.P50.Format(time.DateOnly), f.P85.Format(time.DateOnly), f.ProbOnTime,
					f.PaceObserved, f.PaceNeeded, f.Signals.DaysSinceLastDone, f.Reason))
			}
			for _, f := range findings {
				rep.Log = append(rep.Log, "    fired: "+formatGot(f, may[f.Fingerprint()]))
			}
			for _, x := range suppressed {
				rep.Log = append(rep.Log, fmt.Sprintf("    held back: rule=%s milestone=%s: %s", x.Finding.Rule, x.Finding.MilestoneKey, x.Reason))
			}
		}
		var diffs []string
		for _, err := range errs {
			diffs = append(diffs, "    error: "+err.Error())
		}
		diffs = append(diffs, s.compareFindings(p, e.Findings, findings, may, inputs, now)...)
		if e.Suppressed != nil {
			diffs = append(diffs, compareSuppressed(p, *e.Suppressed, suppressed)...)
		}
		if len(diffs) > 0 {
			rep.failed[p.spec.Name] = true
			rep.Failures = append(rep.Failures, fmt.Sprintf("  %s:%d: test %q, evaluation at %s:\n%s",
				s.path, p.evalLines[i], p.spec.Name, now.Format(time.RFC3339), strings.Join(diffs, "\n")))
		}
	}
}

func (s *suite) compareFindings(p *testPlan, want []FindingSpec, got []model.Finding, may map[string]bool, inputs map[string]*rules.Input, now time.Time) []string {
	var lines []string
	used := make([]bool, len(got))
	var missing []string
	for _, w := range want {
		ms := w.Milestone
		if ms == "" {
			ms = p.milestones[0].Key
		}
		idx := -1
		for j, g := range got {
			if !used[j] && g.Rule == w.Rule && g.MilestoneKey == ms {
				idx = j
				break
			}
		}
		if idx < 0 {
			missing = append(missing, "      - "+formatWant(w, ms))
			continue
		}
		used[idx] = true
		g := got[idx]
		if d := diffFinding(w, ms, g, may[g.Fingerprint()]); d != "" {
			lines = append(lines, "    finding differs (- expected, + got):", d)
		}
		if w.Ticket != nil {
			lines = append(lines, s.compareTicket(*w.Ticket, g, inputs[g.MilestoneKey], now)...)
		}
	}
	var extra []string
	for j, g := range got {
		if !used[j] {
			extra = append(extra, "      + "+formatGot(g, may[g.Fingerprint()]))
		}
	}
	if len(missing)+len(extra) > 0 {
		lines = append(lines, "    findings differ (- expected, + got):")
		lines = append(lines, missing...)
		lines = append(lines, extra...)
	}
	return lines
}

func formatWant(w FindingSpec, ms string) string {
	parts := []string{"rule=" + w.Rule, "milestone=" + ms}
	if w.Purpose != "" {
		parts = append(parts, "purpose="+w.Purpose)
	}
	if w.Severity != "" {
		parts = append(parts, "severity="+w.Severity)
	}
	if w.CommentOnly != nil {
		parts = append(parts, fmt.Sprintf("comment_only=%v", *w.CommentOnly))
	}
	if w.MayUpdate != nil {
		parts = append(parts, fmt.Sprintf("may_update=%v", *w.MayUpdate))
	}
	return strings.Join(parts, " ")
}

func formatGot(g model.Finding, may bool) string {
	s := fmt.Sprintf("rule=%s milestone=%s purpose=%s severity=%s", g.Rule, g.MilestoneKey, g.Purpose, g.Severity)
	if g.CommentOnly {
		s += " comment_only=true"
	}
	return s + fmt.Sprintf(" may_update=%v", may)
}

// diffFinding compares the fields the expectation gives.
func diffFinding(w FindingSpec, ms string, g model.Finding, may bool) string {
	var exp, act []string
	add := func(name, want, got string) {
		if want != got {
			exp = append(exp, name+"="+want)
			act = append(act, name+"="+got)
		}
	}
	if w.Purpose != "" {
		add("purpose", w.Purpose, string(g.Purpose))
	}
	if w.Severity != "" {
		add("severity", w.Severity, g.Severity)
	}
	if w.CommentOnly != nil {
		add("comment_only", fmt.Sprint(*w.CommentOnly), fmt.Sprint(g.CommentOnly))
	}
	if w.MayUpdate != nil {
		add("may_update", fmt.Sprint(*w.MayUpdate), fmt.Sprint(may))
	}
	if w.Labels != nil {
		add("labels", formatMap(w.Labels), formatMap(g.Labels))
	}
	for _, k := range sortedKeys(w.Annotations) {
		add("annotations."+k, fmt.Sprintf("%q", w.Annotations[k]), fmt.Sprintf("%q", g.Annotations[k]))
	}
	if len(exp) == 0 {
		return ""
	}
	head := "rule=" + w.Rule + " milestone=" + ms
	return "      - " + head + " " + strings.Join(exp, " ") + "\n      + " + head + " " + strings.Join(act, " ")
}

func (s *suite) compareTicket(w TicketSpec, f model.Finding, in *rules.Input, now time.Time) []string {
	if in == nil {
		return []string{"    ticket: milestone " + f.MilestoneKey + " was not evaluated"}
	}
	t, err := s.renderer.Render(notice.Request{Purpose: f.Purpose, Finding: f, Milestone: in.Milestone, Forecast: in.Forecast,
		Client: in.Client, History: notice.History{FirstDetected: f.ActiveSince}, Now: now}, model.FormatMarkdown)
	if err != nil {
		return []string{"    ticket of " + f.Rule + " on " + f.MilestoneKey + ": cannot render: " + err.Error()}
	}
	var out []string
	bad := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("    ticket of %s on %s: ", f.Rule, f.MilestoneKey)+fmt.Sprintf(format, args...))
	}
	if w.Title != "" && t.Title != w.Title {
		bad("title differs:\n      - %q\n      + %q", w.Title, t.Title)
	}
	if w.TitleContains != "" && !strings.Contains(t.Title, w.TitleContains) {
		bad("title %q does not contain %q", t.Title, w.TitleContains)
	}
	for _, want := range w.BodyContains {
		if !strings.Contains(t.Body, want) {
			bad("body does not contain %q; body:\n%s", want, indent(t.Body, "      | "))
		}
	}
	for _, want := range w.Labels {
		found := false
		for _, l := range t.Labels {
			found = found || l == want
		}
		if !found {
			bad("labels %v lack %q", t.Labels, want)
		}
	}
	if w.Assignee != "" && t.Assignee != w.Assignee {
		bad("assignee %q, want %q", t.Assignee, w.Assignee)
	}
	return out
}

func compareSuppressed(p *testPlan, want []SuppressedSpec, got []rules.Suppressed) []string {
	used := make([]bool, len(got))
	var missing, extra []string
	for _, w := range want {
		ms := w.Milestone
		if ms == "" {
			ms = p.milestones[0].Key
		}
		ok := false
		for j, g := range got {
			if !used[j] && g.Finding.Rule == w.Rule && g.Finding.MilestoneKey == ms && strings.Contains(g.Reason, w.ReasonContains) {
				used[j], ok = true, true
				break
			}
		}
		if !ok {
			missing = append(missing, fmt.Sprintf("      - rule=%s milestone=%s reason contains %q", w.Rule, ms, w.ReasonContains))
		}
	}
	for j, g := range got {
		if !used[j] {
			extra = append(extra, fmt.Sprintf("      + rule=%s milestone=%s reason=%q", g.Finding.Rule, g.Finding.MilestoneKey, g.Reason))
		}
	}
	if len(missing)+len(extra) == 0 {
		return nil
	}
	return append(append([]string{"    suppressed findings differ (- expected, + got):"}, missing...), extra...)
}

func formatMap(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s:%q", k, m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix)
}
