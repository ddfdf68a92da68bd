package model

import "time"

// Day is the calendar day t falls on in UTC, as midnight UTC: the form
// forewarn keeps every date in (due dates, burn-down days, forecast
// dates).
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayIn is the calendar day t falls on in loc (a client's or a team's time
// zone, the offset a tracker wrote a date with), as midnight UTC: the day a
// person there would name, kept in the same form as Day.
func DayIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
