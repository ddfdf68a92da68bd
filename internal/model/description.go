package model

import (
	"strings"
	"time"
)

// DescriptionDate reads a date a team wrote into a milestone's or
// version's description as `key: YYYY-MM-DD`, on a line of its own or as
// a part of one set off by ";", "|" or "." (Jira's version description is
// one line in its screens: "Checkout rebuild; agreed: 2026-12-18"). The
// key is matched in any case; list markers, quotes, and bold or code
// markup around key and date are ignored, as is anything after the date.
// A key inside a sentence ("we agreed: …") is not read. The first date
// found wins when first is true, else the last one: `start:` is written
// once, while a team that re-agrees a date adds an `agreed:` after the one
// before it.
func DescriptionDate(desc, key string, first bool) (time.Time, bool) {
	var found time.Time
	parts := strings.FieldsFunc(desc, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' || r == '|' || r == '.' })
	for _, part := range parts {
		part = strings.TrimLeft(strings.TrimSpace(part), "-*> ")
		k, v, ok := strings.Cut(part, ":")
		if !ok || !strings.EqualFold(strings.Trim(strings.TrimSpace(k), "*_"), key) {
			continue
		}
		fields := strings.Fields(strings.Trim(strings.TrimSpace(v), "*_`"))
		if len(fields) == 0 {
			continue
		}
		t, err := time.Parse(time.DateOnly, strings.Trim(fields[0], "*_`,"))
		if err != nil {
			continue
		}
		if found = t; first {
			break
		}
	}
	return found, !found.IsZero()
}
