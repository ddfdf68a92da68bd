package jira_test

import (
	"testing"
	"unicode/utf8"

	"github.com/forewarn/forewarn/connectors/jira"
	fake "github.com/forewarn/forewarn/internal/testserver/jira"
)

// FuzzJQL checks that any version name, quoted by the builder, reads back
// as exactly one string value of the intended clause — whatever quotes,
// backslashes, reserved words or control characters it holds. The fake's
// JQL parser, written to Jira's lexical rules, is the independent reader.
func FuzzJQL(f *testing.F) {
	for _, s := range []string{"1.0", `2.0 "beta"`, `a\b`, "order", "AND", "empty", `" OR project = X`, "\\", "\n\t\r", "x)", "é ✓", "\x00\x7f"} {
		f.Add(s, "WEB")
	}
	f.Fuzz(func(t *testing.T, name, project string) {
		if !utf8.ValidString(name) || !utf8.ValidString(project) {
			t.Skip()
		}
		q := jira.And(jira.Eq("project", project), jira.In("fixVersion", []string{name, "other"}), "labels = "+jira.Quote(name)) + " ORDER BY key ASC"
		pq, err := fake.ParseJQL(q)
		if err != nil {
			t.Fatalf("JQL %q does not parse: %v", q, err)
		}
		w := pq.Where
		if w == nil || w.Op != "and" || len(w.Kids) != 2 || w.Kids[0].Op != "and" {
			t.Fatalf("JQL %q has the wrong shape", q)
		}
		proj := w.Kids[0].Kids[0].Clause
		in := w.Kids[0].Kids[1].Clause
		lab := w.Kids[1].Clause
		if proj == nil || proj.Field != "project" || len(proj.Values) != 1 || proj.Values[0].Text != project {
			t.Fatalf("project clause of %q = %+v", q, proj)
		}
		if in == nil || in.Op != "in" || len(in.Values) != 2 || in.Values[0].Text != name || in.Values[1].Text != "other" {
			t.Fatalf("fixVersion clause of %q = %+v", q, in)
		}
		if lab == nil || lab.Field != "labels" || lab.Values[0].Text != name {
			t.Fatalf("labels clause of %q = %+v", q, lab)
		}
		if len(pq.Order) != 1 || pq.Order[0].Field != "key" {
			t.Fatalf("ORDER BY of %q lost", q)
		}
	})
}
