package jira

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// pickCustom sets each issue's custom fields (story points, sprint,
// flagged: the ids the site's /field answer named) to their JSON text in
// body, the search page issues were decoded from. It is one pass over
// the page's bytes that skips every other member without allocating: the
// custom ids are known only at run time, and splitting each issue's
// fields into a map of raw members to reach them cost more than decoding
// the standard fields. A member given twice counts as its last, as in the
// decode.
func pickCustom(body []byte, issues []searchIssue, ids fieldIDs) error {
	// Only custom fields are picked: an id of another field (a
	// story_points naming a system field) was never read.
	for _, id := range []*string{&ids.points, &ids.sprint, &ids.flagged} {
		if !strings.HasPrefix(*id, "customfield_") {
			*id = ""
		}
	}
	if ids.points == "" && ids.sprint == "" && ids.flagged == "" {
		return nil
	}
	sc := scanner{b: body}
	return sc.object(func(key []byte) error {
		if !keyFold(key, "issues") {
			return sc.skip()
		}
		for i := range issues {
			f := &issues[i].Fields
			f.points, f.sprint, f.flagged = nil, nil, nil
		}
		// Only the last "issues" counts (the decode's): one before it
		// may be longer.
		i := 0
		return sc.array(func() error {
			if i >= len(issues) {
				return sc.skip()
			}
			f := &issues[i].Fields
			i++
			return sc.object(func(key []byte) error {
				if !keyFold(key, "fields") {
					return sc.skip()
				}
				return sc.object(func(key []byte) error {
					// One id may serve two roles (story_points naming
					// the sprint field): each gets the value.
					points := ids.points != "" && keyIs(key, ids.points)
					sprint := ids.sprint != "" && keyIs(key, ids.sprint)
					flagged := ids.flagged != "" && keyIs(key, ids.flagged)
					if !points && !sprint && !flagged {
						return sc.skip()
					}
					start := sc.i
					if err := sc.skip(); err != nil {
						return err
					}
					v := body[start:sc.i]
					if points {
						f.points = v
					}
					if sprint {
						f.sprint = v
					}
					if flagged {
						f.flagged = v
					}
					return nil
				})
			})
		})
	})
}

// errSyntax: not the JSON the decode accepted.
var errSyntax = errors.New("search page: malformed JSON")

// keyIs says whether a member name as it stands in the text (between its
// quotes, escapes and all) is name. Custom ids are matched exactly.
func keyIs(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == name
	}
	k, ok := unescape(raw)
	return ok && k == name
}

// keyFold says whether a member name is name (lower case ASCII) with
// ASCII case folded, as the decode matches the page's and issues' members
// ("issues", "fields").
func keyFold(raw []byte, name string) bool {
	k := raw
	if bytes.IndexByte(raw, '\\') >= 0 {
		u, ok := unescape(raw)
		if !ok {
			return false
		}
		k = []byte(u)
	}
	if len(k) != len(name) {
		return false
	}
	for i, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// unescape reads a member name written with escapes (no Jira writes one).
func unescape(raw []byte) (string, bool) {
	var k string
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	return k, json.Unmarshal(quoted, &k) == nil
}

// scanner walks JSON text the decoder has already accepted; it still
// refuses, rather than misreads, text it does not expect.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// null consumes a null where a container may stand; it says whether it
// did.
func (s *scanner) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// object calls member for each member of the object (or null) at the
// cursor, with the member's name between its quotes and the cursor at
// its value; member must consume the value.
func (s *scanner) object(member func(key []byte) error) error {
	if s.null() {
		return nil
	}
	if s.peek() != '{' {
		return s.skip() // not an object: the decode took it (null-like); nothing to pick
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return errSyntax
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return errSyntax
		}
		s.i++
		s.ws()
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// array calls elem for each element of the array (or null) at the
// cursor, with the cursor at the element; elem must consume it.
func (s *scanner) array(elem func() error) error {
	if s.null() {
		return nil
	}
	if s.peek() != '[' {
		return s.skip()
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		s.ws()
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// str consumes the string at the cursor and returns its text between the
// quotes as it stands (escapes and all). An escape JSON does not have
// (\0, \u12) is refused, as the decoder refuses it.
func (s *scanner) str() ([]byte, error) {
	start := s.i + 1
	for j := start; ; j++ {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			return nil, errSyntax
		}
		j += k
		escaped := false // by an odd run of backslashes before it
		for m := j - 1; m >= start && s.b[m] == '\\'; m-- {
			escaped = !escaped
		}
		if !escaped {
			raw := s.b[start:j]
			if bytes.IndexByte(raw, '\\') >= 0 && !validEscapes(raw) {
				return nil, errSyntax
			}
			s.i = j + 1
			return raw, nil
		}
	}
}

// validEscapes says whether every escape in a string's text is one JSON
// has: \" \\ \/ \b \f \n \r \t, or \u and four hex digits.
func validEscapes(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i++; i == len(raw) {
			return false
		}
		switch raw[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(raw) {
				return false
			}
			for _, c := range raw[i+1 : i+5] {
				if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
					return false
				}
			}
			i += 4
		default:
			return false
		}
	}
	return true
}

// skip consumes the value at the cursor.
func (s *scanner) skip() error {
	switch s.peek() {
	case 0, '}', ']', ',', ':':
		return errSyntax
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, err := s.str(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errSyntax
	default: // a number, true, false or null
		for s.i < len(s.b) && !delim(s.b[s.i]) {
			s.i++
		}
		return nil
	}
}

// delim says whether c ends a number or a literal.
func delim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', ']', '}', '[', '{', '"':
		return true
	}
	return false
}

// readCursor reads where the next page starts (searchCursor's members)
// from a search page's text, skipping its issues without allocating: it
// runs before the page is decoded, so that the next page is on its way
// meanwhile. The decode reads the same members again and search checks
// that the two agree.
func readCursor(body []byte) (searchCursor, error) {
	var cur searchCursor
	sc := scanner{b: body}
	err := sc.object(func(key []byte) error {
		switch {
		case keyFold(key, "nextpagetoken"):
			return sc.text(&cur.NextPageToken)
		case keyFold(key, "islast"):
			return sc.boolean(&cur.IsLast)
		case keyFold(key, "startat"):
			return sc.integer(&cur.StartAt)
		case keyFold(key, "total"):
			return sc.integer(&cur.Total)
		}
		return sc.skip()
	})
	return cur, err
}

// text reads a string (null leaves dst as it was).
func (s *scanner) text(dst *string) error {
	if s.null() {
		return nil
	}
	if s.peek() != '"' {
		return errSyntax
	}
	raw, err := s.str()
	if err != nil {
		return err
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		*dst = string(raw)
		return nil
	}
	u, ok := unescape(raw)
	if !ok {
		return errSyntax
	}
	*dst = u
	return nil
}

// boolean reads true or false (null leaves dst as it was).
func (s *scanner) boolean(dst *bool) error {
	if s.null() {
		return nil
	}
	start := s.i
	if err := s.skip(); err != nil {
		return err
	}
	switch string(s.b[start:s.i]) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return errSyntax
	}
	return nil
}

// integer reads a whole number (null leaves dst as it was).
func (s *scanner) integer(dst *int) error {
	if s.null() {
		return nil
	}
	start := s.i
	if err := s.skip(); err != nil {
		return err
	}
	lit := s.b[start:s.i]
	if len(lit) == 0 || lit[0] == '+' || len(lit) > 1 && lit[0] == '0' || len(lit) > 2 && lit[0] == '-' && lit[1] == '0' {
		return errSyntax // not JSON's way of writing it
	}
	n, err := strconv.Atoi(string(lit))
	if err != nil {
		return errSyntax
	}
	*dst = n
	return nil
}

// errCursor: readCursor and the decode read the page's cursor differently
// (text that is not JSON); the page that was asked for next may be the
// wrong one.
var errCursor = errors.New("search page: its cursor reads two ways")
