package model

import (
	"encoding/json"
	"testing"
	"time"
	"unsafe"
)

func TestInstantKeepsTheMoment(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   time.Time
		want time.Time // in UTC
	}{
		{"zero is unset", time.Time{}, time.Time{}},
		{"utc", time.Date(2026, 3, 10, 23, 30, 5, 123_000_000, time.UTC), time.Date(2026, 3, 10, 23, 30, 5, 123_000_000, time.UTC)},
		{"a zone becomes utc", time.Date(2026, 3, 10, 20, 30, 0, 0, ny), time.Date(2026, 3, 11, 0, 30, 0, 0, time.UTC)},
		{"below a microsecond is dropped", time.Date(2026, 1, 2, 3, 4, 5, 6_789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 6_000, time.UTC)},
		{"the epoch is set", time.Unix(0, 0), time.Unix(0, 0).UTC()},
		{"before the epoch", time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1899, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"year 1, not the zero time", time.Date(1, 3, 4, 0, 0, 0, 0, time.UTC), time.Date(1, 3, 4, 0, 0, 0, 0, time.UTC)},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)},
		{"far past is held at the end", time.Date(-400_000, 1, 1, 0, 0, 0, 0, time.UTC), minInstant},
		{"far future is held at the end", time.Date(400_000, 1, 1, 0, 0, 0, 0, time.UTC), maxInstant},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := At(tc.in)
			got := i.Time()
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("At(%v).Time() = %v (%v), want %v in UTC", tc.in, got, got.Location(), tc.want)
			}
			if i.IsZero() != tc.in.IsZero() {
				t.Errorf("IsZero = %v for %v", i.IsZero(), tc.in)
			}
			if !i.Equal(tc.want) {
				t.Errorf("Equal(%v) is false", tc.want)
			}
		})
	}
}

func TestInstantOrder(t *testing.T) {
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	early, late := At(base.Add(-time.Microsecond)), At(base)
	if early.Compare(late) != -1 || late.Compare(early) != 1 || late.Compare(At(base)) != 0 {
		t.Errorf("Compare: %d %d %d", early.Compare(late), late.Compare(early), late.Compare(At(base)))
	}
	if !early.Before(base) || early.After(base) || late.Before(base) || late.After(base) || !late.After(base.Add(-1)) {
		t.Error("Before/After disagree with time.Time's")
	}
	// Unset orders first, as the zero time.Time does.
	if (Instant{}).Compare(At(time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC))) != -1 || !(Instant{}).Before(base) {
		t.Error("the unset instant is not first")
	}
	if At(time.Unix(-1, 0)).Compare(At(time.Unix(1, 0))) != -1 {
		t.Error("instants either side of 1970 out of order")
	}
}

func TestInstantJSONAsTime(t *testing.T) {
	type withTime struct {
		At    time.Time `json:"at"`
		Unset time.Time `json:"unset,omitzero"`
	}
	type withInstant struct {
		At    Instant `json:"at"`
		Unset Instant `json:"unset,omitzero"`
	}
	at := time.Date(2026, 3, 10, 23, 30, 5, 250_000_000, time.UTC)
	a, err := json.Marshal(withTime{At: at})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(withInstant{At: At(at)})
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("instant encodes as %s, time as %s", b, a)
	}
	var back withInstant
	if err := json.Unmarshal([]byte(`{"at":"2026-03-10T19:30:05.25-04:00"}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.At != At(at) || !back.Unset.IsZero() {
		t.Errorf("decoded %v, want %v", back, at)
	}
	if err := json.Unmarshal([]byte(`{"at":"yesterday"}`), &back); err == nil {
		t.Error("a bad time decoded")
	}
}

// The point of Instant: a work item's six moments take 48 bytes, not 144.
func TestWorkItemSize(t *testing.T) {
	if s := unsafe.Sizeof(Instant{}); s != 8 {
		t.Errorf("Instant is %d bytes", s)
	}
	if s := unsafe.Sizeof(WorkItem{}); s > 208 {
		t.Errorf("WorkItem is %d bytes, want at most 208", s)
	}
}
