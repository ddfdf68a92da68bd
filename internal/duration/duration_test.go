package duration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/duration"
)

func TestParse(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"0", 0, ""},
		{"14d", 14 * day, ""},
		{"2w", 14 * day, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"", 0, "empty"},
		{"7", 0, "needs a unit"},
		{"3x", 0, "unknown unit"},
		{"1.5d", 0, "unknown unit"},
		{"-1h", 0, "want number and unit pairs"},
		{"2 weeks", 0, "unknown unit"},
		{"107000d", 0, "too long"}, // past time.Duration's 292 years: was a negative duration
		{"99999999999999999999d", 0, "too long"},
		{"36500d", 36500 * day, ""},
	} {
		got, err := duration.Parse(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Parse(%q) = %v, %v; want an error with %q", c.in, got, err, c.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "14d", "1d12h", "1.5h", "-1h", "107000d", "9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := duration.Parse(s)
		if err == nil && d < 0 {
			t.Fatalf("Parse(%q) = %v: negative", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("Parse(%q) returned %v with an error", s, d)
		}
	})
}
