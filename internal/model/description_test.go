package model

import (
	"strings"
	"testing"
	"time"
)

func TestDescriptionDate(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	tests := []struct {
		name, desc, key string
		first           bool
		want            time.Time
	}{
		{"a line of its own", "Checkout rebuild\nstart: 2026-10-05\n", "start", true, d("2026-10-05")},
		{"any case, list marker, bold", "- **Agreed:** 2026-12-18", "agreed", false, d("2026-12-18")},
		{"quoted, code", "> agreed: `2026-12-18`", "agreed", false, d("2026-12-18")},
		{"bold key and colon inside", "**agreed**: 2026-12-18", "agreed", false, d("2026-12-18")},
		{"the last agreed line wins", "agreed: 2026-12-11\nagreed: 2026-12-18\n", "agreed", false, d("2026-12-18")},
		{"the first start line wins", "start: 2026-10-05\nstart: 2026-10-12", "start", true, d("2026-10-05")},
		{"an invalid date is skipped", "agreed: 2026-12-18\nagreed: 18/12/2026", "agreed", false, d("2026-12-18")},
		{"CRLF line ends", "Notes\r\nagreed: 2026-12-18\r\n", "agreed", false, d("2026-12-18")},
		{"inside a sentence: not read", "We agreed: 2026-12-18 with them", "agreed", false, time.Time{}},
		{"one line, parts set off", "Checkout rebuild; agreed: 2026-12-18 (call with Dana)", "agreed", false, d("2026-12-18")},
		{"after a sentence", "Checkout rebuild. Agreed: 2026-12-18.", "agreed", false, d("2026-12-18")},
		{"bar-separated", "owner: Sam | agreed: **2026-12-18**", "agreed", false, d("2026-12-18")},
		{"another key", "started: 2026-10-05", "start", true, time.Time{}},
		{"no date", "agreed:", "agreed", false, time.Time{}},
		{"empty", "", "agreed", false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := DescriptionDate(tt.desc, tt.key, tt.first)
			if !got.Equal(tt.want) || ok != !tt.want.IsZero() {
				t.Errorf("DescriptionDate(%q, %q) = %v, %v; want %v", tt.desc, tt.key, got, ok, tt.want)
			}
		})
	}
}

// FuzzDescriptionDate: any text is read without a panic, and a date read
// is written in the text as it was found.
func FuzzDescriptionDate(f *testing.F) {
	for _, s := range []string{"start: 2026-10-05", "- **agreed:** 2026-12-18\nagreed: 2027-01-15", "agreed:\n", "> start: `2026-02-30`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		for _, key := range []string{"start", "agreed"} {
			for _, first := range []bool{true, false} {
				got, ok := DescriptionDate(desc, key, first)
				if ok != !got.IsZero() {
					t.Fatalf("ok %v with %v", ok, got)
				}
				if ok && !strings.Contains(desc, got.Format(time.DateOnly)) {
					t.Fatalf("read %v from %q, which does not hold it", got, desc)
				}
			}
		}
	})
}
