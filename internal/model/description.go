package model

import (
	"strings"
	"time"
)

// DescriptionDate reads a date a team wrote into a milestone's or
// version's description as a line `key: YYYY-MM-DD` (key matched in any
// case; surrounding spaces, a leading list marker or quote, and bold or
// code markup around the date are ignored). The first such line with a
// valid date wins when first is true, else the last one: `start:` is
// written once, while a team that re-agrees a date adds an `agreed:` line
// under the one before it.
func DescriptionDate(desc, key string, first bool) (time.Time, bool) {
	var found time.Time
	for line := range strings.Lines(desc) {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "-*> "))
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.Trim(strings.TrimSpace(k), "*_"), key) {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.Trim(strings.TrimSpace(v), "*_` "))
		if err != nil {
			continue
		}
		if found = t; first {
			break
		}
	}
	return found, !found.IsZero()
}
