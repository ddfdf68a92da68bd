// Package jira is an in-process fake Jira (Cloud or Data Center) that
// speaks the REST API forewarn uses, shaped by the captured responses and
// OpenAPI descriptions in ../shared/fixtures/jira: fields, project
// versions, Agile board sprints, both search endpoints with their paging,
// changelogs, issue create/edit/comment/attachments/transitions/remote
// links; Jira's error bodies; basic auth (Cloud) or bearer PATs (Data
// Center); and scripted faults for the end-to-end fault suite.
package jira

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forewarn/forewarn/internal/testserver/fault"
)

// Field ids of the custom fields, per deployment (they differ between
// sites; clients must find them by name through /rest/api/2/field).
const (
	CloudPointsField = "customfield_10016" // "Story point estimate"
	CloudSprintField = "customfield_10020"
	DCPointsField    = "customfield_10002" // "Story Points"
	DCSprintField    = "customfield_10005"
	FlaggedField     = "customfield_10021"
)

// Version is a fix version.
type Version struct {
	ID          string
	Project     string
	Name        string
	ReleaseDate string // YYYY-MM-DD or ""
	StartDate   string
	Description string // omitted from the JSON when empty, as Jira does
	Released    bool
	Archived    bool
}

// Sprint is an Agile sprint.
type Sprint struct {
	ID                    int64
	Board                 int
	Name, State           string // future, active, closed
	Start, End, Completed time.Time
}

// Link is an issue link ("is blocked by" OtherKey).
type Link struct {
	Inward, Outward string // the type's descriptions
	Name            string
	Other           string // key of the other issue (inward issue)
}

// Change is one changelog entry.
type Change struct {
	At                       time.Time
	Field, FieldID, From, To string
	FromString, ToString     string
}

// Attachment is an uploaded file.
type Attachment struct {
	ID          int
	Filename    string
	ContentType string
	Size        int
}

// RemoteLink is a web link on an issue.
type RemoteLink struct {
	GlobalID, URL, Title string
}

// Issue is an issue as the fake stores it.
type Issue struct {
	ID          int
	Key         string
	Project     string
	Type        string
	Summary     string
	Description string
	Status      string // "To Do", "In Progress", "Done"
	Category    string // new, indeterminate, done
	Resolution  string
	Created     time.Time
	Updated     time.Time
	Resolved    time.Time
	Labels      []string
	Components  []string
	Priority    string
	Assignee    string
	FixVersions []string // version ids
	Sprints     []int64
	Points      *float64
	Flagged     bool
	Links       []Link
	Comments    []string
	Attachments []Attachment
	RemoteLinks []RemoteLink
	History     []Change
}

// FaultKind and Fault are the fault kit's (internal/testserver/fault),
// shared with the GitHub fake; the constants name the kinds this fake
// serves. Status and TooMany are answered in Jira's words here; the kit
// does the rest on the wire.
type (
	FaultKind = fault.Kind
	Fault     = fault.Fault
)

const (
	// FaultStatus answers Status (e.g. 502) with Jira's error body, not acting.
	FaultStatus = fault.Status
	// FaultTooMany answers 429 with Retry-After (RetryAfter, whole seconds).
	FaultTooMany = fault.TooMany
	// FaultMalformed acts, then answers 200 with broken JSON.
	FaultMalformed = fault.Malformed
	// FaultTruncated acts, then sends half the body and closes the connection.
	FaultTruncated = fault.Truncated
	// FaultReset closes the connection without acting or answering.
	FaultReset = fault.Reset
	// FaultSlow waits Delay (or until the client gives up) before acting and
	// answering normally.
	FaultSlow = fault.Slow
	// FaultLoseResponse acts (e.g. creates the issue), then closes the
	// connection without answering.
	FaultLoseResponse = fault.LoseResponse
)

// Request is one request as the fake saw it.
type Request struct {
	Method string
	Route  string // template, e.g. "/rest/api/2/issue/{key}"
	Path   string // with query
	Query  url.Values
	Header http.Header
	Body   []byte
	Status int // 0 when the connection was dropped
	Fault  string
}

// Options configure a fake.
type Options struct {
	Cloud bool
	// Cloud credentials (basic auth) and Data Center tokens (bearer).
	Email, APIToken string
	PAT             string
	// LegacySprintField makes Data Center answer sprints in the old
	// "com.atlassian.greenhopper.service.sprint.Sprint@…[…]" string form.
	LegacySprintField bool
	// PageMax caps maxResults (default 100, as Jira does for search).
	PageMax int
	Now     func() time.Time
}

// Server is the fake.
type Server struct {
	*httptest.Server
	opt Options

	mu       sync.Mutex
	projects map[string]int // key → id
	versions map[string]*Version
	sprints  map[int64]*Sprint
	issues   []*Issue
	byKey    map[string]*Issue
	// byProject holds each project's issues in creation order, so a query
	// restricted to projects (the target's lookups) scans only theirs.
	byProject map[string][]*Issue
	faults    fault.Script
	log       []Request
	nextID    int
	nextAtt   int
	counters  map[string]int
	// cursors hold the results of enhanced searches being paged, by the id
	// their nextPageToken carries: a search is evaluated once, like Jira
	// walking its index, not once per page.
	cursors    map[int][]*Issue
	nextCursor int

	// LabelsOnScreen is false when the create and edit screens lack the
	// Labels field: Jira then refuses labels with a 400.
	LabelsOnScreen bool
}

// New starts a fake on loopback.
func New(opt Options) *Server {
	if opt.PageMax == 0 {
		opt.PageMax = 100
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Server{opt: opt, projects: map[string]int{}, versions: map[string]*Version{}, sprints: map[int64]*Sprint{},
		byKey: map[string]*Issue{}, nextID: 10000, nextAtt: 20000, counters: map[string]int{}, LabelsOnScreen: true}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Cloud reports whether the fake plays Jira Cloud.
func (s *Server) Cloud() bool { return s.opt.Cloud }

// PointsField is the story points field id of this deployment.
func (s *Server) PointsField() string {
	if s.opt.Cloud {
		return CloudPointsField
	}
	return DCPointsField
}

// SprintField is the sprint field id of this deployment.
func (s *Server) SprintField() string {
	if s.opt.Cloud {
		return CloudSprintField
	}
	return DCSprintField
}

// AddProject adds a project.
func (s *Server) AddProject(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[key]; !ok {
		s.projects[key] = 10000 + len(s.projects)
	}
}

// AddVersion adds a fix version (its project is created when missing).
func (s *Server) AddVersion(v Version) *Version {
	s.AddProject(v.Project)
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.ID == "" {
		v.ID = strconv.Itoa(10100 + len(s.versions))
	}
	s.versions[v.ID] = &v
	return &v
}

// AddSprint adds a sprint on a board.
func (s *Server) AddSprint(sp Sprint) *Sprint {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sprints[sp.ID] = &sp
	return &sp
}

// AddIssue adds an issue; Key, ID, Status and times get defaults.
func (s *Server) AddIssue(is Issue) *Issue {
	s.AddProject(is.Project)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(&is)
}

func (s *Server) add(is *Issue) *Issue {
	s.nextID++
	is.ID = s.nextID
	if is.Key == "" {
		// The next number of the project (issues are never removed): a
		// count of its issues, not a scan of every issue, which made each
		// create cost as much as the whole tracker.
		is.Key = fmt.Sprintf("%s-%d", is.Project, len(s.byProject[is.Project])+1)
	}
	if is.Type == "" {
		is.Type = "Task"
	}
	if is.Category == "" {
		is.Category = "new"
	}
	if is.Status == "" {
		is.Status = map[string]string{"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[is.Category]
	}
	if is.Created.IsZero() {
		is.Created = s.opt.Now()
	}
	if is.Updated.IsZero() {
		is.Updated = is.Created
	}
	if is.Category == "done" && is.Resolution == "" {
		is.Resolution = "Done"
	}
	if is.Category == "done" && is.Resolved.IsZero() {
		is.Resolved = is.Updated
	}
	s.issues = append(s.issues, is)
	s.byKey[is.Key] = is
	if s.byProject == nil {
		s.byProject = map[string][]*Issue{}
	}
	s.byProject[is.Project] = append(s.byProject[is.Project], is)
	return is
}

// Edit changes an issue under the lock (and bumps its updated time).
func (s *Server) Edit(key string, fn func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.byKey[key]; is != nil {
		fn(is)
		is.Updated = s.opt.Now()
	}
}

// Close resolves an issue (as a person would), e.g. with "Won't Do".
func (s *Server) Resolve(key, resolution string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.byKey[key]; is != nil {
		is.Category, is.Status, is.Resolution, is.Resolved, is.Updated = "done", "Done", resolution, at, at
	}
}

// Issues returns copies of the issues of a project, in creation order.
func (s *Server) Issues(project string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	for _, is := range s.issues {
		if is.Project == project {
			out = append(out, *is)
		}
	}
	return out
}

// Inject adds a scripted fault.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog empties the request log and the counters.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.counters = map[string]int{}
}

// Count is the number of requests to "METHOD route" since the last reset.
func (s *Server) Count(methodRoute string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters[methodRoute]
}

// Counts returns the requests per "METHOD route".
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.counters))
	for k, v := range s.counters {
		out[k] = v
	}
	return out
}

// Total is the number of requests since the last reset.
func (s *Server) Total() int {
	n := 0
	for _, v := range s.Counts() {
		n += v
	}
	return n
}

// StatsTable renders the counters as a Markdown table, routes sorted.
func (s *Server) StatsTable() string {
	c := s.Counts()
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("| route | requests |\n|---|---:|\n")
	total := 0
	for _, k := range keys {
		fmt.Fprintf(&b, "| `%s` | %d |\n", k, c[k])
		total += c[k]
	}
	fmt.Fprintf(&b, "| total | %d |\n", total)
	return b.String()
}

// ---- serving ----

type answer struct {
	status int
	header http.Header
	body   []byte
}

func jsonAnswer(status int, v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: status, header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, body: b}
}

// errAnswer is Jira's error body.
func errAnswer(status int, messages []string, fields map[string]string) answer {
	if messages == nil {
		messages = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return jsonAnswer(status, map[string]any{"errorMessages": messages, "errors": fields})
}

var routes = []struct {
	method, tmpl string
	re           *regexp.Regexp
}{}

func init() {
	for _, r := range [][2]string{
		{"GET", "/rest/api/2/serverInfo"},
		{"GET", "/rest/api/2/field"},
		{"GET", "/rest/api/2/project/{key}/version"},
		{"GET", "/rest/agile/1.0/board/{id}/sprint"},
		{"GET", "/rest/api/2/search/jql"},
		{"GET", "/rest/api/2/search"},
		{"GET", "/rest/api/3/search"},
		{"GET", "/rest/api/2/issue/{key}/changelog"},
		{"GET", "/rest/api/2/issue/{key}/transitions"},
		{"POST", "/rest/api/2/issue/{key}/transitions"},
		{"POST", "/rest/api/2/issue/{key}/comment"},
		{"POST", "/rest/api/2/issue/{key}/attachments"},
		{"POST", "/rest/api/2/issue/{key}/remotelink"},
		{"GET", "/rest/api/2/issue/{key}"},
		{"PUT", "/rest/api/2/issue/{key}"},
		{"POST", "/rest/api/2/issue"},
	} {
		pat := regexp.QuoteMeta(r[1])
		pat = strings.ReplaceAll(pat, `\{key\}`, `([^/]+)`)
		pat = strings.ReplaceAll(pat, `\{id\}`, `([0-9]+)`)
		routes = append(routes, struct {
			method, tmpl string
			re           *regexp.Regexp
		}{r[0], r[1], regexp.MustCompile("^" + pat + "$")})
	}
}

func match(method, path string) (string, string) {
	for _, r := range routes {
		if r.method != method {
			continue
		}
		if m := r.re.FindStringSubmatch(path); m != nil {
			p := ""
			if len(m) > 1 {
				p = m[1]
			}
			return r.tmpl, p
		}
	}
	return path, ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route, param := match(r.Method, r.URL.Path)
	rec := Request{Method: r.Method, Route: route, Path: r.URL.RequestURI(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body}

	s.mu.Lock()
	s.counters[r.Method+" "+route]++
	s.mu.Unlock()
	f := s.faults.Next(r.Method, route)
	if f != nil {
		rec.Fault = f.Kind.String()
	}
	if s.faults.Before(w, r, f, func() { s.record(rec) }) {
		return
	}

	var a answer
	switch {
	case f != nil && f.Kind == FaultStatus:
		a = errAnswer(f.Status, []string{http.StatusText(f.Status)}, nil)
	case f != nil && f.Kind == FaultTooMany:
		a = errAnswer(http.StatusTooManyRequests, []string{"Rate limit exceeded."}, nil)
		a.header.Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	case !s.authorized(r):
		a = errAnswer(http.StatusUnauthorized, []string{"You are not authenticated. Authentication required to perform this operation."}, nil)
		a.header.Set("WWW-Authenticate", `Basic realm="protected-by-jira"`)
	default:
		s.mu.Lock()
		a = s.route(r, route, param, body)
		s.mu.Unlock()
	}
	fault.Respond(w, f, a.status, a.header, a.body, func(status int) {
		rec.Status = status
		s.record(rec)
	})
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	s.log = append(s.log, r)
	s.mu.Unlock()
}

// authorized checks basic auth (Cloud: email + API token) or a bearer PAT
// (Data Center). A PAT on Cloud is refused, as Cloud does.
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if s.opt.Cloud {
		u, p, ok := r.BasicAuth()
		return ok && u == s.opt.Email && p == s.opt.APIToken
	}
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		return tok == s.opt.PAT && s.opt.PAT != ""
	}
	u, p, ok := r.BasicAuth()
	return ok && s.opt.Email != "" && u == s.opt.Email && p == s.opt.APIToken
}

func (s *Server) route(r *http.Request, route, param string, body []byte) answer {
	q := r.URL.Query()
	switch r.Method + " " + route {
	case "GET /rest/api/2/serverInfo":
		dt := "Server"
		if s.opt.Cloud {
			dt = "Cloud"
		}
		return jsonAnswer(200, map[string]any{"baseUrl": s.URL, "version": "9.12.2", "deploymentType": dt, "serverTitle": "Fake Jira"})
	case "GET /rest/api/2/field":
		return jsonAnswer(200, s.fieldList())
	case "GET /rest/api/2/project/{key}/version":
		return s.listVersions(param, q)
	case "GET /rest/agile/1.0/board/{id}/sprint":
		return s.listSprints(param, q)
	case "GET /rest/api/2/search/jql":
		if !s.opt.Cloud {
			return errAnswer(404, []string{"null for uri: " + s.URL + r.URL.Path}, nil)
		}
		return s.searchJQL(q)
	case "GET /rest/api/2/search", "GET /rest/api/3/search":
		if s.opt.Cloud {
			return errAnswer(http.StatusGone, []string{"The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"}, nil)
		}
		return s.searchOffset(q)
	}
	is := s.byKey[param]
	if param != "" && is == nil {
		return errAnswer(404, []string{"Issue does not exist or you do not have permission to see it."}, nil)
	}
	switch r.Method + " " + route {
	case "GET /rest/api/2/issue/{key}":
		return s.getIssue(is, q)
	case "GET /rest/api/2/issue/{key}/changelog":
		if !s.opt.Cloud {
			return errAnswer(404, []string{"null for uri: " + s.URL + r.URL.Path}, nil)
		}
		return s.changelog(is, q)
	case "POST /rest/api/2/issue":
		return s.create(body)
	case "PUT /rest/api/2/issue/{key}":
		return s.edit(is, body)
	case "POST /rest/api/2/issue/{key}/comment":
		var c struct {
			Body string `json:"body"`
		}
		if json.Unmarshal(body, &c) != nil || strings.TrimSpace(c.Body) == "" {
			return errAnswer(400, nil, map[string]string{"comment": "Comment body can not be empty!"})
		}
		is.Comments = append(is.Comments, c.Body)
		is.Updated = s.opt.Now()
		return jsonAnswer(201, map[string]any{"id": strconv.Itoa(len(is.Comments) + 10000), "body": c.Body,
			"created": s.opt.Now().Format(timeLayout)})
	case "POST /rest/api/2/issue/{key}/attachments":
		return s.attach(r, is, body)
	case "POST /rest/api/2/issue/{key}/remotelink":
		var rl struct {
			GlobalID string `json:"globalId"`
			Object   struct {
				URL   string `json:"url"`
				Title string `json:"title"`
			} `json:"object"`
		}
		if json.Unmarshal(body, &rl) != nil || rl.Object.URL == "" || rl.Object.Title == "" {
			return errAnswer(400, nil, map[string]string{"url": "'url' is required", "title": "'title' is required"})
		}
		for i, l := range is.RemoteLinks {
			if rl.GlobalID != "" && l.GlobalID == rl.GlobalID {
				is.RemoteLinks[i] = RemoteLink{rl.GlobalID, rl.Object.URL, rl.Object.Title}
				return jsonAnswer(200, map[string]any{"id": 10000 + i, "self": s.URL + "/rest/api/2/issue/" + is.Key + "/remotelink/" + strconv.Itoa(10000+i)})
			}
		}
		is.RemoteLinks = append(is.RemoteLinks, RemoteLink{rl.GlobalID, rl.Object.URL, rl.Object.Title})
		return jsonAnswer(201, map[string]any{"id": 10000 + len(is.RemoteLinks) - 1})
	case "GET /rest/api/2/issue/{key}/transitions":
		return jsonAnswer(200, map[string]any{"expand": "transitions", "transitions": transitionsFor(is)})
	case "POST /rest/api/2/issue/{key}/transitions":
		return s.transition(is, body)
	}
	return errAnswer(404, []string{"null for uri: " + s.URL + r.URL.Path}, nil)
}

const timeLayout = "2006-01-02T15:04:05.000-0700"

func jtime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format(timeLayout)
}

func (s *Server) fieldList() []map[string]any {
	sys := func(id, name, typ string) map[string]any {
		return map[string]any{"id": id, "key": id, "name": name, "custom": false, "orderable": true, "navigable": true,
			"searchable": true, "clauseNames": []string{id}, "schema": map[string]any{"type": typ, "system": id}}
	}
	custom := func(id, name, typ, kind string) map[string]any {
		n, _ := strconv.Atoi(strings.TrimPrefix(id, "customfield_"))
		return map[string]any{"id": id, "key": id, "name": name, "custom": true, "orderable": true, "navigable": true,
			"searchable": true, "clauseNames": []string{fmt.Sprintf("cf[%d]", n), name},
			"schema": map[string]any{"type": typ, "custom": kind, "customId": n}}
	}
	out := []map[string]any{sys("summary", "Summary", "string"), sys("description", "Description", "string"),
		sys("labels", "Labels", "array"), sys("fixVersions", "Fix Version/s", "array"), sys("status", "Status", "status")}
	if s.opt.Cloud {
		out = append(out, custom(CloudPointsField, "Story point estimate", "number", "com.pyxis.greenhopper.jira:jsw-story-points"),
			custom(CloudSprintField, "Sprint", "array", "com.pyxis.greenhopper.jira:gh-sprint"))
	} else {
		out = append(out, custom(DCPointsField, "Story Points", "number", "com.atlassian.jira.plugin.system.customfieldtypes:float"),
			custom(DCSprintField, "Sprint", "array", "com.pyxis.greenhopper.jira:gh-sprint"))
	}
	out = append(out, custom(FlaggedField, "Flagged", "array", "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"))
	return out
}

func intParam(q url.Values, k string, def int) int {
	if v, err := strconv.Atoi(q.Get(k)); err == nil && v >= 0 {
		return v
	}
	return def
}

func (s *Server) page(q url.Values, def int) (int, int) {
	start := intParam(q, "startAt", 0)
	size := intParam(q, "maxResults", def)
	if size == 0 || size > s.opt.PageMax {
		size = min(def, s.opt.PageMax)
	}
	return start, size
}

func (s *Server) listVersions(project string, q url.Values) answer {
	if _, ok := s.projects[project]; !ok {
		return errAnswer(404, []string{"No project could be found with key '" + project + "'."}, nil)
	}
	var vs []*Version
	for _, v := range s.versions {
		if v.Project == project {
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].ID < vs[j].ID })
	start, size := s.page(q, 50)
	var vals []map[string]any
	for i := start; i < len(vs) && i < start+size; i++ {
		v := vs[i]
		m := map[string]any{"id": v.ID, "name": v.Name, "archived": v.Archived, "released": v.Released,
			"projectId": s.projects[project], "self": s.URL + "/rest/api/2/version/" + v.ID}
		if v.ReleaseDate != "" {
			m["releaseDate"] = v.ReleaseDate
			due, _ := time.Parse("2006-01-02", v.ReleaseDate)
			m["overdue"] = !v.Released && s.opt.Now().After(due.Add(24*time.Hour))
		}
		if v.StartDate != "" {
			m["startDate"] = v.StartDate
		}
		if v.Description != "" {
			m["description"] = v.Description
		}
		vals = append(vals, m)
	}
	if vals == nil {
		vals = []map[string]any{}
	}
	return jsonAnswer(200, map[string]any{"self": s.URL + "/rest/api/2/project/" + project + "/version", "startAt": start,
		"maxResults": size, "total": len(vs), "isLast": start+size >= len(vs), "values": vals})
}

func sprintJSON(sp *Sprint, url string) map[string]any {
	m := map[string]any{"id": sp.ID, "self": url + "/rest/agile/1.0/sprint/" + strconv.FormatInt(sp.ID, 10),
		"state": sp.State, "name": sp.Name, "originBoardId": sp.Board}
	if !sp.Start.IsZero() {
		m["startDate"] = sp.Start.Format("2006-01-02T15:04:05.000Z07:00")
	}
	if !sp.End.IsZero() {
		m["endDate"] = sp.End.Format("2006-01-02T15:04:05.000Z07:00")
	}
	if !sp.Completed.IsZero() {
		m["completeDate"] = sp.Completed.Format("2006-01-02T15:04:05.000Z07:00")
	}
	return m
}

func (s *Server) listSprints(board string, q url.Values) answer {
	b, _ := strconv.Atoi(board)
	states := map[string]bool{}
	for _, st := range strings.Split(q.Get("state"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			if st != "future" && st != "active" && st != "closed" {
				return errAnswer(400, []string{"The value '" + st + "' is invalid for the state parameter."}, nil)
			}
			states[st] = true
		}
	}
	var sps []*Sprint
	for _, sp := range s.sprints {
		if sp.Board == b && (len(states) == 0 || states[sp.State]) {
			sps = append(sps, sp)
		}
	}
	found := false
	for _, sp := range s.sprints {
		found = found || sp.Board == b
	}
	if !found {
		return errAnswer(404, []string{"Board does not exist or you do not have permission to see it."}, nil)
	}
	sort.Slice(sps, func(i, j int) bool { return sps[i].ID < sps[j].ID })
	start, size := s.page(q, 50)
	vals := []map[string]any{}
	for i := start; i < len(sps) && i < start+size; i++ {
		vals = append(vals, sprintJSON(sps[i], s.URL))
	}
	return jsonAnswer(200, map[string]any{"maxResults": size, "startAt": start, "total": len(sps), "isLast": start+size >= len(sps), "values": vals})
}

// query parses and runs a JQL search, returning the matching issues in order.
func (s *Server) query(jql string) ([]*Issue, *answer) {
	pq, err := ParseJQL(jql)
	if err == nil {
		err = pq.check()
	}
	if err == nil {
		err = s.checkValues(pq.Where)
	}
	if err != nil {
		a := errAnswer(400, []string{err.Error()}, nil)
		return nil, &a
	}
	now := s.opt.Now()
	var out []*Issue
	for _, is := range s.candidates(pq.Where) {
		if s.match(pq.Where, is, now) {
			out = append(out, is)
		}
	}
	order := pq.Order
	if len(order) == 0 {
		order = []Order{{Field: "key", Desc: true}}
	}
	sort.SliceStable(out, func(i, j int) bool {
		for _, o := range order {
			c := 0
			switch o.Field {
			case "created":
				c = out[i].Created.Compare(out[j].Created)
			case "updated":
				c = out[i].Updated.Compare(out[j].Updated)
			default:
				c = out[i].ID - out[j].ID
			}
			if c != 0 {
				return (c < 0) != o.Desc
			}
		}
		return false
	})
	return out, nil
}

func fieldsParam(q url.Values) []string {
	var out []string
	for _, v := range q["fields"] {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// candidates are the issues a query can match: those of its projects when
// it is a conjunction with a `project = X` or `project in (…)` clause
// naming known projects, else every issue. In creation order either way.
func (s *Server) candidates(w *Expr) []*Issue {
	var kids []*Expr
	switch {
	case w == nil:
		return s.issues
	case w.Op == "and":
		kids = w.Kids
	default:
		kids = []*Expr{w}
	}
	for _, k := range kids {
		c := k.Clause
		if k.Op != "" || c == nil || c.Field != "project" || (c.Op != "=" && c.Op != "in") {
			continue
		}
		var out []*Issue
		for _, v := range c.Values {
			if _, ok := s.projects[v.Text]; !ok {
				return s.issues
			}
			out = append(out, s.byProject[v.Text]...)
		}
		if len(c.Values) > 1 {
			sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		}
		return out
	}
	return s.issues
}

// searchJQL is Cloud's enhanced search: token paging, isLast, no total;
// only ids unless fields are asked for.
func (s *Server) searchJQL(q url.Values) answer {
	jql := q.Get("jql")
	if strings.TrimSpace(jql) == "" {
		return errAnswer(400, []string{"Unbounded JQL queries are not allowed here. Please add a search restriction to your query."}, nil)
	}
	start, cursor := 0, 0
	var res []*Issue
	if tok := q.Get("nextPageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		parts := strings.SplitN(string(b), "|", 3)
		var n, c int
		var aerr, cerr error
		if len(parts) == 3 {
			n, aerr = strconv.Atoi(parts[0])
			c, cerr = strconv.Atoi(parts[1])
		}
		kept, ok := s.cursors[c]
		if err != nil || aerr != nil || cerr != nil || len(parts) != 3 || parts[2] != jql || !ok {
			return errAnswer(400, []string{"The provided next page token is invalid or expired."}, nil)
		}
		start, cursor, res = n, c, kept
	} else {
		var bad *answer
		if res, bad = s.query(jql); bad != nil {
			return *bad
		}
	}
	size := intParam(q, "maxResults", 50)
	if size == 0 || size > s.opt.PageMax {
		size = min(50, s.opt.PageMax)
	}
	fields := fieldsParam(q)
	issues := []map[string]any{}
	for i := start; i < len(res) && i < start+size; i++ {
		issues = append(issues, s.issueJSON(res[i], fields, false))
	}
	out := map[string]any{"issues": issues, "isLast": start+size >= len(res)}
	if start+size < len(res) {
		if cursor == 0 {
			s.nextCursor++
			cursor = s.nextCursor
			if s.cursors == nil {
				s.cursors = map[int][]*Issue{}
			}
			s.cursors[cursor] = res
			// A page may be asked again (a retry after a lost answer), so
			// cursors are kept, the 32 newest.
			delete(s.cursors, cursor-32)
		}
		out["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(start+size) + "|" + strconv.Itoa(cursor) + "|" + jql))
	}
	return jsonAnswer(200, out)
}

// searchOffset is Data Center's /rest/api/2/search: startAt, total.
func (s *Server) searchOffset(q url.Values) answer {
	res, bad := s.query(q.Get("jql"))
	if bad != nil {
		return *bad
	}
	start, size := s.page(q, 50)
	fields := fieldsParam(q)
	if len(fields) == 0 {
		fields = []string{"*navigable"}
	}
	issues := []map[string]any{}
	for i := start; i < len(res) && i < start+size; i++ {
		issues = append(issues, s.issueJSON(res[i], fields, false))
	}
	return jsonAnswer(200, map[string]any{"expand": "names,schema", "startAt": start, "maxResults": size, "total": len(res), "issues": issues})
}

func (s *Server) getIssue(is *Issue, q url.Values) answer {
	fields := fieldsParam(q)
	if len(fields) == 0 {
		fields = []string{"*all"}
	}
	return jsonAnswer(200, s.issueJSON(is, fields, strings.Contains(q.Get("expand"), "changelog")))
}

func historyJSON(is *Issue) []map[string]any {
	out := []map[string]any{}
	for i, h := range is.History {
		out = append(out, map[string]any{"id": strconv.Itoa(100000 + i), "created": h.At.Format(timeLayout),
			"author": map[string]any{"displayName": "Someone"},
			"items": []map[string]any{{"field": h.Field, "fieldtype": "jira", "fieldId": h.FieldID, "from": nilIfEmpty(h.From),
				"fromString": nilIfEmpty(h.FromString), "to": nilIfEmpty(h.To), "toString": nilIfEmpty(h.ToString)}}})
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) changelog(is *Issue, q url.Values) answer {
	all := historyJSON(is)
	start, size := s.page(q, 100)
	vals := []map[string]any{}
	for i := start; i < len(all) && i < start+size; i++ {
		vals = append(vals, all[i])
	}
	return jsonAnswer(200, map[string]any{"startAt": start, "maxResults": size, "total": len(all), "isLast": start+size >= len(all), "values": vals})
}

func statusJSON(name, cat string) map[string]any {
	names := map[string]string{"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
	ids := map[string]int{"new": 2, "indeterminate": 4, "done": 3}
	return map[string]any{"name": name, "statusCategory": map[string]any{"id": ids[cat], "key": cat, "name": names[cat]}}
}

// issueJSON renders an issue with the asked fields ("*all" / "*navigable": all).
func (s *Server) issueJSON(is *Issue, fields []string, changelog bool) map[string]any {
	all := len(fields) == 0
	want := map[string]bool{}
	for _, f := range fields {
		if f == "*all" || f == "*navigable" {
			all = true
		}
		want[f] = true
	}
	out := map[string]any{"id": strconv.Itoa(is.ID), "key": is.Key, "self": s.URL + "/rest/api/2/issue/" + strconv.Itoa(is.ID)}
	if len(fields) == 0 {
		return out // Cloud's enhanced search: ids only
	}
	f := map[string]any{}
	put := func(k string, v any) {
		if all || want[k] {
			f[k] = v
		}
	}
	put("summary", is.Summary)
	put("description", nilIfEmpty(is.Description))
	put("issuetype", map[string]any{"name": is.Type})
	put("project", map[string]any{"key": is.Project, "id": strconv.Itoa(s.projects[is.Project])})
	put("status", statusJSON(is.Status, is.Category))
	if is.Resolution != "" {
		put("resolution", map[string]any{"name": is.Resolution})
	} else {
		put("resolution", nil)
	}
	put("resolutiondate", jtime(is.Resolved))
	put("created", jtime(is.Created))
	put("updated", jtime(is.Updated))
	labels := is.Labels
	if labels == nil {
		labels = []string{}
	}
	put("labels", labels)
	fv := []map[string]any{}
	for _, id := range is.FixVersions {
		v := s.versions[id]
		m := map[string]any{"id": id, "self": s.URL + "/rest/api/2/version/" + id}
		if v != nil {
			m["name"], m["released"], m["archived"] = v.Name, v.Released, v.Archived
			if v.ReleaseDate != "" {
				m["releaseDate"] = v.ReleaseDate
			}
		}
		fv = append(fv, m)
	}
	put("fixVersions", fv)
	links := []map[string]any{}
	for i, l := range is.Links {
		m := map[string]any{"id": strconv.Itoa(30000 + i), "type": map[string]any{"name": l.Name, "inward": l.Inward, "outward": l.Outward}}
		if o := s.byKey[l.Other]; o != nil {
			m["inwardIssue"] = map[string]any{"id": strconv.Itoa(o.ID), "key": o.Key, "fields": map[string]any{"summary": o.Summary, "status": statusJSON(o.Status, o.Category)}}
		}
		links = append(links, m)
	}
	put("issuelinks", links)
	if is.Assignee != "" {
		if s.opt.Cloud {
			put("assignee", map[string]any{"accountId": is.Assignee, "displayName": is.Assignee, "active": true})
		} else {
			put("assignee", map[string]any{"name": is.Assignee, "key": is.Assignee, "displayName": is.Assignee, "active": true})
		}
	} else {
		put("assignee", nil)
	}
	if is.Points != nil {
		put(s.PointsField(), *is.Points)
	} else {
		put(s.PointsField(), nil)
	}
	if len(is.Sprints) > 0 {
		var sps []any
		for _, id := range is.Sprints {
			sp := s.sprints[id]
			if sp == nil {
				continue
			}
			if !s.opt.Cloud && s.opt.LegacySprintField {
				sps = append(sps, fmt.Sprintf("com.atlassian.greenhopper.service.sprint.Sprint@%x[rapidViewId=%d,state=%s,name=%s,startDate=%s,endDate=%s,completeDate=<null>,sequence=%d,id=%d]",
					id*7919, sp.Board, strings.ToUpper(sp.State), sp.Name, sp.Start.UTC().Format(time.RFC3339), sp.End.UTC().Format(time.RFC3339), id, id))
				continue
			}
			m := sprintJSON(sp, s.URL)
			m["boardId"] = sp.Board
			sps = append(sps, m)
		}
		put(s.SprintField(), sps)
	} else {
		put(s.SprintField(), nil)
	}
	if is.Flagged {
		put(FlaggedField, []map[string]any{{"self": s.URL + "/rest/api/2/customFieldOption/10019", "value": "Impediment", "id": "10019"}})
	} else {
		put(FlaggedField, nil)
	}
	if all || want["attachment"] {
		atts := []map[string]any{}
		for _, a := range is.Attachments {
			atts = append(atts, map[string]any{"id": strconv.Itoa(a.ID), "filename": a.Filename, "mimeType": a.ContentType, "size": a.Size})
		}
		f["attachment"] = atts
	}
	out["fields"] = f
	if changelog {
		h := historyJSON(is)
		out["changelog"] = map[string]any{"startAt": 0, "maxResults": len(h), "total": len(h), "histories": h}
	}
	return out
}

var labelsNotOnScreen = "Field 'labels' cannot be set. It is not on the appropriate screen, or unknown."

func (s *Server) create(body []byte) answer {
	var req struct {
		Fields map[string]json.RawMessage `json:"fields"`
		Update map[string]json.RawMessage `json:"update"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errAnswer(400, []string{"Unexpected character in the request body: " + err.Error()}, nil)
	}
	is := &Issue{}
	errs := map[string]string{}
	var proj struct {
		Key string `json:"key"`
		ID  string `json:"id"`
	}
	json.Unmarshal(req.Fields["project"], &proj)
	if _, ok := s.projects[proj.Key]; !ok {
		errs["project"] = "valid project is required"
	}
	is.Project = proj.Key
	var it struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	json.Unmarshal(req.Fields["issuetype"], &it)
	if it.Name == "" && it.ID == "" {
		errs["issuetype"] = "valid issue type is required"
	}
	is.Type = it.Name
	json.Unmarshal(req.Fields["summary"], &is.Summary)
	if strings.TrimSpace(is.Summary) == "" {
		errs["summary"] = "You must specify a summary of the issue."
	} else if len([]rune(is.Summary)) > 255 {
		errs["summary"] = "Summary must be less than 255 characters."
	}
	if err := s.setFields(is, req.Fields, errs, true); err != nil {
		return *err
	}
	if len(errs) > 0 {
		return errAnswer(400, nil, errs)
	}
	is.Created = s.opt.Now()
	is.Updated = is.Created
	s.add(is)
	return jsonAnswer(201, map[string]any{"id": strconv.Itoa(is.ID), "key": is.Key, "self": s.URL + "/rest/api/2/issue/" + strconv.Itoa(is.ID)})
}

// setFields applies the settable fields of a create or edit.
func (s *Server) setFields(is *Issue, fields map[string]json.RawMessage, errs map[string]string, creating bool) *answer {
	for k, raw := range fields {
		switch k {
		case "project", "issuetype":
			if !creating {
				errs[k] = "Field '" + k + "' cannot be set. It is not on the appropriate screen, or unknown."
			}
		case "summary":
			if !creating {
				json.Unmarshal(raw, &is.Summary)
			}
		case "description":
			var d *string
			if err := json.Unmarshal(raw, &d); err != nil {
				errs["description"] = "Operation value must be a string"
			} else if d != nil {
				if len([]rune(*d)) > 32767 {
					errs["description"] = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
				}
				is.Description = *d
			}
		case "labels":
			if !s.LabelsOnScreen {
				errs["labels"] = labelsNotOnScreen
				continue
			}
			var ls []string
			if err := json.Unmarshal(raw, &ls); err != nil {
				errs["labels"] = "Operation value must be an array"
				continue
			}
			for _, l := range ls {
				if strings.ContainsAny(l, " \t") {
					errs["labels"] = "The label '" + l + "' contains spaces which is invalid."
				}
			}
			is.Labels = ls
		case "components":
			var cs []struct {
				Name string `json:"name"`
			}
			json.Unmarshal(raw, &cs)
			is.Components = nil
			for _, c := range cs {
				is.Components = append(is.Components, c.Name)
			}
		case "priority":
			var p struct {
				Name string `json:"name"`
			}
			json.Unmarshal(raw, &p)
			is.Priority = p.Name
		case "assignee":
			var a map[string]string
			json.Unmarshal(raw, &a)
			if s.opt.Cloud {
				if a["accountId"] == "" || a["name"] != "" {
					errs["assignee"] = "'accountId' must be the only user identifying property"
					continue
				}
				is.Assignee = a["accountId"]
			} else {
				if a["name"] == "" {
					errs["assignee"] = "User '' does not exist."
					continue
				}
				is.Assignee = a["name"]
			}
		case "fixVersions":
			var vs []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			}
			json.Unmarshal(raw, &vs)
			is.FixVersions = nil
			for _, v := range vs {
				ver := s.versions[v.ID]
				if ver == nil || ver.Project != is.Project {
					errs["fixVersions"] = "Version id '" + v.ID + "' is not valid"
					continue
				}
				is.FixVersions = append(is.FixVersions, v.ID)
			}
		default:
			errs[k] = "Field '" + k + "' cannot be set. It is not on the appropriate screen, or unknown."
		}
	}
	return nil
}

func (s *Server) edit(is *Issue, body []byte) answer {
	var req struct {
		Fields map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errAnswer(400, []string{"Unexpected character in the request body"}, nil)
	}
	cp := *is
	errs := map[string]string{}
	s.setFields(&cp, req.Fields, errs, false)
	if len(errs) > 0 {
		return errAnswer(400, nil, errs)
	}
	cp.Updated = s.opt.Now()
	*is = cp
	return answer{status: http.StatusNoContent}
}

func (s *Server) attach(r *http.Request, is *Issue, body []byte) answer {
	if r.Header.Get("X-Atlassian-Token") != "no-check" {
		return answer{status: 403, header: http.Header{"Content-Type": {"text/plain"}}, body: []byte("XSRF check failed")}
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return errAnswer(415, []string{"Unsupported Media Type"}, nil)
	}
	mr := multipart.NewReader(strings.NewReader(string(body)), params["boundary"])
	var out []map[string]any
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errAnswer(400, []string{"malformed multipart body"}, nil)
		}
		if p.FormName() != "file" {
			continue
		}
		data, _ := io.ReadAll(p)
		s.nextAtt++
		a := Attachment{ID: s.nextAtt, Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Size: len(data)}
		is.Attachments = append(is.Attachments, a)
		out = append(out, map[string]any{"id": strconv.Itoa(a.ID), "filename": a.Filename, "mimeType": a.ContentType, "size": a.Size,
			"self": s.URL + "/rest/api/2/attachment/" + strconv.Itoa(a.ID)})
	}
	if len(out) == 0 {
		return errAnswer(400, []string{"No attachments were found in the request (expected a multipart part named 'file')."}, nil)
	}
	return jsonAnswer(200, out)
}

// The fake's workflow: To Do ⇄ In Progress → Done, and Done → Reopen → To Do.
func transitionsFor(is *Issue) []map[string]any {
	tr := func(id, name, to, cat string) map[string]any {
		return map[string]any{"id": id, "name": name, "to": statusJSON(to, cat)}
	}
	if is.Category == "done" {
		return []map[string]any{tr("31", "Reopen", "To Do", "new")}
	}
	return []map[string]any{tr("11", "Start Progress", "In Progress", "indeterminate"), tr("21", "Done", "Done", "done")}
}

func (s *Server) transition(is *Issue, body []byte) answer {
	var req struct {
		Transition struct {
			ID string `json:"id"`
		} `json:"transition"`
	}
	json.Unmarshal(body, &req)
	for _, t := range transitionsFor(is) {
		if t["id"] == req.Transition.ID {
			to := t["to"].(map[string]any)
			is.Status = to["name"].(string)
			is.Category = to["statusCategory"].(map[string]any)["key"].(string)
			if is.Category != "done" {
				is.Resolution, is.Resolved = "", time.Time{}
			} else {
				is.Resolution, is.Resolved = "Done", s.opt.Now()
			}
			is.Updated = s.opt.Now()
			return answer{status: http.StatusNoContent}
		}
	}
	return errAnswer(400, []string{"Transition id '" + req.Transition.ID + "' is not valid for this issue."}, nil)
}

// checkValues rejects projects and versions that do not exist, with
// Jira's message, as Jira does for = and IN clauses.
func (s *Server) checkValues(e *Expr) error {
	if e == nil {
		return nil
	}
	for _, k := range e.Kids {
		if err := s.checkValues(k); err != nil {
			return err
		}
	}
	c := e.Clause
	if c == nil || c.Op == "~" {
		return nil
	}
	for _, v := range c.Values {
		switch c.Field {
		case "project":
			ok := false
			for k, id := range s.projects {
				ok = ok || strings.EqualFold(k, v.Text) || strconv.Itoa(id) == v.Text
			}
			if !ok {
				return errf("The value '%s' does not exist for the field 'project'.", v.Text)
			}
		case "fixversion":
			ok := s.versions[v.Text] != nil
			for _, ver := range s.versions {
				ok = ok || strings.EqualFold(ver.Name, v.Text)
			}
			if !ok {
				return errf("The value '%s' does not exist for the field 'fixVersion'.", v.Text)
			}
		}
	}
	return nil
}
