package notice

import (
	"strings"
	"testing"
)

// The quick checks in front of Sanitize and neutralise skip work only where
// the full path would change nothing: text sanitised() accepts comes out of
// the full sanitiser unchanged, and text the link and marker checks let
// through holds no match of those expressions.
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
		skipLinks := !strings.Contains(s, "://") && !strings.Contains(s, "#") && !containsFold(s, "www.") && !containsFold(s, "gh-")
		if skipLinks && linkRe.MatchString(s) {
			t.Errorf("%q matches the link expression but the quick check skipped it", s)
		}
	})
}
