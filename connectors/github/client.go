package github

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v62/github"
	"github.com/hashicorp/go-cleanhttp"

	"github.com/forewarn/forewarn/connectors"
	"github.com/forewarn/forewarn/internal/httpx"
)

// UserAgent is sent with every request.
var UserAgent = "forewarn (+https://github.com/forewarn/forewarn)"

// conn is one authenticated GitHub API connection: the HTTP stack, the
// ETag cache, the request counter, and the go-github client on top. It is
// built on first use so that constructors read no secrets and do no I/O.
type conn struct {
	what    string // "source \"x\"" or "target", for messages
	auth    AuthConfig
	env     connectors.Env
	maxWait time.Duration

	once   sync.Once
	client *gh.Client
	err    error

	// sent counts requests that reached GitHub and were answered with
	// anything but 304 Not Modified: the ones that count against the rate
	// limit.
	sent atomic.Int64

	// gate holds the requests in flight to at most its size, and holds
	// them all while GitHub has asked to wait (nil: no gate).
	gate *gate
}

func newConn(what string, a AuthConfig, env connectors.Env) *conn {
	c := &conn{what: what, auth: a, env: env, maxWait: a.MaxWait.Or(60 * time.Second)}
	if c.env.Getenv == nil {
		c.env.Getenv = os.Getenv
	}
	return c
}

// limit caps the requests the connection has in flight at once (see gate);
// called before its first use.
func (c *conn) limit(inFlight int) *conn {
	c.gate = &gate{slots: make(chan struct{}, inFlight), maxWait: c.maxWait}
	return c
}

// api returns the go-github client, building it on first use.
func (c *conn) api() (*gh.Client, error) {
	c.once.Do(func() { c.client, c.err = c.build() })
	return c.client, c.err
}

// apiBase is base_url, else GitHub Actions' $GITHUB_API_URL when it names
// an Enterprise Server, else "" (github.com).
func (c *conn) apiBase() string {
	if c.auth.BaseURL != "" {
		return c.auth.BaseURL
	}
	if u := strings.TrimRight(c.env.Getenv("GITHUB_API_URL"), "/"); u != "" && u != "https://api.github.com" {
		return u
	}
	return ""
}

func (c *conn) build() (*gh.Client, error) {
	base := c.env.Transport
	if base == nil {
		base = cleanhttp.DefaultPooledTransport()
	}
	var auth http.RoundTripper
	var cacheID string
	if c.auth.AppID != 0 {
		key, err := c.privateKey()
		if err != nil {
			return nil, err
		}
		it, err := ghinstallation.New(base, c.auth.AppID, c.auth.InstallationID, key)
		if err != nil {
			return nil, fmt.Errorf("%s: GitHub App private key: %w", c.what, redactErr(err))
		}
		if b := c.apiBase(); b != "" {
			it.BaseURL = strings.TrimRight(enterpriseBase(b), "/")
		}
		auth = it
		cacheID = fmt.Sprintf("app%d.%d", c.auth.AppID, c.auth.InstallationID)
	} else {
		env := c.auth.tokenEnv()
		tok := strings.TrimSpace(c.env.Getenv(env))
		if tok == "" {
			return nil, fmt.Errorf("%s: no GitHub token: environment variable %s is empty or unset", c.what, env)
		}
		auth = &tokenTransport{token: tok, next: base}
		sum := sha256.Sum256([]byte(tok))
		cacheID = "t" + hex.EncodeToString(sum[:6])
	}
	var stack http.RoundTripper = &counter{next: auth, n: &c.sent}
	if c.gate != nil {
		c.gate.next = stack
		stack = c.gate
	}
	hc := httpx.New(httpx.Options{
		Tracker:   "github",
		UserAgent: UserAgent,
		MaxWait:   c.maxWait,
		Base:      stack,
		Log:       c.env.Log,
		Observe:   c.env.Observe,
		Route:     route,
		RateLimit: c.env.RateLimit,
		Now:       c.env.Now,
	})
	hc.Transport = &etagCache{next: hc.Transport, cache: c.env.Cache, prefix: "github:" + cacheID + ":"}
	client := gh.NewClient(hc)
	client.UserAgent = UserAgent
	if b := c.apiBase(); b != "" {
		var err error
		if client, err = client.WithEnterpriseURLs(b, b); err != nil {
			return nil, fmt.Errorf("%s: base_url: %w", c.what, err)
		}
	}
	return client, nil
}

// enterpriseBase is the API root go-github would use for a base URL.
func enterpriseBase(b string) string {
	if strings.HasSuffix(strings.TrimRight(b, "/"), "/api/v3") || strings.Contains(b, "://api.") {
		return b
	}
	return strings.TrimRight(b, "/") + "/api/v3"
}

func (c *conn) privateKey() ([]byte, error) {
	if c.auth.PrivateKeyEnv != "" {
		k := c.env.Getenv(c.auth.PrivateKeyEnv)
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s: no GitHub App key: environment variable %s is empty or unset", c.what, c.auth.PrivateKeyEnv)
		}
		return []byte(k), nil
	}
	p := c.auth.PrivateKeyFile
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.env.Dir, p)
	}
	k, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: private_key_file: %w", c.what, err)
	}
	return k, nil
}

// redactErr keeps an error's message but drops anything that could quote
// key material (PEM parsers do not, but be sure).
func redactErr(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "BEGIN") {
		return errors.New("the key could not be parsed")
	}
	return err
}

// tokenTransport signs every attempt with the token.
type tokenTransport struct {
	token string
	next  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

// counter counts answered requests other than 304s, on the connection and
// on the tally the request's context carries (withTally), if any.
type counter struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (t *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode != http.StatusNotModified {
		t.n.Add(1)
		if n, ok := r.Context().Value(tallyKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
	}
	return resp, err
}

type tallyKey struct{}

// withTally counts the requests made under ctx that count against the rate
// limit into n, as conn.sent does for all of them: with reads in flight at
// once, the difference of conn.sent over a call would count the others' too.
func withTally(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, tallyKey{}, n)
}

// gate caps the requests in flight on one connection, each attempt
// holding a slot from sending until its body is closed (the retry stack
// reads bodies in full within the attempt), so a wait between retries
// holds none. GitHub asks integrations to make requests serially and
// treats many at once as abuse (secondary rate limits); with a slot for
// one request the source still decodes a page while the next is on the
// wire. When an answer says to wait (Retry-After, or
// X-RateLimit-Remaining: 0 until the reset), no request of the connection
// is sent until then, not only that one's retry: GitHub asks clients to
// stop making requests until the wait is over. Waits past max_wait are
// not held here; the retry stack hands those back and the run stops.
type gate struct {
	next    http.RoundTripper
	slots   chan struct{}
	maxWait time.Duration

	mu    sync.Mutex
	until time.Time // no request is sent before it
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		g.mu.Lock()
		wait := time.Until(g.until)
		g.mu.Unlock()
		if wait <= 0 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-g.slots
			return nil, ctx.Err()
		}
	}
	resp, err := g.next.RoundTrip(r)
	if err != nil {
		<-g.slots
		return resp, err
	}
	if httpx.RateLimited(resp) {
		if w, ok := httpx.Wait(resp, time.Now()); ok && w > 0 && w <= g.maxWait {
			g.mu.Lock()
			if u := time.Now().Add(w); u.After(g.until) {
				g.until = u
			}
			g.mu.Unlock()
		}
	}
	resp.Body = &gateBody{ReadCloser: resp.Body, release: func() { <-g.slots }}
	return resp, nil
}

// gateBody frees its request's slot when closed (once).
type gateBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (b *gateBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// etagCache makes GETs conditional: it sends the validator it has for the
// URL, turns 304 Not Modified into the cached 200 (marked X-From-Cache so
// go-github keeps its rate-limit counters), and stores new 200s. GitHub
// does not count 304s against the rate limit, so an unchanged re-poll is
// free. Keys are per credential and URL.
type etagCache struct {
	next   http.RoundTripper
	cache  connectors.Cache
	prefix string
}

func (t *etagCache) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.cache == nil || r.Method != http.MethodGet {
		return t.next.RoundTrip(r)
	}
	key := t.prefix + r.URL.String()
	e, have := t.cache.Get(r.Context(), key)
	// The body the HTTP stack read is kept as it is, not copied again.
	ctx, read := httpx.WithBody(r.Context())
	if have && e.ETag != "" {
		r = r.Clone(ctx)
		r.Header.Set("If-None-Match", e.ETag)
	} else {
		r = r.WithContext(ctx)
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode == http.StatusNotModified && have {
		resp.Body.Close()
		h := e.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "X-Ratelimit-Used", "Date"} {
			if v := resp.Header.Get(k); v != "" {
				h.Set(k, v)
			}
		}
		h.Set("X-From-Cache", "1")
		return &http.Response{Status: "200 OK", StatusCode: 200, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor,
			ProtoMinor: resp.ProtoMinor, Header: h, Body: io.NopCloser(bytes.NewReader(e.Body)),
			ContentLength: int64(len(e.Body)), Request: r}, nil
	}
	if resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "" {
		body, ok := read.Bytes(resp)
		var rerr error
		if !ok {
			body, rerr = httpx.ReadBody(resp)
		}
		resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("reading %s: %w", route(r), rerr)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		h := http.Header{}
		for _, k := range []string{"Content-Type", "Link", "ETag"} {
			if v := resp.Header.Get(k); v != "" {
				h.Set(k, v)
			}
		}
		put := func() {
			t.cache.Put(r.Context(), key, connectors.CacheEntry{ETag: resp.Header.Get("ETag"), Body: body, Header: h})
		}
		// A body that does not parse must not be kept: every later 304
		// would serve it again and the data would stay unreadable until
		// it changed on GitHub. Either its reader says it decoded it
		// (keepAfterDecode), or it is checked here.
		if d, ok := r.Context().Value(decodedKey{}).(*decoded); ok {
			d.put = put
		} else if json.Valid(body) {
			put()
		}
	}
	return resp, nil
}

// decoded holds the cache write of a page until its reader has decoded it.
type decoded struct{ put func() }

type decodedKey struct{}

// keepAfterDecode returns a context for a GET whose 200 the ETag cache
// stores only when keep is called, after the caller decoded the body,
// instead of checking the JSON itself: for the issue pages, encoding/json's
// validity check cost more than go-json's decoding of the page (1.4 ms
// against 0.9 ms for 100 issues).
func keepAfterDecode(ctx context.Context) (_ context.Context, keep func()) {
	d := &decoded{}
	return context.WithValue(ctx, decodedKey{}, d), func() {
		if d.put != nil {
			d.put()
			d.put = nil
		}
	}
}

// route maps a request to its REST route template for metrics.
func route(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if len(segs) >= 3 && segs[0] == "repos" {
		segs[1], segs[2] = "{owner}", "{repo}"
		if len(segs) >= 5 && (segs[3] == "issues" || segs[3] == "milestones") {
			if _, err := strconv.Atoi(segs[4]); err == nil {
				segs[4] = "{number}"
			}
		}
	} else if len(segs) >= 2 && segs[0] == "orgs" {
		segs[1] = "{org}"
	} else if len(segs) >= 3 && segs[0] == "app" && segs[1] == "installations" {
		segs[2] = "{id}"
	}
	return "/" + strings.Join(segs, "/")
}

// rateWait decides whether a rate-limit error from go-github may be waited
// out: its wait is under the cap and ends before the context's deadline.
// go-github refuses further calls locally after a limit until the reset, so
// the waiting happens here, not in the HTTP stack.
func (c *conn) rateWait(ctx context.Context, err error) (time.Duration, bool) {
	var wait time.Duration
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		wait = time.Until(rl.Rate.Reset.Time) + time.Second
	case errors.As(err, &ab):
		if ab.RetryAfter == nil {
			return 0, false
		}
		wait = *ab.RetryAfter
	default:
		return 0, false
	}
	if wait < 0 {
		wait = 0
	}
	if wait > c.maxWait {
		return wait, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
		return wait, false
	}
	return wait, true
}

// call runs fn, waiting out rate limits it reports (the server did not act
// on a rate-limited request, so repeating it is safe, creates included).
func (c *conn) call(ctx context.Context, fn func() (*gh.Response, error)) (*gh.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := fn()
		if err == nil || attempt >= 3 {
			return resp, err
		}
		wait, ok := c.rateWait(ctx, err)
		if !ok {
			return resp, err
		}
		c.env.Log.Info().Dur("wait", wait).Msg("GitHub rate limit: waiting for the reset")
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return resp, err
		case <-t.C:
		}
	}
}

// explain turns go-github errors into messages that name the source and
// what to do, never a credential.
func (c *conn) explain(err error) error {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return &LimitError{What: c.what, Reset: rl.Rate.Reset.Time, Err: err}
	case errors.As(err, &ab):
		reset := time.Time{}
		if ab.RetryAfter != nil {
			reset = time.Now().Add(*ab.RetryAfter)
		}
		return &LimitError{What: c.what, Reset: reset, Secondary: true, Err: err}
	case errors.As(err, &er) && er.Response != nil:
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			how := "the token in $" + c.auth.tokenEnv()
			if c.auth.AppID != 0 {
				how = fmt.Sprintf("the installation token of GitHub App %d", c.auth.AppID)
			}
			return &AuthError{What: c.what, How: how, Status: 401, Message: er.Message}
		case http.StatusTooManyRequests:
			return &LimitError{What: c.what, Secondary: true, Err: err}
		}
	}
	return err
}

// AuthError is GitHub refusing the credentials.
type AuthError struct {
	What, How string
	Status    int
	Message   string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%s: GitHub refused %s (%d %s): check that it is valid and not expired", e.What, e.How, e.Status, e.Message)
}

// LimitError is a rate limit that could not be waited out within the cap or
// the run's deadline.
type LimitError struct {
	What      string
	Reset     time.Time
	Secondary bool
	Err       error
}

func (e *LimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	if e.Reset.IsZero() {
		return fmt.Sprintf("%s: GitHub %s rate limit: stopped cleanly", e.What, kind)
	}
	return fmt.Sprintf("%s: GitHub %s rate limit until %s: stopped cleanly (waiting is capped by max_wait and the run's deadline)",
		e.What, kind, e.Reset.UTC().Format(time.RFC3339))
}

func (e *LimitError) Unwrap() error { return e.Err }
