// Package fault is the fault-injection kit the fake servers
// (internal/testserver/github and jira) share: scripted misbehaviours
// matched by method and route, and what each does on the wire — a dropped
// connection, a slow answer, a lost response, a malformed or truncated
// body. What a fault answers in an API's own words (an error status, a
// rate limit) stays with the server that speaks that API.
package fault

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Kind is a way for a fake to misbehave.
type Kind int

const (
	// Status answers Status (e.g. 502) with the API's error body.
	Status Kind = iota + 1
	// TooMany answers 429 with Retry-After.
	TooMany
	// Malformed acts on the request, then answers 200 with broken JSON.
	Malformed
	// Truncated acts, then sends half the body and closes the connection.
	Truncated
	// Reset closes the connection without acting or answering.
	Reset
	// Slow waits Delay before acting and answering normally.
	Slow
	// LoseResponse acts on the request (e.g. creates the issue), then
	// closes the connection without answering.
	LoseResponse
	// Secondary answers GitHub's 403 "secondary rate limit" with
	// Retry-After (the GitHub fake only).
	Secondary
	// Exhaust spends GitHub's primary budget: this and later requests get
	// 403 with X-RateLimit-Remaining: 0 until RetryAfter has passed (the
	// GitHub fake only).
	Exhaust
)

// String is the name a fake records in its request log.
func (k Kind) String() string {
	return [...]string{"", "status", "too-many-requests", "malformed-json", "truncated", "connection-reset", "slow",
		"lose-response", "secondary-limit", "primary-exhausted"}[k]
}

// Fault is a scripted misbehaviour. It applies to requests matching Method
// and Route (empty matches any; Route is the fake's route template, such
// as "/repos/{owner}/{repo}/issues"), lets Skip matching requests through
// first, then hits the next Times of them (default 1; -1 for all).
type Fault struct {
	Method     string
	Route      string
	Kind       Kind
	Status     int
	RetryAfter time.Duration
	Delay      time.Duration
	Skip       int
	Times      int
	hits, seen int
}

// Script is the faults pending on one fake. Safe for concurrent use.
type Script struct {
	// Patient makes Slow wait the whole Delay even when the client has
	// given up (as the GitHub fake always has); otherwise Slow ends when
	// the client goes. Either way the request is then acted on.
	Patient bool

	mu     sync.Mutex
	faults []*Fault
}

// Inject adds a fault.
func (s *Script) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// Clear removes every pending fault.
func (s *Script) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Next returns the fault that applies to this request, counting it, or
// nil. The first pending fault that matches wins.
func (s *Script) Next(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Method != "" && f.Method != method || f.Route != "" && f.Route != route {
			continue
		}
		if f.Times >= 0 && f.hits >= f.Times {
			continue
		}
		f.seen++
		if f.seen <= f.Skip {
			continue
		}
		f.hits++
		return f
	}
	return nil
}

// Before does what f (nil: nothing) does before the server acts: Reset
// drops the connection, after record, and reports true (the request is
// over); Slow waits.
func (s *Script) Before(w http.ResponseWriter, r *http.Request, f *Fault, record func()) (over bool) {
	if f == nil {
		return false
	}
	switch f.Kind {
	case Reset:
		record()
		Drop(w)
		return true
	case Slow:
		if s.Patient {
			time.Sleep(f.Delay)
			break
		}
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
		}
	}
	return false
}

// Respond writes the server's answer as f (nil: none) has it. record is
// called with the status the server answered (0 when the connection is
// dropped unanswered) before anything reaches the wire, so a client that
// has its answer finds the request in the log. Malformed turns an error status
// into 200 with broken JSON; Truncated sends half the body and drops the
// connection; LoseResponse drops it without answering.
func Respond(w http.ResponseWriter, f *Fault, status int, header http.Header, body []byte, record func(status int)) {
	answered := status
	if f != nil {
		switch f.Kind {
		case LoseResponse:
			record(0)
			Drop(w)
			return
		case Malformed:
			body = append(body[:len(body)/2:len(body)/2], []byte(`,{"trailing`)...)
			if status >= 300 {
				status = 200
			}
		case Truncated:
			record(answered)
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			w.Write(body[:len(body)/2])
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			Drop(w)
			return
		}
	}
	record(answered)
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	w.Write(body)
}

// Drop closes the connection abruptly (RST), answering nothing more.
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fake server: cannot hijack the connection")
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
