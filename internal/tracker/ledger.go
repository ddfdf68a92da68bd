package tracker

import (
	"context"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// Store keeps what forewarn remembers between runs. The worker works with
// no store at all (state: none): trackers carry the fingerprints then.
type Store interface {
	// RuleState returns the rules engine's state blob from the last run.
	RuleState(ctx context.Context) ([]byte, error)
	SaveRuleState(ctx context.Context, state []byte) error

	// Ledger maps fingerprints to tickets.
	LedgerGet(ctx context.Context, fingerprint string) (LedgerEntry, bool, error)
	LedgerPut(ctx context.Context, e LedgerEntry) error

	// Forecast history per milestone (for updates and post-mortems).
	AppendForecast(ctx context.Context, milestoneKey string, r model.ForecastRecord) error
	Forecasts(ctx context.Context, milestoneKey string) ([]model.ForecastRecord, error)

	Close() error
}

// LedgerBatcher is a Store that records many ledger entries in one durable
// write: the worker records the pending entries of a run's creates with it,
// all before the first create is sent, instead of waiting for the disk once
// per create.
type LedgerBatcher interface {
	LedgerPutAll(ctx context.Context, es []LedgerEntry) error
}

// ForecastBatcher is a Store that reads and records the forecasts of many
// milestones in one go: the worker records the day's forecast of every
// milestone a run judged, before drafting starts, with one read and one
// write instead of a read and a write per milestone.
type ForecastBatcher interface {
	// LatestForecastTimes returns the AsOf of each milestone's latest
	// forecast record; a milestone without one is absent.
	LatestForecastTimes(ctx context.Context, milestoneKeys []string) (map[string]time.Time, error)
	// AppendForecasts records the forecasts as AppendForecast records
	// each, all of them or none.
	AppendForecasts(ctx context.Context, fs []KeyedForecast) error
}

// DueKeeper is a Store that remembers the due dates it saw on each
// milestone, so the team's record can judge a milestone whose due date the
// tracker moved later (a release date edited on release day) against the
// date it had when work started.
type DueKeeper interface {
	// NoteDues records each milestone's due date as seen at seen, unless
	// that due date of that milestone was seen before.
	NoteDues(ctx context.Context, seen time.Time, dues []KeyedDue) error
	// DuesSeen returns, for each of the milestones that has any, the due
	// dates seen, oldest first by when each was first seen.
	DuesSeen(ctx context.Context, milestoneKeys []string) (map[string][]model.DueSeen, error)
}

// KeyedDue is a milestone's due date.
type KeyedDue struct {
	MilestoneKey string
	Due          time.Time
}

// KeyedForecast is a forecast record of a milestone.
type KeyedForecast struct {
	MilestoneKey string
	Record       model.ForecastRecord
}

// LedgerEntry records the ticket for a fingerprint. Pending entries are
// written before a create is attempted, so a crash leaves a trace; only a
// complete entry means the ticket holds forewarn's last write.
type LedgerEntry struct {
	Fingerprint  string
	MilestoneKey string
	Purpose      model.Purpose
	Target       string
	State        LedgerState
	Ref          model.TicketRef
	Digest       string    // digest of the content last written
	Created      time.Time // when the ticket was created
	Updated      time.Time // when it was last updated or commented on
	FirstFired   time.Time // when a rule first fired for it
}

// LedgerState is where a ledger entry is in the create protocol:
// pending → created → complete, never backwards.
type LedgerState string

const (
	// LedgerPending is written before a create is attempted: a crash
	// leaves it, and the next run looks the ticket up instead of creating.
	LedgerPending LedgerState = "pending"
	// LedgerCreated: the ticket exists and is known (Ref), but was not yet
	// written in full — found after a create whose answer was lost. The
	// next step (this run or the next) writes it once in full.
	LedgerCreated LedgerState = "created"
	// LedgerComplete: the ticket exists and holds what forewarn wrote.
	LedgerComplete LedgerState = "complete"
	// LedgerDiscarded: the ticket existed and is gone from its target (a
	// person deleted the draft). Updated is when that was noticed; the
	// ticket is not written again unless its rule fires anew after it.
	LedgerDiscarded LedgerState = "discarded"
)
