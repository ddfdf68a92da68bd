package jira

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The fake's JQL: a lexer and parser for the part of the language forewarn
// and its tests use — clauses joined by AND/OR/NOT with parentheses;
// =, !=, ~, <, <=, >, >=, IN and NOT IN; ORDER BY — reading string
// literals and reserved words as Jira does. Errors carry Jira's wording.

// Value is a JQL operand: a string literal, a number or a bare word.
type Value struct {
	Text   string
	Quoted bool
}

// Clause is one comparison.
type Clause struct {
	Field  string // lower-case
	Op     string // "=", "!=", "~", "<", "<=", ">", ">=", "in", "not in"
	Values []Value

	needle *string // a text search's phrase, lower-case: read once per query, not once per issue
	// named: the fix versions or sprints, by id, whose id or name a
	// fixVersion or sprint clause names; resolved once per query, not once
	// per issue (a source's query names tens of them, and a query without a
	// project clause is matched against every issue).
	named map[string]bool
}

// Expr is a boolean tree of clauses.
type Expr struct {
	Op     string // "and", "or", "not", "" for a clause
	Kids   []*Expr
	Clause *Clause
}

// Order is one ORDER BY key.
type Order struct {
	Field string
	Desc  bool
}

// Query is a parsed JQL query.
type Query struct {
	Where *Expr // nil: everything
	Order []Order
}

// reserved are JQL's reserved words: unquoted, they are an error as a value.
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`abort access add after alias alter and any are as asc audit avg before begin between
	boolean break by byte catch cf changed char character check checkpoint collate collation column commit connect continue
	count create current date decimal declare decrement default defaults define delete delimiter desc difference distinct
	divide do double drop else empty encoding end equals escape exclusive exec execute exists explain false fetch file field
	first float for from function go goto grant greater group having identified if immediate in increment index initial inner
	inout input insert int integer intersect intersection into is isempty isnull join last left less like limit lock long
	max min minus mode modify modulo more multiply next noaudit not notin nowait null number object of on option or order
	outer output power previous prior privileges public raise raw remainder rename resume return returns revoke right row
	rowid rownum rows select session set share size sqrt start strict string subtract sum synonym table then to trans
	transaction trigger true uid union unique update user validate values view was when whenever where while with`) {
		reserved[w] = true
	}
}

type token struct {
	kind string // "str", "word", "op", "(", ")", ",", "eof"
	text string
	pos  int
}

// jqlError is a 400 answer's message.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func errf(format string, a ...any) error { return &jqlError{msg: fmt.Sprintf(format, a...)} }

func lex(q string) ([]token, error) {
	var out []token
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')' || r == ',':
			out = append(out, token{kind: string(r), text: string(r), pos: i})
			i++
		case r == '"' || r == '\'':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(rs) {
				c := rs[i]
				if c == r {
					closed = true
					i++
					break
				}
				if c == '\\' {
					if i+1 >= len(rs) {
						return nil, errf("Error in the JQL Query: The quoted string %q has not been completed. (line 1, character %d)", string(rs[start:]), start+1)
					}
					e := rs[i+1]
					switch e {
					case '"', '\'', '\\', ' ':
						b.WriteRune(e)
						i += 2
					case 'n':
						b.WriteRune('\n')
						i += 2
					case 'r':
						b.WriteRune('\r')
						i += 2
					case 't':
						b.WriteRune('\t')
						i += 2
					case 'u':
						if i+6 > len(rs) {
							return nil, errf("Error in the JQL Query: '\\u' is an illegal JQL escape sequence. (line 1, character %d)", i+1)
						}
						n, err := strconv.ParseUint(string(rs[i+2:i+6]), 16, 32)
						if err != nil {
							return nil, errf("Error in the JQL Query: '\\u%s' is an illegal JQL escape sequence. (line 1, character %d)", string(rs[i+2:i+6]), i+1)
						}
						b.WriteRune(rune(n))
						i += 6
					default:
						return nil, errf("Error in the JQL Query: '\\%c' is an illegal JQL escape sequence. (line 1, character %d)", e, i+1)
					}
					continue
				}
				b.WriteRune(c)
				i++
			}
			if !closed {
				return nil, errf("Error in the JQL Query: The quoted string %q has not been completed. (line 1, character %d)", string(rs[start:]), start+1)
			}
			out = append(out, token{kind: "str", text: b.String(), pos: start})
		case strings.ContainsRune("=!~<>", r):
			start := i
			i++
			if i < len(rs) && rs[i] == '=' && r != '=' && r != '~' {
				i++
			}
			op := string(rs[start:i])
			if op == "!" {
				return nil, errf("Error in the JQL Query: The character '!' is a reserved JQL character. (line 1, character %d)", start+1)
			}
			out = append(out, token{kind: "op", text: op, pos: start})
		default:
			start := i
			for i < len(rs) && !unicode.IsSpace(rs[i]) && !strings.ContainsRune("()=,!~<>\"'", rs[i]) {
				if strings.ContainsRune("{}[]|&^*%?;", rs[i]) {
					return nil, errf("Error in the JQL Query: The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead. (line 1, character %d)", rs[i], rs[i], i+1)
				}
				i++
			}
			out = append(out, token{kind: "word", text: string(rs[start:i]), pos: start})
		}
	}
	return append(out, token{kind: "eof", pos: len(rs)}), nil
}

type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }
func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == "word" && strings.EqualFold(t.text, w)
}

// ParseJQL parses a query; the error is Jira's 400 message.
func ParseJQL(q string) (*Query, error) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	out := &Query{}
	if !p.isWord("order") && p.peek().kind != "eof" {
		if out.Where, err = p.or(); err != nil {
			return nil, err
		}
	}
	if p.isWord("order") {
		p.next()
		if !p.isWord("by") {
			return nil, errf("Error in the JQL Query: Expecting 'by' but got '%s'. (line 1, character %d)", p.peek().text, p.peek().pos+1)
		}
		p.next()
		for {
			t := p.next()
			if t.kind != "word" && t.kind != "str" {
				return nil, errf("Error in the JQL Query: Expecting a field name at the end of the query. (line 1, character %d)", t.pos+1)
			}
			o := Order{Field: strings.ToLower(t.text)}
			if p.isWord("desc") {
				p.next()
				o.Desc = true
			} else if p.isWord("asc") {
				p.next()
			}
			out.Order = append(out.Order, o)
			if p.peek().kind != "," {
				break
			}
			p.next()
		}
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, errf("Error in the JQL Query: Expecting either 'OR' or 'AND' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
	}
	return out, nil
}

func (p *parser) or() (*Expr, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") || p.peek().kind == "op" && p.peek().text == "||" {
		p.next()
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: "or", Kids: []*Expr{left, right}}
	}
	return left, nil
}

func (p *parser) and() (*Expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: "and", Kids: []*Expr{left, right}}
	}
	return left, nil
}

func (p *parser) unary() (*Expr, error) {
	if p.isWord("not") {
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{Op: "not", Kids: []*Expr{e}}, nil
	}
	if p.peek().kind == "(" {
		p.next()
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ")" {
			return nil, errf("Error in the JQL Query: Expecting ')' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
		}
		return e, nil
	}
	return p.clause()
}

func (p *parser) clause() (*Expr, error) {
	f := p.next()
	if f.kind != "word" && f.kind != "str" {
		return nil, errf("Error in the JQL Query: Expecting a field name but got '%s'. (line 1, character %d)", f.text, f.pos+1)
	}
	if f.kind == "word" && reserved[strings.ToLower(f.text)] {
		return nil, errf("Error in the JQL Query: '%s' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character %d)", f.text, f.pos+1)
	}
	c := &Clause{Field: strings.ToLower(f.text)}
	switch t := p.peek(); {
	case t.kind == "op":
		p.next()
		c.Op = t.text
	case p.isWord("in"):
		p.next()
		c.Op = "in"
	case p.isWord("not"):
		p.next()
		if !p.isWord("in") {
			return nil, errf("Error in the JQL Query: Expecting 'in' but got '%s'. (line 1, character %d)", p.peek().text, p.peek().pos+1)
		}
		p.next()
		c.Op = "not in"
	default:
		return nil, errf("Error in the JQL Query: Expecting operator but got '%s'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'. (line 1, character %d)", t.text, t.pos+1)
	}
	if c.Op == "in" || c.Op == "not in" {
		if t := p.next(); t.kind != "(" {
			return nil, errf("Error in the JQL Query: Expecting '(' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			c.Values = append(c.Values, v)
			t := p.next()
			if t.kind == ")" {
				break
			}
			if t.kind != "," {
				return nil, errf("Error in the JQL Query: Expecting ')' but got '%s'. (line 1, character %d)", t.text, t.pos+1)
			}
		}
	} else {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		c.Values = []Value{v}
	}
	return &Expr{Clause: c}, nil
}

func (p *parser) value() (Value, error) {
	t := p.next()
	switch t.kind {
	case "str":
		return Value{Text: t.text, Quoted: true}, nil
	case "word":
		if reserved[strings.ToLower(t.text)] {
			return Value{}, errf("Error in the JQL Query: '%s' is a reserved JQL word. You must surround it in quotation marks to use it in a query. (line 1, character %d)", t.text, t.pos+1)
		}
		return Value{Text: t.text}, nil
	}
	return Value{}, errf("Error in the JQL Query: Expecting either a value, list or function but got '%s'. (line 1, character %d)", t.text, t.pos+1)
}

// knownFields are the fields the fake can search.
var knownFields = map[string]bool{"project": true, "fixversion": true, "sprint": true, "labels": true, "text": true,
	"updated": true, "created": true, "key": true, "issuekey": true, "status": true, "statuscategory": true, "summary": true, "description": true}

// check rejects fields the fake does not know, as Jira does.
func (q *Query) check() error {
	var walk func(e *Expr) error
	walk = func(e *Expr) error {
		if e == nil {
			return nil
		}
		if e.Clause != nil {
			if !knownFields[e.Clause.Field] {
				return errf("Field '%s' does not exist or you do not have permission to view it.", e.Clause.Field)
			}
			return nil
		}
		for _, k := range e.Kids {
			if err := walk(k); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(q.Where)
}

// match evaluates the query on an issue.
func (s *Server) match(e *Expr, is *Issue, now time.Time) bool {
	if e == nil {
		return true
	}
	switch e.Op {
	case "and":
		return s.match(e.Kids[0], is, now) && s.match(e.Kids[1], is, now)
	case "or":
		return s.match(e.Kids[0], is, now) || s.match(e.Kids[1], is, now)
	case "not":
		return !s.match(e.Kids[0], is, now)
	}
	c := e.Clause
	var have []string
	switch c.Field {
	case "project":
		have = []string{is.Project}
	case "fixversion", "sprint":
		if c.named == nil {
			c.named = s.named(c)
		}
		hit := false
		if c.Field == "fixversion" {
			for _, id := range is.FixVersions {
				// A version the fake does not hold matches by its id alone.
				hit = hit || c.named[id] || s.versions[id] == nil && c.names(id)
			}
		} else {
			for _, id := range is.Sprints {
				k := strconv.FormatInt(id, 10)
				hit = hit || c.named[k] || s.sprints[id] == nil && c.names(k)
			}
		}
		switch c.Op {
		case "=", "in":
			return hit
		case "!=", "not in":
			return !hit
		}
		return false
	case "labels":
		have = is.Labels
	case "key", "issuekey":
		have = []string{is.Key}
	case "status":
		have = []string{is.Status}
	case "statuscategory":
		have = []string{is.Category}
	case "text", "summary", "description":
		if c.needle == nil {
			n := strings.ToLower(phraseText(c.Values[0].Text))
			c.needle = &n
		}
		needle := *c.needle
		ok := containsFold(is.Summary, needle)
		if !ok && c.Field != "summary" {
			ok = containsFold(is.Description, needle)
			for i := 0; !ok && i < len(is.Comments); i++ {
				ok = containsFold(is.Comments[i], needle)
			}
		}
		return ok == (c.Op == "~")
	case "updated", "created":
		t := is.Updated
		if c.Field == "created" {
			t = is.Created
		}
		ref, ok := jqlTime(c.Values[0].Text, now)
		if !ok {
			return false
		}
		switch c.Op {
		case ">=":
			return !t.Before(ref)
		case ">":
			return t.After(ref)
		case "<=":
			return !t.After(ref)
		case "<":
			return t.Before(ref)
		}
		return false
	}
	eq := func(v Value) bool {
		for _, h := range have {
			if c.Field == "labels" && h == v.Text || c.Field != "labels" && strings.EqualFold(h, v.Text) {
				return true
			}
		}
		return false
	}
	any := false
	for _, v := range c.Values {
		if eq(v) {
			any = true
		}
	}
	switch c.Op {
	case "=", "in":
		return any
	case "!=", "not in":
		return !any
	}
	return false
}

// named resolves a fixVersion or sprint clause: the ids of the versions or
// sprints whose id or name one of its values names, ignoring case.
func (s *Server) named(c *Clause) map[string]bool {
	out := map[string]bool{}
	if c.Field == "fixversion" {
		for id, v := range s.versions {
			if c.names(id) || c.names(v.Name) {
				out[id] = true
			}
		}
		return out
	}
	for id, sp := range s.sprints {
		if k := strconv.FormatInt(id, 10); c.names(k) || c.names(sp.Name) {
			out[k] = true
		}
	}
	return out
}

// names reports whether one of the clause's values is h, ignoring case.
func (c *Clause) names(h string) bool {
	for _, v := range c.Values {
		if strings.EqualFold(h, v.Text) {
			return true
		}
	}
	return false
}

// phraseText undoes the Lucene escaping of a text search and drops the
// phrase quotes.
// containsFold is strings.Contains(strings.ToLower(hay), needle) for a
// lower-case needle, without copying the hay when the needle is ASCII: a
// batch lookup asks fifty phrases of every issue of the project.
func containsFold(hay, needle string) bool {
	for i := 0; i < len(needle); i++ {
		if needle[i] >= utf8.RuneSelf || needle[i] == '\n' {
			return strings.Contains(strings.ToLower(hay), needle)
		}
	}
	if needle == "" {
		return true
	}
	// Candidates are found by a byte of the needle that has no other case
	// (a digit, '-', ':'), with strings.IndexByte, when there is one.
	for k := 0; k < len(needle); k++ {
		if c := needle[k]; c < 'a' || c > 'z' {
			for i := 0; i+len(needle) <= len(hay); {
				j := strings.IndexByte(hay[i+k:len(hay)-len(needle)+k+1], c)
				if j < 0 {
					return false
				}
				if asciiFold(hay[i+j:i+j+len(needle)], needle) {
					return true
				}
				i += j + 1
			}
			return false
		}
	}
	first := needle[0]
	upper := first - 'a' + 'A'
	for i := 0; i+len(needle) <= len(hay); i++ {
		if b := hay[i]; (b == first || b == upper) && asciiFold(hay[i:i+len(needle)], needle) {
			return true
		}
	}
	return false
}

// asciiFold compares s with the lower-case ASCII needle, ignoring case.
func asciiFold(s, needle string) bool {
	for i := 0; i < len(needle); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != needle[i] {
			return false
		}
	}
	return true
}

func phraseText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// jqlTime reads "-15m", "-2d", "2026-01-02" or "2026-01-02 15:04".
func jqlTime(s string, now time.Time) (time.Time, bool) {
	if len(s) > 1 && (s[0] == '-' || s[0] == '+') {
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err != nil {
			return time.Time{}, false
		}
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if unit == 0 {
			return time.Time{}, false
		}
		d := time.Duration(n) * unit
		if s[0] == '-' {
			d = -d
		}
		return now.Add(d), true
	}
	for _, l := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
