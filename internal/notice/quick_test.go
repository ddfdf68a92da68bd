package notice

import (
	"regexp"
	"strings"
	"testing"
)

// The quick checks in front of Sanitize and neutralise skip work only where
// the full path would change nothing: text sanitised() accepts comes out of
// the full sanitiser unchanged, and text the marker check lets through
// holds no match of its expression.
func FuzzQuickChecks(f *testing.F) {
	for _, s := range []string{"", "Checkout flow", " lead", "trail ", "two  spaces", "tab\there", "new\nline",
		"ünïcode title", "zero\u200bwidth", "forewarn:fingerprint=x", "FOREWARN : Fingerprint", "Forewarn  fingerprint",
		"see https://x.example/y", "WWW.example.com", "fix #12", "GH-7 again", "gh-x", "a@b.c", "café #x", "\u212a", "ſ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sanitised(s) && sanitise(s) != s {
			t.Errorf("sanitised(%q) but the sanitiser makes it %q", s, sanitise(s))
		}
		if !containsFold(s, "forewarn") && markerLikeRe.MatchString(s) {
			t.Errorf("%q matches the marker expression but the quick check skipped it", s)
		}
	})
}

// breakLinks and the ordered-list check of EscapeMarkdown do byte by byte
// what these expressions did: the replacement of every link start, and the
// end of a list number at the start of a line.
func FuzzBreakLinks(f *testing.F) {
	linkRe := regexp.MustCompile(`(?i)(://|\bwww\.|#[0-9]|\bgh-[0-9])`)
	orderedRe := regexp.MustCompile(`^[0-9]+[.)]`)
	for _, s := range []string{"", "Checkout flow", "see https://x.example/y", "WWW.example.com", "wWw.x", "wwww.x", "a.www.b", "_www.x",
		"fix #12", "#", "#x", "##1", "#1#2", "GH-7 again", "gh-x", "xgh-1", "9gh-1", ".gh-1", "gh-", "://", ":/", "a:////b", "é#1", "éwww.x",
		"ågh-1", "acme/web#101", "12. item", "3) x", "12 x", "1", "1.", "x1.", "\u212a", "ſ", "foo#1#2##3 a://b:// www.www. ghgh-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := linkRe.ReplaceAllStringFunc(s, func(m string) string {
			switch {
			case strings.HasPrefix(m, "#"):
				return "#" + wj + m[1:]
			case m == "://":
				return ":" + wj + "//"
			default: // www. or gh-
				return m[:len(m)-1] + wj + m[len(m)-1:]
			}
		})
		if got := breakLinks(s); got != want {
			t.Errorf("breakLinks(%q) = %q, the expression makes it %q", s, got, want)
		}
		ol := -1
		if m := orderedRe.FindStringIndex(s); m != nil {
			ol = m[1] - 1
		}
		if got := orderedMark(s); got != ol {
			t.Errorf("orderedMark(%q) = %d, the expression says %d", s, got, ol)
		}
	})
}

// collapseBlankRuns makes one blank line of every run of blank lines as
// the expression did.
func FuzzBlankRuns(f *testing.F) {
	blankRuns := regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)
	for _, s := range []string{"", "\n", "\n\n", "\n\n\n", "a\n\n\nb", "a\n \t\n\t \n  \nb", "a\n\n x\n\n\n", "\n\t\n\t", "x\n\t\n\t\n",
		"a\n\nb\n\n\n\nc\n \n", " \n \n \n ", "\r\n\r\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		collapseBlankRuns(&b, []byte(s))
		if want := blankRuns.ReplaceAllString(s, "\n\n"); b.String() != want {
			t.Errorf("collapseBlankRuns(%q) = %q, the expression makes it %q", s, b.String(), want)
		}
	})
}
