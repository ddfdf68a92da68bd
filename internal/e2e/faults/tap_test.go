package faults

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// point is where in a create the tap stops the world for a SIGKILL.
type point int

const (
	pNone          point = iota
	pBeforeCreate        // the create reached the tap; the tracker has not seen it
	pAfterCreate         // the tracker created the ticket; its answer is held back
	pAfterResponse       // the answer went back; the ledger record may not be written yet
	pRandom              // no tap involvement: a random delay from the start
	numPoints
)

func (p point) String() string {
	return [...]string{"none", "SIGKILL before the create is sent", "SIGKILL after the create, before its answer",
		"SIGKILL after the answer, before it is recorded", "SIGKILL after a random delay (0 to a run's length)"}[p]
}

// tap is a loopback reverse proxy in front of the fake that holds the
// target. Armed for the nth create at a point, it signals hit when the
// create gets there and then holds that request until release is closed
// (the test kills the process in between).
type tap struct {
	*httptest.Server
	upstream string
	isCreate func(*http.Request) bool
	client   *http.Client

	mu      sync.Mutex
	point   point
	nth     int
	creates int
	hit     chan struct{}
	release chan struct{}
	fired   bool
	onHit   func() // called in the handler right after the answer (pAfterResponse)

	forwarded atomic.Int64 // creates forwarded to the fake
}

func newTap(upstream string, isCreate func(*http.Request) bool) *tap {
	t := &tap{upstream: upstream, isCreate: isCreate,
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}}
	t.Server = httptest.NewServer(t)
	return t
}

// arm prepares the next run: stop at point on its nth create. onHit runs
// in the handler the moment the answer has gone out (pAfterResponse), so
// the kill follows it without a goroutine hop.
func (t *tap) arm(p point, nth int, onHit func()) (hit <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.point, t.nth, t.creates, t.fired, t.onHit = p, nth, 0, false, onHit
	t.hit, t.release = make(chan struct{}), make(chan struct{})
	return t.hit
}

// disarm lets every request through and frees a held one.
func (t *tap) disarm() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.point = pNone
	if t.release != nil {
		select {
		case <-t.release:
		default:
			close(t.release)
		}
	}
}

// trigger reports whether this create is the armed one, and its channels.
func (t *tap) trigger(r *http.Request) (point, chan struct{}, chan struct{}, func()) {
	if !t.isCreate(r) {
		return pNone, nil, nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.creates++
	if t.fired || t.point == pNone || t.point == pRandom || t.creates != t.nth {
		return pNone, nil, nil, nil
	}
	t.fired = true
	return t.point, t.hit, t.release, t.onHit
}

func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		drop(w)
		return
	}
	p, hit, release, onHit := t.trigger(r)
	hold := func() {
		close(hit)
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	if p == pBeforeCreate {
		hold()
		drop(w)
		return
	}
	// The upstream request does not follow the client's context: once
	// sent, a create completes on the tracker even if the client dies, as
	// it would on a real one.
	out, err := http.NewRequestWithContext(context.Background(), r.Method, t.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		drop(w)
		return
	}
	for k, v := range r.Header {
		if k != "Connection" && k != "Content-Length" {
			out.Header[k] = v
		}
	}
	if t.isCreate(r) {
		t.forwarded.Add(1)
	}
	resp, err := t.client.Do(out)
	if err != nil {
		drop(w)
		return
	}
	rb, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		drop(w)
		return
	}
	if p == pAfterCreate {
		hold()
		drop(w)
		return
	}
	for k, v := range resp.Header {
		if k != "Connection" && k != "Content-Length" && k != "Transfer-Encoding" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if p == pAfterResponse {
		if onHit != nil {
			onHit()
		}
		close(hit)
	}
}

// drop closes the client's connection without an answer.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
