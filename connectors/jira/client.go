package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gojira "github.com/andygrunwald/go-jira"
	"github.com/hashicorp/go-cleanhttp"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/httpx"
)

// UserAgent is sent with every request.
var UserAgent = "forewarn (+https://github.com/forewarn/forewarn)"

// conn is one authenticated Jira connection: the shared HTTP stack with the
// auth transport around it, the go-jira client on top, and the site's
// flavour. It is built on first use, so constructors read no secret and do
// no I/O.
type conn struct {
	what string // "jira source \"x\"" or "jira target", for messages
	cfg  ConnConfig
	env  connectors.Env
	host string

	once   sync.Once
	client *gojira.Client
	http   *http.Client
	err    error

	deployMu sync.Mutex
	deployed bool // known: cloud is meaningful
	cloud    bool

	sent atomic.Int64 // requests answered by the server (any status)
}

func newConn(what string, c ConnConfig, env connectors.Env) *conn {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	u, _ := url.Parse(c.BaseURL)
	host := ""
	if u != nil {
		host = strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
	}
	return &conn{what: what, cfg: c, env: env, host: host}
}

// api returns the go-jira client, building it on first use.
func (c *conn) api() (*gojira.Client, error) {
	c.once.Do(func() { c.client, c.err = c.build() })
	return c.client, c.err
}

func (c *conn) build() (*gojira.Client, error) {
	base := c.env.Transport
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	hc := httpx.New(httpx.Options{
		Tracker:   "jira",
		UserAgent: UserAgent,
		MaxWait:   c.cfg.MaxWait.Or(60 * time.Second),
		Base:      &counter{next: base, n: &c.sent},
		Log:       c.env.Log,
		Observe:   c.env.Observe,
		Route:     Route,
		RateLimit: c.env.RateLimit,
		WaitFor:   WaitFor,
	})
	a := c.cfg.Auth
	var auth http.RoundTripper
	switch {
	case a.PATEnv != "":
		tok := strings.TrimSpace(c.env.Getenv(a.PATEnv))
		if tok == "" {
			return nil, fmt.Errorf("%s: no Jira personal access token: environment variable %s is empty or unset", c.what, a.PATEnv)
		}
		auth = &gojira.BearerAuthTransport{Token: tok, Transport: hc.Transport}
	default:
		email := strings.TrimSpace(c.env.Getenv(a.EmailEnv))
		tok := strings.TrimSpace(c.env.Getenv(a.TokenEnv))
		if email == "" || tok == "" {
			var missing []string
			if email == "" {
				missing = append(missing, a.EmailEnv)
			}
			if tok == "" {
				missing = append(missing, a.TokenEnv)
			}
			return nil, fmt.Errorf("%s: no Jira credentials: environment variable %s is empty or unset", c.what, strings.Join(missing, " and "))
		}
		auth = &gojira.BasicAuthTransport{Username: email, Password: tok, Transport: hc.Transport}
	}
	c.http = &http.Client{Transport: auth}
	jc, err := gojira.NewClient(c.http, c.cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: base_url: %w", c.what, err)
	}
	return jc, nil
}

// counter counts the requests that reached the server.
type counter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		t.n.Add(1)
	}
	return resp, err
}

// Route is the metrics label of a request: the path with issue keys and
// numbers replaced, so metrics get one series per endpoint.
func Route(r *http.Request) string { return RoutePath(r.URL.Path) }

// RoutePath templates a Jira REST path ("/rest/api/2/issue/WEB-12/comment"
// → "/rest/api/2/issue/{key}/comment").
func RoutePath(p string) string {
	i := strings.Index(p, "/rest/")
	if i < 0 {
		return httpx.DefaultRoute(&http.Request{URL: &url.URL{Path: p}})
	}
	segs := strings.Split(p[i+1:], "/")
	for j := 1; j < len(segs); j++ {
		prev := segs[j-1]
		switch {
		case prev == "issue" && segs[j] != "":
			segs[j] = "{key}"
		case prev == "project" && segs[j] != "":
			segs[j] = "{key}"
		case isNumber(segs[j]) && prev != "api" && prev != "agile": // not the API version
			segs[j] = "{id}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// WaitFor reads Jira Cloud's rate-limit answer: Retry-After in seconds, or
// X-RateLimit-Reset as an ISO 8601 instant on a 429.
func WaitFor(resp *http.Response) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	if resp.Header.Get("Retry-After") != "" {
		return 0, false // httpx reads it
	}
	if r := resp.Header.Get("X-RateLimit-Reset"); r != "" {
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z", "2006-01-02T15:04:05.000Z07:00"} {
			if t, err := time.Parse(layout, r); err == nil {
				d := time.Until(t)
				if d < 0 {
					d = 0
				}
				return d, true
			}
		}
	}
	return 0, false
}

// APIError is a Jira answer other than 2xx, with Jira's error body.
type APIError struct {
	Status   int               // 0 when no answer came (connection lost)
	Messages []string          // errorMessages
	Fields   map[string]string // errors: field → message
	Err      error             // transport or decoding error, when any
}

func (e *APIError) Error() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", e.Status))
	}
	parts = append(parts, e.Messages...)
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k])
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	switch e.Status {
	case http.StatusUnauthorized:
		parts = append(parts, "(check the credentials: email_env + token_env on Cloud, pat_env on Data Center)")
	case http.StatusForbidden:
		parts = append(parts, "(the account lacks permission; on Cloud a personal access token is refused)")
	}
	return strings.Join(parts, ": ")
}

func (e *APIError) Unwrap() error { return e.Err }

// Definite reports whether the server certainly did not act: a 4xx answer.
func (e *APIError) Definite() bool { return e.Status >= 400 && e.Status < 500 }

// jiraErrorBody is Jira's error shape: {"errorMessages": [...], "errors": {...}}.
type jiraErrorBody struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// apiError is the one translator of a go-jira call's outcome into an
// *APIError, for the typed services and the hand-built requests alike —
// every call passes its (response, error) through it, as prow's pkg/jira
// routes every call through one handler. It keeps the status and Jira's
// errorMessages and errors map: from go-jira's *Error when the service
// parsed them (NewJiraError), else read here from the body go-jira left
// unread (Client.Do and IssueService.Create return only "request failed"
// with the response). Nothing else of an error body is kept, neither here
// nor through go-jira's own text (which quotes a non-JSON body whole):
// gateways and proxies echo the request's headers, credentials included,
// in their error pages.
func apiError(resp *gojira.Response, err error) error {
	if err == nil {
		return nil
	}
	e := &APIError{}
	var hr *http.Response
	if resp != nil {
		hr = resp.Response
	}
	if hr != nil {
		e.Status = hr.StatusCode
	}
	var je *gojira.Error
	switch {
	case errors.As(err, &je) && hr != nil:
		e.Messages, e.Fields = je.ErrorMessages, je.Errors
		drain(resp)
	case hr != nil && (e.Status < 200 || e.Status > 299):
		if hr.Body != nil {
			data, _ := io.ReadAll(io.LimitReader(hr.Body, 1<<20))
			hr.Body.Close()
			var jb jiraErrorBody
			if json.Unmarshal(data, &jb) == nil {
				e.Messages, e.Fields = jb.ErrorMessages, jb.Errors
			}
		}
	case hr != nil:
		// A 2xx whose body did not decode: the server acted.
		drain(resp)
		e.Err = fmt.Errorf("decoding the answer: %w", err)
	default:
		// No answer: the transport's error (a reset, a timeout, a
		// cancelled context), without net/url's quoting of the address.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		e.Err = err
	}
	return e
}

// drain reads what is left of a body go-jira handed back open (Do without
// a target, Update, DoTransition) and closes it, so the connection is
// reused.
func drain(resp *gojira.Response) {
	if resp == nil || resp.Response == nil || resp.Body == nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// get sends a hand-built GET (one go-jira has no typed call for: each
// caller says why) through go-jira's client and decodes the answer into v,
// a struct of the fields forewarn reads.
func (c *conn) get(ctx context.Context, path string, v any) error {
	jc, err := c.api()
	if err != nil {
		return err
	}
	req, err := jc.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return fmt.Errorf("building GET %s: %w", RoutePath(path), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := jc.Do(req, v)
	if err != nil {
		return apiError(resp, err)
	}
	drain(resp)
	return nil
}

// getRaw is get for a caller that decodes the body itself.
func (c *conn) getRaw(ctx context.Context, path string) ([]byte, error) {
	jc, err := c.api()
	if err != nil {
		return nil, err
	}
	// The body as the HTTP stack read it, not copied again.
	ctx, read := httpx.WithBody(ctx)
	req, err := jc.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, fmt.Errorf("building GET %s: %w", RoutePath(path), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := jc.Do(req, nil)
	if err != nil {
		return nil, apiError(resp, err)
	}
	defer resp.Body.Close()
	if data, ok := read.Bytes(resp.Response); ok {
		return data, nil
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &APIError{Status: resp.StatusCode, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	return data, nil
}

// isCloud reports whether the site is Jira Cloud: as configured, else by
// its host (*.atlassian.net, *.jira.com), else by asking serverInfo.
func (c *conn) isCloud(ctx context.Context) (bool, error) {
	c.deployMu.Lock()
	defer c.deployMu.Unlock()
	if c.deployed {
		return c.cloud, nil
	}
	switch c.cfg.Deployment {
	case DeployCloud:
		c.cloud, c.deployed = true, true
		return true, nil
	case DeployDataCenter:
		c.deployed = true
		return false, nil
	}
	h := strings.SplitN(c.host, "/", 2)[0]
	if strings.HasSuffix(h, ".atlassian.net") || strings.HasSuffix(h, ".jira.com") {
		c.cloud, c.deployed = true, true
		return true, nil
	}
	var info struct {
		DeploymentType string `json:"deploymentType"`
	}
	// Hand-built: go-jira v1 has no serverInfo call.
	if err := c.get(ctx, "rest/api/2/serverInfo", &info); err != nil {
		// Not remembered: the next call asks again.
		return false, fmt.Errorf("%s: telling Cloud from Data Center (serverInfo; set deployment: to skip): %w", c.what, err)
	}
	c.cloud, c.deployed = strings.EqualFold(info.DeploymentType, "Cloud"), true
	return c.cloud, nil
}

// search runs a JQL query through the site's search endpoint and pages it:
// Cloud's enhanced search (/rest/api/2/search/jql, nextPageToken until
// isLast; reconcile names issues just created so they are seen at once) or
// Data Center's /rest/api/2/search (startAt until total).
func (c *conn) search(ctx context.Context, cloud bool, jql string, fields []string, size int, reconcile []int, each func(*gojira.Issue)) error {
	jc, err := c.api()
	if err != nil {
		return err
	}
	if size <= 0 {
		size = 100
	}
	if cloud {
		opt := &gojira.SearchOptionsV2{MaxResults: size, Fields: fields}
		if len(reconcile) > 0 {
			opt.ReconcileIssues = reconcile[max(0, len(reconcile)-50):]
		}
		for {
			issues, resp, err := jc.Issue.SearchV2JQLWithContext(ctx, jql, opt)
			if err != nil {
				return apiError(resp, err)
			}
			for i := range issues {
				each(&issues[i])
			}
			if resp.IsLast || resp.NextPageToken == "" || len(issues) == 0 {
				return nil
			}
			opt.NextPageToken = resp.NextPageToken
		}
	}
	opt := &gojira.SearchOptions{MaxResults: size, Fields: fields}
	for {
		issues, resp, err := jc.Issue.SearchWithContext(ctx, jql, opt)
		if err != nil {
			return apiError(resp, err)
		}
		for i := range issues {
			each(&issues[i])
		}
		next := resp.StartAt + len(issues)
		if len(issues) == 0 || next >= resp.Total {
			return nil
		}
		opt.StartAt = next
	}
}
