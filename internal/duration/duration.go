// Package duration reads the durations forewarn's files use, in one way
// everywhere: number-and-unit pairs with weeks and days (2w, 14d, 1d12h,
// 90m), a bare 0, or a Go duration (1h30m, 500ms). Negative durations and
// ones too long for time.Duration are refused.
package duration

import (
	"fmt"
	"strconv"
	"time"
)

// Parse reads s. Errors quote s and say what is wrong.
func Parse(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	d, err := pairs(s)
	if err == nil {
		return d, nil
	}
	// Go's own syntax (fractions, ms, µs) as a second chance.
	if g, gerr := time.ParseDuration(s); gerr == nil && g >= 0 {
		return g, nil
	}
	return 0, err
}

func pairs(s string) (time.Duration, error) {
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
		if err != nil {
			return 0, fmt.Errorf("bad duration %q: too long", s)
		}
		if j == len(s) {
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
