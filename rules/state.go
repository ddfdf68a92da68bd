package rules

import (
	"encoding/json"
	"fmt"
	"time"
)

// State is what the rules remember between runs. It is JSON-serialisable;
// the zero value is a fresh start.
type State struct {
	// Alerts holds every pending or firing rule: milestone key → rule name → alert.
	Alerts map[string]map[string]Alert `json:"alerts,omitempty"`
	// Written is when the worker last created, updated or commented on each
	// ticket, and at what severity, by fingerprint.
	Written map[string]Written `json:"written,omitempty"`

	// firing is the severity of this evaluation's findings per ticket, so
	// Acted can record what was written.
	firing map[string]string
}

// Written is the last write to a ticket.
type Written struct {
	At       time.Time `json:"at"`
	Severity string    `json:"severity,omitempty"`
}

// Alert is one rule's state for one milestone.
type Alert struct {
	ActiveSince time.Time `json:"active_since"`      // the condition started to hold
	FiredAt     time.Time `json:"fired_at,omitzero"` // it held for `for` (zero while pending)
	LastTrue    time.Time `json:"last_true"`         // the condition last held
	LastSeen    time.Time `json:"last_seen"`         // the milestone was last judged
}

// Acted records that the worker wrote to the ticket fingerprint at at, so
// the rule's repeat interval runs from then. Call it on Result.State.
func (s *State) Acted(fingerprint string, at time.Time) {
	if s.Written == nil {
		s.Written = map[string]Written{}
	}
	if w, ok := s.Written[fingerprint]; ok && w.At.After(at) {
		return // a later write is already recorded (the clock ran backwards)
	}
	s.Written[fingerprint] = Written{At: at.UTC(), Severity: s.firing[fingerprint]}
}

// Latest is the latest moment the state records (an evaluation or a
// write); zero for a fresh state.
func (s State) Latest() time.Time {
	var t time.Time
	later := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	for _, byRule := range s.Alerts {
		for _, a := range byRule {
			later(a.LastSeen)
			later(a.LastTrue)
			later(a.FiredAt)
			later(a.ActiveSince)
		}
	}
	for _, w := range s.Written {
		later(w.At)
	}
	return t
}

// clone copies the state's maps, so the copy can be changed alone.
func (s State) clone() State {
	c := State{Alerts: make(map[string]map[string]Alert, len(s.Alerts)), Written: make(map[string]Written, len(s.Written))}
	for k, byRule := range s.Alerts {
		m := make(map[string]Alert, len(byRule))
		for r, a := range byRule {
			m[r] = a
		}
		c.Alerts[k] = m
	}
	for k, w := range s.Written {
		c.Written[k] = w
	}
	return c
}

// Marshal encodes the state for a store.
func (s State) Marshal() ([]byte, error) { return json.Marshal(s) }

// UnmarshalState decodes a stored state; nil or empty data is a fresh state.
func UnmarshalState(data []byte) (State, error) {
	var s State
	if len(data) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("decoding rules state: %w", err)
	}
	return s, nil
}
