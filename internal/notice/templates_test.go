package notice

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/forewarn/forewarn/internal/model"
)

// The built-in templates are not checked when a Renderer loads (only user
// templates are, so their mistakes name file:line:col before any write):
// this test holds every built-in one, in every format, to the same check.
func TestBuiltinTemplatesPassTheLoadCheck(t *testing.T) {
	files, err := builtins()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(purposes) * len(languages); len(files) != want {
		t.Fatalf("%d built-in templates, want %d", len(files), want)
	}
	for _, fl := range files {
		for _, f := range formats {
			tp, err := parse(fl, f)
			if err != nil {
				t.Errorf("%s (%s): %v", fl.name, f, err)
				continue
			}
			if err := check(tp, fl, f); err != nil {
				t.Errorf("%s (%s): %v", fl.name, f, err)
			}
		}
	}
	// And the check does fail on a built-in gone wrong: the client notice
	// without its prompt for the cause.
	fl := files[0]
	if fl.purpose != model.PurposeClientNotice {
		t.Fatalf("first built-in is %s", fl.name)
	}
	fl.text = strings.ReplaceAll(fl.text, "reviewer ", "printf ")
	tp, err := parse(fl, model.FormatMarkdown)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(tp, fl, model.FormatMarkdown); err == nil {
		t.Error("the check passed a client notice that does not ask for the cause")
	}
}

// A Renderer parses a built-in template when a draft first needs it, once,
// however many drafts ask at once.
func TestBuiltinTemplatesParsedOnFirstUse(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	parsed := func() int {
		n := 0
		for _, byLang := range r.sets {
			for _, byFormat := range byLang {
				for _, x := range byFormat {
					if x.t != nil {
						n++
					}
				}
			}
		}
		return n
	}
	if n := parsed(); n != 0 {
		t.Fatalf("%d templates parsed at load, want 0", n)
	}
	req := fixture(langEN, model.PurposeClientNotice)
	done := make(chan *template.Template, 8)
	for range 8 {
		go func() {
			if _, err := r.Render(req, model.FormatJiraWiki); err != nil {
				t.Error(err)
			}
			tp, _ := r.sets[model.PurposeClientNotice][langEN][model.FormatJiraWiki].get()
			done <- tp
		}()
	}
	first := <-done
	for range 7 {
		if tp := <-done; tp != first {
			t.Fatal("a template was parsed twice")
		}
	}
	if n := parsed(); n != 1 {
		t.Errorf("%d templates parsed after drafts in one language and format, want 1", n)
	}
}

// A title's view escapes the item lists only when the title may read them:
// no built-in title does; a title naming a list, or handing on the whole
// view, may.
func TestTitleReadsLists(t *testing.T) {
	files, err := builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range files {
		tp, err := parse(fl, model.FormatMarkdown)
		if err != nil {
			t.Fatal(err)
		}
		if readsLists(tp, "title") {
			t.Errorf("%s: the built-in title reads the item lists", fl.name)
		}
		if !readsLists(tp, "body") {
			t.Errorf("%s: the built-in body does not read the item lists", fl.name)
		}
	}
	for title, want := range map[string]bool{
		`{{.MilestoneFull}} for {{.Client}}{{if .HasForecast}}, {{.NewDateShort}}{{end}}`:                  false,
		`{{range $i, $d := .AtRiskDates}}{{$d.Name}} {{.Date}}{{end}} {{with .Snapshots}}{{len .}}{{end}}`: true, // a bare dot: maybe the view
		`{{range .AtRiskDates}}{{.Name}}{{else}}{{$.Client}}{{end}}`:                                       false,
		`{{len .KeyDone}} done`:                             true,
		`{{with .QuickWin}}{{.Title}}{{end}}`:               true,
		`{{range $.CutLine}}{{.Key}}{{end}}`:                true,
		`{{if .SecondSlip}}{{else}}{{.LateStarted}}{{end}}`: true,
		`{{(index .BlockedItems 0).Title}}`:                 true,
		`{{printf "%v" $}}`:                                 true,
		`{{template "other" .Client}}`:                      true,
	} {
		tp, err := template.New("x").Funcs(funcs(model.FormatMarkdown)).Parse(`{{define "other"}}{{end}}{{define "title"}}` + title + `{{end}}`)
		if err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		if got := readsLists(tp, "title"); got != want {
			t.Errorf("readsLists(%s) = %v, want %v", title, got, want)
		}
	}
}

// A user template's title that shows items gets them escaped as plain
// text, as its other values.
func TestTitleWithItems(t *testing.T) {
	dir := t.TempDir()
	text := `{{define "title"}}{{.Milestone}}: {{with .QuickWin}}{{.Title}} {{.Ref}}{{end}}; {{len .KeyRemaining}} open, first {{(index .KeyRemaining 0).Title}}{{end}}
{{define "body"}}{{reviewer "The cause."}} {{with .QuickWin}}{{.Title}}{{end}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, "client-notice.en.tmpl"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{TemplateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	req := fixture(langEN, model.PurposeClientNotice)
	for i := range req.Milestone.Items {
		req.Milestone.Items[i].Title = "*Fast* [" + req.Milestone.Items[i].Title + "] @team"
	}
	tk := render(t, r, req, model.FormatMarkdown)
	want := "Webshop relaunch: *Fast* [Favicon and app icons] @\u2060team [acme/web#122](https://github.com/acme/web/issues/122); 8 open, first *Fast* [Checkout with iDEAL and cards] @\u2060team"
	if tk.Title != want {
		t.Errorf("title\n got %q\nwant %q", tk.Title, want)
	}
	if !strings.Contains(tk.Body, `\*Fast\* \[Favicon and app icons\]`) {
		t.Errorf("body does not show the quick win escaped for Markdown:\n%s", tk.Body)
	}
}
