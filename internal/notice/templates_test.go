package notice

import (
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
