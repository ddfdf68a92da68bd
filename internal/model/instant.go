package model

import (
	"cmp"
	"math"
	"time"
)

// Instant is a moment in UTC to the microsecond in 8 bytes, where a
// time.Time takes 24 (a wall clock, a monotonic reading and a time zone).
// Work items carry six of them, and a ten-times agency reads 200,000
// items: as time.Time they were 144 of an item's 304 bytes.
//
// The zero Instant is unset, as the zero time.Time is. An Instant keeps no
// time zone (Time gives UTC) and nothing finer than a microsecond (the
// trackers give milliseconds at most); it holds any moment within
// 290,000 years of 1970.
type Instant struct {
	v uint64 // Unix microseconds + 2⁶³: ordered like the moments, 0 unset
}

const instantBias = 1 << 63

var (
	minInstant = time.UnixMicro(math.MinInt64 + 1).UTC()
	maxInstant = time.UnixMicro(math.MaxInt64).UTC()
)

// At is t as an Instant: unset when t is zero, to the microsecond (down).
func At(t time.Time) Instant {
	switch {
	case t.IsZero():
		return Instant{}
	case t.Before(minInstant):
		t = minInstant
	case t.After(maxInstant):
		t = maxInstant
	}
	return Instant{uint64(t.UnixMicro()) + instantBias}
}

// Time is the instant in UTC (the zero time.Time when unset).
func (i Instant) Time() time.Time {
	if i.v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(i.v - instantBias)).UTC()
}

// IsZero reports whether the instant is unset.
func (i Instant) IsZero() bool { return i.v == 0 }

// Before reports whether the instant is before t (as time.Time.Before: an
// unset instant is the zero time).
func (i Instant) Before(t time.Time) bool { return i.Time().Before(t) }

// After reports whether the instant is after t.
func (i Instant) After(t time.Time) bool { return i.Time().After(t) }

// Equal reports whether the instant is t (unset equals the zero time).
func (i Instant) Equal(t time.Time) bool { return i.Time().Equal(t) }

// Compare compares two instants as time.Time.Compare does.
func (i Instant) Compare(j Instant) int { return cmp.Compare(i.v, j.v) }

// String formats the instant as time.Time does.
func (i Instant) String() string { return i.Time().String() }

// MarshalJSON encodes the instant as time.Time does (RFC 3339).
func (i Instant) MarshalJSON() ([]byte, error) { return i.Time().MarshalJSON() }

// UnmarshalJSON decodes what time.Time's UnmarshalJSON accepts.
func (i *Instant) UnmarshalJSON(b []byte) error {
	var t time.Time
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	*i = At(t)
	return nil
}
