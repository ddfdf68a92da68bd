package model_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
	"unicode"
	"unsafe"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
)

// The fingerprint format is a promise: trackers are searched for it, so a
// change would open every ticket again. These values pin it.
func TestFingerprintIsStable(t *testing.T) {
	cases := []struct {
		key  string
		p    model.Purpose
		want string
	}{
		{"file:demo/checkout-redesign", model.PurposeClientNotice, "fw-0ea0dfcf8571fe5b"},
		{"file:demo/mobile-app-2-1", model.PurposePostMortem, "fw-513fe995772c9f4b"},
	}
	for _, c := range cases {
		if got := model.Fingerprint(c.key, c.p); got != c.want {
			t.Errorf("Fingerprint(%q, %s) = %s, want %s", c.key, c.p, got, c.want)
		}
	}
}

func TestFingerprintSeparatesKeysAndPurposes(t *testing.T) {
	seen := map[string]string{}
	for _, key := range []string{"github:acme/web#1", "github:acme/web#12", "jira:WEB/version/1", "a\x00b", "a", ""} {
		for _, p := range []model.Purpose{model.PurposeClientNotice, model.PurposeProgressUpdate, model.PurposePostMortem} {
			fp := model.Fingerprint(key, p)
			if len(fp) != len("fw-")+16 || !strings.HasPrefix(fp, "fw-") {
				t.Errorf("malformed fingerprint %q", fp)
			}
			if prev, dup := seen[fp]; dup {
				t.Errorf("%s and %s/%s share %s", prev, key, p, fp)
			}
			seen[fp] = key + "/" + string(p)
		}
	}
	f := model.Finding{Rule: "renamed-rule", MilestoneKey: "github:acme/web#1", Purpose: model.PurposeClientNotice}
	if f.Fingerprint() != model.Fingerprint("github:acme/web#1", model.PurposeClientNotice) {
		t.Error("a finding's fingerprint depends on more than the milestone and the purpose")
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	fp := model.Fingerprint("github:acme/web#1", model.PurposePostMortem)
	for _, f := range []model.Format{model.FormatMarkdown, model.FormatJiraWiki} {
		body := "Some text\n\n" + model.Marker(fp, f) + "\n"
		got, ok := modeltest.ParseMarker(body)
		if !ok || got != fp {
			t.Errorf("%s: ParseMarker = %q, %v; want %s", f, got, ok, fp)
		}
		if !model.HasMarker(body, fp) {
			t.Errorf("%s: HasMarker false", f)
		}
		if model.HasMarker(body, model.Fingerprint("other", model.PurposePostMortem)) {
			t.Errorf("%s: HasMarker true for another fingerprint", f)
		}
	}
	if _, ok := modeltest.ParseMarker("no marker here, forewarn:fingerprint=zz"); ok {
		t.Error("ParseMarker accepted a malformed fingerprint")
	}
	// The marker forewarn writes last wins over one quoted earlier in the
	// body (a person pasting another ticket's text).
	other, mine := model.Fingerprint("x", model.PurposeClientNotice), model.Fingerprint("y", model.PurposeClientNotice)
	body := model.Marker(other, model.FormatMarkdown) + "\nquoted\n" + model.Marker(mine, model.FormatMarkdown)
	if got, _ := modeltest.ParseMarker(body); got != mine {
		t.Errorf("ParseMarker = %s, want the last marker %s", got, mine)
	}
}

func TestTicketDigestCoversWhatTheTargetShows(t *testing.T) {
	base := model.Ticket{Title: "t", Body: "b", Labels: []string{"forewarn", "x"}}
	d := base.Digest()
	for name, tk := range map[string]model.Ticket{
		"title":  {Title: "t2", Body: "b", Labels: base.Labels},
		"body":   {Title: "t", Body: "b2", Labels: base.Labels},
		"labels": {Title: "t", Body: "b", Labels: []string{"forewarn"}},
		"split":  {Title: "tb", Body: "", Labels: base.Labels},
	} {
		if tk.Digest() == d {
			t.Errorf("changing the %s leaves the digest unchanged", name)
		}
	}
	same := base
	same.Comment, same.Severity = "a comment", "critical"
	if same.Digest() != d {
		t.Error("the digest changed with fields the target does not show")
	}
}

func FuzzParseMarker(f *testing.F) {
	f.Add("plain", "key")
	f.Add("<!-- forewarn:fingerprint=fw-0000000000000000 -->", "k")
	f.Add("{color:#97a0af}forewarn:fingerprint=fw-zz{color}", "k2")
	f.Fuzz(func(t *testing.T, body, key string) {
		fp := model.Fingerprint(key, model.PurposeClientNotice)
		for _, format := range []model.Format{model.FormatMarkdown, model.FormatJiraWiki} {
			got, ok := modeltest.ParseMarker(body + "\n" + model.Marker(fp, format))
			if !ok || got != fp {
				t.Fatalf("%s: body %q then marker: got %q, %v", format, body, got, ok)
			}
			if !model.OwnTicket(nil, body+"\n"+model.Marker(fp, format)) {
				t.Fatalf("%s: body %q then marker is not forewarn's own ticket", format, body)
			}
		}
		if got, ok := modeltest.ParseMarker(body); ok && !strings.Contains(body, got) {
			t.Fatalf("ParseMarker invented %q", got)
		}
	})
}

func TestContentHashSeesWordsNotFormatting(t *testing.T) {
	base := model.ContentHash("Checkout v2: new date", "Dear Dana,\n\nThe new date is **18 March**.\n")
	for name, same := range map[string][2]string{
		"CRLF":              {"Checkout v2: new date", "Dear Dana,\r\n\r\nThe new date is **18 March**.\r\n"},
		"markup":            {"Checkout v2: new date", "Dear Dana,\n\nThe new date is *18 March*.\n"},
		"trailing newlines": {"Checkout v2: new date", "Dear Dana,\n\nThe new date is **18 March**."},
	} {
		if model.ContentHash(same[0], same[1]) != base {
			t.Errorf("%s changes the content hash", name)
		}
	}
	for name, other := range map[string][2]string{
		"a figure":     {"Checkout v2: new date", "Dear Dana,\n\nThe new date is **19 March**.\n"},
		"a sentence":   {"Checkout v2: new date", "Dear Dana,\n\nSorry.\nThe new date is **18 March**.\n"},
		"the title":    {"Checkout v2: agreed", "Dear Dana,\n\nThe new date is **18 March**.\n"},
		"title ↔ body": {"Checkout v2: new dateDear", "Dana,\n\nThe new date is **18 March**.\n"},
	} {
		if model.ContentHash(other[0], other[1]) == base {
			t.Errorf("changing %s leaves the content hash", name)
		}
	}
}

func TestOwnTicket(t *testing.T) {
	fp := model.Fingerprint("github:acme/web#1", model.PurposeClientNotice)
	for _, tc := range []struct {
		labels []string
		body   string
		want   bool
	}{
		{nil, "", false},
		{[]string{"bug", "points:3"}, "Fix the cart. forewarn is a tool we use.", false},
		{[]string{"forewarn-ish", "fw-123"}, "", false},
		{[]string{"forewarn"}, "", true},
		{[]string{"bug", fp}, "", true},
		{[]string{"forewarn-post-mortem"}, "", true},
		{nil, "draft\n" + model.Marker(fp, model.FormatMarkdown) + "\n", true},
		{nil, "draft\n" + model.Marker(fp, model.FormatJiraWiki) + "\n", true},
		{nil, "forewarn:fingerprint=fw-nothex", false},
	} {
		if got := model.OwnTicket(tc.labels, tc.body); got != tc.want {
			t.Errorf("model.OwnTicket(%v, %q) = %v, want %v", tc.labels, tc.body, got, tc.want)
		}
	}
}

// A work item stays small: 200,000 of them are held at ten times the
// large scenario.
func TestWorkItemSize(t *testing.T) {
	if n := unsafe.Sizeof(model.WorkItem{}); n > 304 {
		t.Fatalf("WorkItem is %d bytes, want at most 304 (keep the flags together)", n)
	}
}

// contentHashByRune is ContentHash as first written, a rune at a time: the
// hashes on the digest lines of tickets already in trackers.
func contentHashByRune(title, body string) string {
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

// ContentHash reads the text byte by byte where it is ASCII: the hashes
// stay those of the rune-at-a-time version (tickets already carry them),
// for any text, long ones (past its buffer), invalid UTF-8 and NULs too.
func FuzzContentHash(f *testing.F) {
	f.Add("Checkout v2: new date", "Dear Dana,\n\nThe new date is **18 March**.\n")
	f.Add("Ünïcödé — 日本語 ٣", "ǅ ⅷ ① \x00 \xff\xfe \xe2\x82 "+strings.Repeat("Zahlen 1234 ßü ", 300))
	f.Add("", "")
	f.Add(strings.Repeat("é", 600), strings.Repeat("a", 509)+"日本")
	f.Fuzz(func(t *testing.T, title, body string) {
		if got, want := model.ContentHash(title, body), contentHashByRune(title, body); got != want {
			t.Fatalf("ContentHash(%q, %q) = %s; the rune-at-a-time hash is %s", title, body, got, want)
		}
	})
}

// PromisedAt is the due date in effect at a moment by the dates seen: the
// last one seen by then, else the first one seen after it.
func TestPromisedAt(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2026, 10, day, 0, 0, 0, 0, time.UTC) }
	seen := []model.DueSeen{{Due: d(11), Seen: d(1)}, {Due: d(18), Seen: d(5)}, {Due: d(25), Seen: d(20)}}
	for _, tc := range []struct {
		at   time.Time
		want time.Time
	}{
		{time.Time{}, d(11)}, // no start: the first seen
		{d(1).Add(-time.Hour), d(11)},
		{d(1), d(11)},
		{d(4), d(11)},
		{d(5), d(18)},
		{d(19), d(18)},
		{d(30), d(25)},
	} {
		if got := model.PromisedAt(seen, tc.at); !got.Equal(tc.want) {
			t.Errorf("PromisedAt(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if got := model.PromisedAt(nil, d(5)); !got.IsZero() {
		t.Errorf("PromisedAt of nothing seen = %v, want zero", got)
	}
}
