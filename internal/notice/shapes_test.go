package notice

import (
	"regexp"
	"testing"
)

// The byte-by-byte shape checks accept exactly what their regular
// expressions (links.go) match.
func FuzzShapes(f *testing.F) {
	urlRe := regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+=&?#-]*)?$`)
	ghRe := regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}#[0-9]{1,9}$`)
	jiraRe := regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,30}-[0-9]{1,9}$`)
	for _, s := range []string{"", "https://github.com/acme/web/issues/12", "http://x", "http://x:", "http://x:8080", "http://x:123456",
		"http://x:80/a?b=c&d#e", "https://x/a b", "https://x/(a)", "ftp://x", "https://", "https:///a", "http://x.y-z:1/~%+=",
		"acme/web#12", "a/b#1", "-a/b#1", "acme/web#", "acme/web#1234567890", "acme/we/b#1", "acme/web#1#2", "acme/web.git#7",
		"ABC-12", "A-1", "A_B2-999999999", "ABC-1234567890", "abc-1", "1BC-1", "ABC-", "ABC--1", "ÅBC-1", "ABC-1\n",
		"https://x\n", "a/b#1\n", "https://é.example/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := urlShape(s), urlRe.MatchString(s); got != want {
			t.Errorf("urlShape(%q) = %v, the expression says %v", s, got, want)
		}
		if got, want := ghRefShape(s), ghRe.MatchString(s); got != want {
			t.Errorf("ghRefShape(%q) = %v, the expression says %v", s, got, want)
		}
		if got, want := jiraKeyShape(s), jiraRe.MatchString(s); got != want {
			t.Errorf("jiraKeyShape(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
