package model

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
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

// ContentHash fingerprints what a person reads in a ticket — its title and
// body, letters and digits only — so a target can tell whether someone
// edited the ticket since forewarn wrote it. Whitespace, punctuation and
// markup are left out: trackers reformat those on their own (line endings,
// Jira's wiki markup round trip), people change words and figures.
func ContentHash(title, body string) string {
	h := sha256.New()
	var b strings.Builder
	for _, s := range []string{title, "\x00", body} {
		for _, r := range s {
			if r == 0 || unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
	}
	h.Write([]byte(b.String()))
	return hex.EncodeToString(h.Sum(nil)[:8])
}
