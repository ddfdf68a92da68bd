package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/httpx"
)

// reply is one scripted answer of the test server.
type reply struct {
	status int
	header map[string]string
	body   string
	reset  bool // hijack and close the connection without answering
	cut    bool // promise a longer body than is sent, then close
}

// script serves the replies in order, repeating the last one, and counts
// the requests it received.
type script struct {
	mu      sync.Mutex
	replies []reply
	n       int
	methods []string
	uas     []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	i := s.n
	if i >= len(s.replies) {
		i = len(s.replies) - 1
	}
	rep := s.replies[i]
	s.n++
	s.methods = append(s.methods, r.Method)
	s.uas = append(s.uas, r.UserAgent())
	s.mu.Unlock()
	if rep.reset {
		hj := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.cut {
		w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)*2))
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func fast(o httpx.Options) httpx.Options {
	o.RetryWaitMin = time.Millisecond
	o.RetryWaitMax = 5 * time.Millisecond
	if o.Tracker == "" {
		o.Tracker = "test"
	}
	return o
}

func TestPolicy(t *testing.T) {
	resetNow := strconv.FormatInt(time.Now().Unix(), 10)
	tests := []struct {
		name       string
		method     string
		opts       httpx.Options
		replies    []reply
		wantSent   int
		wantStatus int // 0: an error is expected
	}{
		{name: "GET retried through 5xx", method: "GET",
			replies:  []reply{{status: 502}, {status: 503}, {status: 200, body: "ok"}},
			wantSent: 3, wantStatus: 200},
		{name: "GET gives back the last 5xx when retries run out", method: "GET", opts: httpx.Options{RetryMax: 2},
			replies:  []reply{{status: 500}},
			wantSent: 3, wantStatus: 500},
		{name: "GET 503 with a Retry-After past the cap is returned", method: "GET", opts: httpx.Options{MaxWait: time.Second},
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "3600"}}, {status: 200}},
			wantSent: 1, wantStatus: 503},
		{name: "GET 503 with a short Retry-After is retried", method: "GET",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "0"}}, {status: 200}},
			wantSent: 2, wantStatus: 200},
		{name: "GET 501 is not retried", method: "GET",
			replies:  []reply{{status: 501}},
			wantSent: 1, wantStatus: 501},
		{name: "POST answered 502 is sent exactly once", method: "POST",
			replies:  []reply{{status: 502}, {status: 201}},
			wantSent: 1, wantStatus: 502},
		{name: "PATCH answered 500 is sent exactly once", method: "PATCH",
			replies:  []reply{{status: 500}, {status: 200}},
			wantSent: 1, wantStatus: 500},
		{name: "POST answered 429 is retried after Retry-After", method: "POST",
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "0"}}, {status: 201}},
			wantSent: 2, wantStatus: 201},
		{name: "POST answered primary-limit 403 is retried after the reset", method: "POST",
			replies: []reply{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resetNow},
				body: `{"message":"API rate limit exceeded"}`}, {status: 201}},
			wantSent: 2, wantStatus: 201},
		{name: "GET secondary-limit 403 with Retry-After is retried", method: "GET",
			replies: []reply{{status: 403, header: map[string]string{"Retry-After": "0"},
				body: `{"message":"You have exceeded a secondary rate limit."}`}, {status: 200}},
			wantSent: 2, wantStatus: 200},
		{name: "GET secondary-limit 403 named only in the body is retried", method: "GET",
			replies:  []reply{{status: 403, body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes."}`}, {status: 200}},
			wantSent: 2, wantStatus: 200},
		{name: "plain 403 is not retried", method: "GET",
			replies:  []reply{{status: 403, body: `{"message":"Resource not accessible by integration"}`}},
			wantSent: 1, wantStatus: 403},
		{name: "404 is not retried", method: "GET",
			replies:  []reply{{status: 404, body: `{"message":"Not Found"}`}},
			wantSent: 1, wantStatus: 404},
		{name: "422 on POST is not retried", method: "POST",
			replies:  []reply{{status: 422}},
			wantSent: 1, wantStatus: 422},
		{name: "a wait past MaxWait returns the 429 to the caller", method: "GET", opts: httpx.Options{MaxWait: time.Second},
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "120"}}, {status: 200}},
			wantSent: 1, wantStatus: 429},
		{name: "a wait past the deadline returns the 403 to the caller", method: "GET",
			opts: httpx.Options{Deadline: time.Now().Add(time.Second)},
			replies: []reply{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0",
				"X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10)}}, {status: 200}},
			wantSent: 1, wantStatus: 403},
		{name: "WaitFor names the tracker's own header", method: "GET",
			opts: httpx.Options{MaxWait: time.Second, WaitFor: func(r *http.Response) (time.Duration, bool) {
				if v := r.Header.Get("X-Backoff-Hours"); v != "" {
					return time.Hour, true
				}
				return 0, false
			}},
			replies:  []reply{{status: 429, header: map[string]string{"X-Backoff-Hours": "1"}}, {status: 200}},
			wantSent: 1, wantStatus: 429},
		{name: "GET retried after a connection reset", method: "GET",
			replies:  []reply{{reset: true}, {status: 200}},
			wantSent: 2, wantStatus: 200},
		{name: "GET with a truncated body is retried", method: "GET",
			replies:  []reply{{status: 200, body: `[{"number":1}`, cut: true}, {status: 200, body: `[]`}},
			wantSent: 2, wantStatus: 200},
		{name: "POST whose connection is reset is sent exactly once", method: "POST",
			replies:  []reply{{reset: true}, {status: 201}},
			wantSent: 1, wantStatus: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{replies: tc.replies}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := httpx.New(fast(tc.opts))
			req, _ := http.NewRequestWithContext(context.Background(), tc.method, srv.URL+"/repos/a/b/issues", strings.NewReader(`{"title":"x"}`))
			resp, err := c.Do(req)
			if resp != nil {
				resp.Body.Close()
			}
			if got := s.count(); got != tc.wantSent {
				t.Errorf("server received %d requests, want %d", got, tc.wantSent)
			}
			if tc.wantStatus == 0 {
				if err == nil {
					t.Fatalf("want an error, got status %d", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
		})
	}
}

// refusedOnce is a server that answers its first request 429 (retry at
// once) and every later one 201, and keeps each request's body and
// Content-Length.
type refusedOnce struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  []string
	lengths []int64
}

func newRefusedOnce(t *testing.T) *refusedOnce {
	t.Helper()
	o := &refusedOnce{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.bodies, o.lengths = append(o.bodies, string(b)), append(o.lengths, r.ContentLength)
		first := len(o.bodies) == 1
		o.mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(201)
	}))
	t.Cleanup(o.Close)
	return o
}

// sent returns what the requests since the last reset sent, and starts
// over (the next request is refused again).
func (o *refusedOnce) sent() (bodies []string, lengths []int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	bodies, lengths = o.bodies, o.lengths
	o.bodies, o.lengths = nil, nil
	return bodies, lengths
}

func TestBodyIsResentOnRetry(t *testing.T) {
	srv := newRefusedOnce(t)
	c := httpx.New(fast(httpx.Options{}))
	resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{"title":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bodies, _ := srv.sent()
	if len(bodies) != 2 || bodies[0] != bodies[1] || bodies[1] != `{"title":"x"}` {
		t.Fatalf("bodies sent: %q", bodies)
	}
}

func TestConnectionRefusedWriteIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: every dial is refused
	var attempts atomic.Int32
	c := httpx.New(fast(httpx.Options{RetryMax: 2, Observe: func(_, _, _ string, status int) {
		if status == 0 {
			attempts.Add(1)
		}
	}}))
	_, err = c.Post("http://"+addr+"/x", "application/json", strings.NewReader("{}"))
	if err == nil {
		t.Fatal("want a connection error")
	}
	if got := attempts.Load(); got != 3 {
		t.Fatalf("refused POST attempted %d times, want 3 (1 + RetryMax)", got)
	}
}

func TestContextCancelStopsWaiting(t *testing.T) {
	s := &script{replies: []reply{{status: 429, header: map[string]string{"Retry-After": "30"}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := httpx.New(httpx.Options{Tracker: "test"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	// The context deadline is a deadline too: a 30s wait does not fit, so
	// the 429 comes straight back.
	if time.Since(start) > 5*time.Second {
		t.Fatalf("waited %v past the context deadline", time.Since(start))
	}
	if s.count() != 1 {
		t.Fatalf("sent %d, want 1", s.count())
	}
}

func TestUserAgentRouteAndObserve(t *testing.T) {
	s := &script{replies: []reply{{status: 200, header: map[string]string{"X-RateLimit-Remaining": "4999"}}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	type obs struct {
		tracker, method, route string
		status                 int
	}
	var got []obs
	var remaining []int
	c := httpx.New(fast(httpx.Options{Tracker: "github", UserAgent: "forewarn/test",
		Observe: func(tr, m, r string, st int) { got = append(got, obs{tr, m, r, st}) },
		RateLimit: func(_ string, rem int) {
			remaining = append(remaining, rem)
		}}))
	resp, err := c.Get(srv.URL + "/repos/acme/web/issues/12/comments")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := obs{"github", "GET", "/repos/acme/web/issues/{n}/comments", 200}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("observed %+v, want [%+v]", got, want)
	}
	if s.uas[0] != "forewarn/test" {
		t.Fatalf("User-Agent %q", s.uas[0])
	}
	if len(remaining) != 1 || remaining[0] != 4999 {
		t.Fatalf("rate limit hook got %v", remaining)
	}
}

func TestLogsNeverCarryHeadersOrTokens(t *testing.T) {
	s := &script{replies: []reply{{status: 502}, {status: 200}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var buf bytes.Buffer
	c := httpx.New(fast(httpx.Options{Log: zerolog.New(&buf).Level(zerolog.DebugLevel)}))
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	req.Header.Set("Authorization", "token ghp_supersecret123")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.Contains(buf.String(), "retrying request") {
		t.Fatalf("the adapter logged nothing about the retry: %s", buf.String())
	}
	if strings.Contains(buf.String(), "supersecret") || strings.Contains(buf.String(), "Authorization") {
		t.Fatalf("log leaks a header: %s", buf.String())
	}
}

func TestWait(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	mk := func(h map[string]string) *http.Response {
		r := &http.Response{Header: http.Header{}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
		ok   bool
	}{
		{"seconds", map[string]string{"Retry-After": "60"}, time.Minute, true},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).UTC().Format(http.TimeFormat)}, 90 * time.Second, true},
		{"reset epoch", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000030"}, 30 * time.Second, true},
		{"reset in the past", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1690000000"}, 0, true},
		{"reset while budget remains", map[string]string{"X-RateLimit-Remaining": "10", "X-RateLimit-Reset": "1700000030"}, 0, false},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := httpx.Wait(mk(tc.h), now)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("Wait = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// A read asked WithBody hands over the body the client read in full: the
// last attempt's (a 503 retried, then the answer), whether the server said
// its length or sent it in chunks, the same bytes resp.Body still reads.
// A response the client did not read (another one) gets nothing.
func TestWithBodyHandsOverTheLastAttemptsBody(t *testing.T) {
	long := strings.Repeat(`{"n":1234567890},`, 4000) // over net/http's buffer: chunked
	for _, tc := range []struct {
		name, body string
	}{{"length", `{"ok":true}`}, {"chunked", "[" + long + "{}]"}} {
		s := &script{replies: []reply{{status: 503, body: "busy"}, {status: 200, body: tc.body}}}
		srv := httptest.NewServer(s)
		c := httpx.New(fast(httpx.Options{}))
		ctx, read := httpx.WithBody(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := read.Bytes(resp)
		rest, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if !ok || string(got) != tc.body || string(rest) != tc.body || s.count() != 2 {
			t.Fatalf("%s: handed %d bytes (ok %v), body read %d bytes, after %d attempts; want the %d of the second attempt",
				tc.name, len(got), ok, len(rest), s.count(), len(tc.body))
		}
		if _, ok := read.Bytes(&http.Response{}); ok {
			t.Fatalf("%s: another response was handed the body", tc.name)
		}
	}
}

// The answer to a HEAD says the length a GET's body would have and has
// none: it is a whole answer, not a body cut short to retry.
func TestHeadAnswerWithALength(t *testing.T) {
	s := &script{replies: []reply{{status: 200, header: map[string]string{"Content-Length": "11"}, body: `{"ok":true}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := httpx.New(fast(httpx.Options{}))
	req, _ := http.NewRequest(http.MethodHead, srv.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("HEAD answered 200 with a Content-Length: %v (after %d attempts)", err, s.count())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) != 0 || s.count() != 1 {
		t.Fatalf("HEAD: status %d, %d bytes of body, %d attempts; want 200, none, 1", resp.StatusCode, len(body), s.count())
	}
}

// A body that says it is 200 MB and sends a few bytes (net/http's reader
// then fails with an unexpected EOF) is read as it comes: the read fails
// as cut short without allocating the 200 MB first.
func TestLengthSaidButNotSent(t *testing.T) {
	cut := io.MultiReader(strings.NewReader("short"), iotest.ErrReader(io.ErrUnexpectedEOF))
	resp := &http.Response{StatusCode: 200, ContentLength: 200 << 20, Body: io.NopCloser(cut),
		Request: &http.Request{Method: http.MethodGet}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := httpx.ReadBody(resp)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("ReadBody of a body cut short: %v; want an unexpected EOF", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("reading 5 bytes of a body said to be 200 MB allocated %d bytes", grew)
	}
}

// failingBody fails every read: a body the client must not read.
type failingBody struct{ closed atomic.Bool }

func (b *failingBody) Read([]byte) (int, error) {
	return 0, errors.New("read the request's body instead of GetBody")
}
func (b *failingBody) Close() error { b.closed.Store(true); return nil }

// A body the request can make again (GetBody) is sent from what GetBody
// makes, on each attempt, not read into a copy first; any other body is
// read and sent as it was.
func TestBodyFromGetBody(t *testing.T) {
	srv := newRefusedOnce(t)
	c := httpx.New(fast(httpx.Options{}))
	// Each attempt's body and its Content-Length, as "body length".
	sent := func() []string {
		bodies, lengths := srv.sent()
		for i := range bodies {
			bodies[i] += " " + strconv.FormatInt(lengths[i], 10)
		}
		return bodies
	}

	const payload = `{"fields":{"summary":"x"}}`
	body := &failingBody{}
	req, err := http.NewRequest(http.MethodPost, srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(payload))
	gets := 0
	req.GetBody = func() (io.ReadCloser, error) {
		gets++
		return io.NopCloser(strings.NewReader(payload)), nil
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bodies := sent()
	want := payload + " " + strconv.Itoa(len(payload))
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Fatalf("bodies sent: %q, want twice %q", bodies, want)
	}
	if gets < 2 || !body.closed.Load() {
		t.Errorf("GetBody called %d times (want one an attempt at least), the request's body closed: %v", gets, body.closed.Load())
	}

	// A body without GetBody (a stream) is read once and resent as read.
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, payload); pw.Close() }()
	req, err = http.NewRequest(http.MethodPost, srv.URL, pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bodies = sent()
	if len(bodies) != 2 || !strings.HasPrefix(bodies[0], payload+" ") || bodies[0] != bodies[1] {
		t.Fatalf("streamed bodies sent: %q", bodies)
	}
}
