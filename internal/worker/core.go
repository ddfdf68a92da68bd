package worker

import (
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// The pure core, as the worker needs it. internal/app adapts the forecast,
// rules and notice packages to these; tests use small fakes.

// Forecaster forecasts one milestone at one moment. It must be pure.
type Forecaster func(m model.Milestone, now time.Time) model.Forecast

// Recorder derives milestone m's team record, as of now, from the closed
// milestones of its container (forecast.TeamRecordOf). It must be pure.
type Recorder func(closed []model.Milestone, m model.Milestone, now time.Time) *model.TeamRecord

// Judged is one milestone ready for the rules.
type Judged struct {
	Milestone model.Milestone
	Forecast  model.Forecast
	Client    model.Client
}

// Firing is a finding and whether its ticket may be updated now (the rule's
// repeat interval has passed since it was last written).
type Firing struct {
	Finding   model.Finding
	MayUpdate bool
}

// Evaluation is what the rules decided in one run.
type Evaluation struct {
	Firings    []Firing
	Suppressed []string // one line per finding held back (silence, quiet hours, exemption)
	// Failed are rules whose evaluation broke at run time: not judged, and
	// the run fails in part.
	Failed []tracker.RuleFailure
	// Notes are things the rules want said (e.g. the clock ran backwards).
	Notes []string
}

// RuleRun is the rules engine for one run, holding its state. Evaluate is
// pure given the state it was opened with; Acted records what the worker
// did so repeat intervals hold; State is saved after a real run.
type RuleRun interface {
	Evaluate(now time.Time, in []Judged) Evaluation
	Acted(fingerprint string, at time.Time)
	State() ([]byte, error)
}

// Rules opens rule runs and exposes the global controls.
type Rules interface {
	// Prepare applies exemptions: skip exempts the whole milestone; exempt
	// items are dropped from it. It is called from each source's goroutine
	// at once (poll), so it must not change shared state.
	Prepare(m model.Milestone) (prepared model.Milestone, skip bool)
	// Open starts a run from the state saved by the last one (nil: fresh).
	Open(state []byte) (RuleRun, error)
	// Budget is the most write operations one run may make (0: unlimited).
	Budget() int
}

// DraftHistory is what forewarn remembers about a milestone, for drafts.
type DraftHistory struct {
	FirstDetected time.Time
	NoticeDrafted time.Time
	// NoticeID and NoticeURL name the client-notice ticket, when one exists.
	NoticeID, NoticeURL string
	Forecasts           []model.ForecastRecord
	LastWritten         *model.ForecastRecord
	AgreedDates         []time.Time
}

// DraftRequest is everything a draft is written from.
type DraftRequest struct {
	Finding   model.Finding
	Milestone model.Milestone
	Forecast  model.Forecast
	Client    model.Client
	History   DraftHistory
	Now       time.Time
}

// Drafter renders the ticket for a finding in a target's format.
type Drafter interface {
	Draft(req DraftRequest, f model.Format) (model.Ticket, error)
}
