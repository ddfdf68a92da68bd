package jira

import (
	"fmt"
	"strconv"
	"strings"
)

// JQL building. Every value forewarn puts in a query is a quoted string
// literal (or a number), so version names with quotes, backslashes,
// newlines or reserved words ("AND", "order", "empty") can never change
// the query's shape.

// Quote returns s as a JQL string literal: double quotes, with `"` and `\`
// escaped by a backslash and control characters as \n, \r, \t or \uXXXX.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// luceneSpecial are the characters Jira's text search (~) treats as query
// syntax; inside a phrase they are escaped with a backslash.
const luceneSpecial = `+-&|!(){}[]^~*?\:"/`

// Phrase returns s as a text-search phrase for the ~ operator: a JQL string
// holding a Lucene phrase, special characters escaped.
func Phrase(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r < 0x20 {
			r = ' '
		}
		if strings.ContainsRune(luceneSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return Quote(b.String())
}

// Eq is `field = "value"`.
func Eq(field, value string) string { return field + " = " + Quote(value) }

// In is `field in ("a", "b")`.
func In(field string, values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = Quote(v)
	}
	return field + " in (" + strings.Join(q, ", ") + ")"
}

// InIDs is `field in (1, 2)` for numeric ids.
func InIDs(field string, ids []int64) string {
	q := make([]string, len(ids))
	for i, v := range ids {
		q[i] = strconv.FormatInt(v, 10)
	}
	return field + " in (" + strings.Join(q, ", ") + ")"
}

// UpdatedWithin is `updated >= "-Nm"`: relative to the server's clock, so
// the user's time zone (which absolute JQL dates are read in) plays no part.
func UpdatedWithin(minutes int64) string {
	if minutes < 1 {
		minutes = 1
	}
	return "updated >= " + Quote("-"+strconv.FormatInt(minutes, 10)+"m")
}

// And joins clauses, each in parentheses; empty ones are left out.
func And(clauses ...string) string { return join(" AND ", clauses) }

// Or joins clauses, each in parentheses; empty ones are left out.
func Or(clauses ...string) string { return join(" OR ", clauses) }

func join(op string, clauses []string) string {
	var parts []string
	for _, c := range clauses {
		if c != "" {
			parts = append(parts, "("+c+")")
		}
	}
	if len(parts) == 1 {
		return strings.TrimSuffix(strings.TrimPrefix(parts[0], "("), ")")
	}
	return strings.Join(parts, op)
}
