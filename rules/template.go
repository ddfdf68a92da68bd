package rules

import (
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// A template is text with {{ expression }} parts. The expressions are the
// same language as `when`, compiled and type-checked against Env at load, so
// an unknown field in a label or annotation is caught before any run.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	text string
	prog *vm.Program // nil for literal text
}

// tmplError is a problem at a byte offset of the template source.
type tmplError struct {
	offset int // of the expression's first byte in the template
	line   int // expr-relative line (1-based) and column (0-based) inside it
	col    int
	msg    string
}

func compileTemplate(src string, opts []expr.Option) (*template, []tmplError) {
	t := &template{}
	var errs []tmplError
	rest, off := src, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, tmplPart{text: rest})
			}
			return t, errs
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: rest[:i]})
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			errs = append(errs, tmplError{offset: off + i, line: 1, msg: "template: {{ is never closed by }}"})
			return t, errs
		}
		body := rest[i+2 : i+2+j]
		start := off + i + 2
		if strings.TrimSpace(body) == "" {
			errs = append(errs, tmplError{offset: start, line: 1, msg: "template: empty {{ }}"})
		} else if prog, err := expr.Compile(body, opts...); err != nil {
			line, col, msg := exprErr(err)
			errs = append(errs, tmplError{offset: start, line: line, col: col, msg: "template: " + msg})
		} else {
			t.parts = append(t.parts, tmplPart{prog: prog})
		}
		rest = rest[i+2+j+2:]
		off = start + j + 2
	}
}

// execute renders the template against env with a reused VM.
func (t *template) execute(m *vm.VM, env *Env) (string, error) {
	if len(t.parts) == 1 && t.parts[0].prog == nil {
		return t.parts[0].text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := m.Run(p.prog, env)
		if err != nil {
			return "", err
		}
		b.WriteString(render(v))
	}
	return b.String(), nil
}
