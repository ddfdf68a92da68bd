package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/forewarn/forewarn/internal/jsonx"
)

// The source's issue search. It does not go through go-jira's issue type:
// go-jira decodes each issue's fields twice (once into its struct, once
// into a map to collect the custom fields), and the read phase of a large
// site spent more time decoding than transferring. Here each page is
// decoded once into the fields forewarn asked for, and the next page is
// requested while the current one is decoded. Pages are decoded with
// go-json, which does in one pass what encoding/json does in two (a
// validity scan, then the decode) and skips unread members several times
// faster (BenchmarkDecodeSearchPage); jsonx makes its first use of each
// type safe when several sources decode at once.

// decode is how search pages are decoded (BenchmarkDecodeSearchPage
// compares it with encoding/json).
var decode = jsonx.Unmarshal

// searchPage is one page of either search endpoint.
type searchPage struct {
	NextPageToken string        `json:"nextPageToken"` // Cloud
	IsLast        bool          `json:"isLast"`        // Cloud
	StartAt       int           `json:"startAt"`       // Data Center
	Total         int           `json:"total"`         // Data Center
	Issues        []searchIssue `json:"issues"`
}

// searchCursor is the part of a page needed to ask for the next one.
type searchCursor struct {
	NextPageToken string `json:"nextPageToken"`
	IsLast        bool   `json:"isLast"`
	StartAt       int    `json:"startAt"`
	Total         int    `json:"total"`
}

type searchIssue struct {
	Key    string      `json:"key"`
	Fields issueFields `json:"fields"`
}

// issueFields are the fields the source asks for. The standard ones are
// decoded with the page; the custom ones (story points, sprint, flagged)
// have site-specific ids, known only from the site's /field answer, and
// are picked from the page's text by pickCustom.
type issueFields struct {
	Summary        string       `json:"summary"`
	Created        string       `json:"created"`
	Updated        string       `json:"updated"`
	Resolutiondate string       `json:"resolutiondate"`
	Status         *issueStatus `json:"status"`
	Resolution     *struct {
		Name string `json:"name"`
	} `json:"resolution"`
	Labels      []string `json:"labels"`
	FixVersions []struct {
		ID string `json:"id"`
	} `json:"fixVersions"`
	IssueLinks []struct {
		Type struct {
			Inward string `json:"inward"`
		} `json:"type"`
		InwardIssue *struct {
			Fields struct {
				Status *issueStatus `json:"status"`
			} `json:"fields"`
		} `json:"inwardIssue"`
	} `json:"issuelinks"`
	Assignee *struct {
		DisplayName string `json:"displayName"`
		Name        string `json:"name"`
		AccountID   string `json:"accountId"`
	} `json:"assignee"`
	// The custom fields' JSON text (nil: absent), slices of the page's
	// body: read before the body goes.
	points, sprint, flagged []byte
}

type issueStatus struct {
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

// search runs a JQL query for the milestones' issues with only the fields
// forewarn reads, through the site's search endpoint: Cloud's enhanced
// search (/rest/api/2/search/jql, nextPageToken until isLast) or Data
// Center's /rest/api/2/search (startAt until total). One page is in
// flight while the previous one is decoded.
func (s *Source) search(ctx context.Context, cloud bool, ids fieldIDs, jql string, each func(*record)) error {
	fields := []string{"summary", "status", "resolution", "resolutiondate", "created", "updated", "labels", "fixVersions", "issuelinks", "assignee"}
	for _, f := range []string{ids.points, ids.sprint, ids.flagged} {
		if f != "" {
			fields = append(fields, f)
		}
	}
	size := s.cfg.PageSize
	if size <= 0 {
		size = 100
	}
	path := "rest/api/2/search"
	if cloud {
		path += "/jql"
	}
	query := func(token string, start int) string {
		q := url.Values{"jql": {jql}, "maxResults": {strconv.Itoa(size)}, "fields": {strings.Join(fields, ",")}}
		if cloud && token != "" {
			q.Set("nextPageToken", token)
		} else if !cloud {
			q.Set("startAt", strconv.Itoa(start))
		}
		return path + "?" + q.Encode()
	}
	type fetched struct {
		body []byte
		err  error
	}
	// Hand-built, not go-jira's Issue.Search*: those decode every issue
	// into go-jira's Issue (IssueFields decodes each issue twice, the
	// second time into a map of every field) and ask for one page at a
	// time; this decodes only the fields forewarn reads and has the next
	// page on its way while one is decoded.
	get := func(p string) <-chan fetched {
		ch := make(chan fetched, 1)
		go func() {
			body, err := s.c.getRaw(ctx, p)
			ch <- fetched{body, err}
		}()
		return ch
	}
	pending := get(query("", 0))
	for {
		page := <-pending
		if page.err != nil {
			return page.err
		}
		// Where the next page starts is read first (a cheap pass), so it
		// is on its way while this one is decoded.
		cur, err := readCursor(page.body)
		if err != nil {
			return &APIError{Status: http.StatusOK, Err: fmt.Errorf("decoding the answer: %w", err)}
		}
		pending = nil
		var next int
		if cloud {
			if !cur.IsLast && cur.NextPageToken != "" {
				pending = get(query(cur.NextPageToken, 0))
			}
		}
		issues, err := decodePage(page.body, cur, ids)
		if err != nil {
			if pending != nil {
				<-pending
			}
			return &APIError{Status: http.StatusOK, Err: fmt.Errorf("decoding the answer: %w", err)}
		}
		if !cloud {
			next = cur.StartAt + len(issues)
			if len(issues) > 0 && next < cur.Total {
				pending = get(query("", next))
			}
		}
		for i := range issues {
			each(s.toRecord(&issues[i]))
		}
		if pending == nil || len(issues) == 0 {
			if pending != nil {
				<-pending
			}
			return nil
		}
	}
}

// decodePage decodes a search page's issues, custom fields included; cur
// is its cursor as readCursor read it, which the decode must agree with.
func decodePage(body []byte, cur searchCursor, ids fieldIDs) ([]searchIssue, error) {
	var p searchPage
	if err := decode(body, &p); err != nil {
		return nil, err
	}
	if (searchCursor{NextPageToken: p.NextPageToken, IsLast: p.IsLast, StartAt: p.StartAt, Total: p.Total}) != cur {
		return nil, errCursor
	}
	return p.Issues, pickCustom(body, p.Issues, ids)
}

var sprintIDRe = regexp.MustCompile(`[\[,]id=(\d+)[,\]]`)

// The custom fields' values are read without decoding them into maps: a
// sprint field holds each sprint's name, dates, goal and board, and
// decoding that into []any for its ids was most of the time spent turning
// a page into records. Each reader takes what encoding/json would have
// (invalid JSON gives nothing) and returns the same values.

// pointsValue reads a story-points field: a number, or a number in a
// string (text custom fields); anything else is no estimate.
func pointsValue(raw []byte) (float64, bool) {
	if !json.Valid(raw) {
		return 0, false
	}
	raw = bytes.TrimSpace(raw)
	text := string(raw)
	switch c := raw[0]; {
	case c == '"':
		if json.Unmarshal(raw, &text) != nil {
			return 0, false
		}
	case c != '-' && (c < '0' || c > '9'):
		return 0, false // null, true, an object or a list
	}
	p, err := strconv.ParseFloat(text, 64)
	return p, err == nil
}

// sprintIDs reads a sprint field: a list of sprint objects (Cloud, and
// Data Center 8+) whose numeric "id" is taken, or of Data Center's legacy
// strings ("…Sprint@1e5[…,id=8,…]"). The list is walked in place; text
// the walk does not expect (an escaped member name, a number that may not
// fit a float64) is read the slow way, so both give the same ids.
func sprintIDs(raw []byte) []int64 {
	if len(raw) == 0 || !json.Valid(raw) {
		return nil
	}
	if plainNumbers(raw) {
		if ids, ok := walkSprints(raw); ok {
			return ids
		}
	}
	var list []any
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var ids []int64
	for _, e := range list {
		switch v := e.(type) {
		case map[string]any:
			if id, ok := v["id"].(float64); ok {
				ids = append(ids, int64(id))
			}
		case string:
			if id, ok := legacySprintID(v); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// walkSprints is sprintIDs on valid text with plain numbers; ok is false
// where it must be read the slow way.
func walkSprints(raw []byte) (ids []int64, ok bool) {
	sc := scanner{b: raw}
	if sc.peek() != '[' {
		return nil, sc.null()
	}
	slow := errors.New("read the slow way")
	err := sc.array(func() error {
		switch sc.peek() {
		case '{':
			var id []byte
			err := sc.object(func(key []byte) error {
				if bytes.IndexByte(key, '\\') >= 0 {
					return slow
				}
				if string(key) != "id" {
					return sc.skip()
				}
				start := sc.i
				if err := sc.skip(); err != nil {
					return err
				}
				id = raw[start:sc.i] // the last "id" counts, as in a map
				return nil
			})
			if err != nil {
				return err
			}
			if len(id) > 0 && (id[0] == '-' || id[0] >= '0' && id[0] <= '9') {
				v, err := strconv.ParseFloat(string(id), 64)
				if err != nil {
					return slow
				}
				ids = append(ids, int64(v))
			}
			return nil
		case '"':
			var v string
			if err := sc.text(&v); err != nil {
				return err
			}
			if id, ok := legacySprintID(v); ok {
				ids = append(ids, id)
			}
			return nil
		}
		return sc.skip()
	})
	return ids, err == nil
}

// plainNumbers: every number in the (valid) text is written without an
// exponent and with few enough digits to fit a float64, so none can make
// a decode into any fail.
func plainNumbers(raw []byte) bool {
	run := 0
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"': // skip the string
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
			run = 0
		case c >= '0' && c <= '9':
			if run++; run > 300 {
				return false
			}
		case (c == 'e' || c == 'E') && run > 0:
			return false
		case c == '.':
		default:
			run = 0
		}
	}
	return true
}

// legacySprintID reads the id from Data Center's legacy sprint text.
func legacySprintID(v string) (int64, bool) {
	m := sprintIDRe.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	return id, err == nil
}

// nonEmptyArray: raw is a JSON list with at least one element (a flagged
// field is a list of the flags set, empty or null when none is).
func nonEmptyArray(raw []byte) bool {
	if !json.Valid(raw) {
		return false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' {
		return false
	}
	if !plainNumbers(raw) { // a number that may not fit: decode it as before
		var v []any
		return json.Unmarshal(raw, &v) == nil && len(v) > 0
	}
	rest := bytes.TrimSpace(raw[1:])
	return len(rest) > 0 && rest[0] != ']'
}

// toRecord maps a searched issue to forewarn's memory of it.
func (s *Source) toRecord(is *searchIssue) *record {
	// The strings kept are copies or interned: go-json's strings point
	// into its copy of the whole page, which one summary kept alive would
	// keep too.
	r := &record{Key: strings.Clone(is.Key)}
	f := &is.Fields
	r.Summary = strings.Clone(f.Summary)
	if t, ok := parseDateTime(f.Created); ok {
		r.Created = t.UTC()
	}
	if t, ok := parseDateTime(f.Updated); ok {
		r.Updated = t.UTC()
	}
	if t, ok := parseDateTime(f.Resolutiondate); ok {
		r.Resolved = t.UTC()
	}
	if f.Status != nil {
		r.Status = s.strs.String(f.Status.StatusCategory.Key)
	}
	if f.Resolution != nil {
		r.Resolution = s.strs.String(f.Resolution.Name)
	}
	r.Labels = s.strs.List(f.Labels)
	if f.Assignee != nil {
		r.Assignee = s.strs.String(firstNonEmpty(f.Assignee.DisplayName, f.Assignee.Name, f.Assignee.AccountID))
	}
	if len(f.FixVersions) > 0 {
		ids := make([]string, len(f.FixVersions))
		for i, v := range f.FixVersions {
			ids[i] = v.ID
		}
		r.Versions = s.strs.List(ids)
	}
	if p, ok := pointsValue(f.points); ok {
		r.Points = &p
	}
	r.Sprints = sprintIDs(f.sprint)
	r.Blocked = s.blocked(f)
	return r
}

func (s *Source) blocked(f *issueFields) bool {
	if s.cfg.Blocked.Flag == nil || *s.cfg.Blocked.Flag {
		if nonEmptyArray(f.flagged) {
			return true
		}
	}
	labels := s.cfg.Blocked.Labels
	if labels == nil {
		labels = []string{"blocked"}
	}
	for _, l := range f.Labels {
		for _, b := range labels {
			if strings.EqualFold(l, b) {
				return true
			}
		}
	}
	types := s.cfg.Blocked.LinkTypes
	if types == nil {
		types = []string{"is blocked by"}
	}
	for _, l := range f.IssueLinks {
		if l.InwardIssue == nil {
			continue
		}
		if !slices.ContainsFunc(types, func(t string) bool { return strings.EqualFold(t, l.Type.Inward) }) {
			continue
		}
		st := l.InwardIssue.Fields.Status
		if st == nil || st.StatusCategory.Key != "done" {
			return true
		}
	}
	return false
}
