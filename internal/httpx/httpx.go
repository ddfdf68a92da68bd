// Package httpx is forewarn's one HTTP stack per tracker: go-retryablehttp
// with a policy fit for trackers that rate-limit and that must never be sent
// a create twice, handed to go-github and go-jira as a plain *http.Client.
//
// The policy:
//
//   - Reads (GET, HEAD, OPTIONS) are retried with exponential backoff on
//     connection errors, 5xx (except 501), 429 and rate-limit 403s.
//   - Writes (POST, PUT, PATCH, DELETE) are retried only when the server
//     provably did not act on them: 429, a rate-limit 403, or a connection
//     that was refused (or a host that did not resolve) before anything was
//     sent. A write answered 5xx, reset mid-way or timed out is returned to
//     the caller, who must look the result up before trying again.
//   - Waits come from Retry-After (seconds or an HTTP date), from
//     X-RateLimit-Remaining: 0 with X-RateLimit-Reset (epoch seconds), or
//     from Options.WaitFor. A wait longer than MaxWait, or one that would end
//     past the run's deadline, is not taken: the response goes back to the
//     caller, whose typed error (go-github's RateLimitError, …) survives
//     because the error handler passes responses through.
//
// Layers, outermost first: the returned *http.Client → the retry loop →
// a per-attempt client (AttemptTimeout) → metrics → Options.Base. Bodies of
// reads are read in full inside the attempt, so a truncated body is retried
// like a dropped connection. Put
// authentication in Base (a GitHub App transport, a token transport) so that
// every attempt is signed afresh; transports that only add a static header
// (go-github's WithAuthToken, go-jira's BasicAuthTransport) may also wrap the
// returned client's transport from the outside, since the retry loop copies
// the request's headers into each attempt.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/logx"
)

// Options configure one tracker's HTTP stack. Zero values mean the defaults.
type Options struct {
	Tracker   string // "github", "jira": logs and metrics
	UserAgent string
	RetryMax  int           // retries after the first attempt; default 4 (negative: none)
	MaxWait   time.Duration // cap on any single wait (Retry-After, reset); past it the response is returned; default 60s
	Deadline  time.Time     // per-run deadline: never wait past it (zero = none; a context deadline also counts)
	// Base is the innermost transport (nil = a pooled default). Auth that
	// must be fresh per attempt (GitHub App installation tokens) goes here.
	Base http.RoundTripper
	Log  zerolog.Logger // retryablehttp's LeveledLogger; never logs headers or tokens
	// Observe is called once per attempt with the route template and the
	// status (0 for a transport error); nil = no metrics.
	Observe func(tracker, method, route string, status int)
	// WaitFor lets a tracker name its own rate-limit headers (e.g. Jira's);
	// it is asked first. nil = Retry-After and X-RateLimit-Reset only.
	WaitFor func(resp *http.Response) (time.Duration, bool)

	// Optional extras (not needed by most callers).

	// Route maps a request to the route label given to Observe; nil = the
	// URL path with numeric segments replaced by {n}.
	Route func(r *http.Request) string
	// RateLimit is called with X-RateLimit-Remaining when a response has it.
	RateLimit func(tracker string, remaining int)
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between
	// retries of reads (defaults 1s and 30s).
	RetryWaitMin, RetryWaitMax time.Duration
	// AttemptTimeout bounds one attempt, headers and body (default 60s).
	AttemptTimeout time.Duration
	// Now is the clock for reset times (nil = time.Now).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Tracker == "" {
		o.Tracker = "http"
	}
	if o.RetryMax == 0 {
		o.RetryMax = 4
	} else if o.RetryMax < 0 {
		o.RetryMax = 0
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 60 * time.Second
	}
	if o.RetryWaitMin <= 0 {
		o.RetryWaitMin = time.Second
	}
	if o.RetryWaitMax <= 0 {
		o.RetryWaitMax = 30 * time.Second
	}
	if o.RetryWaitMax < o.RetryWaitMin {
		o.RetryWaitMax = o.RetryWaitMin
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 60 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Route == nil {
		o.Route = DefaultRoute
	}
	if o.Base == nil {
		o.Base = cleanhttp.DefaultPooledTransport()
	}
}

// New returns the tracker's HTTP client. It carries no overall timeout: the
// request's context and Options.Deadline bound a call.
func New(o Options) *http.Client {
	o.defaults()
	p := &policy{o: o}
	inner := &http.Client{
		Transport: &observer{o: &p.o},
		Timeout:   o.AttemptTimeout,
	}
	rc := &retryablehttp.Client{
		HTTPClient:   inner,
		Logger:       leveled{l: o.Log.With().Str("tracker", o.Tracker).Logger()},
		RetryWaitMin: o.RetryWaitMin,
		RetryWaitMax: o.RetryWaitMax,
		RetryMax:     o.RetryMax,
		CheckRetry:   p.checkRetry,
		Backoff:      p.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return &http.Client{Transport: &transport{c: rc, ua: o.UserAgent}}
}

type methodKey struct{}

// transport adapts the retry loop to http.RoundTripper. It puts the method
// into the context, because CheckRetry sees no request when a transport
// error leaves it without a response.
type transport struct {
	c  *retryablehttp.Client
	ua string
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := context.WithValue(req.Context(), methodKey{}, req.Method)
	r := req.WithContext(ctx)
	if t.ua != "" && r.Header.Get("User-Agent") == "" {
		r.Header = r.Header.Clone()
		r.Header.Set("User-Agent", t.ua)
	}
	rr, err := retryable(r)
	if err != nil {
		return nil, err
	}
	resp, err := t.c.Do(rr)
	// The outer http.Client wraps errors in *url.Error itself; unwrap the
	// inner one so messages do not repeat the URL.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return resp, err
}

// retryable wraps r (a copy of the caller's request) for the retry loop,
// which sends its body anew on each attempt. A body the request can make
// again (GetBody: net/http sets it for a body in memory, as go-jira's and
// go-github's requests have) is made so, over the caller's bytes;
// retryablehttp.FromRequest would first read it into a copy (a chart
// upload's 50 kB, in the write loop). Any other body is read into a copy.
func retryable(r *http.Request) (*retryablehttp.Request, error) {
	if r.GetBody == nil || r.Body == nil || r.Body == http.NoBody || r.ContentLength <= 0 {
		return retryablehttp.FromRequest(r)
	}
	getBody, n := r.GetBody, r.ContentLength
	r.Body.Close() // as net/http's transport does before it sends a GetBody copy
	r.Body = nil
	rr, err := retryablehttp.FromRequest(r)
	if err != nil {
		return nil, err
	}
	if err := rr.SetBody(retryablehttp.ReaderFunc(func() (io.Reader, error) { return getBody() })); err != nil {
		return nil, err
	}
	rr.ContentLength = n // SetBody cannot tell a ReadCloser's length
	return rr, nil
}

// observer is the innermost layer above Base: it reports every attempt.
type observer struct{ o *Options }

func (t *observer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.o.Base.RoundTrip(req)
	if err == nil && resp != nil && isRead(req.Method) {
		// Read the whole body inside the attempt, so a body cut short (a
		// reset mid-transfer, a truncated answer) is a transport error the
		// retry loop can act on instead of a decoding error later.
		body, rerr := ReadBody(resp)
		resp.Body.Close()
		if rerr != nil {
			if t.o.Observe != nil {
				t.o.Observe(t.o.Tracker, req.Method, t.o.Route(req), 0)
			}
			return nil, fmt.Errorf("reading the response body: %w", rerr)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		if b, ok := req.Context().Value(bodyKey{}).(*Body); ok {
			b.resp, b.b = resp, body
		}
	}
	status := 0
	if err == nil && resp != nil {
		status = resp.StatusCode
		// The progress line of the source this request reads for (on a
		// terminal): pages read and the requests left in the budget.
		task, prog := logx.TaskFrom(req.Context()), logx.ProgressFrom(req.Context())
		if task != "" && isRead(req.Method) && status < 400 {
			prog.Add(task, "pages", 1)
		}
		if rem, perr := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); perr == nil {
			if t.o.RateLimit != nil {
				t.o.RateLimit(t.o.Tracker, rem)
			}
			if task != "" {
				prog.Set(task, "requests left", rem)
			}
		}
	}
	if t.o.Observe != nil {
		t.o.Observe(t.o.Tracker, req.Method, t.o.Route(req), status)
	}
	return resp, err
}

var numericSeg = regexp.MustCompile(`/[0-9]+(/|$)`)

// DefaultRoute is the URL path with every numeric segment replaced by {n},
// so metrics do not get a series per issue.
func DefaultRoute(r *http.Request) string {
	p := r.URL.Path
	for numericSeg.MatchString(p) {
		p = numericSeg.ReplaceAllString(p, "/{n}$1")
	}
	return p
}

type policy struct{ o Options }

func isRead(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, "":
		return true
	}
	return false
}

// deadline is the earlier of the run deadline and the context's.
func (p *policy) deadline(ctx context.Context) (time.Time, bool) {
	d := p.o.Deadline
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
	}
	return d, !d.IsZero()
}

func (p *policy) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	method, _ := ctx.Value(methodKey{}).(string)
	read := isRead(method)
	if err != nil {
		if !retryableTransportError(err) {
			return false, err
		}
		if read || notSent(err) {
			return p.fits(ctx, p.o.RetryWaitMin), err
		}
		return false, err
	}
	if resp == nil {
		return false, nil
	}
	if RateLimited(resp) {
		wait, ok := p.rateWait(resp)
		if !ok {
			wait = p.o.RetryWaitMin
		}
		if wait > p.o.MaxWait {
			p.log(resp, method, wait, "wait exceeds the cap; returning the response")
			return false, nil
		}
		if !p.fits(ctx, wait) {
			p.log(resp, method, wait, "wait would pass the run deadline; returning the response")
			return false, nil
		}
		return true, nil
	}
	if resp.StatusCode == 0 || (resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented) {
		if !read {
			// The server may have acted: never resend a write.
			return false, nil
		}
		if w, ok := p.rateWait(resp); ok && resp.StatusCode == http.StatusServiceUnavailable {
			// A 503 with Retry-After: honour it like a rate limit.
			if w > p.o.MaxWait || !p.fits(ctx, w) {
				p.log(resp, method, w, "Retry-After exceeds the cap or the deadline; returning the response")
				return false, nil
			}
			return true, nil
		}
		return p.fits(ctx, p.o.RetryWaitMin), nil
	}
	return false, nil
}

func (p *policy) log(resp *http.Response, method string, wait time.Duration, msg string) {
	p.o.Log.Warn().Str("tracker", p.o.Tracker).Str("method", method).
		Str("route", p.o.Route(resp.Request)).Int("status", resp.StatusCode).
		Dur("wait", wait).Msg(msg)
}

// fits reports whether waiting d still ends before the deadline.
func (p *policy) fits(ctx context.Context, d time.Duration) bool {
	dl, ok := p.deadline(ctx)
	if !ok {
		return true
	}
	return !p.o.Now().Add(d).After(dl)
}

func (p *policy) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	var wait time.Duration
	if resp != nil && RateLimited(resp) {
		if w, ok := p.rateWait(resp); ok {
			wait = w
		} else {
			wait = expBackoff(lo, hi, attempt)
		}
		if wait > p.o.MaxWait {
			wait = p.o.MaxWait
		}
	} else if w, ok := p.rateWait503(resp); ok {
		wait = min(w, p.o.MaxWait)
	} else {
		wait = expBackoff(lo, hi, attempt)
	}
	var ctx context.Context = context.Background()
	if resp != nil && resp.Request != nil {
		ctx = resp.Request.Context()
	}
	if dl, ok := p.deadline(ctx); ok {
		if left := dl.Sub(p.o.Now()); wait > left {
			wait = max0(left)
		}
	}
	return wait
}

func max0(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// expBackoff is min·2^attempt, capped at max, with up to 25% jitter below.
func expBackoff(min, max time.Duration, attempt int) time.Duration {
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if j := int64(d) / 4; j > 0 {
		d -= time.Duration(rand.Int64N(j))
	}
	return d
}

// rateWait503 is the Retry-After of a 503, if it has one.
func (p *policy) rateWait503(resp *http.Response) (time.Duration, bool) {
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	return p.rateWait(resp)
}

// rateWait is how long the response asks the client to wait.
func (p *policy) rateWait(resp *http.Response) (time.Duration, bool) {
	if p.o.WaitFor != nil {
		if d, ok := p.o.WaitFor(resp); ok {
			return max0(d), true
		}
	}
	return Wait(resp, p.o.Now())
}

// Wait reads Retry-After (seconds or an HTTP date), then X-RateLimit-Reset
// (epoch seconds) when X-RateLimit-Remaining is 0.
func Wait(resp *http.Response, now time.Time) (time.Duration, bool) {
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if s, err := strconv.ParseInt(ra, 10, 64); err == nil && s >= 0 {
			const most = 1 << 32 // seconds (136 years): keeps the Duration from overflowing
			return time.Duration(min(s, most)) * time.Second, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max0(t.Sub(now)), true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max0(time.Unix(s, 0).Sub(now)), true
		}
	}
	return 0, false
}

// RateLimited reports whether the response is a rate-limit refusal: a 429,
// or a 403 with Retry-After, with X-RateLimit-Remaining: 0, or whose body
// speaks of a rate limit (GitHub's secondary limits). The server did not act
// on a request answered so.
func RateLimited(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
		if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" {
			return true
		}
		return bodyMentionsRateLimit(resp)
	}
	return false
}

// bodyMentionsRateLimit peeks at the first 4 KiB of the body and puts it back.
func bodyMentionsRateLimit(resp *http.Response) bool {
	if resp.Body == nil {
		return false
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return bytes.Contains(bytes.ToLower(head), []byte("rate limit"))
}

type readCloser struct {
	io.Reader
	io.Closer
}

var (
	redirectsErr = regexp.MustCompile(`stopped after \d+ redirects\z`)
	schemeErr    = regexp.MustCompile(`unsupported protocol scheme`)
)

// retryableTransportError is false for errors no retry can fix.
func retryableTransportError(err error) bool {
	msg := err.Error()
	if redirectsErr.MatchString(msg) || schemeErr.MatchString(msg) {
		return false
	}
	if strings.Contains(msg, "certificate") || strings.Contains(msg, "x509") {
		return false
	}
	return true
}

// notSent reports whether a transport error proves the request never
// reached a server: the connection was refused or the host did not resolve.
func notSent(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return false
}

// leveled adapts zerolog to retryablehttp.LeveledLogger. retryablehttp
// passes method, redacted URL, status and errors; never headers.
type leveled struct{ l zerolog.Logger }

func (a leveled) Error(msg string, kv ...interface{}) { a.emit(a.l.Warn(), msg, kv) }
func (a leveled) Info(msg string, kv ...interface{})  { a.emit(a.l.Info(), msg, kv) }
func (a leveled) Debug(msg string, kv ...interface{}) { a.emit(a.l.Debug(), msg, kv) }
func (a leveled) Warn(msg string, kv ...interface{})  { a.emit(a.l.Warn(), msg, kv) }

func (a leveled) emit(e *zerolog.Event, msg string, kv []interface{}) {
	if e == nil {
		return
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		switch v := kv[i+1].(type) {
		case error:
			e = e.Str(k, v.Error())
		case time.Duration:
			e = e.Dur(k, v)
		case int:
			e = e.Int(k, v)
		default:
			e = e.Str(k, fmt.Sprint(v))
		}
	}
	e.Msg(msg)
}
