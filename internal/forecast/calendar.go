package forecast

import (
	"github.com/forewarn/forewarn/internal/model"
	"slices"
	"time"
)

// Days are counted as whole calendar days: day 0 is 1970-01-01. Dates (due,
// start, holidays) are read as the UTC date they carry. Instants (now, when an
// item joined, started, closed or left) belong to the day they fall on in the
// team's time zone: UTC unless `time_zone` is set.

const secondsPerDay = 86400

// dayNum is the UTC calendar day of t.
func dayNum(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return d
}

// dayOf is the team's calendar day of instant t.
func (s *settings) dayOf(t time.Time) int64 {
	if s.loc == nil {
		return dayNum(t)
	}
	return dayNum(model.DayIn(t, s.loc))
}

// dayTime is midnight UTC of day d.
func dayTime(d int64) time.Time { return time.Unix(d*secondsPerDay, 0).UTC() }

// weekday of day d (1970-01-01 was a Thursday).
func weekday(d int64) time.Weekday {
	w := (d + 4) % 7
	if w < 0 {
		w += 7
	}
	return time.Weekday(w)
}

func (s *settings) isWork(d int64) bool {
	if !s.work[weekday(d)] {
		return false
	}
	_, found := slices.BinarySearch(s.holidays, d)
	return !found
}

// workingDaysBetween counts working days in [from, to] (inclusive).
func (s *settings) workingDaysBetween(from, to int64) int {
	n := 0
	for d := from; d <= to; d++ {
		if s.isWork(d) {
			n++
		}
	}
	return n
}

func sortInt64(a []int64) { slices.Sort(a) }
