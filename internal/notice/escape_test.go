package notice

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/model/modeltest"
)

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text stays readable", "Checkout with iDEAL and cards", "Checkout with iDEAL and cards"},
		{"emphasis and code", "*bold* _it_ `code`", `\*bold\* \_it\_ \` + "`code\\`"},
		{"link and image", "[x](https://evil.example) ![i](http://a/b.png)", `\[x\](https:` + wj + `//evil.example) !\[i\](http:` + wj + `//a/b.png)`},
		{"html and a comment", "<img src=x onerror=alert(1)><!-- c -->", "&lt;img src=x onerror=alert(1)&gt;&lt;!-- c --&gt;"},
		{"mention", "ping @octocat and @acme/team", "ping @" + wj + "octocat and @" + wj + "acme/team"},
		{"issue reference", "fixes #12 and GH-7", `fixes \#` + wj + "12 and GH-" + wj + "7"},
		{"bare link", "see www.example.com", "see www" + wj + ".example.com"},
		{"marker look-alike", "<!-- forewarn:fingerprint=fw-0123456789abcdef -->", "&lt;!-- forewarn" + wj + ":fingerprint=fw-0123456789abcdef --&gt;"},
		{"heading at the start", "# Title", `\# Title`},
		{"list at the start", "- item", `\- item`},
		{"ordered list at the start", "12. item", `12\. item`},
		{"table pipe and math", "a | b $x$", `a \| b \$x\$`},
		{"control and bidi stripped, lines joined", "evil\u202Etxt.exe\x00\x1b[31m\nnext\tline", "eviltxt.exe\\[31m next line"},
		{"invalid UTF-8 dropped", "ok\xff\xfe!", "ok!"},
		{"a lone ampersand stays", "Brouwer & Zonen", "Brouwer & Zonen"},
		{"an entity does not form", "&lt;b&gt; &#64;x", "&amp;lt;b&amp;gt; &amp;\\#" + wj + "64;x"},
		{"emoji joiner kept", "👩\u200d💻 dev", "👩\u200d💻 dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeMarkdown(tt.in); got != tt.want {
				t.Errorf("EscapeMarkdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeJira(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "Order history", "Order history"},
		{"user mentions", "[~admin] [~accountid:5b10a2844c20165700ede21g]", `\[\~admin\] \[\~accountid:5b10a2844c20165700ede21g\]`},
		{"link and image", "[click|http://x.y] !http://x/y.png!", `\[click\|http:` + wj + `//x.y\] \!http:` + wj + `//x/y.png\!`},
		{"macros", "{color:red}x{color} {code}y{code}", `\{color:red\}x\{color\} \{code\}y\{code\}`},
		{"text effects", "*b* _i_ -s- +u+ ^sup^ ~sub~ ??cite??", `\*b\* \_i\_ \-s\- \+u\+ \^sup\^ \~sub\~ \?\?cite\?\?`},
		{"emoticons", "(y) (/) :)", `\(y\) \(/\) :\)`},
		{"marker look-alike", "{color:#97a0af}forewarn:fingerprint=fw-0123456789abcdef{color}", `\{color:\#` + wj + `97a0af\}forewarn` + wj + `:fingerprint=fw\-0123456789abcdef\{color\}`},
		{"mention by name", "@jdoe", "@" + wj + "jdoe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EscapeJira(tt.in); got != tt.want {
				t.Errorf("EscapeJira(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

var (
	markerRe      = regexp.MustCompile(`forewarn:fingerprint=`)
	liveMentionRe = regexp.MustCompile(`@[\p{L}\p{N}_]`)
	mdLinkRe      = regexp.MustCompile(`(^|[^\\])\]\(`)
	// ownLinkRe: the links a draft makes itself, to the fixture's
	// milestone, issues and client-notice ticket (addresses forewarn
	// checked; their text is escaped tracker text or a plain reference).
	ownLinkRe = regexp.MustCompile(`\]\(https://github\.com/acme/(web/milestone|web/issues|delivery/issues)/[0-9]+\)`)
)

// checkSafe asserts what must hold for any rendered ticket, whatever the
// tracker sent.
func checkSafe(t *testing.T, tk model.Ticket, fp string, f model.Format) {
	t.Helper()
	if !utf8.ValidString(tk.Body) || !utf8.ValidString(tk.Title) || !utf8.ValidString(tk.Comment) {
		t.Fatalf("invalid UTF-8")
	}
	if n := len(markerRe.FindAllString(tk.Body, -1)); n != 1 {
		t.Fatalf("%d markers in the body, want 1", n)
	}
	if got, ok := modeltest.ParseMarker(tk.Body); !ok || got != fp {
		t.Fatalf("marker %q, want %q", got, fp)
	}
	if !strings.HasSuffix(tk.Body, model.Marker(fp, f)+"\n") {
		t.Fatalf("the body does not end with the marker")
	}
	if strings.Contains(tk.Title, "forewarn:fingerprint") {
		t.Fatalf("marker look-alike in the title: %q", tk.Title)
	}
	for _, s := range []string{tk.Title, tk.Body, tk.Comment} {
		if m := liveMentionRe.FindString(s); m != "" {
			t.Fatalf("live mention %q", m)
		}
		for _, r := range s {
			if (unicode.IsControl(r) && r != '\n') || (unicode.Is(unicode.Cf, r) && r != '\u2060' && r != '\u200d' && r != '\u200c') {
				t.Fatalf("control or format character %U left in the output", r)
			}
		}
	}
	if n := utf16Len(tk.Title); n > MaxTitle {
		t.Fatalf("title is %d characters, limit %d", n, MaxTitle)
	}
	switch f {
	case model.FormatJiraWiki:
		if n := utf16Len(tk.Body); n > MaxJiraBody {
			t.Fatalf("Jira body is %d characters, limit %d", n, MaxJiraBody)
		}
		if strings.Contains(tk.Body, "[~") {
			t.Fatalf("a Jira user mention survived")
		}
		if n := strings.Count(strings.ReplaceAll(tk.Body, `\!`, ""), "!"); n != 2 { // the chart embed only
			t.Fatalf("%d unescaped '!' (image markup), want the 2 of the chart embed", n)
		}
		if n := strings.Count(strings.ReplaceAll(tk.Body, `\{`, ""), "{color"); n != 2 {
			t.Fatalf("%d {color} macros, want the marker's 2", n)
		}
	default:
		if n := utf16Len(tk.Body); n > MaxMDBody {
			t.Fatalf("Markdown body is %d characters, limit %d", n, MaxMDBody)
		}
		if n := strings.Count(tk.Body, "<"); n != 1 { // the marker's comment
			t.Fatalf("%d raw '<' in the Markdown body, want only the marker's", n)
		}
		if mdLinkRe.MatchString(ownLinkRe.ReplaceAllString(tk.Body, "")) {
			t.Fatalf("a Markdown link survived")
		}
	}
}

func hostile(req *Request, s string) {
	req.Milestone.Title = s
	req.Milestone.Key = s
	req.Finding.MilestoneKey = s
	req.Finding.Rule = s
	req.Client.Name, req.Client.Contact, req.Client.Owner, req.Client.Concession = s, s, s, s
	req.Client.Dates = append(req.Client.Dates, model.ClientDate{Name: s, Date: day(12, 20)})
	req.Forecast.Reason = s
	for i := range req.Milestone.Items {
		if i%5 == 0 {
			req.Milestone.Items[i].Title = s + req.Milestone.Items[i].Title
		}
		if i%7 == 0 {
			req.Milestone.Items[i].Key = s
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"Release 2.0",
		"@octocat @acme/team [~admin] [~accountid:5b10a2844c20165700ede21g] user@example.com",
		"<!-- forewarn:fingerprint=fw-0123456789abcdef -->",
		"{color:#97a0af}forewarn:fingerprint=fw-0123456789abcdef{color}",
		"FOREWARN : FINGERPRINT=fw-aaaaaaaaaaaaaaaa",
		"[click](javascript:alert(1)) ![x](http://e/x.png) <script>alert(1)</script>",
		"*_{}[]|!#`~^+-?()\\",
		"\u202Egnp.exe\u200b\u2066x\u2069\x00\x07\x1b[2J\r\nline",
		"#1 GH-2 www.example.com https://example.com",
		strings.Repeat("é🎉", 6000), // 36 KB in a dozen fields: every body past its target's limit (TestLimits has 100 KB)
		"\xff\xfe\xfd",
	} {
		for sel := range uint8(6) {
			f.Add(s, sel)
		}
	}
	r, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	// sel picks the purpose and the language; both targets are checked.
	f.Fuzz(func(t *testing.T, s string, sel uint8) {
		p, lang := purposes[int(sel)%len(purposes)], languages[int(sel)/len(purposes)%len(languages)]
		req := fixture(lang, p)
		hostile(&req, s)
		fp := model.Fingerprint(s, p)
		for _, fm := range formats {
			tk, err := r.Render(req, fm)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkSafe(t, tk, fp, fm)
		}
	})
}

// TestLimits fills a milestone with long, multi-byte titles and checks the
// targets' limits hold without cutting the marker or a character.
func TestLimits(t *testing.T) {
	r := newRenderer(t)
	long := strings.Repeat("ü漢🎉", 40000) // about 100 KB
	req := fixture(langEN, model.PurposePostMortem)
	hostile(&req, long)
	for i := range 400 {
		req.Milestone.Items = append(req.Milestone.Items, model.WorkItem{Key: long, Title: long, Status: model.StatusTodo, Blocked: true, BlockedDays: float64(i)})
	}
	for _, f := range formats {
		tk := render(t, r, req, f)
		checkSafe(t, tk, model.Fingerprint(long, model.PurposePostMortem), f)
		if !strings.HasSuffix(tk.Title, "…") {
			t.Errorf("%s: long title not visibly shortened: %q", f, tk.Title)
		}
	}
	// The hard cut: a body over the limit is shortened before the marker.
	body := strings.Repeat("🎉", MaxJiraBody)
	got := fitBody([]byte(body), model.Marker("fw-0123456789abcdef", model.FormatJiraWiki), model.FormatJiraWiki, langEN)
	if utf16Len(got) > MaxJiraBody || !utf8.ValidString(got) || !strings.HasSuffix(got, model.Marker("fw-0123456789abcdef", model.FormatJiraWiki)+"\n") ||
		!strings.Contains(got, "shortened to fit") {
		t.Errorf("fitBody: %d UTF-16 units, valid %v, tail %q", utf16Len(got), utf8.ValidString(got), got[len(got)-120:])
	}
}

func TestTemplateOverrides(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		dir := t.TempDir()
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	good := `{{define "title"}}Notice: {{.Milestone}}{{end}}
{{define "body"}}Hello {{.Contact}}, new date {{.NewDate}}.
{{reviewer "The cause, please."}}{{end}}`
	tests := []struct {
		name  string
		files map[string]string
		want  string // in the error; empty: loads
	}{
		{"a valid override", map[string]string{"client-notice.en.tmpl": good}, ""},
		{"parse error with line", map[string]string{"client-notice.en.tmpl": "{{define \"title\"}}x{{end}}\n{{define \"body\"}}\n{{if .Overdue}\n{{end}}"},
			"client-notice.en.tmpl:3:1: bad character U+007D '}'"},
		{"unknown field with line and column", map[string]string{"progress-update.nl.tmpl": "{{define \"title\"}}x{{end}}\n{{define \"body\"}}\nHallo {{.Contactt}}{{end}}"},
			"progress-update.nl.tmpl:3:8: executing \"body\" at <.Contactt>: can't evaluate field Contactt"},
		{"a fault in the moved-date branch", map[string]string{"progress-update.en.tmpl": "{{define \"title\"}}x{{end}}\n{{define \"body\"}}\n{{if .MovedFrom}}{{.MovedFrom.Day}}{{end}}{{end}}"},
			"progress-update.en.tmpl:3:29: executing \"body\" at <.MovedFrom.Day>: can't evaluate field Day"},
		{"a fault in the sprint branch", map[string]string{"post-mortem.nl.tmpl": "{{define \"title\"}}x{{end}}\n{{define \"body\"}}\n{{if .Sprint}}{{.Sprnt}}{{end}}{{end}}"},
			"post-mortem.nl.tmpl:3:16: executing \"body\" at <.Sprnt>: can't evaluate field Sprnt"},
		{"missing body", map[string]string{"post-mortem.en.tmpl": `{{define "title"}}x{{end}}`}, `post-mortem.en.tmpl: missing {{define "body"}}`},
		{"writes a marker", map[string]string{"post-mortem.en.tmpl": `{{define "title"}}x{{end}}{{define "body"}}<!-- forewarn:fingerprint=fw-0000000000000000 -->{{end}}`},
			"writes a fingerprint marker"},
		{"notice without the cause prompt", map[string]string{"client-notice.nl.tmpl": `{{define "title"}}x{{end}}{{define "body"}}Beste {{.Contact}}{{end}}`},
			"must ask the reviewer for the sentence on the cause"},
		{"unknown file", map[string]string{"notice.en.txt": "x"}, "notice.en.txt: unexpected file"},
		{"unknown language", map[string]string{"client-notice.de.tmpl": good}, `language "de" has no built-in drafts`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := write(t, tt.files)
			r, err := New(Options{TemplateDir: dir})
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				tk := render(t, r, fixture(langEN, model.PurposeClientNotice), model.FormatMarkdown)
				if tk.Title != "Notice: Webshop relaunch" || !strings.HasPrefix(tk.Body, "Hello Dana Whitfield, new date Wednesday 16 December 2026.") {
					t.Errorf("override not used: %q\n%s", tk.Title, tk.Body)
				}
				return
			}
			if err == nil {
				t.Fatalf("New accepted a bad template; want an error containing %q", tt.want)
			}
			if !diag.IsConfigError(err) {
				t.Errorf("error is not a diagnostics list: %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), dir) {
				t.Errorf("error does not name the file: %q", err)
			}
		})
	}
	if _, err := New(Options{TemplateDir: filepath.Join(t.TempDir(), "missing")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := New(Options{Confidence: 0.3}); err == nil || !strings.Contains(err.Error(), "confidence 0.3") {
		t.Errorf("bad confidence: %v", err)
	}
}
