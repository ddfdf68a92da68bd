package rules

import (
	"fmt"
	"strconv"
	"time"
)

// ParseDuration reads a rules duration: one or more number+unit pairs with
// units w (7 days), d (24 hours), h, m and s, or a bare 0.
func ParseDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var total time.Duration
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return 0, fmt.Errorf("bad duration %q: want number and unit pairs such as 2d, 1w, 36h or 1d12h", s)
		}
		n, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil || j == len(s) {
			return 0, fmt.Errorf("bad duration %q: a number needs a unit (w, d, h, m or s)", s)
		}
		var unit time.Duration
		switch s[j] {
		case 'w':
			unit = 7 * 24 * time.Hour
		case 'd':
			unit = 24 * time.Hour
		case 'h':
			unit = time.Hour
		case 'm':
			unit = time.Minute
		case 's':
			unit = time.Second
		default:
			return 0, fmt.Errorf("bad duration %q: unknown unit %q (use w, d, h, m or s)", s, s[j])
		}
		if n > int64(1<<62)/int64(unit) {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		total += time.Duration(n) * unit
		if total < 0 {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		i = j + 1
	}
	return total, nil
}

// formatDuration prints a duration in the rules' own units.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	var out string
	for _, u := range []struct {
		s string
		d time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.d; n > 0 {
			out += strconv.FormatInt(int64(n), 10) + u.s
			d -= n * u.d
		}
	}
	return out
}
