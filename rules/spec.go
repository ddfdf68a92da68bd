package rules

// The rules file as written by the user. These types carry the yaml keys and
// the descriptions `forewarn schema` prints; Parse decodes into them strictly
// and then compiles them into a Set.

// FileSpec is the whole rules file.
type FileSpec struct {
	Version          int             `yaml:"version" desc:"Format version of the rules file; must be 1." required:"true"`
	OperationsBudget int             `yaml:"operations_budget" desc:"Most tracker writes (creates, updates, comments) one run may make; 0 means unlimited."`
	Exempt           *ExemptSpec     `yaml:"exempt" desc:"Milestones and items forewarn leaves alone."`
	QuietHours       *QuietHoursSpec `yaml:"quiet_hours" desc:"Hours, in each client's time zone, when findings are held back (they fire at the next run outside them)."`
	Silences         []SilenceSpec   `yaml:"silences" desc:"Temporary silences: findings matching every matcher are held back until the silence expires."`
	Rules            []RuleSpec      `yaml:"rules" desc:"The rules, evaluated in order for every milestone." required:"true"`
}

// ExemptSpec names the labels that exempt a milestone or an item.
type ExemptSpec struct {
	Labels []string `yaml:"labels" desc:"A milestone carrying one of these labels is skipped entirely; an item carrying one is left out of its milestone before forecasting (default [forewarn:ignore])."`
}

// QuietHoursSpec is a daily window, in the client's time zone.
type QuietHoursSpec struct {
	Start    string   `yaml:"start" desc:"Start of the quiet window, HH:MM in the client's time zone." required:"true" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	End      string   `yaml:"end" desc:"End of the quiet window, HH:MM; may be earlier than start (the window then spans midnight)." required:"true" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
	Weekends bool     `yaml:"weekends" desc:"Saturdays and Sundays are quiet all day."`
	Except   []string `yaml:"except_severities" desc:"Severities that are never held back by quiet hours, e.g. [critical]." enum:"info,warning,critical"`
}

// SilenceSpec silences matching findings until it expires.
type SilenceSpec struct {
	Matchers map[string]string `yaml:"matchers" desc:"Field → glob (* matches any run of characters). Fields: rule, milestone, source, client, kind, purpose, severity, or label.NAME for a finding label. All must match." required:"true"`
	Until    string            `yaml:"until" desc:"When the silence expires: YYYY-MM-DD (start of that day, UTC) or RFC 3339." required:"true"`
	Comment  string            `yaml:"comment" desc:"Why, and who asked; shown with every finding it holds back."`
}

// RuleSpec is one rule.
type RuleSpec struct {
	Name          string            `yaml:"name" desc:"Unique name of the rule, shown in tickets and reports." required:"true"`
	Description   string            `yaml:"description" desc:"What the rule is for, in a sentence."`
	Scope         *ScopeSpec        `yaml:"scope" desc:"Which milestones the rule applies to; all given selectors must match."`
	When          string            `yaml:"when" desc:"Condition, an expr-lang expression of type bool over milestone, forecast, signals, client and now (see docs/rules.md)." required:"true"`
	For           Duration          `yaml:"for" desc:"How long the condition must hold before the rule fires (default 0: at once)."`
	KeepFiringFor Duration          `yaml:"keep_firing_for" desc:"How long the rule keeps firing after the condition stops holding (default 0)."`
	Severity      string            `yaml:"severity" desc:"info, warning or critical (default warning)." enum:"info,warning,critical"`
	Action        string            `yaml:"action" desc:"What to do when the rule fires: draft a client-notice, a progress-update or a post-mortem ticket, or comment on the existing ticket named by ticket." required:"true" enum:"client-notice,progress-update,post-mortem,comment"`
	Ticket        string            `yaml:"ticket" desc:"With action comment: the purpose of the ticket to comment on." enum:"client-notice,progress-update,post-mortem"`
	Repeat        Duration          `yaml:"repeat" desc:"Minimum time between two updates of the same ticket (default 1d). The ticket is always kept in existence."`
	Labels        map[string]string `yaml:"labels" desc:"Labels of the finding; values are templates: text with {{ expression }} parts."`
	Annotations   map[string]string `yaml:"annotations" desc:"Annotations of the finding (summary, details); values are templates: text with {{ expression }} parts."`
}

// ScopeSpec selects milestones.
type ScopeSpec struct {
	Sources []string `yaml:"sources" desc:"Names of configured sources."`
	Clients []string `yaml:"clients" desc:"Client ids."`
	Kinds   []string `yaml:"kinds" desc:"Kinds of milestone: milestone (GitHub or file), fixversion (Jira fix version), sprint (Jira sprint)." enum:"milestone,fixversion,sprint"`
	Labels  []string `yaml:"labels" desc:"Milestone labels; the milestone must carry all of them."`
}

// Duration is a duration as written in the rules: a sequence of number and
// unit, units w, d, h, m, s (e.g. 2d, 1w, 36h, 1d12h).
type Duration string

// YAMLWant says what a duration looks like, for type errors.
func (Duration) YAMLWant() string { return "a duration (such as 2d)" }

// JSONSchema describes Duration for `forewarn schema`.
func (Duration) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": durationPattern,
		"description": "A duration: number and unit pairs, units w, d, h, m, s (e.g. 2d, 1w, 36h, 1d12h)."}
}

const durationPattern = `^(0|([0-9]+(w|d|h|m|s))+)$`
