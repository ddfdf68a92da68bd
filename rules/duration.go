package rules

import (
	"strconv"
	"time"

	"github.com/forewarn/forewarn/internal/duration"
)

// ParseDuration reads a rules duration: one or more number+unit pairs with
// units w (7 days), d (24 hours), h, m and s, or a bare 0 (see
// internal/duration, shared by every file forewarn reads).
func ParseDuration(s string) (time.Duration, error) { return duration.Parse(s) }

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
