package model_test

import (
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
)

// TestDay: one day-truncation for every date forewarn keeps — the UTC day
// (Day), or the day a person in a zone would name (DayIn) — always as
// midnight UTC.
func TestDay(t *testing.T) {
	pacific := time.FixedZone("PST", -8*3600)
	ams := time.FixedZone("CET", 3600)
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	late := time.Date(2026, 12, 14, 23, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"utc instant", model.Day(late), utc(2026, 12, 14)},
		{"an offset instant is its UTC day", model.Day(time.Date(2026, 12, 15, 0, 30, 0, 0, ams)), utc(2026, 12, 14)},
		{"midnight stays", model.Day(utc(2026, 12, 14)), utc(2026, 12, 14)},
		{"zero stays zero", model.Day(time.Time{}), time.Time{}},
		{"late evening UTC is the next day east", model.DayIn(late, ams), utc(2026, 12, 15)},
		{"GitHub's due_on, midnight Pacific, is the day it names", model.DayIn(time.Date(2026, 12, 18, 8, 0, 0, 0, time.UTC), pacific), utc(2026, 12, 18)},
		{"a date written with its own offset", model.DayIn(time.Date(2026, 12, 18, 0, 0, 0, 0, pacific), pacific), utc(2026, 12, 18)},
	} {
		if !c.got.Equal(c.want) || c.got.Location() != time.UTC {
			t.Errorf("%s: %v, want %v (UTC)", c.name, c.got, c.want)
		}
	}
}
