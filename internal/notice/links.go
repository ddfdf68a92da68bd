package notice

import (
	"regexp"
	"strings"

	"github.com/forewarn/forewarn/internal/model"
)

var (
	// safeURLRe is the only shape of address a draft links to: http(s), a
	// plain host, and a path and query of unreserved characters. Nothing
	// in it can close a Markdown or Jira link, start markup, or spell the
	// fingerprint marker (no colon after the port).
	safeURLRe = regexp.MustCompile(`^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+=&?#-]*)?$`)
	// ghRefRe is a GitHub item reference (owner/repo#12), jiraKeyRe a Jira
	// issue key: link text made of these characters needs no escaping.
	ghRefRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}#[0-9]{1,9}$`)
	jiraKeyRe = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,30}-[0-9]{1,9}$`)
)

// safeURL returns u when a draft may link to it, else "".
func safeURL(u string) string {
	if len(u) > 500 || !safeURLRe.MatchString(u) || strings.Contains(strings.ToLower(u), "forewarn") {
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
func itemRef(it model.WorkItem, f model.Format, esc escaper) string {
	return refLink(it.Key, it.URL, f, esc)
}

// refLink names an issue by its key (see itemRef), linked to url.
func refLink(key, url string, f model.Format, esc escaper) string {
	switch {
	case ghRefRe.MatchString(key) && safeURL(url) != "":
		return link(key, url, f)
	case jiraKeyRe.MatchString(key):
		if f == model.FormatJiraWiki || safeURL(url) == "" {
			return key
		}
		return link(key, url, f)
	}
	return esc(clip(Sanitize(key), maxKeyLen), f)
}
