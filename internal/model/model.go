// Package model holds forewarn's own domain types. Vendor structs (go-github,
// go-jira) stop at the connector boundary; everything past it speaks these.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Kind says what sort of deadline a milestone is.
type Kind string

const (
	KindMilestone  Kind = "milestone"  // a GitHub milestone or a file-tracker milestone
	KindFixVersion Kind = "fixversion" // a Jira fix version
	KindSprint     Kind = "sprint"     // a Jira sprint
)

// State of a milestone in its tracker.
type State string

const (
	StateOpen   State = "open"
	StateClosed State = "closed"
)

// Milestone is a promised deadline with the work that belongs to it.
//
// Due is a calendar date: midnight UTC of the day the work is due, meaning
// "done by the end of that day". Start is zero when the tracker does not say.
type Milestone struct {
	Source string `json:"source"` // name of the configured source it came from
	Key    string `json:"key"`    // stable across runs, e.g. "github:acme/web#12"
	Kind   Kind   `json:"kind"`
	Title  string `json:"title"`
	// Container names where the milestone lives, for titles: the GitHub
	// repository ("acme/web"), the Jira project ("WEB"), or for a sprint its
	// items' project or its board ("board 3"). Milestone titles repeat
	// across repositories ("v1.6"); the container tells them apart.
	Container string    `json:"container,omitempty"`
	URL       string    `json:"url,omitempty"`
	Client    string    `json:"client,omitempty"` // id of a client in the config
	Labels    []string  `json:"labels,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	// StartBasis says what Start is: the team's commitment (a sprint's
	// start, a version's start date, a start given in the export) or, for
	// trackers that have no start date, only when the milestone was created
	// or a start written in its description.
	StartBasis StartBasis `json:"start_basis,omitempty"`
	Due        time.Time  `json:"due"`
	State      State      `json:"state"`
	ClosedAt   time.Time  `json:"closed_at,omitzero"`
	// AgreedDue is a re-baselined due date agreed with the client after a
	// notice (zero when none). Rules and forecasts track it like Due.
	AgreedDue time.Time `json:"agreed_due,omitzero"`
	// PromisedDue is set on a milestone whose due date the tracker moved
	// later after work on it started, when forewarn saw the earlier one:
	// the due date it had then (zero otherwise). The team's record judges
	// a closed milestone against it (a release date edited on the day of
	// the release is not a delivery on time); the drafts for an open one
	// tell the reviewer the client may still expect it. Forecasts and rules
	// keep to Due (and AgreedDue).
	PromisedDue time.Time  `json:"promised_due,omitzero"`
	Items       []WorkItem `json:"items,omitempty"`
	// Record is the team's record on the container's earlier closed
	// milestones, set by the worker before forecasting (nil: no history);
	// the forecast calibrates P(on time) and its dates against it.
	Record *TeamRecord `json:"record,omitempty"`
}

// TeamRecord is how a team delivered its last closed milestones of one
// container (repository, project or board), oldest first in the window the
// configuration allows. It is derived from closed milestones by a pure
// function of the forecast package and never includes the milestone being
// judged or any milestone closed after the forecast's "now".
type TeamRecord struct {
	// Basis names the history used, in words a reviewer can check, e.g.
	// "the last 8 closed sprints of board 12 (closed 3 Jun – 20 Nov 2026)".
	Basis string `json:"basis"`
	// Milestones is how many closed milestones the record holds; OnTime how
	// many of them were on time: a sprint when all its committed scope was
	// done by its due date, a milestone or version when all the work that
	// stayed in it was (forecast.TeamRecordOf).
	Milestones int `json:"milestones"`
	OnTime     int `json:"on_time"`
	// OnTimeByClose says, for each milestone in the order they closed
	// (oldest first), whether it was on time: what a team did last says
	// most about what it does next.
	OnTimeByClose []bool `json:"on_time_by_close,omitempty"`
	// DeliveredRatio is the mean, over the milestones, of the committed
	// items done by the due date divided by the committed items.
	DeliveredRatio float64 `json:"delivered_ratio"`
	// Slips are, for each milestone whose finish is known, its lateness as a
	// share of its planned length: (finish − due) / (due − start); 0 on the
	// due date, 0.5 half the planned length late, negative early. Sorted.
	Slips []float64 `json:"slips,omitempty"`
	// Throughput is, for each milestone, the items it delivered (done
	// between its commitment day and the end of its due day, whenever they
	// joined) per calendar day of its planned length (commitment day to
	// the end of the due day): the pace the team kept. In the order the
	// milestones closed, oldest first.
	Throughput []float64 `json:"throughput,omitempty"`
	// PointThroughput is the same in story points, for the milestones most
	// of whose committed items were estimated (empty when none), in the
	// same order.
	PointThroughput []float64 `json:"point_throughput,omitempty"`
	// Committed is the median number of items the milestones held at their
	// commitment point: the load the team usually takes on.
	Committed float64 `json:"committed,omitempty"`
	// ScopeProfile is the team's filing habit: ScopeProfile[k] is the
	// median, over the record's milestones, of the share of a milestone's
	// final scope (the items in it when it closed) that had already joined
	// it at k/10 of its life (its start, or its first item's joining when
	// it has none, to the end of its due day), k = 0 … 10; ProfileMilestones
	// how many milestones it is the median of. Empty when no milestone of
	// the record had a due date and a final scope.
	ScopeProfile      []float64 `json:"scope_profile,omitempty"`
	ProfileMilestones int       `json:"profile_milestones,omitempty"`
	// MovedDue is how many of the milestones were judged against the due
	// date they had when work started, as forewarn saw it, because the
	// tracker's was moved later since (Milestone.PromisedDue).
	MovedDue int `json:"moved_due,omitempty"`
}

// DueSeen is a due date forewarn saw on a milestone, and when it first
// saw it.
type DueSeen struct {
	Due  time.Time `json:"due"`
	Seen time.Time `json:"seen"`
}

// PromisedDueOf is m's PromisedDue by the due dates seen on it (oldest
// first): the one it had when work started (PromisedAt its Start) when
// that falls on an earlier day than the tracker's Due, else zero. By the
// day: a source that gives the same day at another hour has not moved it.
func PromisedDueOf(m Milestone, seen []DueSeen) time.Time {
	if p := PromisedAt(seen, m.Start); !p.IsZero() && Day(p).Before(Day(m.Due)) {
		return p
	}
	return time.Time{}
}

// PromisedAt is the due date a milestone had at moment t by the dates
// forewarn saw (oldest first): the last one seen by t, else the first one
// seen after it; zero when none was seen.
func PromisedAt(seen []DueSeen, t time.Time) time.Time {
	var due time.Time
	for _, d := range seen {
		if d.Seen.After(t) && !due.IsZero() {
			break
		}
		due = d.Due
	}
	return due
}

// LastOnTime counts how many of the record's last n milestones (in the
// order they closed) were on time, of how many it holds in order; of is 0
// when the record does not know its order.
func (r *TeamRecord) LastOnTime(n int) (onTime, of int) {
	last := r.OnTimeByClose[max(len(r.OnTimeByClose)-n, 0):]
	for _, ok := range last {
		if ok {
			onTime++
		}
	}
	return onTime, len(last)
}

// DisplayName is the milestone as a title names it: its container, then
// its title (the container once, when the title already starts with it).
func (m Milestone) DisplayName() string {
	c := strings.TrimSpace(m.Container)
	if c == "" || strings.HasPrefix(m.Title, c+" ") || m.Title == c {
		return m.Title
	}
	return c + " " + m.Title
}

// EffectiveDue is the date the milestone is currently promised for: the
// agreed new date when there is one, else the original due date.
func (m Milestone) EffectiveDue() time.Time {
	if !m.AgreedDue.IsZero() {
		return m.AgreedDue
	}
	return m.Due
}

// StartBasis says where a milestone's Start comes from. The forecast counts
// items that joined after the commitment point as scope growth; with
// StartCreated it infers the commitment point from the data instead.
type StartBasis string

const (
	// StartTracker: the tracker's own start (a sprint's start, a version's
	// start date, the start of an exported milestone): the team committed then.
	StartTracker StartBasis = ""
	// StartDescription: an explicit `start: YYYY-MM-DD` line in the
	// milestone's description (GitHub milestones have no start date).
	StartDescription StartBasis = "description"
	// StartCreated: Start is only when the milestone was created; issues
	// are often filed into it over its life, so the commitment point is
	// inferred (see docs/forecasting.md).
	StartCreated StartBasis = "created"
)

// StatusCategory is the tracker-neutral status of a work item.
type StatusCategory string

const (
	StatusTodo       StatusCategory = "todo"
	StatusInProgress StatusCategory = "in_progress"
	StatusDone       StatusCategory = "done"
)

// WorkItem is one issue that belongs (or belonged) to a milestone.
type WorkItem struct {
	Key       string         `json:"key"`
	Title     string         `json:"title"`
	URL       string         `json:"url,omitempty"`
	Created   Instant        `json:"created"`
	Started   Instant        `json:"started,omitzero"` // first moved to in progress; zero if unknown
	Closed    Instant        `json:"closed,omitzero"`  // zero while open
	Status    StatusCategory `json:"status"`
	Points    float64        `json:"points,omitempty"`
	Labels    []string       `json:"labels,omitempty"` // Labels and Assignees may be shared with other items (Interner): never change them in place
	Assignees []string       `json:"assignees,omitempty"`
	// BlockedSince is when the current block began (zero if unknown or not blocked).
	BlockedSince Instant `json:"blocked_since,omitzero"`
	// BlockedDays is the total time spent blocked so far, in days, where known.
	BlockedDays float64 `json:"blocked_days,omitempty"`
	// JoinedAt is when the item joined the milestone. When the tracker cannot
	// say, it is Created and JoinedKnown is false.
	JoinedAt Instant `json:"joined_at"`
	// RemovedAt is when the item left the milestone (zero if it is still in it).
	RemovedAt Instant `json:"removed_at,omitzero"`
	// Rank orders items by priority (lower first); 0 means unranked.
	Rank int `json:"rank,omitempty"`
	// Resolution is the tracker's resolution text ("Fixed", "Won't Do", "not_planned").
	Resolution string `json:"resolution,omitempty"`

	// The flags sit together: apart, each would take a word of its own
	// (208 bytes an item instead of 216, before its strings).
	Estimated   bool `json:"estimated,omitempty"` // false: Points is a default, not an estimate
	Blocked     bool `json:"blocked,omitempty"`
	JoinedKnown bool `json:"joined_known,omitempty"` // JoinedAt is the tracker's, not Created
}

// Done reports whether the item was complete at t.
func (w WorkItem) DoneAt(t time.Time) bool {
	return !w.Closed.IsZero() && !w.Closed.After(t)
}

// InMilestoneAt reports whether the item was part of the milestone at t.
func (w WorkItem) InMilestoneAt(t time.Time) bool {
	joined := w.JoinedAt
	if joined.IsZero() {
		joined = w.Created
	}
	if joined.After(t) {
		return false
	}
	return w.RemovedAt.IsZero() || w.RemovedAt.After(t)
}

// UnfinishedAt counts the items that were part of a milestone at t and
// not done by then (for a closed milestone, t is when it closed). An item
// closed as won't do / not planned counts as finished: it was settled.
func UnfinishedAt(items []WorkItem, t time.Time) int {
	n := 0
	for _, it := range items {
		if it.InMilestoneAt(t) && !it.DoneAt(t) {
			n++
		}
	}
	return n
}

// Client is a client of the agency, as configured.
type Client struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Contact    string       `json:"contact"`    // the person the notice is addressed to
	Owner      string       `json:"owner"`      // account owner: sender and assignee
	Locale     string       `json:"locale"`     // "en", "nl"
	TimeZone   string       `json:"time_zone"`  // IANA name, e.g. "Europe/Amsterdam"
	Concession string       `json:"concession"` // offered in notices, if any
	Confidence float64      `json:"confidence"` // quantile for the new date, default 0.85
	Dates      []ClientDate `json:"dates"`      // the client's own dates that depend on ours
	Tracker    string       `json:"tracker_id"` // optional assignee id in the target tracker
}

// ClientDate is a date of the client's that depends on a delivery.
type ClientDate struct {
	Name string    `json:"name"`
	Date time.Time `json:"date"`
}

// Location returns the client's time zone, UTC when unset or unknown.
func (c Client) Location() *time.Location {
	if c.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ForecastStatus says how far a forecast can be trusted.
type ForecastStatus string

const (
	ForecastOK           ForecastStatus = "ok"
	ForecastInsufficient ForecastStatus = "insufficient_data"
	ForecastDone         ForecastStatus = "done" // nothing remains
	// ForecastDiverging: the confidence date is not reached within the
	// horizon; Reason (and Why) give the numbers and no date is offered.
	ForecastDiverging ForecastStatus = "diverging"
)

// Forecast is the outcome of forecasting one milestone at one moment.
// Dates are calendar dates (midnight UTC); zero when Status is not ok.
type Forecast struct {
	MilestoneKey string         `json:"milestone_key"`
	AsOf         time.Time      `json:"as_of"`
	Status       ForecastStatus `json:"status"`
	Reason       string         `json:"reason,omitempty"` // why the data is insufficient or the forecast diverges, in English (Why.String())
	// Why is Reason as a code and its figures, for drafts to render in the
	// client's language; zero when Reason is empty.
	Why ForecastReason `json:"why,omitzero"`

	ScopeItems        int     `json:"scope_items"`
	DoneItems         int     `json:"done_items"`
	RemainingItems    int     `json:"remaining_items"`
	ScopePoints       float64 `json:"scope_points"`
	DonePoints        float64 `json:"done_points"`
	RemainingPoints   float64 `json:"remaining_points"`
	AddedAfterStart   int     `json:"added_after_start"`   // joined after the commitment point
	RemovedAfterStart int     `json:"removed_after_start"` // left after the commitment point
	// Over the throughput window: items added after the commitment point
	// (net of unfinished items that left) and items done.
	AddedInWindow int `json:"added_in_window"`
	DoneInWindow  int `json:"done_in_window"`

	P50        time.Time `json:"p50,omitzero"`
	P85        time.Time `json:"p85,omitzero"`
	P95        time.Time `json:"p95,omitzero"`
	ProbOnTime float64   `json:"prob_on_time"` // probability of finishing by the effective due date
	// SimProbOnTime is the simulation's own share of trials finishing by
	// the effective due date, before calibration (0 when the simulation
	// did not run: insufficient data). ProbOnTime is it calibrated against
	// the milestone's progress and the team's record (docs/forecasting.md).
	SimProbOnTime float64   `json:"sim_prob_on_time"`
	LinearDate    time.Time `json:"linear_date,omitzero"`

	PaceNeeded   float64 `json:"pace_needed"`   // items per working day to finish on time
	PaceObserved float64 `json:"pace_observed"` // items per working day over the window

	Burndown    []BurndownPoint `json:"burndown,omitempty"`
	Signals     Signals         `json:"signals"`
	Explanation Explanation     `json:"explanation"`

	CutLine   []string `json:"cut_line,omitempty"`   // keys of remaining items that fit by the due date
	QuickWins []string `json:"quick_wins,omitempty"` // keys of small items very likely done early
	// QuickWinsBy is the day the quick wins are done by, with 95 %
	// confidence (half the working days to the confidence date): the date
	// a draft may promise them for. Zero without quick wins.
	QuickWinsBy time.Time `json:"quick_wins_by,omitzero"`
}

// Quantile returns the forecast date at confidence q (0.5, 0.85 or 0.95; the
// nearest of those for other values).
func (f Forecast) Quantile(q float64) time.Time {
	switch {
	case q <= 0.675:
		return f.P50
	case q <= 0.9:
		return f.P85
	default:
		return f.P95
	}
}

// BurndownPoint is the state of a milestone at the end of one day.
type BurndownPoint struct {
	Day             time.Time `json:"day"`
	Scope           int       `json:"scope"`
	Done            int       `json:"done"`
	Remaining       int       `json:"remaining"`
	ScopePoints     float64   `json:"scope_points"`
	DonePoints      float64   `json:"done_points"`
	RemainingPoints float64   `json:"remaining_points"`
	Added           int       `json:"added"`   // items that joined that day after the start
	Removed         int       `json:"removed"` // items that left that day
}

// Signals are early-warning measures beside the forecast.
type Signals struct {
	ScopeCreep        float64 `json:"scope_creep"` // share of scope added after start
	BlockedItems      int     `json:"blocked_items"`
	BlockedDays       float64 `json:"blocked_days"`
	StaleInProgress   int     `json:"stale_in_progress"`
	UnestimatedShare  float64 `json:"unestimated_share"`
	ThroughputTrend   float64 `json:"throughput_trend"`     // last two weeks / window; 1 = steady
	DaysSinceLastDone int     `json:"days_since_last_done"` // -1 when nothing was ever done
}

// Explanation carries a forecast's inputs so a ticket can show why it fired.
type Explanation struct {
	ItemsCounted int       `json:"items_counted"`
	WindowStart  time.Time `json:"window_start,omitzero"`
	WindowEnd    time.Time `json:"window_end,omitzero"`
	WindowDays   int       `json:"window_days"`
	Samples      []int     `json:"samples,omitempty"` // items done per working day in the window
	// Commitment is the day the team committed to the scope; items that
	// joined later are growth. CommitmentBasis says which point it is and why.
	Commitment      time.Time `json:"commitment,omitzero"`
	CommitmentBasis string    `json:"commitment_basis,omitempty"`
	// GrowthPerDone is the modelled scope growth: items added per item done
	// (observed over the window, at most 2), until the due date.
	GrowthPerDone float64 `json:"growth_per_done"`
	Trials        int     `json:"trials"`
	Seed          int64   `json:"seed"`
	// History names the team history P(on time) and the dates were
	// calibrated against (the record's basis and figures), or says that
	// there was none and the simulation stands alone.
	History     string   `json:"history,omitempty"`
	Assumptions []string `json:"assumptions,omitempty"`
}

// ForecastRecord is a forecast as remembered between runs.
type ForecastRecord struct {
	AsOf       time.Time      `json:"as_of"`
	Status     ForecastStatus `json:"status"`
	P50        time.Time      `json:"p50,omitzero"`
	P85        time.Time      `json:"p85,omitzero"`
	P95        time.Time      `json:"p95,omitzero"`
	ProbOnTime float64        `json:"prob_on_time"`
	Scope      int            `json:"scope"`
	Remaining  int            `json:"remaining"`
}

// Record condenses a forecast for history.
func (f Forecast) Record() ForecastRecord {
	return ForecastRecord{AsOf: f.AsOf, Status: f.Status, P50: f.P50, P85: f.P85, P95: f.P95,
		ProbOnTime: f.ProbOnTime, Scope: f.ScopeItems, Remaining: f.RemainingItems}
}

// Purpose is what a ticket is for. One ticket exists per milestone and purpose.
type Purpose string

const (
	PurposeClientNotice   Purpose = "client-notice"
	PurposeProgressUpdate Purpose = "progress-update"
	PurposePostMortem     Purpose = "post-mortem"
)

// Finding is a rule that fired for a milestone.
type Finding struct {
	Rule         string  `json:"rule"`
	MilestoneKey string  `json:"milestone_key"`
	Purpose      Purpose `json:"purpose"`
	// CommentOnly: the action is a comment on the existing ticket of Purpose,
	// never a new ticket.
	CommentOnly bool              `json:"comment_only,omitempty"`
	Severity    string            `json:"severity"`
	ActiveSince time.Time         `json:"active_since"` // when the condition started to hold
	FiredAt     time.Time         `json:"fired_at"`     // when it first fired (held for `for`)
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Fingerprint identifies the ticket of a finding.
func (f Finding) Fingerprint() string { return Fingerprint(f.MilestoneKey, f.Purpose) }

// Fingerprint is the stable identity of the ticket for a milestone and a
// purpose. Its format never changes: trackers are searched for it. The rule
// name is left out on purpose, so renaming a rule opens nothing new.
func Fingerprint(milestoneKey string, p Purpose) string {
	sum := sha256.Sum256([]byte("forewarn/v1\x00" + milestoneKey + "\x00" + string(p)))
	return "fw-" + hex.EncodeToString(sum[:8])
}

// Format is the markup a target renders.
type Format string

const (
	FormatMarkdown Format = "markdown" // GitHub issues, the outbox
	FormatJiraWiki Format = "jira"     // Jira REST API v2 descriptions
)

// Ticket is a rendered ticket ready for a target.
type Ticket struct {
	Fingerprint  string       `json:"fingerprint"`
	Purpose      Purpose      `json:"purpose"`
	MilestoneKey string       `json:"milestone_key"`
	Rule         string       `json:"rule"`
	Severity     string       `json:"severity"`
	Format       Format       `json:"format"`
	Title        string       `json:"title"`
	Body         string       `json:"body"` // includes the fingerprint marker
	Labels       []string     `json:"labels,omitempty"`
	Assignee     string       `json:"assignee,omitempty"`
	Attachments  []Attachment `json:"-"`
	// Comment, when set, is what to add to an existing ticket of this
	// fingerprint instead of (or after) updating its body.
	Comment string `json:"comment,omitempty"`
}

// Digest is a content hash of what the target shows, used to skip updates
// that would change nothing.
func (t Ticket) Digest() string {
	h := sha256.New()
	h.Write([]byte(t.Title))
	h.Write([]byte{0})
	h.Write([]byte(t.Body))
	for _, l := range t.Labels {
		h.Write([]byte{0})
		h.Write([]byte(l))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Attachment is a file sent with a ticket (the burn-down chart). Its
// content is Data, or made by Make when a target writes it: drafts are
// rendered for every firing, also in plans and on re-polls that write
// nothing, and a PNG costs more than the rest of a draft together.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
	Make        func() ([]byte, error)
}

// Bytes returns the content, making it when it is made lazily.
func (a Attachment) Bytes() ([]byte, error) {
	if a.Data != nil || a.Make == nil {
		return a.Data, nil
	}
	return a.Make()
}

// TicketRef is a ticket as it exists in a target.
type TicketRef struct {
	Fingerprint string    `json:"fingerprint"`
	Target      string    `json:"target"`
	ID          string    `json:"id"` // "PROJ-12", "acme/web#40", outbox file name
	URL         string    `json:"url,omitempty"`
	Open        bool      `json:"open"`
	ClosedAt    time.Time `json:"closed_at,omitzero"`
	// WontDo is set when the ticket was closed as not planned / won't fix:
	// such a ticket is never reopened.
	WontDo bool   `json:"wont_do,omitempty"`
	Digest string `json:"digest,omitempty"` // digest of the content last written, when known
	// Edited: a person changed the title or body since forewarn last wrote
	// it (model.ContentHash against what was written). forewarn then
	// comments instead of overwriting their words.
	Edited bool `json:"edited,omitempty"`
}
