package hostile

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
	"github.com/forewarn/forewarn/internal/tracker"
)

// maxTitle is the longest ticket title forewarn writes (notice.MaxTitle,
// in UTF-16 units; runes are never more).
const maxTitle = 255

var (
	// liveMention: an @ directly followed by a name character, which GitHub
	// (and an e-mail autolinker) would turn into a ping. forewarn puts a
	// word joiner after every @ of tracker text.
	liveMention = regexp.MustCompile(`@[\p{L}\p{N}_]`)
	// jiraMention: [~user] or [~accountid:…] not escaped.
	jiraMention = regexp.MustCompile(`(^|[^\\])\[~`)
	// markerToken is what model.ParseMarker reads.
	markerToken = regexp.MustCompile(`forewarn:fingerprint=fw-`)
	// ownComment: an HTML comment forewarn writes itself.
	ownComment = regexp.MustCompile(`<!-- forewarn:[a-z]+=[0-9a-fw-]+(?: content=[0-9a-f]+)? -->`)
	// liveLink: a Markdown link whose brackets are not escaped.
	liveLink = regexp.MustCompile(`(^|[^\\])\]\(javascript:`)
)

// safeText checks one piece of output for the properties tracker text
// must never break: no control, bidirectional or invisible characters, no
// live mention, no marker, at most limit runes (0: any).
func safeText(t *testing.T, where, s string, limit int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8", where)
	}
	for i, r := range s {
		bad := (unicode.IsControl(r) && r != '\n') || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
			r == 0x200b || r == 0xfeff || r == 0x200e || r == 0x200f
		if bad {
			t.Errorf("%s: character %U at byte %d: %q", where, r, i, around(s, i))
			break
		}
	}
	if m := liveMention.FindStringIndex(s); m != nil {
		t.Errorf("%s: live mention %q", where, around(s, m[0]))
	}
	if limit > 0 && utf8.RuneCountInString(s) > limit {
		t.Errorf("%s: %d runes, want at most %d", where, utf8.RuneCountInString(s), limit)
	}
	if strings.Contains(s, "END-OF-LONG-TITLE") {
		t.Errorf("%s: the 100 KB title was carried whole", where)
	}
}

// safeBody checks a ticket body: safeText, plus exactly one marker — its
// own, the one ParseMarker reads — and no raw HTML from tracker text.
func safeBody(t *testing.T, where, body, fp string, f model.Format) {
	t.Helper()
	safeText(t, where, body, 0)
	// Titles are plain text in both trackers; in a body [~name] would ping.
	if m := jiraMention.FindStringIndex(body); m != nil {
		t.Errorf("%s: live Jira mention %q", where, around(body, m[0]))
	}
	if m := liveLink.FindStringIndex(body); m != nil {
		t.Errorf("%s: live javascript: link %q", where, around(body, m[0]))
	}
	if n := len(markerToken.FindAllStringIndex(body, -1)); n != 1 {
		t.Errorf("%s: %d fingerprint markers, want exactly forewarn's own", where, n)
	}
	if got, ok := modeltest.ParseMarker(body); !ok || got != fp {
		t.Errorf("%s: ParseMarker reads %q, want %q", where, got, fp)
	}
	if !model.HasMarker(body, fp) {
		t.Errorf("%s: own marker missing", where)
	}
	// Markdown renders HTML; Jira wiki markup shows it as text.
	for _, raw := range []string{"<img", "<script", "</details"} {
		if f == model.FormatMarkdown && strings.Contains(strings.ToLower(body), raw) {
			t.Errorf("%s: raw %q from tracker text", where, raw)
		}
	}
	// The only HTML comments are forewarn's own (the marker, and the
	// digest the GitHub target keeps); tracker text's come out as &lt;!--.
	if f == model.FormatMarkdown && strings.Count(body, "<!--") != len(ownComment.FindAllString(body, -1)) {
		t.Errorf("%s: an HTML comment that is not forewarn's", where)
	}
	if len(body) > 64<<10 {
		t.Errorf("%s: body of %d bytes", where, len(body))
	}
}

func around(s string, i int) string {
	lo, hi := max(0, i-30), min(len(s), i+30)
	return s[lo:hi]
}

const demoClients = `clients:
  - id: acme
    name: Acme Retail
    contact: Dana Whitfield
    owner: Sam Okafor
    locale: en
    time_zone: Europe/London
  - id: brouwer
    name: Brouwer & Zonen
    contact: Marieke de Vries
    owner: Joost Bakker
    locale: nl
    time_zone: Europe/Amsterdam
`

// outboxConfig reads the given exports (name → file) and writes to ./outbox.
func outboxConfig(rules string, sources ...string) string {
	var b strings.Builder
	b.WriteString("version: 1\nrules: " + rules + "\nstate:\n  driver: sqlite\n  path: .forewarn/state.db\nforecast:\n  trials: 2000\n  seed: 42\nsources:\n")
	for i := 0; i+1 < len(sources); i += 2 {
		b.WriteString("  - name: " + sources[i] + "\n    file:\n      path: " + sources[i+1] + "\n      replay_as_of: 2026-11-20\n")
	}
	b.WriteString("target:\n  outbox:\n    dir: outbox\n" + demoClients)
	return b.String()
}

type draft struct {
	fp, title, body string
}

// readOutbox returns every draft in dir/outbox, split into front matter
// and body, and checks index.json and the SVG charts on the way.
func readOutbox(t *testing.T, dir string) []draft {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "fw-*.md"))
	var out []draft
	for _, f := range files {
		if strings.HasSuffix(f, ".comments.md") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, body, ok := bytes.Cut(bytes.TrimPrefix(data, []byte("---\n")), []byte("\n---\n"))
		if !ok {
			t.Fatalf("%s: no front matter", f)
		}
		var fm struct{ Title, Fingerprint string }
		if err := yaml.Unmarshal(head, &fm); err != nil {
			t.Fatalf("%s: front matter: %v", f, err)
		}
		if filepath.Base(f) != fm.Fingerprint+".md" {
			t.Errorf("%s carries fingerprint %s", f, fm.Fingerprint)
		}
		out = append(out, draft{fp: fm.Fingerprint, title: fm.Title, body: string(body)})
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.svg"))
	for _, s := range svgs {
		data, _ := os.ReadFile(s)
		// Tracker text in a chart must stay text: well-formed XML with no
		// element or handler of its own.
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s is not well-formed XML: %v", s, err)
				break
			}
			if se, ok := tok.(xml.StartElement); ok {
				if se.Name.Local == "script" || se.Name.Local == "img" || se.Name.Local == "foreignObject" {
					t.Errorf("%s has a <%s> element", s, se.Name.Local)
				}
				for _, a := range se.Attr {
					if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
						t.Errorf("%s has a %s attribute", s, a.Name.Local)
					}
				}
			}
		}
	}
	idx, err := os.ReadFile(filepath.Join(dir, "outbox", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ix struct{ Tickets []struct{ Title string } }
	if err := json.Unmarshal(idx, &ix); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, e := range ix.Tickets {
		safeText(t, "index.json title", e.Title, maxTitle)
	}
	return out
}

// TestHostileTrackerTextIsSafeInTheOutbox: an export full of markup,
// mentions, marker look-alikes, control and RTL characters and a 100 KB
// title goes through run; every draft is safe.
func TestHostileTrackerTextIsSafeInTheOutbox(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(root, "rules.yaml"), filepath.Join(dir, "rules.yaml"))
	copyFile(t, filepath.Join("testdata", "text", "export.yaml"), filepath.Join(dir, "export.yaml"))
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, []byte(outboxConfig("rules.yaml", "demo", "export.yaml")))

	code, stdout, stderr := forewarn(nil, "run", "--config", cfg, "--now", clock, "--json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	var rep tracker.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	drafts := readOutbox(t, dir)
	if len(drafts) < 4 || len(drafts) != rep.Count(tracker.ActionCreate) {
		t.Fatalf("%d drafts for %d creates", len(drafts), rep.Count(tracker.ActionCreate))
	}
	hostileSeen := false
	for _, d := range drafts {
		safeText(t, d.fp+" title", d.title, maxTitle)
		safeBody(t, d.fp+" body", d.body, d.fp, model.FormatMarkdown)
		// The hostile milestone's text is there, defused, not dropped.
		if strings.Contains(d.body, "acme-team") {
			hostileSeen = true
		}
	}
	if !hostileSeen {
		t.Error("no draft shows the hostile milestone title at all")
	}
	// The printed report is tracker text too.
	for _, a := range rep.Actions {
		safeText(t, "report title", a.Title, maxTitle)
	}
	code, human, _ := forewarn(nil, "plan", "--config", cfg, "--now", clock)
	if code != 0 {
		t.Fatalf("plan: exit %d", code)
	}
	safeText(t, "plan output", human, 0)
}

// TestRuleAnnotationCannotForgeMarker: a rules file whose annotation
// writes a marker of another fingerprint; the ticket still carries only
// its own.
func TestRuleAnnotationCannotForgeMarker(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "text", "rules-forged-marker.yaml"), filepath.Join(dir, "rules.yaml"))
	copyFile(t, filepath.Join(root, "examples", "demo", "export.yaml"), filepath.Join(dir, "export.yaml"))
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, []byte(outboxConfig("rules.yaml", "demo", "export.yaml")))
	if code, _, stderr := forewarn(nil, "run", "--config", cfg, "--now", clock); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	drafts := readOutbox(t, dir)
	if len(drafts) == 0 {
		t.Fatal("the forging rule opened no ticket")
	}
	for _, d := range drafts {
		safeBody(t, d.fp, d.body, d.fp, model.FormatMarkdown)
	}
}

// TestInvalidDatesAreReportedNotJudged: an export with impossible dates
// and an out-of-range zone offset fails its source with file:line:col;
// the other source's milestones are judged as usual.
func TestInvalidDatesAreReportedNotJudged(t *testing.T) {
	root := repoRoot(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(root, "rules.yaml"), filepath.Join(dir, "rules.yaml"))
	copyFile(t, filepath.Join(root, "examples", "demo", "export.yaml"), filepath.Join(dir, "export.yaml"))
	copyFile(t, filepath.Join("testdata", "text", "bad-dates.yaml"), filepath.Join(dir, "bad-dates.yaml"))
	cfg := filepath.Join(dir, "forewarn.yaml")
	writeFile(t, cfg, []byte(outboxConfig("rules.yaml", "demo", "export.yaml", "broken", "bad-dates.yaml")))

	code, stdout, _ := forewarn(nil, "run", "--config", cfg, "--now", clock, "--json")
	if code != 1 {
		t.Fatalf("run: exit %d, want 1 (one source not judged)", code)
	}
	var rep tracker.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Source != "broken" {
		t.Fatalf("not judged: %+v, want the broken source alone", rep.Failed)
	}
	msg := normalize(rep.Failed[0].Err, dir)
	for _, want := range []string{
		`$DIR/bad-dates.yaml:9:18: milestones[0].items[0].created: "2026-02-30" is not a date`,
		`$DIR/bad-dates.yaml:12:18: milestones[0].items[1].created: "2026-11-01T10:00:00+25:00" is not a date`,
		`$DIR/bad-dates.yaml:15:17: milestones[0].items[2].closed: "2026-11-20T10:00:00 Europe/Mars" is not a date`,
		`$DIR/bad-dates.yaml:18:10: milestones[1].due: "20/12/2026" is not a date`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if len(rep.Milestones) != 4 {
		t.Errorf("%d milestones judged, want the demo's 4", len(rep.Milestones))
	}
	for _, a := range rep.Actions {
		if strings.HasPrefix(a.MilestoneKey, "file:broken/") {
			t.Errorf("acted on a milestone of the unreadable source: %+v", a)
		}
	}
	// The human report names the first problem on the NOT JUDGED line.
	code, human, _ := forewarn(nil, "plan", "--config", cfg, "--now", clock)
	if code != 1 || !regexp.MustCompile(`NOT JUDGED\s+broken: .*bad-dates\.yaml:9:18: `).MatchString(human) {
		t.Errorf("plan: exit %d, NOT JUDGED line lacks the position:\n%s", code, human)
	}
}
