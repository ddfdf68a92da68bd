package jira

import (
	"strings"
	"testing"
)

// containsFold, the text search's matcher, is strings.Contains of the
// lower-cased text, whichever byte of the needle it scans for.
func FuzzContainsFold(f *testing.F) {
	for _, c := range [][2]string{{"Marker forewarn:fingerprint=FW-0A1B in text", "fw-0a1b"}, {"fw-0a1", "fw-0a1b"},
		{"abc", "abc"}, {"xxABCxx", "abc"}, {"-a-b-", "a-b"}, {"", ""}, {"ümlaut FW-1", "fw-1"}, {"9z9Z", "9z"}, {"aaab", "ab"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, hay, needle string) {
		needle = strings.ToLower(needle)
		if got, want := containsFold(hay, needle), strings.Contains(strings.ToLower(hay), needle); got != want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", hay, needle, got, want)
		}
	})
}
