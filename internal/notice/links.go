package notice

import (
	"strings"

	"github.com/forewarn/forewarn/internal/model"
)

// The shapes a draft trusts, checked byte by byte (as regular expressions
// they were a fifth of a draft's CPU; FuzzShapes holds each to its
// expression):
//
//   - an address a draft links to, ^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+=&?#-]*)?$ :
//     http(s), a plain host, and a path and query of unreserved characters.
//     Nothing in it can close a Markdown or Jira link, start markup, or
//     spell the fingerprint marker (no colon after the port);
//   - a GitHub item reference (owner/repo#12), ^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}#[0-9]{1,9}$,
//     and a Jira issue key, ^[A-Z][A-Z0-9_]{0,30}-[0-9]{1,9}$ : link text
//     made of these characters needs no escaping.

// urlShape reports whether u has the shape of an address a draft links to.
func urlShape(u string) bool {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(u, "http://"); !ok {
			return false
		}
	}
	host := span(rest, func(c byte) bool { return alnum(c) || c == '.' || c == '-' })
	if host == 0 {
		return false
	}
	rest = rest[host:]
	if len(rest) > 0 && rest[0] == ':' {
		port := span(rest[1:], digit)
		if port < 1 || port > 5 {
			return false
		}
		rest = rest[1+port:]
	}
	if rest == "" {
		return true
	}
	return rest[0] == '/' && span(rest, pathByte) == len(rest)
}

// ghRefShape reports whether s is a GitHub item reference (owner/repo#12).
func ghRefShape(s string) bool {
	owner, rest, ok := strings.Cut(s, "/")
	if !ok || len(owner) < 1 || len(owner) > 39 || !alnum(owner[0]) || span(owner, func(c byte) bool { return alnum(c) || c == '-' }) != len(owner) {
		return false
	}
	repo, number, ok := strings.Cut(rest, "#")
	return ok && len(repo) >= 1 && len(repo) <= 100 && span(repo, func(c byte) bool { return alnum(c) || c == '.' || c == '_' || c == '-' }) == len(repo) &&
		len(number) >= 1 && len(number) <= 9 && span(number, digit) == len(number)
}

// jiraKeyShape reports whether s is a Jira issue key (ABC-12).
func jiraKeyShape(s string) bool {
	project, number, ok := strings.Cut(s, "-")
	return ok && len(project) >= 1 && len(project) <= 31 && upper(project[0]) &&
		span(project, func(c byte) bool { return upper(c) || digit(c) || c == '_' }) == len(project) &&
		len(number) >= 1 && len(number) <= 9 && span(number, digit) == len(number)
}

// span is the length of s's longest prefix of bytes in.
func span(s string, in func(byte) bool) int {
	for i := 0; i < len(s); i++ {
		if !in(s[i]) {
			return i
		}
	}
	return len(s)
}

func digit(c byte) bool { return '0' <= c && c <= '9' }
func upper(c byte) bool { return 'A' <= c && c <= 'Z' }
func alnum(c byte) bool { return digit(c) || upper(c) || 'a' <= c && c <= 'z' }

func pathByte(c byte) bool {
	return alnum(c) || strings.IndexByte("._~%/+=&?#-", c) >= 0
}

// safeURL returns u when a draft may link to it, else "".
func safeURL(u string) string {
	if len(u) > 500 || !urlShape(u) || containsFold(u, "forewarn") { // the shape is ASCII
		return ""
	}
	return u
}

// link is trusted link markup around already escaped text; without a
// usable address it is the text alone.
func link(text, url string, f model.Format) string {
	url = safeURL(url)
	if url == "" || text == "" {
		return text
	}
	if f == model.FormatJiraWiki {
		return "[" + text + "|" + url + "]"
	}
	return "[" + text + "](" + url + ")"
}

// itemRef is how a draft names a work item: a GitHub reference as a link
// to the issue (GitHub shows owner/repo#12 with the title on
// hover), a Jira key as the key (Jira links it itself; in Markdown it links
// to the issue), anything else escaped as text. Only keys of the plain
// shapes above are written unescaped, and only as link text.
func itemRef(it *model.WorkItem, f model.Format, esc escaper) string {
	return refLink(it.Key, it.URL, f, esc)
}

// refLink names an issue by its key (see itemRef), linked to url.
func refLink(key, url string, f model.Format, esc escaper) string {
	switch {
	case ghRefShape(key) && safeURL(url) != "":
		return link(key, url, f)
	case jiraKeyShape(key):
		if f == model.FormatJiraWiki || safeURL(url) == "" {
			return key
		}
		return link(key, url, f)
	}
	return esc(clip(Sanitize(key), maxKeyLen), f)
}
