// Package diag reports problems in configuration and rule files as
// "file:line:col: rule \"name\": message", every problem at once.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Diagnostic is one problem at one place in a file.
type Diagnostic struct {
	File string
	Line int
	Col  int
	Rule string // rule name, when the problem is inside a rule
	Msg  string
	// Type marks a value of the wrong type: a problem found later at the
	// same place (the zero value the bad one left behind failing a check)
	// is not reported on top of it.
	Type bool
}

func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, max(d.Col, 1))
	}
	b.WriteString(": ")
	if d.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", d.Rule)
	}
	b.WriteString(d.Msg)
	return b.String()
}

// List collects diagnostics; as an error it prints one per line.
type List struct {
	Items []Diagnostic
}

// Add records a problem at a node (nil node: the file as a whole).
func (l *List) Add(file string, n *yaml.Node, rule, format string, args ...any) {
	d := Diagnostic{File: file, Rule: rule, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		d.Line, d.Col = n.Line, n.Column
	}
	l.Items = append(l.Items, d)
}

// AddAt records a problem at an explicit position.
func (l *List) AddAt(file string, line, col int, rule, format string, args ...any) {
	l.Items = append(l.Items, Diagnostic{File: file, Line: line, Col: col, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// AddType records a value of the wrong type at a node.
func (l *List) AddType(file string, n *yaml.Node, rule, format string, args ...any) {
	l.Add(file, n, rule, format, args...)
	l.Items[len(l.Items)-1].Type = true
}

// Len is the number of problems recorded.
func (l *List) Len() int { return len(l.Items) }

// Err returns the list as an error, or nil when it is empty. Problems are
// sorted by file and position so output is stable.
func (l *List) Err() error {
	if len(l.Items) == 0 {
		return nil
	}
	// A check that failed on the zero value a mistyped value left behind
	// says nothing new: drop it.
	typed := map[Diagnostic]bool{}
	for _, d := range l.Items {
		if d.Type {
			typed[Diagnostic{File: d.File, Line: d.Line, Col: d.Col}] = true
		}
	}
	if len(typed) > 0 {
		kept := l.Items[:0]
		for _, d := range l.Items {
			if d.Type || !typed[Diagnostic{File: d.File, Line: d.Line, Col: d.Col}] {
				kept = append(kept, d)
			}
		}
		l.Items = kept
	}
	sort.SliceStable(l.Items, func(i, j int) bool {
		a, b := l.Items[i], l.Items[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

func (l *List) Error() string {
	lines := make([]string, len(l.Items))
	for i, d := range l.Items {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// FromYAML turns a yaml.v3 decode error into diagnostics with positions.
// yaml.v3 reports "line N: message"; the column is not given, so it is 1.
func FromYAML(file string, err error) *List {
	l := &List{}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, e := range te.Errors {
			line, msg := splitLine(e)
			l.AddAt(file, line, 1, "", "%s", msg)
		}
		return l
	}
	line, msg := splitLine(err.Error())
	l.AddAt(file, line, 1, "", "%s", msg)
	return l
}

func splitLine(s string) (int, string) {
	s = strings.TrimPrefix(s, "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(s, "line %d:", &line); n == 1 {
		if i := strings.Index(s, ":"); i >= 0 {
			return line, strings.TrimSpace(s[i+1:])
		}
	}
	return 0, s
}

// IsConfigError reports whether err is (or wraps) a diagnostics list: a
// problem with the user's files rather than with the run.
func IsConfigError(err error) bool {
	var l *List
	return errors.As(err, &l)
}
