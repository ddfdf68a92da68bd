// Package github is an in-process fake of the GitHub REST API, built from
// the recorded exchanges in ../shared/fixtures/github and GitHub's REST
// reference: the same paths, Link-header pagination, ETags with 304 answers
// that cost nothing, X-RateLimit-* headers on every answer, the primary
// limit (403 with X-RateLimit-Remaining: 0), secondary limits (403 or 429
// with Retry-After) and GitHub's error bodies for 401, 404 and 422.
//
// It serves both github.com paths and GitHub Enterprise Server's /api/v3
// prefix, counts requests per route (and whether each one counted against
// the rate limit), and takes scripted faults so tests of the whole pipeline
// can show what happens when GitHub misbehaves.
//
// Import it under another name: fakegh "…/internal/testserver/github".
package github

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forewarn/forewarn/internal/testserver/fault"
)

// Repo is a repository held by the fake.
type Repo struct {
	Owner, Name string
	Topics      []string
	// Role is the caller's role in the repository: "" or "write" (push
	// access), "triage" (labels dropped when creating an issue, as GitHub
	// does, but added afterwards) or "read" (labels dropped, no labelling).
	Role       string
	Milestones []*Milestone
	Issues     []*Issue
	nextNumber int
}

// FullName is owner/name.
func (r *Repo) FullName() string { return r.Owner + "/" + r.Name }

// Milestone is a GitHub milestone.
type Milestone struct {
	Number      int
	Title       string
	Description string
	State       string // "open" or "closed"
	DueOn       time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
}

// Issue is an issue or a pull request.
type Issue struct {
	Number      int
	Title       string
	Body        string
	State       string // "open" or "closed"
	StateReason string // "", "completed", "not_planned", "reopened"
	Labels      []string
	Assignees   []string
	Milestone   int // 0: none
	PullRequest bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClosedAt    time.Time
	Events      []Event
	Comments    []string
}

// Event is an issue event (only what forewarn reads).
type Event struct {
	Event     string // "milestoned", "demilestoned", "labeled", "closed", …
	Milestone string // milestone title for (de)milestoned
	Label     string
	CreatedAt time.Time
}

// FaultKind and Fault are the fault kit's (internal/testserver/fault),
// shared with the Jira fake; the constants name the kinds this fake
// serves. Status, Secondary, TooMany and Exhaust are answered in GitHub's
// words here; the kit does the rest on the wire.
type (
	FaultKind = fault.Kind
	Fault     = fault.Fault
)

const (
	// FaultStatus answers Status (e.g. 502) with a small JSON body.
	FaultStatus = fault.Status
	// FaultSecondary answers 403 "secondary rate limit" with Retry-After.
	FaultSecondary = fault.Secondary
	// FaultTooMany answers 429 with Retry-After.
	FaultTooMany = fault.TooMany
	// FaultExhaust spends the primary budget: this and later requests get
	// 403 with X-RateLimit-Remaining: 0 until RetryAfter has passed.
	FaultExhaust = fault.Exhaust
	// FaultMalformed acts on the request, then answers 200 with broken JSON.
	FaultMalformed = fault.Malformed
	// FaultTruncated acts, then sends half the body and closes the connection.
	FaultTruncated = fault.Truncated
	// FaultReset closes the connection without acting or answering.
	FaultReset = fault.Reset
	// FaultSlow waits Delay before acting and answering normally (the whole
	// Delay, even when the client has gone).
	FaultSlow = fault.Slow
	// FaultLoseResponse acts on the request (e.g. creates the issue), then
	// closes the connection without answering.
	FaultLoseResponse = fault.LoseResponse
)

// Request is one request as the fake saw it.
type Request struct {
	Method      string
	Route       string // template, e.g. "/repos/{owner}/{repo}/issues"
	Path        string // with query
	Status      int    // 0 when the connection was dropped
	Counted     bool   // counted against the primary rate limit
	NotModified bool
	Fault       string
	// Body and ContentType of a write (not kept for GETs), so a benchmark
	// can replay the same writes.
	Body        []byte
	ContentType string
}

// RouteStats are the counters of one route ("GET /repos/{owner}/{repo}/issues").
type RouteStats struct {
	Requests    int
	Counted     int // counted against the rate limit
	NotModified int
}

// Server is the fake. Its fields may be set before the first request.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	repos     map[string]*Repo
	tokens    map[string]bool
	limit     int
	remaining int
	reset     time.Time
	window    time.Duration
	faults    fault.Script
	log       []Request
	nextID    int64
	appID     int64
	now       func() time.Time
	// PerPageMax caps per_page as GitHub does (100).
	perPageMax int

	// inFlight is the requests being served now; maxInFlight the most at once.
	inFlight, maxInFlight atomic.Int64
}

// MaxInFlight is the most requests the fake was serving at once, from the
// arrival of a request to its answer, since it started or the log was
// reset: what GitHub counts against its limit of concurrent requests.
func (s *Server) MaxInFlight() int { return int(s.maxInFlight.Load()) }

// New starts a fake on loopback. Tokens are the credentials it accepts
// (none: any request is accepted, as for a public repository).
func New(tokens ...string) *Server {
	s := &Server{repos: map[string]*Repo{}, tokens: map[string]bool{}, limit: 5000, window: time.Hour,
		now: time.Now, perPageMax: 100, nextID: 1000}
	for _, t := range tokens {
		s.tokens[t] = true
	}
	s.remaining = s.limit
	s.reset = s.now().Add(s.window)
	s.faults.Patient = true // a slow GitHub acts whether or not the client waited
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetApp makes the fake accept GitHub App JWTs for appID at
// POST /app/installations/{id}/access_tokens and mint installation tokens.
func (s *Server) SetApp(appID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appID = appID
}

// SetRateLimit sets the primary budget: remaining requests until reset.
func (s *Server) SetRateLimit(limit, remaining int, resetIn time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit, s.remaining = limit, remaining
	s.window = resetIn
	s.reset = s.now().Add(resetIn)
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// AddRepo adds (or returns) a repository.
func (s *Server) AddRepo(fullName string, topics ...string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repo(fullName, topics)
}

func (s *Server) repo(fullName string, topics []string) *Repo {
	if r, ok := s.repos[fullName]; ok {
		return r
	}
	owner, name, _ := strings.Cut(fullName, "/")
	r := &Repo{Owner: owner, Name: name, Topics: topics}
	s.repos[fullName] = r
	return r
}

// SetRole sets the caller's role in a repository ("write", "triage", "read").
func (s *Server) SetRole(repo, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo, nil).Role = role
}

// AddMilestone adds a milestone; its number is assigned when zero.
func (s *Server) AddMilestone(repo string, m Milestone) *Milestone {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, nil)
	if m.Number == 0 {
		m.Number = len(r.Milestones) + 1
	}
	if m.State == "" {
		m.State = "open"
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	mm := m
	r.Milestones = append(r.Milestones, &mm)
	return &mm
}

// AddIssue adds an issue; its number is assigned when zero.
func (s *Server) AddIssue(repo string, is Issue) *Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo, nil)
	if is.Number == 0 {
		r.nextNumber++
		is.Number = r.nextNumber
	} else if is.Number > r.nextNumber {
		r.nextNumber = is.Number
	}
	if is.State == "" {
		is.State = "open"
	}
	if is.CreatedAt.IsZero() {
		is.CreatedAt = s.now()
	}
	if is.UpdatedAt.IsZero() {
		is.UpdatedAt = is.CreatedAt
	}
	ii := is
	r.Issues = append(r.Issues, &ii)
	return &ii
}

// Edit changes an issue under the server's lock (e.g. a person closes it).
func (s *Server) Edit(repo string, number int, fn func(*Issue)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.repos[repo]; ok {
		for _, is := range r.Issues {
			if is.Number == number {
				fn(is)
				is.UpdatedAt = s.now()
			}
		}
	}
}

// EditMilestone changes a milestone under the server's lock (e.g. a person
// moves its due date or closes it).
func (s *Server) EditMilestone(repo string, number int, fn func(*Milestone)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.repos[repo]; ok {
		for _, m := range r.Milestones {
			if m.Number == number {
				m.UpdatedAt = s.now() // fn may say when instead
				fn(m)
			}
		}
	}
}

// Issues returns copies of a repository's issues.
func (s *Server) Issues(repo string) []Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Issue
	if r, ok := s.repos[repo]; ok {
		for _, is := range r.Issues {
			out = append(out, *is)
		}
	}
	return out
}

// Requests returns the request log.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetLog clears the request log and counters (not the rate budget).
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.maxInFlight.Store(s.inFlight.Load())
}

// Stats returns the counters per "METHOD route".
func (s *Server) Stats() map[string]RouteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]RouteStats{}
	for _, r := range s.log {
		k := r.Method + " " + r.Route
		st := out[k]
		st.Requests++
		if r.Counted {
			st.Counted++
		}
		if r.NotModified {
			st.NotModified++
		}
		out[k] = st
	}
	return out
}

// Counted is the number of requests that counted against the rate limit.
func (s *Server) Counted() int {
	n := 0
	for _, r := range s.Requests() {
		if r.Counted {
			n++
		}
	}
	return n
}

// StatsTable renders Stats as sorted lines "METHOD route  requests counted 304s".
func (s *Server) StatsTable() string {
	st := s.Stats()
	keys := make([]string, 0, len(st))
	for k := range st {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := st[k]
		fmt.Fprintf(&b, "%-52s requests=%d counted=%d not_modified=%d\n", k, v.Requests, v.Counted, v.NotModified)
	}
	return b.String()
}

// --- serving ---

type answer struct {
	status  int
	body    []byte
	header  http.Header
	counted bool
	etag    bool // a cacheable GET
}

func jsonAnswer(status int, v any) answer {
	b, _ := json.Marshal(v)
	return answer{status: status, body: b, header: http.Header{}}
}

func errAnswer(status int, msg, doc string) answer {
	return jsonAnswer(status, map[string]any{"message": msg, "documentation_url": doc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for m := s.maxInFlight.Load(); n > m && !s.maxInFlight.CompareAndSwap(m, n); m = s.maxInFlight.Load() {
	}
	body, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	route, params := match(r.Method, path)
	rec := Request{Method: r.Method, Route: route, Path: r.URL.RequestURI()}
	if r.Method != http.MethodGet {
		rec.Body, rec.ContentType = body, r.Header.Get("Content-Type")
	}

	f := s.faults.Next(r.Method, route)
	if f != nil {
		rec.Fault = f.Kind.String()
	}
	if s.faults.Before(w, r, f, func() { s.record(rec) }) {
		return
	}

	s.mu.Lock()
	a := s.answer(r, route, params, body, f)
	rec.Status = a.status
	rec.Counted = a.counted
	rec.NotModified = a.status == http.StatusNotModified
	s.setRateHeaders(a.header)
	s.mu.Unlock()

	if a.body != nil {
		a.header.Set("Content-Type", "application/json; charset=utf-8")
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

func (s *Server) setRateHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(s.remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-s.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
}

const (
	docRate      = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
	docSecondary = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// answer computes the response; s.mu is held.
func (s *Server) answer(r *http.Request, route string, p map[string]string, body []byte, f *Fault) answer {
	if route == "" {
		return errAnswer(404, "Not Found", "https://docs.github.com/rest")
	}
	if route == "/app/installations/{id}/access_tokens" {
		return s.mintToken(r, p)
	}
	if len(s.tokens) > 0 && !s.tokens[bearer(r)] {
		return errAnswer(401, "Bad credentials", "https://docs.github.com/rest")
	}
	now := s.now()
	if !now.Before(s.reset) {
		s.remaining = s.limit
		s.reset = now.Add(s.window)
	}
	if f != nil {
		retry := strconv.Itoa(int(f.RetryAfter.Round(time.Second) / time.Second))
		switch f.Kind {
		case FaultStatus:
			st := f.Status
			if st == 0 {
				st = 502
			}
			a := errAnswer(st, http.StatusText(st), "https://docs.github.com/rest")
			a.counted = st < 500
			return a
		case FaultSecondary:
			a := errAnswer(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", docSecondary)
			a.header.Set("Retry-After", retry)
			return a
		case FaultTooMany:
			a := errAnswer(429, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", docSecondary)
			a.header.Set("Retry-After", retry)
			return a
		case FaultExhaust:
			s.remaining = 0
			s.reset = now.Add(f.RetryAfter)
		}
	}
	if s.remaining <= 0 {
		return errAnswer(403, "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.", docRate)
	}
	a := s.route(r, route, p, body)
	if a.etag && a.status == 200 {
		sum := sha256.Sum256(a.body)
		tag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		a.header.Set("ETag", tag)
		a.header.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		a.header.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.TrimPrefix(inm, "W/") == strings.TrimPrefix(tag, "W/") {
			h := http.Header{}
			h.Set("ETag", tag)
			return answer{status: 304, header: h}
		}
	}
	if a.status != 401 && a.status != 304 {
		a.counted = true
		s.remaining--
	}
	return a
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if strings.HasPrefix(h, p) {
			return strings.TrimPrefix(h, p)
		}
	}
	return ""
}

// mintToken answers POST /app/installations/{id}/access_tokens for a JWT
// whose issuer is the configured app.
func (s *Server) mintToken(r *http.Request, p map[string]string) answer {
	parts := strings.Split(bearer(r), ".")
	if s.appID == 0 || len(parts) != 3 {
		return errAnswer(401, "A JSON web token could not be decoded", "https://docs.github.com/rest")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss json.RawMessage `json:"iss"`
	}
	if err != nil || json.Unmarshal(raw, &claims) != nil || strings.Trim(string(claims.Iss), `"`) != strconv.FormatInt(s.appID, 10) {
		return errAnswer(401, "'Issuer' claim ('iss') must be an Integer", "https://docs.github.com/rest")
	}
	s.nextID++
	// Real installation tokens are ghs_ and 36 letters and digits.
	tok := fmt.Sprintf("ghs_fake%s", p["id"])
	tok += fmt.Sprintf("%0*d", 40-len(tok), s.nextID)
	s.tokens[tok] = true
	return jsonAnswer(201, map[string]any{"token": tok, "expires_at": s.now().Add(time.Hour).UTC().Format(time.RFC3339),
		"permissions": map[string]string{"issues": "write", "metadata": "read"}})
}

// routes, in order: each pattern segment "{x}" captures one path segment.
var routes = []struct{ method, pattern string }{
	{"GET", "/repos/{owner}/{repo}"},
	{"GET", "/orgs/{org}/repos"},
	{"GET", "/repos/{owner}/{repo}/milestones"},
	{"GET", "/repos/{owner}/{repo}/milestones/{number}"},
	{"GET", "/repos/{owner}/{repo}/issues"},
	{"POST", "/repos/{owner}/{repo}/issues"},
	{"GET", "/repos/{owner}/{repo}/issues/{number}"},
	{"PATCH", "/repos/{owner}/{repo}/issues/{number}"},
	{"GET", "/repos/{owner}/{repo}/issues/{number}/events"},
	{"POST", "/repos/{owner}/{repo}/issues/{number}/comments"},
	{"POST", "/repos/{owner}/{repo}/issues/{number}/labels"},
	{"GET", "/rate_limit"},
	{"POST", "/app/installations/{id}/access_tokens"},
}

func match(method, path string) (string, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, rt := range routes {
		if rt.method != method {
			continue
		}
		ps := strings.Split(strings.Trim(rt.pattern, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, p := range ps {
			if strings.HasPrefix(p, "{") {
				params[strings.Trim(p, "{}")] = segs[i]
			} else if p != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt.pattern, params
		}
	}
	return "", nil
}

func (s *Server) route(r *http.Request, route string, p map[string]string, body []byte) answer {
	q := r.URL.Query()
	if route == "/rate_limit" {
		a := jsonAnswer(200, map[string]any{"resources": map[string]any{"core": map[string]any{
			"limit": s.limit, "remaining": s.remaining, "used": s.limit - s.remaining, "reset": s.reset.Unix()}}})
		return a
	}
	if route == "/orgs/{org}/repos" {
		var list []any
		var names []string
		for n, rp := range s.repos {
			if rp.Owner == p["org"] {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			list = append(list, s.repoJSON(r, s.repos[n]))
		}
		if names == nil {
			return errAnswer(404, "Not Found", "https://docs.github.com/rest/repos/repos#list-organization-repositories")
		}
		return s.page(r, list)
	}
	rp, ok := s.repos[p["owner"]+"/"+p["repo"]]
	if !ok {
		return errAnswer(404, "Not Found", "https://docs.github.com/rest")
	}
	num, _ := strconv.Atoi(p["number"])
	switch route {
	case "/repos/{owner}/{repo}":
		a := jsonAnswer(200, s.repoJSON(r, rp))
		a.etag = true
		return a
	case "/repos/{owner}/{repo}/milestones":
		state := q.Get("state")
		if state == "" {
			state = "open"
		}
		ms := append([]*Milestone(nil), rp.Milestones...)
		sortKey := q.Get("sort")
		desc := q.Get("direction") == "desc"
		sort.SliceStable(ms, func(i, j int) bool {
			a, b := ms[i], ms[j]
			var less bool
			if sortKey == "completeness" {
				less = a.Number < b.Number
			} else { // due_on; milestones without a due date last
				switch {
				case a.DueOn.IsZero() != b.DueOn.IsZero():
					return b.DueOn.IsZero()
				default:
					less = a.DueOn.Before(b.DueOn)
				}
			}
			if desc {
				return !less && a.DueOn != b.DueOn
			}
			return less
		})
		var list []any
		for _, m := range ms {
			if state != "all" && m.State != state {
				continue
			}
			list = append(list, deferred(func() any { return s.milestoneJSON(r, rp, m) }))
		}
		return s.page(r, list)
	case "/repos/{owner}/{repo}/milestones/{number}":
		for _, m := range rp.Milestones {
			if m.Number == num {
				a := jsonAnswer(200, s.milestoneJSON(r, rp, m))
				a.etag = true
				return a
			}
		}
		return errAnswer(404, "Not Found", "https://docs.github.com/rest/issues/milestones#get-a-milestone")
	case "/repos/{owner}/{repo}/issues":
		if r.Method == "POST" {
			return s.create(r, rp, body)
		}
		return s.listIssues(r, rp, q)
	}
	var is *Issue
	for _, x := range rp.Issues {
		if x.Number == num {
			is = x
		}
	}
	if is == nil {
		return errAnswer(404, "Not Found", "https://docs.github.com/rest/issues/issues#get-an-issue")
	}
	switch route {
	case "/repos/{owner}/{repo}/issues/{number}":
		if r.Method == "PATCH" {
			return s.edit(r, rp, is, body)
		}
		a := jsonAnswer(200, s.issueJSON(r, rp, is))
		a.etag = true
		return a
	case "/repos/{owner}/{repo}/issues/{number}/events":
		var list []any
		for i, e := range is.Events {
			ev := map[string]any{"id": 15819975 + i, "node_id": "MDEwOklzc3VlRXZlbnQx", "event": e.Event,
				"url":        fmt.Sprintf("%s/repos/%s/issues/events/%d", base(r), rp.FullName(), 15819975+i),
				"actor":      user("octocat"),
				"commit_id":  nil,
				"created_at": e.CreatedAt.UTC().Format(time.RFC3339)}
			if e.Milestone != "" {
				ev["milestone"] = map[string]string{"title": e.Milestone}
			}
			if e.Label != "" {
				ev["label"] = map[string]string{"name": e.Label, "color": "ededed"}
			}
			list = append(list, ev)
		}
		return s.page(r, list)
	case "/repos/{owner}/{repo}/issues/{number}/comments":
		var in struct {
			Body string `json:"body"`
		}
		if json.Unmarshal(body, &in) != nil || in.Body == "" {
			return validation("IssueComment", "body", "missing_field")
		}
		is.Comments = append(is.Comments, in.Body)
		is.UpdatedAt = s.now()
		s.nextID++
		return jsonAnswer(201, map[string]any{"id": s.nextID, "body": in.Body, "user": user("forewarn[bot]"),
			"html_url":   fmt.Sprintf("%s#issuecomment-%d", htmlURL(r, rp, is), s.nextID),
			"created_at": s.now().UTC().Format(time.RFC3339)})
	case "/repos/{owner}/{repo}/issues/{number}/labels":
		// GitHub takes {"labels": [...]} or a bare array of names.
		var in struct {
			Labels []string `json:"labels"`
		}
		if json.Unmarshal(body, &in) != nil && json.Unmarshal(body, &in.Labels) != nil {
			return errAnswer(400, "Problems parsing JSON", "https://docs.github.com/rest")
		}
		if rp.Role == "read" {
			return errAnswer(403, "Must have triage or push access to add labels.", "https://docs.github.com/rest/issues/labels#add-labels-to-an-issue")
		}
		is.Labels = union(is.Labels, in.Labels)
		is.UpdatedAt = s.now()
		var out []any
		for _, l := range is.Labels {
			out = append(out, label(l))
		}
		return jsonAnswer(200, out)
	}
	return errAnswer(404, "Not Found", "https://docs.github.com/rest")
}

func validation(resource, field, code string) answer {
	return jsonAnswer(422, map[string]any{"message": "Validation Failed",
		"errors":            []map[string]string{{"resource": resource, "code": code, "field": field}},
		"documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue"})
}

// assignable logins: any login not starting with "ghost" (so tests can
// provoke the 422 GitHub gives for an unassignable user).
func assignable(login string) bool { return !strings.HasPrefix(login, "ghost") }

func (s *Server) create(r *http.Request, rp *Repo, body []byte) answer {
	var in struct {
		Title     *string  `json:"title"`
		Body      string   `json:"body"`
		Labels    []string `json:"labels"`
		Assignees []string `json:"assignees"`
		Milestone *int     `json:"milestone"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(400, "Problems parsing JSON", "https://docs.github.com/rest/issues/issues#create-an-issue")
	}
	if in.Title == nil || *in.Title == "" {
		return validation("Issue", "title", "missing_field")
	}
	if len(in.Body) > 65536 {
		return validation("Issue", "body", "custom")
	}
	for _, a := range in.Assignees {
		if !assignable(a) {
			return validation("Issue", "assignees", "invalid")
		}
	}
	if !rp.canPush() {
		// "Only users with push access can set labels for new issues.
		// Labels are silently dropped otherwise."
		in.Labels = nil
	}
	rp.nextNumber++
	now := s.now()
	is := &Issue{Number: rp.nextNumber, Title: *in.Title, Body: in.Body, State: "open", Labels: union(nil, in.Labels),
		Assignees: in.Assignees, CreatedAt: now, UpdatedAt: now}
	if in.Milestone != nil {
		is.Milestone = *in.Milestone
	}
	rp.Issues = append(rp.Issues, is)
	a := jsonAnswer(201, s.issueJSON(r, rp, is))
	a.header.Set("Location", fmt.Sprintf("%s/repos/%s/issues/%d", base(r), rp.FullName(), is.Number))
	return a
}

func (s *Server) edit(r *http.Request, rp *Repo, is *Issue, body []byte) answer {
	var in struct {
		Title       *string   `json:"title"`
		Body        *string   `json:"body"`
		State       *string   `json:"state"`
		StateReason *string   `json:"state_reason"`
		Labels      *[]string `json:"labels"`
		Assignees   *[]string `json:"assignees"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return errAnswer(400, "Problems parsing JSON", "https://docs.github.com/rest/issues/issues#update-an-issue")
	}
	now := s.now()
	if in.Title != nil {
		is.Title = *in.Title
	}
	if in.Body != nil {
		is.Body = *in.Body
	}
	if in.Labels != nil {
		is.Labels = union(nil, *in.Labels)
	}
	if in.Assignees != nil {
		is.Assignees = *in.Assignees
	}
	if in.State != nil && *in.State != is.State {
		switch *in.State {
		case "open":
			is.State, is.StateReason, is.ClosedAt = "open", "reopened", time.Time{}
		case "closed":
			is.State, is.StateReason, is.ClosedAt = "closed", "completed", now
			if in.StateReason != nil && *in.StateReason != "" {
				is.StateReason = *in.StateReason
			}
		default:
			return validation("Issue", "state", "invalid")
		}
	}
	is.UpdatedAt = now
	return jsonAnswer(200, s.issueJSON(r, rp, is))
}

func (s *Server) listIssues(r *http.Request, rp *Repo, q map[string][]string) answer {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	state := get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	ms := get("milestone")
	since, _ := time.Parse(time.RFC3339, get("since"))
	iss := append([]*Issue(nil), rp.Issues...)
	asc := get("direction") == "asc"
	sort.SliceStable(iss, func(i, j int) bool {
		a, b := iss[i], iss[j]
		var less bool
		if get("sort") == "updated" {
			less = a.UpdatedAt.Before(b.UpdatedAt) || a.UpdatedAt.Equal(b.UpdatedAt) && a.Number < b.Number
		} else {
			less = a.Number < b.Number
		}
		if asc {
			return less
		}
		return !less
	})
	var list []any
	for _, is := range iss {
		if state != "all" && is.State != state {
			continue
		}
		switch ms {
		case "", "*":
			if ms == "*" && is.Milestone == 0 {
				continue
			}
		case "none":
			if is.Milestone != 0 {
				continue
			}
		default:
			if n, _ := strconv.Atoi(ms); is.Milestone != n {
				continue
			}
		}
		if !hasAll(is.Labels, want) {
			continue
		}
		if !since.IsZero() && is.UpdatedAt.Before(since) {
			continue
		}
		list = append(list, deferred(func() any { return s.issueJSON(r, rp, is) }))
	}
	return s.page(r, list)
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if strings.EqualFold(h, strings.TrimSpace(w)) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		dup := false
		for _, y := range out {
			if strings.EqualFold(x, y) {
				dup = true
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// deferred is a list item encoded only when its page is served: a list
// is filtered whole for every page, and encoding every match for each
// page made reading a milestone of n pages cost the fake n² issues.
type deferred func() any

// page cuts a list by page/per_page and sets GitHub's Link header.
func (s *Server) page(r *http.Request, list []any) answer {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	if per > s.perPageMax {
		per = s.perPageMax
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	if pg <= 0 {
		pg = 1
	}
	last := (len(list) + per - 1) / per
	if last == 0 {
		last = 1
	}
	lo, hi := (pg-1)*per, pg*per
	if lo > len(list) {
		lo = len(list)
	}
	if hi > len(list) {
		hi = len(list)
	}
	items := list[lo:hi]
	if items == nil {
		items = []any{}
	}
	for i, it := range items {
		if f, ok := it.(deferred); ok {
			items[i] = f()
		}
	}
	a := jsonAnswer(200, items)
	a.etag = true
	link := func(p int, rel string) string {
		u := *r.URL
		qq := u.Query()
		qq.Set("page", strconv.Itoa(p))
		qq.Set("per_page", strconv.Itoa(per))
		u.RawQuery = qq.Encode()
		return fmt.Sprintf(`<%s%s>; rel="%s"`, base(r), u.RequestURI(), rel)
	}
	var links []string
	if pg > 1 {
		links = append(links, link(pg-1, "prev"))
	}
	if pg < last {
		links = append(links, link(pg+1, "next"), link(last, "last"))
	}
	if pg > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		a.header.Set("Link", strings.Join(links, ", "))
	}
	return a
}

func base(r *http.Request) string {
	b := "http://" + r.Host
	if strings.HasPrefix(r.URL.Path, "/api/v3") {
		b += "/api/v3"
	}
	return b
}

func htmlURL(r *http.Request, rp *Repo, is *Issue) string {
	return fmt.Sprintf("http://%s/%s/issues/%d", r.Host, rp.FullName(), is.Number)
}

func user(login string) map[string]any {
	return map[string]any{"login": login, "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==", "type": "User",
		"url": "https://api.github.com/users/" + login, "site_admin": false}
}

func label(name string) map[string]any {
	sum := sha256.Sum256([]byte(name))
	return map[string]any{"id": int64(sum[0])<<16 | int64(sum[1])<<8 | int64(sum[2]), "node_id": "MDU6TGFiZWwx",
		"url": "https://api.github.com/labels/" + name, "name": name, "color": hex.EncodeToString(sum[:3]), "default": false, "description": nil}
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) repoJSON(r *http.Request, rp *Repo) map[string]any {
	topics := rp.Topics
	if topics == nil {
		topics = []string{}
	}
	return map[string]any{"id": 1296269, "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5", "name": rp.Name,
		"full_name": rp.FullName(), "owner": user(rp.Owner), "private": false, "archived": false,
		"html_url": fmt.Sprintf("http://%s/%s", r.Host, rp.FullName()),
		"url":      fmt.Sprintf("%s/repos/%s", base(r), rp.FullName()), "topics": topics, "has_issues": true,
		"permissions": map[string]bool{"admin": false, "maintain": false, "push": rp.canPush(),
			"triage": rp.canPush() || rp.Role == "triage", "pull": true}}
}

func (rp *Repo) canPush() bool { return rp.Role == "" || rp.Role == "write" }

func (s *Server) milestoneJSON(r *http.Request, rp *Repo, m *Milestone) map[string]any {
	open, closed := 0, 0
	for _, is := range rp.Issues {
		if is.Milestone == m.Number {
			if is.State == "open" {
				open++
			} else {
				closed++
			}
		}
	}
	return map[string]any{
		"url":           fmt.Sprintf("%s/repos/%s/milestones/%d", base(r), rp.FullName(), m.Number),
		"html_url":      fmt.Sprintf("http://%s/%s/milestone/%d", r.Host, rp.FullName(), m.Number),
		"labels_url":    fmt.Sprintf("%s/repos/%s/milestones/%d/labels", base(r), rp.FullName(), m.Number),
		"id":            1002604 + m.Number,
		"node_id":       "MDk6TWlsZXN0b25lMTAwMjYwNA==",
		"number":        m.Number,
		"state":         m.State,
		"title":         m.Title,
		"description":   m.Description,
		"creator":       user("octocat"),
		"open_issues":   open,
		"closed_issues": closed,
		"created_at":    ts(m.CreatedAt),
		"updated_at":    ts(m.UpdatedAt),
		"closed_at":     ts(m.ClosedAt),
		"due_on":        ts(m.DueOn),
	}
}

func (s *Server) issueJSON(r *http.Request, rp *Repo, is *Issue) map[string]any {
	labels := []any{}
	for _, l := range is.Labels {
		labels = append(labels, label(l))
	}
	assignees := []any{}
	var assignee any
	for i, a := range is.Assignees {
		assignees = append(assignees, user(a))
		if i == 0 {
			assignee = user(a)
		}
	}
	var ms any
	for _, m := range rp.Milestones {
		if m.Number == is.Milestone {
			ms = s.milestoneJSON(r, rp, m)
		}
	}
	var reason any
	if is.StateReason != "" {
		reason = is.StateReason
	}
	out := map[string]any{
		"url":                fmt.Sprintf("%s/repos/%s/issues/%d", base(r), rp.FullName(), is.Number),
		"repository_url":     fmt.Sprintf("%s/repos/%s", base(r), rp.FullName()),
		"html_url":           htmlURL(r, rp, is),
		"id":                 1000000 + is.Number,
		"node_id":            "MDU6SXNzdWUx",
		"number":             is.Number,
		"title":              is.Title,
		"user":               user("octocat"),
		"labels":             labels,
		"state":              is.State,
		"state_reason":       reason,
		"locked":             false,
		"assignee":           assignee,
		"assignees":          assignees,
		"milestone":          ms,
		"comments":           len(is.Comments),
		"created_at":         ts(is.CreatedAt),
		"updated_at":         ts(is.UpdatedAt),
		"closed_at":          ts(is.ClosedAt),
		"body":               is.Body,
		"author_association": "MEMBER",
	}
	if is.PullRequest {
		out["pull_request"] = map[string]any{"url": fmt.Sprintf("%s/repos/%s/pulls/%d", base(r), rp.FullName(), is.Number),
			"html_url": fmt.Sprintf("http://%s/%s/pull/%d", r.Host, rp.FullName(), is.Number)}
	}
	return out
}
