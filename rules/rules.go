// Package rules loads forewarn's rules file, checks and compiles it (every
// problem at once, with file:line:col), and evaluates the compiled rules
// purely: state in, state out. See docs/rules.md for the language.
package rules

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/forewarn/forewarn/internal/model"
)

// Set is a compiled rules file. It is immutable and safe for concurrent use.
type Set struct {
	file      string
	rules     []*rule
	silences  []silence
	quiet     *quietHours
	exempt    []string
	budget    int
	maxRepeat time.Duration
	locs      sync.Map // time zone name → *time.Location
}

type rule struct {
	name, description string
	index             int
	scope             scope
	when              *vm.Program
	forDur            time.Duration
	keepFiringFor     time.Duration
	repeat            time.Duration
	severity          string
	purpose           model.Purpose
	commentOnly       bool
	labels            []namedTemplate
	annotations       []namedTemplate
}

type namedTemplate struct {
	name string
	t    *template
}

type scope struct {
	sources, clients, labels []string
	kinds                    []model.Kind
}

func (s *scope) match(m *model.Milestone) bool {
	if len(s.sources) > 0 && !contains(s.sources, m.Source) {
		return false
	}
	if len(s.clients) > 0 && !contains(s.clients, m.Client) {
		return false
	}
	if len(s.kinds) > 0 {
		ok := false
		for _, k := range s.kinds {
			ok = ok || k == m.Kind
		}
		if !ok {
			return false
		}
	}
	for _, l := range s.labels {
		if !hasLabel(m.Labels, l) {
			return false
		}
	}
	return true
}

type silence struct {
	matchers []matcher
	until    time.Time
	comment  string
	line     int
}

type matcher struct{ field, glob string }

type quietHours struct {
	start, end int // minutes after midnight
	weekends   bool
	except     map[string]bool
}

// quiet reports whether t (in the client's zone) falls in the window.
func (q *quietHours) quiet(t time.Time) bool {
	if q.weekends && (t.Weekday() == time.Saturday || t.Weekday() == time.Sunday) {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	if q.start < q.end {
		return m >= q.start && m < q.end
	}
	if q.start > q.end {
		return m >= q.start || m < q.end
	}
	return false
}

// Input is one milestone to judge: the milestone (after Prepare), its
// forecast and its client (zero when none is configured).
type Input struct {
	Milestone model.Milestone
	Forecast  model.Forecast
	Client    model.Client
}

// Suppressed is a finding that fired but is held back, with the reason.
type Suppressed struct {
	Finding model.Finding `json:"finding"`
	Reason  string        `json:"reason"`
}

// Result is what one evaluation decided.
type Result struct {
	// Findings fire now: one per ticket (fingerprint) and kind of action;
	// when several rules fire for the same ticket the most severe wins.
	Findings []model.Finding
	// MayUpdate says, per fingerprint, whether the ticket may be updated
	// now: the worker never acted on it (State.Acted), the rule's repeat
	// interval has passed since, or the finding is more severe than what was
	// last written. The worker always makes sure the ticket exists; it
	// updates or comments only when true.
	MayUpdate map[string]bool
	// Suppressed fired but are held back (silence, quiet hours, a more
	// severe rule for the same ticket).
	Suppressed []Suppressed
	// Errors are rules that failed at run time, each an *EvalError: the
	// rule was not judged for that milestone (its alert is kept as it
	// was), and the run must say so and fail in part.
	Errors []error
	// State is the state to pass to the next evaluation.
	State State
	// Rewound is set when now is earlier than the state passed in (a
	// --now or as_of in the past): the rules were evaluated as a fresh run
	// would, without that state, and State is the stored one, kept for the
	// runs after this one. It is the latest moment the stored state knew.
	Rewound time.Time
}

// EvalError is a rule that failed at run time on one milestone: its
// condition or one of its templates (e.g. the expression's memory budget).
type EvalError struct {
	Rule      string
	Milestone string
	Template  string // the label or annotation that failed; "" for the condition
	Err       error
}

func (e *EvalError) Error() string {
	if e.Template != "" {
		return fmt.Sprintf("rule %q: template %s on %s: %v", e.Rule, e.Template, e.Milestone, e.Err)
	}
	return fmt.Sprintf("rule %q on %s: %v", e.Rule, e.Milestone, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Budget is the most tracker writes one run may make (0: unlimited).
func (s *Set) Budget() int { return s.budget }

// File is the path the set was loaded from.
func (s *Set) File() string { return s.file }

// Rules lists the rule names in order.
func (s *Set) Rules() []string {
	out := make([]string, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.name
	}
	return out
}

// Prepare applies the exemptions before forecasting: skip is true when the
// milestone carries an exempt label; otherwise items carrying one are left
// out of the returned milestone (the input is not modified).
func (s *Set) Prepare(m model.Milestone) (model.Milestone, bool) {
	if s.exemptMilestone(&m) {
		return m, true
	}
	keep := -1
	for i := range m.Items {
		if s.exemptItem(&m.Items[i]) {
			keep = i
			break
		}
	}
	if keep < 0 {
		return m, false
	}
	items := make([]model.WorkItem, 0, len(m.Items)-1)
	items = append(items, m.Items[:keep]...)
	for i := keep + 1; i < len(m.Items); i++ {
		if !s.exemptItem(&m.Items[i]) {
			items = append(items, m.Items[i])
		}
	}
	m.Items = items
	return m, false
}

func (s *Set) exemptMilestone(m *model.Milestone) bool {
	for _, l := range s.exempt {
		if hasLabel(m.Labels, l) {
			return true
		}
	}
	return false
}

func (s *Set) exemptItem(w *model.WorkItem) bool {
	for _, l := range s.exempt {
		if hasLabel(w.Labels, l) {
			return true
		}
	}
	return false
}

func hasLabel(labels []string, l string) bool {
	for _, x := range labels {
		if strings.EqualFold(x, l) {
			return true
		}
	}
	return false
}

// Summary is the short description `forewarn check` prints.
func (s *Set) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  rules: %d\n", len(s.rules))
	for _, r := range s.rules {
		what := string(r.purpose)
		if r.commentOnly {
			what = "comment on " + what
		}
		fmt.Fprintf(&b, "    - %s → %s (%s", r.name, what, r.severity)
		if r.forDur > 0 {
			fmt.Fprintf(&b, ", for %s", formatDuration(r.forDur))
		}
		fmt.Fprintf(&b, ", repeat %s)\n", formatDuration(r.repeat))
	}
	fmt.Fprintf(&b, "  silences: %d\n", len(s.silences))
	for _, si := range s.silences {
		var ms []string
		for _, m := range si.matchers {
			ms = append(ms, m.field+"="+m.glob)
		}
		sort.Strings(ms)
		fmt.Fprintf(&b, "    - %s until %s", strings.Join(ms, " "), si.until.Format(time.RFC3339))
		if si.comment != "" {
			fmt.Fprintf(&b, " (%s)", si.comment)
		}
		b.WriteString("\n")
	}
	if s.quiet != nil {
		fmt.Fprintf(&b, "  quiet hours: %02d:%02d–%02d:%02d client time", s.quiet.start/60, s.quiet.start%60, s.quiet.end/60, s.quiet.end%60)
		if s.quiet.weekends {
			b.WriteString(", weekends")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "  exempt labels: %s\n", strings.Join(s.exempt, ", "))
	if s.budget == 0 {
		b.WriteString("  operations budget: unlimited\n")
	} else {
		fmt.Fprintf(&b, "  operations budget: %d per run\n", s.budget)
	}
	return b.String()
}

func (s *Set) location(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	if l, ok := s.locs.Load(tz); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	s.locs.Store(tz, loc)
	return loc
}

// candidate is a firing finding before suppression and dedupe.
type candidate struct {
	f      model.Finding
	r      *rule
	in     *Input
	ticket ticketID
	held   bool
}

// ticketID is what one finding per run is kept for: a ticket, and whether
// the action is a comment on it.
type ticketID struct {
	fingerprint string
	comment     bool
}

// Evaluate runs every rule over every input at now. It is pure: it reads
// prev and returns the next state in Result.State; prev is not modified.
func (s *Set) Evaluate(now time.Time, in []Input, prev State) Result {
	now = now.UTC()
	if latest := prev.Latest(); latest.After(now) {
		// The clock runs backwards relative to the state: firing on it
		// would judge the past with the future's alerts. Evaluate as a
		// fresh run and keep the stored state for the runs that follow.
		res := s.Evaluate(now, in, State{})
		kept := prev.clone()
		kept.firing = res.State.firing
		res.State, res.Rewound = kept, latest
		return res
	}
	next := State{Alerts: make(map[string]map[string]Alert, len(prev.Alerts)), Written: make(map[string]Written, len(prev.Written)),
		firing: map[string]string{}}
	for fp, w := range prev.Written {
		if now.Sub(w.At) < s.maxRepeat {
			next.Written[fp] = w
		}
	}
	res := Result{MayUpdate: map[string]bool{}}
	var cands []candidate
	machine := &vm.VM{}
	env := &Env{}
	seen := make(map[string]bool, len(in))
	for i := range in {
		x := &in[i]
		m := &x.Milestone
		seen[m.Key] = true
		if s.exemptMilestone(m) {
			continue // Prepare skips these; judged anyway, they stay silent
		}
		var fps [3]string // fingerprints by purpose, computed when first needed
		prevAlerts := prev.Alerts[m.Key]
		var nextAlerts map[string]Alert
		envReady := false
		for _, r := range s.rules {
			if !r.scope.match(m) {
				continue
			}
			if !envReady {
				env.fill(now, x, s.location(x.Client.TimeZone))
				envReady = true
			}
			v, err := machine.Run(r.when, env)
			if err != nil {
				// Not judged, not "not holding": the alert stays as it was
				// (a pending `for` is not restarted) and the run reports it.
				res.Errors = append(res.Errors, &EvalError{Rule: r.name, Milestone: m.Key, Err: err})
				if a, had := prevAlerts[r.name]; had {
					if nextAlerts == nil {
						nextAlerts = map[string]Alert{}
						next.Alerts[m.Key] = nextAlerts
					}
					nextAlerts[r.name] = a
				}
				continue
			}
			holds, _ := v.(bool)
			if !holds && len(prevAlerts) == 0 {
				continue
			}
			a, had := prevAlerts[r.name]
			switch {
			case holds:
				if !had {
					a = Alert{ActiveSince: now}
				}
				a.LastTrue = now
			case had && !a.FiredAt.IsZero() && r.keepFiringFor > 0 && now.Sub(a.LastTrue) < r.keepFiringFor:
				// keep firing
			default:
				continue // not holding: the alert (if any) ends
			}
			a.LastSeen = now
			if a.FiredAt.IsZero() && now.Sub(a.ActiveSince) >= r.forDur {
				a.FiredAt = now
			}
			if nextAlerts == nil {
				nextAlerts = map[string]Alert{}
				next.Alerts[m.Key] = nextAlerts
			}
			nextAlerts[r.name] = a
			if a.FiredAt.IsZero() {
				continue // pending
			}
			f := model.Finding{Rule: r.name, MilestoneKey: m.Key, Purpose: r.purpose, CommentOnly: r.commentOnly,
				Severity: r.severity, ActiveSince: a.ActiveSince, FiredAt: a.FiredAt}
			f.Labels = s.renderAll(r, r.labels, machine, env, &res)
			f.Annotations = s.renderAll(r, r.annotations, machine, env, &res)
			pi := purposeIndex(r.purpose)
			if fps[pi] == "" {
				fps[pi] = model.Fingerprint(m.Key, r.purpose)
			}
			cands = append(cands, candidate{f: f, r: r, in: x, ticket: ticketID{fps[pi], r.commentOnly}})
		}
	}
	// Alerts of milestones not judged this run (a source failed) are kept a
	// while, so one bad poll does not restart every `for`.
	for mkey, byRule := range prev.Alerts {
		if seen[mkey] {
			continue
		}
		for rname, a := range byRule {
			if !s.hasRule(rname) || now.Sub(a.LastSeen) >= keepUnseen {
				continue
			}
			if next.Alerts[mkey] == nil {
				next.Alerts[mkey] = map[string]Alert{}
			}
			next.Alerts[mkey][rname] = a
		}
	}
	// Silences and quiet hours, then one finding per ticket and action:
	// the most severe wins, the first rule among equals.
	best := make(map[ticketID]int, len(cands))
	for i := range cands {
		c := &cands[i]
		if why := s.suppressed(now, c); why != "" {
			res.Suppressed = append(res.Suppressed, Suppressed{Finding: c.f, Reason: why})
			c.held = true
			continue
		}
		if j, ok := best[c.ticket]; !ok || severityRankOf[c.r.severity] > severityRankOf[cands[j].r.severity] {
			best[c.ticket] = i
		}
	}
	res.Findings = make([]model.Finding, 0, len(best))
	for i := range cands {
		c := &cands[i]
		if c.held {
			continue
		}
		if w := &cands[best[c.ticket]]; w != c {
			res.Suppressed = append(res.Suppressed, Suppressed{Finding: c.f,
				Reason: fmt.Sprintf("superseded by rule %q (%s) for the same ticket", w.r.name, w.r.severity)})
			continue
		}
		res.Findings = append(res.Findings, c.f)
		fp := c.ticket.fingerprint
		last, acted := next.Written[fp]
		// A ticket may be written when it never was, when the rule's repeat
		// interval has passed, or when the finding is more severe than what
		// was last written (an escalation is never held back).
		escalates := last.Severity != "" && severityRankOf[c.r.severity] > severityRankOf[last.Severity]
		may := !acted || now.Sub(last.At) >= c.r.repeat || escalates
		res.MayUpdate[fp] = may || res.MayUpdate[fp]
		if sev, ok := next.firing[fp]; !ok || severityRankOf[c.r.severity] > severityRankOf[sev] {
			next.firing[fp] = c.r.severity
		}
	}
	res.State = next
	return res
}

// keepUnseen is how long the state of a milestone that is not judged (its
// source failed, or it left the trackers) is kept.
const keepUnseen = 30 * day

func (s *Set) hasRule(name string) bool {
	for _, r := range s.rules {
		if r.name == name {
			return true
		}
	}
	return false
}

func purposeIndex(p model.Purpose) int {
	switch p {
	case model.PurposeProgressUpdate:
		return 1
	case model.PurposePostMortem:
		return 2
	}
	return 0
}

func (s *Set) renderAll(r *rule, ts []namedTemplate, m *vm.VM, env *Env, res *Result) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	out := make(map[string]string, len(ts))
	for _, t := range ts {
		v, err := t.t.execute(m, env)
		if err != nil {
			res.Errors = append(res.Errors, &EvalError{Rule: r.name, Milestone: env.Milestone.Key, Template: t.name, Err: err})
			continue
		}
		out[t.name] = v
	}
	return out
}

// suppressed returns why a firing finding is held back, or "".
func (s *Set) suppressed(now time.Time, c *candidate) string {
	for _, si := range s.silences {
		if !now.Before(si.until) || !si.matches(c) {
			continue
		}
		why := fmt.Sprintf("silenced until %s (%s line %d)", si.until.Format(time.RFC3339), s.file, si.line)
		if si.comment != "" {
			why += ": " + si.comment
		}
		return why
	}
	if s.quiet != nil && !s.quiet.except[c.r.severity] {
		loc := s.location(c.in.Client.TimeZone)
		if local := now.In(loc); s.quiet.quiet(local) {
			return fmt.Sprintf("quiet hours in %s (%s local time)", loc, local.Format("Mon 15:04"))
		}
	}
	return ""
}

func (si *silence) matches(c *candidate) bool {
	for _, m := range si.matchers {
		var v string
		switch m.field {
		case "rule":
			v = c.f.Rule
		case "milestone":
			v = c.f.MilestoneKey
		case "source":
			v = c.in.Milestone.Source
		case "client":
			v = c.in.Milestone.Client
		case "kind":
			v = string(c.in.Milestone.Kind)
		case "purpose":
			v = string(c.f.Purpose)
		case "severity":
			v = c.f.Severity
		default:
			v = c.f.Labels[strings.TrimPrefix(m.field, "label.")]
		}
		if !glob(m.glob, v) {
			return false
		}
	}
	return true
}

// glob matches s against a pattern where * matches any run of characters.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// Names returns the rules' names in file order (check --json).
func (s *Set) Names() []string {
	out := make([]string, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.name
	}
	return out
}
