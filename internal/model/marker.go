package model

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MarkerPattern matches the fingerprint marker forewarn puts in every ticket
// body; its one group is the fingerprint.
const MarkerPattern = `forewarn:fingerprint=(fw-[0-9a-f]{16})`

var markerRe = regexp.MustCompile(MarkerPattern)

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
	// The kept characters go to the hash a buffer at a time, ASCII byte by
	// byte: the write loop hashes every description it sends, and a rune
	// at a time through a strings.Builder was a third of building one.
	h := sha256.New()
	var buf [512]byte
	b := buf[:0]
	for _, s := range [...]string{title, "\x00", body} {
		for i := 0; i < len(s); {
			if len(b) > len(buf)-utf8.UTFMax {
				h.Write(b)
				b = buf[:0]
			}
			if c := s[i]; c < utf8.RuneSelf {
				if c == 0 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
					b = append(b, c)
				}
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b = utf8.AppendRune(b, r)
			}
			i += n
		}
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// fpLabelRe matches a fingerprint label (see TicketLabels).
var fpLabelRe = regexp.MustCompile(`^fw-[0-9a-f]{16}$`)

// OwnTicket reports whether an issue read from a tracker is one of
// forewarn's own tickets: it carries forewarn's product label, a purpose
// label, a fingerprint label, or the fingerprint marker in its body. When
// the review project is also a source (one Jira project for the work and
// the drafts, or a client repository taking the drafts), such a ticket
// may carry the milestone it is about; it is never one of its work items.
// body may be empty when the connector did not read it.
func OwnTicket(labels []string, body string) bool {
	for _, l := range labels {
		switch {
		case l == "forewarn", fpLabelRe.MatchString(l):
			return true
		case strings.HasPrefix(l, "forewarn-"):
			switch Purpose(l[len("forewarn-"):]) {
			case PurposeClientNotice, PurposeProgressUpdate, PurposePostMortem:
				return true
			}
		}
	}
	return body != "" && markerRe.MatchString(body)
}
