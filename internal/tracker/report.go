package tracker

import (
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// Mode says whether a run acts or only plans.
type Mode string

const (
	ModeRun  Mode = "run"  // act on the targets and record state
	ModePlan Mode = "plan" // the same computation; nothing is written anywhere
)

// ActionKind is what the worker did (or would do) about one ticket.
type ActionKind string

const (
	ActionCreate  ActionKind = "create"
	ActionUpdate  ActionKind = "update"
	ActionComment ActionKind = "comment"
	ActionReopen  ActionKind = "reopen"
	ActionNone    ActionKind = "unchanged" // the ticket exists and is up to date
	// ActionDeferred: the run's operations budget ran out; the next run
	// picks the finding up again.
	ActionDeferred ActionKind = "deferred"
	// ActionDiscarded: the ticket was deleted from its target (a person
	// discarded the draft); it is recorded and not written again while
	// its rule keeps firing.
	ActionDiscarded ActionKind = "discarded"
)

// Action is one step of reconciliation.
type Action struct {
	Kind         ActionKind      `json:"kind"`
	Fingerprint  string          `json:"fingerprint"`
	MilestoneKey string          `json:"milestone_key"`
	Purpose      model.Purpose   `json:"purpose"`
	Rule         string          `json:"rule"`
	Target       string          `json:"target"`
	Title        string          `json:"title"`
	Ref          model.TicketRef `json:"ref,omitzero"`
	Reason       string          `json:"reason,omitempty"` // why an update or a skip
	// Ops are the steps the action takes in order, when there are several
	// (reopen, update, comment); one step is said by Kind alone.
	Ops  []string `json:"ops,omitempty"`
	Err  string   `json:"error,omitempty"` // set when the action failed
	Done bool     `json:"done"`            // applied (run mode) and succeeded
}

// MilestoneReport is one judged milestone.
type MilestoneReport struct {
	Milestone model.Milestone `json:"milestone"`
	Forecast  model.Forecast  `json:"forecast"`
	Findings  []model.Finding `json:"findings,omitempty"`
}

// Report is the outcome of one run.
type Report struct {
	Mode       Mode              `json:"mode"`
	Started    time.Time         `json:"started"`
	Finished   time.Time         `json:"finished"`
	Milestones []MilestoneReport `json:"milestones"`
	Failed     []FailureReport   `json:"failed,omitempty"`
	// RuleFailures are rules whose evaluation broke at run time.
	RuleFailures []RuleFailure `json:"rule_failures,omitempty"`
	Actions      []Action      `json:"actions"`
	Notes        []string      `json:"notes,omitempty"`
}

// FailureReport is a milestone or source that could not be judged.
type FailureReport struct {
	Source string `json:"source"`
	Key    string `json:"key,omitempty"`
	Title  string `json:"title,omitempty"`
	Err    string `json:"error"`
}

// RuleFailure is a rule that could not be evaluated for a milestone (the
// expression failed at run time): neither holding nor not holding.
type RuleFailure struct {
	Rule         string `json:"rule"`
	MilestoneKey string `json:"milestone_key"`
	Err          string `json:"error"`
}

// Partial reports whether the run failed in part (exit code 1).
func (r Report) Partial() bool {
	if len(r.Failed) > 0 || len(r.RuleFailures) > 0 {
		return true
	}
	for _, a := range r.Actions {
		if a.Err != "" {
			return true
		}
	}
	return false
}

// Count returns how many actions of a kind succeeded (run) or are planned (plan).
func (r Report) Count(k ActionKind) int {
	n := 0
	for _, a := range r.Actions {
		if a.Kind == k && a.Err == "" {
			n++
		}
	}
	return n
}
