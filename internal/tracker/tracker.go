// Package tracker holds the ports between the worker and everything it
// drives: the Source a milestone is read from, the Target a ticket is
// written to, the ledger Store that remembers them, and the Report a run
// produces. Connectors, the store and metrics import this package (and
// model), never the worker; the worker imports them all.
package tracker

import (
	"context"

	"github.com/forewarn/forewarn/internal/model"
)

// Source is a tracker that milestones are read from.
type Source interface {
	// Name is the configured name of the source (used in reports and keys).
	Name() string
	// Fetch reads every milestone with a due date and its items. A milestone
	// whose data could not be read completely goes into Failed, never into
	// Milestones: it is reported and not judged. An error means the source
	// as a whole could not be read.
	Fetch(ctx context.Context) (FetchResult, error)
}

// Streamer is a Source that can hand over some of its milestones while it
// is still reading the others, so that they are judged and drafted ahead
// on the cores the reads leave idle.
type Streamer interface {
	Source
	// FetchStream is Fetch, and calls part, one call at a time, with each
	// group of milestones it has finished reading whose team record needs
	// nothing more: every milestone of one container it will return (its
	// Milestones), with the closed ones read for their record (History).
	// A part is a preview, not a decision: the result of FetchStream is
	// what counts. A milestone handed over is in that result, unchanged,
	// unless the result leaves it out (the run stopped before it, or the
	// source failed).
	FetchStream(ctx context.Context, part func(FetchResult)) (FetchResult, error)
}

// Streams reports whether s (or the source it wraps, through an
// Unwrap() Source method) hands over milestones while it reads.
func Streams(s Source) bool {
	for s != nil {
		if w, ok := s.(interface{ Unwrap() Source }); ok {
			s = w.Unwrap()
			continue
		}
		_, ok := s.(Streamer)
		return ok
	}
	return false
}

// FetchParts reads s with FetchStream when it streams and part is set, else
// with Fetch (part is then never called).
func FetchParts(ctx context.Context, s Source, part func(FetchResult)) (FetchResult, error) {
	if st, ok := s.(Streamer); ok && part != nil {
		return st.FetchStream(ctx, part)
	}
	return s.Fetch(ctx)
}

// FetchResult is what one source returned in one run.
type FetchResult struct {
	Milestones []model.Milestone
	Failed     []MilestoneFailure
	// History are closed milestones read only for the team's record
	// (forecast.history): never judged, so they draft nothing. Closed
	// milestones in Milestones count for the record too.
	History []model.Milestone
	// Notes are things worth reporting that are not failures (e.g. "changelog
	// lookups capped at 200; 12 items fell back to creation time").
	Notes []string
}

// MilestoneFailure is a milestone skipped because its data was unreadable.
type MilestoneFailure struct {
	Key   string
	Title string
	Err   error
}

// Target is where tickets are written: the outbox, GitHub issues or Jira.
//
// The worker's exactly-once protocol relies on Find: a ticket created by a
// run that crashed before recording it must be found by its fingerprint.
type Target interface {
	Name() string
	Format() model.Format
	// Find returns the ticket carrying the fingerprint, or nil when none
	// exists. It must see tickets created moments ago.
	Find(ctx context.Context, fingerprint string) (*model.TicketRef, error)
	// Create opens a ticket. It is called once per attempt and must not be
	// retried inside after an ambiguous failure; the worker calls Find.
	Create(ctx context.Context, t model.Ticket) (model.TicketRef, error)
	// Update replaces the title, body and labels of an existing ticket.
	Update(ctx context.Context, ref model.TicketRef, t model.Ticket) error
	// Comment adds a comment to an existing ticket.
	Comment(ctx context.Context, ref model.TicketRef, body string) error
	// Reopen reopens a closed ticket (never called for WontDo tickets).
	Reopen(ctx context.Context, ref model.TicketRef) error
}

// BatchFinder is a Target that can look many fingerprints up in a few
// requests. The worker uses it once per run, before the first write, so
// that no ticket costs a search of its own. It answers for every
// fingerprint as Find would: one it does not return has no ticket (the
// worker creates it without asking again). A fingerprint a run writes to
// twice is looked up with Find the second time.
type BatchFinder interface {
	FindMany(ctx context.Context, fingerprints []string) (map[string]*model.TicketRef, error)
}

// Settler is a Target with something to do once after the writes of a run
// (the worker calls Settle when the run wrote anything): the GitHub target
// asks its batch lookup's listing again, so that the conditional-request
// cache holds the answer that includes the writes and the next run's
// lookup costs no rate-limit point.
type Settler interface {
	Settle(ctx context.Context)
}
