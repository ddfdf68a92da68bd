package model

import (
	"fmt"
	"time"
)

// ReasonCode names why a forecast gives no date (status insufficient_data or
// diverging). Drafts render it with the figures of ForecastReason in the
// client's language; Forecast.Reason is the same in English, for the table,
// --json and logs.
type ReasonCode string

const (
	// ReasonNoItems: the milestone has no work items.
	ReasonNoItems ReasonCode = "no_items"
	// ReasonNoHistory: no item has been started or completed yet.
	ReasonNoHistory ReasonCode = "no_history"
	// ReasonNotStarted: work starts on Since, after today.
	ReasonNotStarted ReasonCode = "not_started"
	// ReasonShortHistory: Days working days since work started on Since;
	// Need are needed.
	ReasonShortHistory ReasonCode = "short_history"
	// ReasonThinHistory: Done items completed in the last Days working
	// days; Need are needed.
	ReasonThinHistory ReasonCode = "thin_history"
	// ReasonBeyondHorizon: the P85 date lies beyond the HorizonDays-day
	// horizon; Remaining items remain, and over the last Days working days
	// Added items were added and Done completed (Pace a working day).
	ReasonBeyondHorizon ReasonCode = "beyond_horizon"
)

// ReasonCodes lists every code a forecast can give. Anything that renders
// reasons (the drafts, in each language) must render every one of them; a
// test enumerates this list.
var ReasonCodes = []ReasonCode{ReasonNoItems, ReasonNoHistory, ReasonNotStarted,
	ReasonShortHistory, ReasonThinHistory, ReasonBeyondHorizon}

// ForecastReason is why a forecast gives no date: a code and the figures it
// names (zero where the code names none).
type ForecastReason struct {
	Code        ReasonCode `json:"code"`
	Since       time.Time  `json:"since,omitzero"`         // not_started: when work starts; short_history: when it started
	Days        int        `json:"days,omitempty"`         // working days of history (in the throughput window)
	Need        int        `json:"need,omitempty"`         // working days (short_history) or items done (thin_history) needed
	Done        int        `json:"done,omitempty"`         // items completed over Days
	Added       int        `json:"added,omitempty"`        // items added after the commitment point over Days
	Remaining   int        `json:"remaining,omitempty"`    // items left
	HorizonDays int        `json:"horizon_days,omitempty"` // the forecast's horizon in calendar days
	Pace        float64    `json:"pace,omitempty"`         // items completed a working day over Days
}

// String is the reason in English, as Forecast.Reason carries it ("" for no
// code).
func (r ForecastReason) String() string {
	switch r.Code {
	case "":
		return ""
	case ReasonNoItems:
		return "the milestone has no work items"
	case ReasonNoHistory:
		return "no history: no item has been started or completed yet"
	case ReasonNotStarted:
		return fmt.Sprintf("no history yet: work on the milestone starts on %s", r.Since.Format(time.DateOnly))
	case ReasonShortHistory:
		return fmt.Sprintf("history too short: %d working days since work started on %s (need %d)",
			r.Days, r.Since.Format(time.DateOnly), r.Need)
	case ReasonThinHistory:
		return fmt.Sprintf("history too thin: %d items completed in the last %d working days (need %d)", r.Done, r.Days, r.Need)
	case ReasonBeyondHorizon:
		return fmt.Sprintf("P85 is beyond the %d-day horizon: %d items remain; over the last %d working days %d items were added and %d done (%.2f done a working day)",
			r.HorizonDays, r.Remaining, r.Days, r.Added, r.Done, r.Pace)
	}
	return string(r.Code)
}
