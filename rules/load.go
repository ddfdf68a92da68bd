package rules

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/yamlx"
)

// FormatVersion is the only rules format version there is.
const FormatVersion = 1

// DefaultExemptLabel exempts a milestone or an item when no exempt labels are configured.
const DefaultExemptLabel = "forewarn:ignore"

// DefaultRepeat is the minimum time between two updates of a ticket when a rule sets none.
const DefaultRepeat = 24 * time.Hour

// maxExprNodes bounds the size of one expression.
const maxExprNodes = 2000

// Load reads and compiles the rules file at path. Every problem comes back
// at once as a *diag.List (file:line:col: rule "name": message).
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		l := &diag.List{}
		msg := err.Error()
		if pe, ok := err.(*os.PathError); ok {
			msg = pe.Err.Error()
		}
		l.AddAt(path, 0, 0, "", "cannot read rules: %s", msg)
		return nil, l.Err()
	}
	return Parse(path, data)
}

// topSpec is FileSpec with the rules kept as nodes, so each rule is decoded
// on its own and its problems carry its name.
type topSpec struct {
	Version          int             `yaml:"version"`
	OperationsBudget int             `yaml:"operations_budget"`
	Exempt           *ExemptSpec     `yaml:"exempt"`
	QuietHours       *QuietHoursSpec `yaml:"quiet_hours"`
	Silences         []SilenceSpec   `yaml:"silences"`
	Rules            yaml.Node       `yaml:"rules"`
}

var (
	ruleNameRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$`)
	labelNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	clockRe     = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	severities  = []string{"info", "warning", "critical"}
	actions     = map[string]model.Purpose{
		"client-notice":   model.PurposeClientNotice,
		"progress-update": model.PurposeProgressUpdate,
		"post-mortem":     model.PurposePostMortem,
		"comment":         "",
	}
	kinds          = []string{string(model.KindMilestone), string(model.KindFixVersion), string(model.KindSprint)}
	matcherFields  = []string{"rule", "milestone", "source", "client", "kind", "purpose", "severity"}
	severityRankOf = map[string]int{"info": 1, "warning": 2, "critical": 3}
)

// Parse compiles a rules file held in memory; file names it in messages.
func Parse(file string, data []byte) (*Set, error) {
	root, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	l := &diag.List{}
	p := &parser{file: file, lines: strings.Split(string(data), "\n"), l: l}
	set := p.parse(root)
	if err := l.Err(); err != nil {
		return nil, err
	}
	set.file = file
	return set, nil
}

type parser struct {
	file  string
	lines []string
	l     *diag.List
	opts  []expr.Option
}

func (p *parser) parse(root *yaml.Node) *Set {
	set := &Set{}
	if root.Kind != yaml.MappingNode {
		p.l.Add(p.file, root, "", "the rules file must be a mapping with version and rules, got %s", yamlx.Describe(root))
		return set
	}
	var top topSpec
	before := p.l.Len()
	yamlx.Decode(p.file, root, &top, "", p.l)
	if p.l.Len() > before {
		// Unknown or mistyped top-level keys: still check the rules when
		// they decoded, so one pass reports everything it can.
		if rn := yamlx.Child(root, "rules"); rn != nil {
			top.Rules = *rn
		}
	}
	switch vn := yamlx.Child(root, "version"); {
	case vn == nil:
		p.l.AddAt(p.file, root.Line, root.Column, "", "version is missing: add `version: %d`", FormatVersion)
	case top.Version != FormatVersion && vn.Value == fmt.Sprint(top.Version):
		p.l.Add(p.file, vn, "", "unsupported version %d: this forewarn reads version %d", top.Version, FormatVersion)
	}
	if top.OperationsBudget < 0 {
		p.l.Add(p.file, yamlx.Child(root, "operations_budget"), "", "operations_budget must be 0 (unlimited) or more, got %d", top.OperationsBudget)
	}
	set.budget = max(top.OperationsBudget, 0)
	set.exempt = []string{DefaultExemptLabel}
	if top.Exempt != nil && top.Exempt.Labels != nil {
		set.exempt = nil
		ln := yamlx.Child(yamlx.Child(root, "exempt"), "labels")
		for i, lab := range top.Exempt.Labels {
			if strings.TrimSpace(lab) == "" {
				p.l.Add(p.file, yamlx.Item(ln, i), "", "exempt label must not be empty")
				continue
			}
			set.exempt = append(set.exempt, lab)
		}
	}
	if top.QuietHours != nil {
		set.quiet = p.quietHours(yamlx.Child(root, "quiet_hours"), top.QuietHours)
	}
	sn := yamlx.Child(root, "silences")
	for i := range top.Silences {
		if s, ok := p.silence(yamlx.Item(sn, i), &top.Silences[i]); ok {
			set.silences = append(set.silences, s)
		}
	}
	rn := &top.Rules
	if yamlx.Child(root, "rules") == nil {
		p.l.AddAt(p.file, root.Line, root.Column, "", "rules is missing: a rules file needs at least one rule")
		return set
	}
	if rn.Kind != yaml.SequenceNode {
		if rn.Tag != "!!null" {
			p.l.Add(p.file, rn, "", "rules must be a list of rules, got %s", yamlx.Describe(rn))
			return set
		}
	}
	if len(rn.Content) == 0 {
		p.l.Add(p.file, rn, "", "rules is empty: a rules file needs at least one rule")
		return set
	}
	p.opts = append([]expr.Option{expr.Env(Env{}), expr.MaxNodes(maxExprNodes)}, functions()...)
	names := map[string]int{}
	for i, n := range rn.Content {
		r := p.rule(i, n, names)
		if r != nil {
			set.rules = append(set.rules, r)
		}
	}
	for _, r := range set.rules {
		set.maxRepeat = max(set.maxRepeat, r.repeat)
	}
	return set
}

func (p *parser) quietHours(n *yaml.Node, q *QuietHoursSpec) *quietHours {
	out := &quietHours{weekends: q.Weekends, except: map[string]bool{}}
	ok := true
	clock := func(key, v string) int {
		m := clockRe.FindStringSubmatch(v)
		if m == nil {
			vn := yamlx.Child(n, key)
			if vn == nil {
				p.l.Add(p.file, n, "", "quiet_hours: %s is missing (HH:MM)", key)
			} else {
				p.l.Add(p.file, vn, "", "quiet_hours: %s %q is not a time of day HH:MM", key, v)
			}
			ok = false
			return 0
		}
		var h, mi int
		fmt.Sscanf(m[1]+" "+m[2], "%d %d", &h, &mi)
		return h*60 + mi
	}
	out.start, out.end = clock("start", q.Start), clock("end", q.End)
	if ok && out.start == out.end && !q.Weekends {
		p.l.Add(p.file, yamlx.Child(n, "end"), "", "quiet_hours: start and end are equal, so the window is empty")
	}
	en := yamlx.Child(n, "except_severities")
	for i, s := range q.Except {
		if !contains(severities, s) {
			p.l.Add(p.file, yamlx.Item(en, i), "", "quiet_hours: unknown severity %q (want %s)", s, strings.Join(severities, ", "))
			ok = false
		}
		out.except[s] = true
	}
	if !ok {
		return nil
	}
	return out
}

func (p *parser) silence(n *yaml.Node, s *SilenceSpec) (silence, bool) {
	out := silence{comment: s.Comment, line: n.Line}
	ok := true
	mn := yamlx.Child(n, "matchers")
	if len(s.Matchers) == 0 {
		at := mn
		if at == nil {
			at = n
		}
		p.l.Add(p.file, at, "", "silence needs at least one matcher (%s, or label.NAME)", strings.Join(matcherFields, ", "))
		ok = false
	}
	for i := 0; mn != nil && i+1 < len(mn.Content); i += 2 {
		k, v := mn.Content[i].Value, mn.Content[i+1].Value
		if !contains(matcherFields, k) && !(strings.HasPrefix(k, "label.") && len(k) > len("label.")) {
			p.l.Add(p.file, mn.Content[i], "", "silence: unknown matcher %q (want %s, or label.NAME)", k, strings.Join(matcherFields, ", "))
			ok = false
			continue
		}
		if v == "" {
			p.l.Add(p.file, mn.Content[i+1], "", "silence: matcher %q is empty", k)
			ok = false
			continue
		}
		out.matchers = append(out.matchers, matcher{field: k, glob: v})
	}
	un := yamlx.Child(n, "until")
	switch {
	case un == nil:
		p.l.Add(p.file, n, "", "silence needs until: when it expires (YYYY-MM-DD or RFC 3339)")
		ok = false
	default:
		t, err := parseTime(s.Until)
		if err != nil {
			p.l.Add(p.file, un, "", "silence: until %q: %v", s.Until, err)
			ok = false
		}
		out.until = t
	}
	return out, ok
}

// parseTime reads YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("want YYYY-MM-DD or RFC 3339 (2026-03-02T09:00:00Z)")
}

func (p *parser) rule(i int, n *yaml.Node, names map[string]int) *rule {
	name := ""
	if nn := yamlx.Child(n, "name"); nn != nil && nn.Kind == yaml.ScalarNode {
		name = nn.Value
	}
	label := name
	if label == "" {
		label = fmt.Sprintf("#%d", i+1)
	}
	var spec RuleSpec
	before := p.l.Len()
	yamlx.Decode(p.file, n, &spec, label, p.l)
	if p.l.Len() > before {
		for i := before; i < p.l.Len(); i++ {
			d := &p.l.Items[i]
			d.Msg = strings.ReplaceAll(d.Msg, "into rules.Duration", "into a duration (such as 2d)")
		}
		// Unknown keys stop the strict decode; when the rest decodes,
		// check it too, so one pass reports every problem of the rule.
		spec = RuleSpec{}
		if n.Decode(&spec) != nil {
			return nil
		}
	}
	bad := func(at *yaml.Node, format string, args ...any) {
		if at == nil {
			at = n
		}
		p.l.Add(p.file, at, label, format, args...)
	}
	r := &rule{name: name, description: spec.Description, index: i}
	switch {
	case name == "":
		bad(n, "name is missing")
	case !ruleNameRe.MatchString(name):
		bad(yamlx.Child(n, "name"), "name %q: use letters, digits, spaces and - _ . : / (starting with a letter or digit)", name)
	default:
		if first, dup := names[name]; dup {
			bad(yamlx.Child(n, "name"), "name is used twice (first at line %d)", first)
		} else {
			names[name] = yamlx.Child(n, "name").Line
		}
	}
	// Scope.
	if spec.Scope != nil {
		sc := yamlx.Child(n, "scope")
		r.scope = scope{sources: spec.Scope.Sources, clients: spec.Scope.Clients, labels: spec.Scope.Labels}
		kn := yamlx.Child(sc, "kinds")
		for j, k := range spec.Scope.Kinds {
			if !contains(kinds, k) {
				bad(yamlx.Item(kn, j), "scope: unknown kind %q (want %s)", k, strings.Join(kinds, ", "))
			}
			r.scope.kinds = append(r.scope.kinds, model.Kind(k))
		}
	}
	// Condition.
	wn := yamlx.Child(n, "when")
	switch {
	case wn == nil || strings.TrimSpace(spec.When) == "":
		bad(wn, "when is missing: a condition such as `forecast.prob_on_time < 0.5`")
	default:
		prog, err := expr.Compile(spec.When, append([]expr.Option{expr.AsBool()}, p.opts...)...)
		if err != nil {
			line, col, msg := exprErr(err)
			l, c := p.scalarPos(wn, spec.When, byteOffset(spec.When, line, col))
			p.l.AddAt(p.file, l, c, label, "when: %s", msg)
		} else {
			r.when = prog
		}
	}
	// Durations.
	dur := func(key string, v Duration, def time.Duration) time.Duration {
		if v == "" {
			return def
		}
		d, err := ParseDuration(string(v))
		if err != nil {
			bad(yamlx.Child(n, key), "%s: %v", key, err)
		}
		return d
	}
	r.forDur = dur("for", spec.For, 0)
	r.keepFiringFor = dur("keep_firing_for", spec.KeepFiringFor, 0)
	r.repeat = dur("repeat", spec.Repeat, DefaultRepeat)
	// Severity and action.
	r.severity = spec.Severity
	if r.severity == "" {
		r.severity = "warning"
	} else if !contains(severities, r.severity) {
		bad(yamlx.Child(n, "severity"), "unknown severity %q (want %s)", r.severity, strings.Join(severities, ", "))
	}
	an, tn := yamlx.Child(n, "action"), yamlx.Child(n, "ticket")
	purpose, ok := actions[spec.Action]
	switch {
	case spec.Action == "":
		bad(an, "action is missing (want client-notice, progress-update, post-mortem or comment)")
	case !ok:
		bad(an, "unknown action %q (want client-notice, progress-update, post-mortem or comment)", spec.Action)
	case spec.Action == "comment":
		r.commentOnly = true
		p, ok := actions[spec.Ticket]
		switch {
		case spec.Ticket == "":
			bad(an, "action comment needs ticket: the purpose of the ticket to comment on (client-notice, progress-update or post-mortem)")
		case !ok || p == "":
			bad(tn, "unknown ticket %q (want client-notice, progress-update or post-mortem)", spec.Ticket)
		default:
			r.purpose = p
		}
	default:
		r.purpose = purpose
		if spec.Ticket != "" {
			bad(tn, "ticket is only used with action comment")
		}
	}
	// Templates.
	r.labels = p.templates(n, "labels", label, spec.Labels)
	r.annotations = p.templates(n, "annotations", label, spec.Annotations)
	if p.l.Len() > before {
		return nil
	}
	return r
}

func (p *parser) templates(n *yaml.Node, key, label string, m map[string]string) []namedTemplate {
	mn := yamlx.Child(n, key)
	var out []namedTemplate
	for i := 0; mn != nil && i+1 < len(mn.Content); i += 2 {
		kn, vn := mn.Content[i], mn.Content[i+1]
		if !labelNameRe.MatchString(kn.Value) {
			p.l.Add(p.file, kn, label, "%s: name %q: use letters, digits and _ . - (starting with a letter or _)", key, kn.Value)
			continue
		}
		t, errs := compileTemplate(m[kn.Value], p.opts)
		for _, e := range errs {
			// Position: the expression's start inside the value, then
			// the expression's own position.
			src := m[kn.Value]
			l, c := p.scalarPos(vn, src, e.offset+byteOffset(src[e.offset:], e.line, e.col))
			p.l.AddAt(p.file, l, c, label, "%s.%s: %s", key, kn.Value, e.msg)
		}
		if len(errs) == 0 {
			out = append(out, namedTemplate{name: kn.Value, t: t})
		}
	}
	return out
}

// scalarPos maps a byte offset inside a scalar's value to the file. Block
// scalars start on the line after their indicator at the block's
// indentation; flow scalars (plain or quoted) at the node's column, one
// further for the quote, continuing on following lines. Each source line
// contributes its content and one separator to the value, which holds for
// literal blocks and single line breaks in folded and flow scalars.
func (p *parser) scalarPos(n *yaml.Node, value string, off int) (int, int) {
	off = min(max(off, 0), len(value))
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	lineNo := n.Line
	startCol := n.Column - 1 // 0-based byte column of the value on its first line
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		startCol++
	}
	indent := 0
	if block {
		lineNo = n.Line + 1
		for l := lineNo; l <= len(p.lines); l++ {
			if t := strings.TrimSpace(p.lines[l-1]); t != "" {
				indent = len(p.lines[l-1]) - len(strings.TrimLeft(p.lines[l-1], " "))
				break
			}
		}
		startCol = indent
	}
	consumed := 0
	for l := lineNo; l <= len(p.lines); l++ {
		src := p.lines[l-1]
		col := startCol
		if l != lineNo || block {
			if block {
				col = min(indent, len(src))
			} else {
				col = len(src) - len(strings.TrimLeft(src, " \t"))
			}
		}
		col = min(col, len(src))
		content := src[col:]
		if strings.TrimSpace(content) == "" && block && n.Style&yaml.FoldedStyle != 0 {
			continue
		}
		if off <= consumed+len(content) {
			k := off - consumed
			if !block {
				k = sourceBytes(content, k, n.Style)
			}
			return l, utf8.RuneCountInString(src[:col]) + utf8.RuneCountInString(content[:k]) + 1
		}
		consumed += len(content) + 1
	}
	return n.Line, n.Column
}

// sourceBytes returns how many bytes of a flow scalar's source line make
// the first n bytes of its value: escapes in double quotes (\" \n \x41
// \u00e9) and doubled quotes in single quotes are longer in the source.
func sourceBytes(src string, n int, style yaml.Style) int {
	i, v := 0, 0
	for i < len(src) && v < n {
		switch {
		case style&yaml.DoubleQuotedStyle != 0 && src[i] == '\\' && i+1 < len(src):
			width := map[byte]int{'x': 4, 'u': 6, 'U': 10}[src[i+1]]
			if width == 0 {
				i, v = i+2, v+1
				continue
			}
			r := rune(0)
			if i+width <= len(src) {
				if x, err := strconv.ParseUint(src[i+2:i+width], 16, 32); err == nil {
					r = rune(x)
				}
			}
			i, v = min(i+width, len(src)), v+max(utf8.RuneLen(r), 1)
		case style&yaml.SingleQuotedStyle != 0 && strings.HasPrefix(src[i:], "''"):
			i, v = i+2, v+1
		default:
			i, v = i+1, v+1
		}
	}
	return min(i, len(src))
}

// byteOffset turns an expression position (1-based line, 0-based rune
// column) into a byte offset of src.
func byteOffset(src string, line, col int) int {
	off := 0
	for i := 1; i < line; i++ {
		j := strings.IndexByte(src[off:], '\n')
		if j < 0 {
			break
		}
		off += j + 1
	}
	for i := 0; i < col && off < len(src); i++ {
		_, size := utf8.DecodeRuneInString(src[off:])
		off += size
	}
	return off
}

// exprErr splits an expr compile error into its position and message.
func exprErr(err error) (line, col int, msg string) {
	if fe, ok := err.(*file.Error); ok {
		line = max(fe.Line, 1)
		return line, fe.Column, friendly(fe.Message)
	}
	return 1, 0, friendly(err.Error())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
