package notice

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	tparse "text/template/parse"

	"github.com/forewarn/forewarn/internal/diag"
	"github.com/forewarn/forewarn/internal/model"
)

//go:embed templates/*.tmpl
var builtin embed.FS

// ReviewerMark starts every place a person must write or check something
// before the draft is sent.
const ReviewerMark = "✍ REVIEWER"

// funcs are the markup helpers templates use, one set per target. They
// take trusted text: template literals and already escaped view values.
func funcs(f model.Format) template.FuncMap {
	jira := f == model.FormatJiraWiki
	return template.FuncMap{
		"h2": func(s string) string {
			if jira {
				return "h2. " + s
			}
			return "## " + s
		},
		"h3": func(s string) string {
			if jira {
				return "h3. " + s
			}
			return "### " + s
		},
		"b": func(s string) string {
			if jira {
				return "*" + s + "*"
			}
			return "**" + s + "**"
		},
		"i": func(s string) string { return "_" + s + "_" },
		// code marks a technical name; the text is already escaped, and
		// escapes do not work inside code spans, so it stays plain text.
		"code": func(s string) string { return s },
		"hr": func() string {
			if jira {
				return "----"
			}
			return "---"
		},
		"check": func(s string) string {
			if jira {
				return `* \[ \] ` + s
			}
			return "- [ ] " + s
		},
		// reviewer marks what a person must write or check before sending.
		"reviewer": func(s string) string {
			if jira {
				return "{panel:title=" + ReviewerMark + "|borderColor=#ff991f|bgColor=#fffae6}\n" + s + "\n{panel}"
			}
			return "> **" + ReviewerMark + ":** " + s
		},
		// item formats a work item on one line: its title, then its key.
		"item": func(it Item) string {
			ref := it.Ref
			if ref == "" {
				ref = it.Key
			}
			if ref == "" {
				return it.Title
			}
			return it.Title + " (" + ref + ")"
		},
		// count writes "1 item" or "3 items" (words given by the template).
		"count": func(n int, one, many string) string {
			if n == 1 {
				return "1 " + one
			}
			return strconv.Itoa(n) + " " + many
		},
		// sub starts a nested list item.
		"sub": func() string {
			if jira {
				return "** "
			}
			return "  * "
		},
		// units writes a formatted figure with its unit: "1 item",
		// "0.45 items", "1,5 onderdelen" (only exactly 1 is singular).
		"units": func(figure, one, many string) string {
			if figure == "1" {
				return "1 " + one
			}
			return figure + " " + many
		},
		// pl picks the word for n: one when n is 1, else many ("is",
		// "zijn"), for verbs that agree with a count.
		"pl":   plural,
		"plus": func(a, b int) int { return a + b },
		"neg":  func(a int) int { return -a },
		"join": func(sep string, ss []string) string { return strings.Join(ss, sep) },
		// facts writes " <lead> a; b; c." from the parts that are not empty,
		// "" when all are: one lead for the figures a note gives, not one
		// per figure.
		"facts": func(lead string, parts ...string) string {
			var keep []string
			for _, p := range parts {
				if p != "" {
					keep = append(keep, p)
				}
			}
			if len(keep) == 0 {
				return ""
			}
			return " " + lead + " " + strings.Join(keep, "; ") + "."
		},
	}
}

// file is one template source.
type file struct {
	name    string // as shown in diagnostics
	purpose model.Purpose
	lang    string
	text    string
	user    bool
}

var tmplName = regexp.MustCompile(`^(client-notice|progress-update|post-mortem)\.([a-z]{2})\.tmpl$`)

// builtins are the built-in template sources, one per purpose and language.
func builtins() ([]file, error) {
	var files []file
	for _, p := range purposes {
		for _, lang := range languages {
			name := fmt.Sprintf("%s.%s.tmpl", p, lang)
			b, err := builtin.ReadFile("templates/" + name)
			if err != nil {
				return nil, fmt.Errorf("built-in template %s: %w", name, err)
			}
			files = append(files, file{name: "templates/" + name, purpose: p, lang: lang, text: string(b)})
		}
	}
	return files, nil
}

// tmpl is one template of a purpose, language and format. A user template
// is parsed and checked at load, so its mistakes stop the load at their
// file:line:col; a built-in one is parsed when a draft first needs it (a
// run uses one or two of the twelve) and not checked at load: the tests
// check every one (TestBuiltinTemplatesPassTheLoadCheck).
type tmpl struct {
	once sync.Once
	fl   file
	f    model.Format
	t    *template.Template
	err  error
	// titleLists: the title may read the view's item lists (readsLists).
	titleLists bool
}

func (x *tmpl) get() (*template.Template, error) {
	x.once.Do(func() {
		if x.t == nil {
			x.t, x.err = parse(x.fl, x.f)
		}
		if x.err == nil {
			x.titleLists = readsLists(x.t, "title")
		}
	})
	return x.t, x.err
}

// listFields are the view's item lists: escaping their items is most of
// the cost of escaping a view, and no built-in title shows them.
var listFields = map[string]bool{"KeyRemaining": true, "KeyDone": true, "CutLine": true, "CarriedOver": true,
	"DoneSince": true, "BlockedItems": true, "LateStarted": true, "QuickWin": true}

// readsLists reports whether the template name of t may read a view's item
// lists: it names one of them, or it hands on a whole value where the view
// could be (a bare dot or $, a call of another template).
func readsLists(t *template.Template, name string) bool {
	d := t.Lookup(name)
	if d == nil || d.Tree == nil {
		return true
	}
	names := func(ids []string) bool {
		for _, id := range ids {
			if listFields[id] {
				return true
			}
		}
		return false
	}
	var reads func(n tparse.Node) bool
	reads = func(n tparse.Node) bool {
		switch n := n.(type) {
		case *tparse.ListNode:
			if n == nil {
				return false
			}
			for _, c := range n.Nodes {
				if reads(c) {
					return true
				}
			}
		case *tparse.ActionNode:
			return reads(n.Pipe)
		case *tparse.PipeNode:
			if n == nil {
				return false
			}
			for _, c := range n.Cmds {
				if reads(c) {
					return true
				}
			}
		case *tparse.CommandNode:
			for _, a := range n.Args {
				if reads(a) {
					return true
				}
			}
		case *tparse.IfNode:
			return reads(n.Pipe) || reads(n.List) || reads(n.ElseList)
		case *tparse.RangeNode:
			return reads(n.Pipe) || reads(n.List) || reads(n.ElseList)
		case *tparse.WithNode:
			return reads(n.Pipe) || reads(n.List) || reads(n.ElseList)
		case *tparse.FieldNode:
			return names(n.Ident)
		case *tparse.ChainNode:
			return reads(n.Node) || names(n.Field)
		case *tparse.VariableNode:
			return len(n.Ident) == 1 && n.Ident[0] == "$" || names(n.Ident[1:])
		case *tparse.DotNode, *tparse.TemplateNode:
			return true
		}
		return false // text, literals, function names, break, continue, comments
	}
	return reads(d.Tree.Root)
}

func (r *Renderer) load() error {
	files, err := builtins()
	if err != nil {
		return err
	}
	l := &diag.List{}
	if r.opts.TemplateDir != "" {
		entries, err := os.ReadDir(r.opts.TemplateDir)
		if err != nil {
			l.AddAt(r.opts.TemplateDir, 0, 0, "", "reading the template directory: %v", unwrapPath(err))
			return l.Err()
		}
		for _, e := range entries {
			path := filepath.Join(r.opts.TemplateDir, e.Name())
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			m := tmplName.FindStringSubmatch(e.Name())
			if m == nil {
				l.AddAt(path, 0, 0, "", "unexpected file: templates are named <purpose>.<lang>.tmpl, purpose one of client-notice, progress-update, post-mortem, lang one of %s", strings.Join(languages, ", "))
				continue
			}
			if !contains(languages, m[2]) {
				l.AddAt(path, 0, 0, "", "language %q has no built-in drafts (available: %s)", m[2], strings.Join(languages, ", "))
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				l.AddAt(path, 0, 0, "", "reading: %v", unwrapPath(err))
				continue
			}
			r.overridden = append(r.overridden, path)
			for i := range files {
				if files[i].purpose == model.Purpose(m[1]) && files[i].lang == m[2] {
					files[i] = file{name: path, purpose: files[i].purpose, lang: m[2], text: string(b), user: true}
				}
			}
		}
	}
	for _, fl := range files {
		for _, f := range formats {
			x := &tmpl{fl: fl, f: f}
			if fl.user {
				t, err := parse(fl, f)
				if err != nil {
					addTemplateError(l, fl.name, err)
					break
				}
				if err := check(t, fl, f); err != nil {
					addTemplateError(l, fl.name, err)
					break
				}
				x.t = t
			}
			if r.sets[fl.purpose] == nil {
				r.sets[fl.purpose] = map[string]map[model.Format]*tmpl{}
			}
			if r.sets[fl.purpose][fl.lang] == nil {
				r.sets[fl.purpose][fl.lang] = map[model.Format]*tmpl{}
			}
			r.sets[fl.purpose][fl.lang][f] = x
		}
	}
	return l.Err()
}

func parse(fl file, f model.Format) (*template.Template, error) {
	t, err := template.New(filepath.Base(fl.name)).Funcs(funcs(f)).Option("missingkey=error").Parse(fl.text)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"title", "body"} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("missing {{define %q}}: every template defines \"title\" and \"body\"", name)
		}
	}
	return t, nil
}

// check renders a template against sample requests (on time, at risk,
// second slip, no forecast) so that mistakes a parse cannot see (a field
// that does not exist, a function given the wrong type) stop the load.
func check(t *template.Template, fl file, f model.Format) error {
	probe := &Renderer{opts: Options{Confidence: DefaultConfidence, CheckInDays: DefaultCheckInDays}}
	for _, req := range sampleRequests(fl.purpose, fl.lang) {
		v := probe.view(req, f, Escape)
		for _, name := range []string{"title", "body"} {
			var b bytes.Buffer
			if err := t.ExecuteTemplate(&b, name, v); err != nil {
				return err
			}
			if strings.Contains(b.String(), "forewarn:fingerprint") {
				return fmt.Errorf("template %q writes a fingerprint marker; forewarn adds the only marker itself", name)
			}
			if name == "body" && fl.purpose == model.PurposeClientNotice && !strings.Contains(b.String(), ReviewerMark) {
				return errors.New(`the client notice must ask the reviewer for the sentence on the cause: use {{reviewer "…"}}`)
			}
		}
	}
	return nil
}

// template errors read "template: NAME:LINE:COL: message" or
// "template: NAME:LINE: message".
var tmplErrRe = regexp.MustCompile(`^template: [^:]*:(\d+)(?::(\d+))?: (.*)$`)

func addTemplateError(l *diag.List, file string, err error) {
	msg := err.Error()
	if m := tmplErrRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col := 1
		if m[2] != "" {
			col, _ = strconv.Atoi(m[2])
		}
		l.AddAt(file, line, col, "", "%s", m[3])
		return
	}
	l.AddAt(file, 0, 0, "", "%s", msg)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func contains(ss []string, s string) bool {
	i := sort.SearchStrings(ss, s)
	return i < len(ss) && ss[i] == s
}
