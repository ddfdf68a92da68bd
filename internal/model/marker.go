package model

import (
	"regexp"
	"strings"
)

// markerRe matches the fingerprint marker forewarn puts in every ticket body.
var markerRe = regexp.MustCompile(`forewarn:fingerprint=(fw-[0-9a-f]{16})`)

// Marker is the hidden line carrying the fingerprint in a ticket body: an
// HTML comment in Markdown, a dimmed line in Jira wiki markup (which has no
// comments). Renderers escape tracker text so it can never form one.
func Marker(fingerprint string, f Format) string {
	token := "forewarn:fingerprint=" + fingerprint
	if f == FormatJiraWiki {
		return "{color:#97a0af}" + token + "{color}"
	}
	return "<!-- " + token + " -->"
}

// ParseMarker finds the fingerprint marker in a ticket body. The marker is
// the last line forewarn writes, so the last match wins.
func ParseMarker(body string) (string, bool) {
	all := markerRe.FindAllStringSubmatch(body, -1)
	if len(all) == 0 {
		return "", false
	}
	return all[len(all)-1][1], true
}

// HasMarker reports whether body carries the marker of fingerprint fp.
func HasMarker(body, fp string) bool {
	return strings.Contains(body, "forewarn:fingerprint="+fp)
}

// Labels every forewarn ticket carries: the fingerprint (searchable in both
// trackers), a product label and the purpose.
func TicketLabels(fp string, p Purpose) []string {
	return []string{"forewarn", fp, "forewarn-" + string(p)}
}
