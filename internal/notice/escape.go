package notice

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/forewarn/forewarn/internal/model"
)

// wj is U+2060 WORD JOINER: invisible, and it breaks the patterns trackers
// use to recognise mentions, autolinks, issue references and our marker.
// Sanitize strips every such character from input first, so the only ones
// left in a rendered body are the ones the escapers put there.
const wj = "\u2060"

// Sanitize makes untrusted tracker text fit for one line of a ticket: it
// drops invalid UTF-8, control characters, bidirectional overrides and
// invisible format characters, turns line breaks and tabs into spaces and
// collapses runs of spaces. Joiners that emoji and some scripts need (ZWJ,
// ZWNJ) are kept.
func Sanitize(s string) string {
	if sanitised(s) {
		return s
	}
	return sanitise(s)
}

func sanitise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		if r == utf8.RuneError && size <= 1 {
			continue
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029' || unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case r == '\u200c' || r == '\u200d':
			// kept: ZWNJ and ZWJ carry meaning in scripts and emoji.
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r),
			r >= 0xFFF0 && r <= 0xFFFF && r != '\ufffd':
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

var (
	// markerLikeRe: anything resembling the fingerprint marker's token.
	markerLikeRe = regexp.MustCompile(`(?i)forewarn\s*:\s*fingerprint`)
	// mdSpecs are escaped anywhere in a line, mdLead only at its start.
	mdSpecs = `\` + "`" + `*_[]<>#|~$`
	mdLead  = `-+=.`
	jiraSpc = `\*_+-^~?{}[]|!#` + "`" + `()`
)

// sanitised reports whether Sanitize would return s unchanged, as it does
// for most titles and names: printable ASCII, single spaces between words.
func sanitised(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && s[i-1] == ' ' || c != ' ' && (c < 0x21 || c > 0x7e) {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains sub (lower-case ASCII letters and
// punctuation) in any ASCII case.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// neutralise breaks mentions, links, references and marker look-alikes by
// placing a word joiner inside them. It runs after Sanitize, before the
// markup escaping. The marker's expression runs only on text that holds
// "forewarn" (most text does not). The case-insensitive matches are of
// ASCII forms only, since none of the letters in "forewarn", "www" and
// "gh" has another case outside ASCII (only k and s do).
func neutralise(s string) string {
	if containsFold(s, "forewarn") {
		s = markerLikeRe.ReplaceAllStringFunc(s, func(m string) string {
			return m[:len("forewarn")] + wj + m[len("forewarn"):]
		})
	}
	s = strings.ReplaceAll(s, "@", "@"+wj) // an @ a tracker could read as a mention or an e-mail autolink
	return breakLinks(s)
}

// breakLinks puts a word joiner inside every start of an autolink or an
// issue reference GitHub would link or cross-reference: "://", "www." and
// "gh-1" at the start of a word (any case), "#1". It is the replacement of
// every match of (?i)(://|\bwww\.|#[0-9]|\bgh-[0-9]) (leftmost first, none
// overlapping; \b is an ASCII word boundary), done byte by byte (as an
// expression it was the largest cost of escaping an item's key; FuzzBreakLinks
// holds it to the expression). Text with no match comes back as it is.
func breakLinks(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var at, end int // where the joiner goes; where the match ends
		switch c := s[i]; {
		case c == ':' && strings.HasPrefix(s[i+1:], "//"):
			at, end = i+1, i+3
		case c == '#' && i+1 < len(s) && digit(s[i+1]):
			at, end = i+1, i+2
		case c|0x20 == 'w' && wordStart(s, i) && i+3 < len(s) && s[i+1]|0x20 == 'w' && s[i+2]|0x20 == 'w' && s[i+3] == '.':
			at, end = i+3, i+4
		case c|0x20 == 'g' && wordStart(s, i) && i+3 < len(s) && s[i+1]|0x20 == 'h' && s[i+2] == '-' && digit(s[i+3]):
			at, end = i+3, i+4
		default:
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 2*len(wj))
		}
		b.WriteString(s[last:at])
		b.WriteString(wj)
		last, i = at, end-1
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// wordStart reports whether a word starts at s[i] (a word character): s[i]
// is first or follows a byte that is not an ASCII word character.
func wordStart(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	return !(alnum(c) || c == '_')
}

// EscapeMarkdown makes untrusted text safe inside a line of GitHub-flavoured
// Markdown: it sanitises it, backslash-escapes every punctuation character
// that could start markup (emphasis, links, images, HTML, tables, headings,
// lists) and neutralises @mentions, autolinks, issue references and anything
// resembling forewarn's fingerprint marker. The result renders as the
// original text and pings no one.
func EscapeMarkdown(s string) string {
	s = neutralise(Sanitize(s))
	ol := orderedMark(s)
	if ol < 0 && !strings.ContainsAny(s, mdSpecs+"&") && (s == "" || strings.IndexByte(mdLead, s[0]) < 0) {
		return s // nothing to escape, as in most titles
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i, r := range s {
		switch {
		case i == ol, i == 0 && strings.ContainsRune(mdLead, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&' && i+1 < len(s) && entityStart(s[i+1]):
			// Only an & that could start an entity needs escaping.
			b.WriteString("&amp;")
		case r < utf8.RuneSelf && strings.ContainsRune(mdSpecs, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// orderedMark is the index of the dot or parenthesis ending a number at
// the start of s ("12. text", "3) text": an ordered list), -1 when s does
// not start so.
func orderedMark(s string) int {
	if n := span(s, digit); n > 0 && n < len(s) && (s[n] == '.' || s[n] == ')') {
		return n
	}
	return -1
}

func entityStart(c byte) bool {
	return c == '#' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// EscapeJira makes untrusted text safe inside a line of Jira wiki markup
// (REST API v2): it sanitises it, backslash-escapes the characters that
// start wiki markup (text effects, links, images, macros, tables, lists,
// mentions such as [~user] and [~accountid:…]) and neutralises autolinks and
// anything resembling forewarn's fingerprint marker.
func EscapeJira(s string) string {
	s = neutralise(Sanitize(s))
	if !strings.ContainsAny(s, jiraSpc) {
		return s // nothing to escape, as in most titles
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for _, r := range s {
		if r < utf8.RuneSelf && strings.ContainsRune(jiraSpc, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// PlainTitle makes untrusted text safe for a ticket title (a Jira summary or
// a GitHub issue title, both plain text): sanitised and neutralised, with no
// markup escaping, which titles would show literally.
func PlainTitle(s string) string { return neutralise(Sanitize(s)) }

// Escape escapes untrusted text for format f.
func Escape(s string, f model.Format) string {
	if f == model.FormatJiraWiki {
		return EscapeJira(s)
	}
	return EscapeMarkdown(s)
}

// clip shortens s to at most n runes, ending in "…" when it was cut. It never
// cuts a multi-byte character.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	if n == 1 {
		return "…"
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return strings.TrimRight(s[:i], " ") + "…"
}

// utf16Len is the length of s in UTF-16 code units: how Jira counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// cutUTF16 returns the longest prefix of s of at most n UTF-16 code units,
// never splitting a character.
func cutUTF16(s string, n int) string {
	used := 0
	for i, r := range s {
		l := utf16.RuneLen(r)
		if used+l > n {
			return s[:i]
		}
		used += l
	}
	return s
}
