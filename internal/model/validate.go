package model

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Bounds of the dates forewarn judges. A tracker date outside them (year 1
// from a zero value serialised as a date, year 10000 from a typo) is a
// data error, never a deadline.
const (
	MinYear = 1900
	MaxYear = 9999
)

// CheckDate reports a date outside MinYear..MaxYear; the zero time means
// "not set" and passes.
func CheckDate(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		return fmt.Errorf("%s is outside the years %d–%d", t.UTC().Format(time.RFC3339), MinYear, MaxYear)
	}
	return nil
}

// CheckAmount reports a quantity (points, days) that is negative, NaN or
// infinite.
func CheckAmount(v float64) error {
	switch {
	case math.IsNaN(v):
		return errors.New("is NaN, want a number of at least 0")
	case math.IsInf(v, 0):
		return fmt.Errorf("is %v, want a finite number", v)
	case v < 0:
		return fmt.Errorf("is %v, want a number of at least 0", v)
	}
	return nil
}

// CheckSpan reports a due date before the start (both as calendar days).
func CheckSpan(start, due time.Time) error {
	if start.IsZero() || due.IsZero() {
		return nil
	}
	if due.UTC().Before(Day(start)) {
		return fmt.Errorf("due %s is before the start %s", due.UTC().Format(time.DateOnly), start.UTC().Format(time.DateOnly))
	}
	return nil
}

// Validate reports every value of the milestone forewarn cannot judge:
// dates outside MinYear..MaxYear, a due date before the start, negative,
// NaN or infinite points or blocked days. Each problem names the milestone
// and, for an item, the item's key. Every source's output passes here
// before it is forecast; a milestone that fails is reported, not judged.
func (m Milestone) Validate() error {
	var errs []error
	add := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("milestone %s: %s %w", m.Key, what, err))
		}
	}
	for _, d := range []struct {
		name string
		t    time.Time
	}{{"start", m.Start}, {"due", m.Due}, {"closed_at", m.ClosedAt}, {"agreed due", m.AgreedDue}} {
		add(d.name, CheckDate(d.t))
	}
	if err := CheckSpan(m.Start, m.Due); err != nil {
		errs = append(errs, fmt.Errorf("milestone %s: %w", m.Key, err))
	}
	for _, w := range m.Items {
		// The field's name is only built for an error: a large run
		// validates every field of some 30,000 items.
		field := func(name string, err error) {
			if err != nil {
				add("item "+w.Key+": "+name, err)
			}
		}
		for _, d := range []struct {
			name string
			t    Instant
		}{{"created", w.Created}, {"started", w.Started}, {"closed", w.Closed}, {"joined", w.JoinedAt},
			{"removed", w.RemovedAt}, {"blocked_since", w.BlockedSince}} {
			field(d.name, CheckDate(d.t.Time()))
		}
		field("points", CheckAmount(w.Points))
		field("blocked_days", CheckAmount(w.BlockedDays))
	}
	return errors.Join(errs...)
}
