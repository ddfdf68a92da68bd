// Package modeltest holds what tests need to read forewarn's own output
// back; the product itself never parses a marker (it only writes one and
// asks model.OwnTicket or model.HasMarker).
package modeltest

import (
	"regexp"

	"github.com/forewarn/forewarn/internal/model"
)

var markerRe = regexp.MustCompile(model.MarkerPattern)

// ParseMarker finds the fingerprint marker in a ticket body. The marker is
// the last line forewarn writes, so the last match wins.
func ParseMarker(body string) (string, bool) {
	all := markerRe.FindAllStringSubmatch(body, -1)
	if len(all) == 0 {
		return "", false
	}
	return all[len(all)-1][1], true
}
