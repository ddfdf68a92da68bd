package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/serve"
	"github.com/forewarn/forewarn/internal/tracker"
)

// fakeStore is a store whose writes are transactions: a write begins,
// takes a moment, and commits. A write left begun is a half-written state.
type fakeStore struct {
	mu        sync.Mutex
	committed []string
	begun     string
	locked    bool
}

// fakeRunner writes `writes` records per run. Between two writes it waits
// for `next` (or for its context to end, unless deaf); a write, once
// begun, waits for `commit` whatever the context says: that is what a
// store transaction gives.
type fakeRunner struct {
	st      *fakeStore
	writes  int
	next    chan struct{} // nil: no waiting between writes
	commit  chan struct{} // nil: writes commit at once
	started chan struct{} // receives when a run starts
	deaf    bool          // ignores its context (a wedged run)
	fail    []bool        // per run: return an error instead of a report

	mu        sync.Mutex
	runs      int
	ctxErrs   []error // the run context's error when each run returned
	running   bool
	cancelled bool // the current run's context was cancelled
}

func (f *fakeRunner) Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error) {
	f.mu.Lock()
	n := f.runs
	f.runs++
	f.running, f.cancelled = true, false
	f.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { f.mu.Lock(); f.cancelled = true; f.mu.Unlock() })
	defer stop()
	defer func() {
		f.mu.Lock()
		f.ctxErrs = append(f.ctxErrs, ctx.Err())
		f.running = false
		f.mu.Unlock()
	}()
	f.st.mu.Lock()
	if f.st.locked {
		f.st.mu.Unlock()
		return tracker.Report{}, errors.New("overlapping runs")
	}
	f.st.locked = true
	f.st.mu.Unlock()
	defer func() { f.st.mu.Lock(); f.st.locked = false; f.st.mu.Unlock() }()

	if f.started != nil {
		f.started <- struct{}{}
	}
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rep := tracker.Report{Mode: mode, Started: start}
	for i := range f.writes {
		switch {
		case f.deaf && f.next != nil:
			<-f.next
		case f.deaf:
		case f.next != nil:
			select {
			case <-ctx.Done():
				return rep, ctx.Err()
			case <-f.next:
			}
		default:
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
		}
		rec := fmt.Sprintf("run%d/write%d", n, i)
		f.st.mu.Lock()
		f.st.begun = rec
		f.st.mu.Unlock()
		if f.commit != nil {
			<-f.commit // a transaction in flight is not interrupted
		}
		f.st.mu.Lock()
		f.st.committed = append(f.st.committed, rec)
		f.st.begun = ""
		f.st.mu.Unlock()
		rep.Actions = append(rep.Actions, tracker.Action{Kind: tracker.ActionCreate, Purpose: model.PurposeClientNotice, Target: "outbox", Done: true})
	}
	if n < len(f.fail) && f.fail[n] {
		return tracker.Report{}, errors.New("tracker unreachable")
	}
	rep.Finished = start.Add(2 * time.Second)
	rep.Milestones = []tracker.MilestoneReport{{
		Milestone: model.Milestone{Source: "demo", Key: "file:demo#1", Client: "acme", Due: start.AddDate(0, 0, 7)},
		Forecast:  model.Forecast{Status: model.ForecastOK, ProbOnTime: 0.4, RemainingItems: 9},
	}}
	return rep, nil
}

func (f *fakeRunner) isCancelled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelled
}

func (f *fakeRunner) stats() (runs int, ctxErrs []error, running bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs, append([]error(nil), f.ctxErrs...), f.running
}

const (
	interval = time.Hour
	grace    = 2 * time.Second
	stopWait = 3 * time.Second
)

// timers hands out channels by duration: tests fire them when they like.
type timers struct {
	mu    sync.Mutex
	chans map[time.Duration]chan time.Time
	asked []time.Duration
}

func newTimers() *timers { return &timers{chans: map[time.Duration]chan time.Time{}} }

func (t *timers) after(d time.Duration) <-chan time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.asked = append(t.asked, d)
	if d == 0 {
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	if t.chans[d] == nil {
		t.chans[d] = make(chan time.Time, 1)
	}
	return t.chans[d]
}

func (t *timers) fire(d time.Duration) {
	t.mu.Lock()
	if t.chans[d] == nil {
		t.chans[d] = make(chan time.Time, 1)
	}
	c := t.chans[d]
	t.mu.Unlock()
	c <- time.Time{}
}

type served struct {
	base string
	done chan error
	reg  *metrics.Metrics
}

func start(t *testing.T, ctx context.Context, r serve.Runner, o serve.Options) *served {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.Listener = ln
	if o.Interval == 0 {
		o.Interval = interval
	}
	o.Grace, o.StopWait = grace, stopWait
	if o.Rand == nil {
		o.Rand = func() float64 { return 0 }
	}
	s := &served{base: "http://" + ln.Addr().String(), done: make(chan error, 1), reg: metrics.New()}
	go func() { s.done <- serve.Serve(ctx, r, o, s.reg, zerolog.New(io.Discard)) }()
	return s
}

func (s *served) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode, body
}

func (s *served) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

// waitFor polls cond; a safety net against hangs, not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestShutdownLetsTheRunFinish(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 3, next: make(chan struct{}), started: make(chan struct{}, 1)}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, r, serve.Options{After: tm.after})
	<-r.started
	r.next <- struct{}{} // first write
	cancel()             // SIGTERM mid-run
	waitFor(t, "/readyz reports the shutdown", func() bool {
		code, body := s.get(t, "/readyz")
		return code == http.StatusServiceUnavailable && body["reason"] == "shutting down"
	})
	r.next <- struct{}{} // the run goes on within its grace period
	r.next <- struct{}{}
	if err := s.wait(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	runs, ctxErrs, running := r.stats()
	if running || runs != 1 {
		t.Fatalf("Serve returned with runs=%d running=%v; want one finished run", runs, running)
	}
	if ctxErrs[0] != nil {
		t.Errorf("the run's context was cancelled (%v) although it finished within the grace period", ctxErrs[0])
	}
	if len(st.committed) != 3 || st.begun != "" || st.locked {
		t.Errorf("store after shutdown: committed=%v begun=%q locked=%v; want 3 writes, none half-done, lock released", st.committed, st.begun, st.locked)
	}
	if v := sample(t, s.reg, "forewarn_runs_total", "outcome", "ok"); v != 1 {
		t.Errorf("forewarn_runs_total{outcome=ok} = %v, want 1: the finished run is recorded", v)
	}
}

func TestShutdownCancelsARunPastGrace(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 5, commit: make(chan struct{}), started: make(chan struct{}, 1)}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, r, serve.Options{After: tm.after})
	<-r.started
	r.commit <- struct{}{} // write 0 committed; write 1 begun and in flight
	waitFor(t, "write 1 is in flight", func() bool { st.mu.Lock(); defer st.mu.Unlock(); return st.begun == "run0/write1" })
	cancel()       // SIGTERM in the middle of a write
	tm.fire(grace) // the grace period runs out
	waitFor(t, "the run's context is cancelled", r.isCancelled)
	select {
	case err := <-s.done:
		t.Fatalf("Serve returned (%v) while a write was in flight", err)
	default:
	}
	r.commit <- struct{}{} // the write in flight commits; the run then stops
	if err := s.wait(t); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	_, ctxErrs, running := r.stats()
	if running {
		t.Fatal("Serve returned while the run was still going")
	}
	if !errors.Is(ctxErrs[0], context.Canceled) {
		t.Errorf("run context error = %v, want context.Canceled", ctxErrs[0])
	}
	if strings.Join(st.committed, ",") != "run0/write0,run0/write1" || st.begun != "" || st.locked {
		t.Errorf("store: committed=%v begun=%q locked=%v; want two whole writes, nothing half-done, the lock released", st.committed, st.begun, st.locked)
	}
	if v := sample(t, s.reg, "forewarn_runs_total", "outcome", "failed"); v != 1 {
		t.Errorf("forewarn_runs_total{outcome=failed} = %v, want 1", v)
	}
}

func TestShutdownGivesUpOnAWedgedRun(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 2, next: make(chan struct{}), started: make(chan struct{}, 1), deaf: true}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, r, serve.Options{After: tm.after})
	<-r.started
	cancel()
	tm.fire(grace)
	tm.fire(stopWait)
	if err := s.wait(t); !errors.Is(err, serve.ErrRunDidNotStop) {
		t.Fatalf("Serve = %v, want ErrRunDidNotStop", err)
	}
	close(r.next) // let the goroutine end
}

func TestHealthAndReadiness(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 1, next: make(chan struct{}), started: make(chan struct{}, 1), fail: []bool{false, true, false}}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := start(t, ctx, r, serve.Options{After: tm.after})
	<-r.started

	check := func(step, path string, wantCode int, wantReason string) {
		t.Helper()
		code, body := s.get(t, path)
		reason, _ := body["reason"].(string)
		if code != wantCode || reason != wantReason {
			t.Errorf("%s: GET %s = %d %q, want %d %q", step, path, code, reason, wantCode, wantReason)
		}
	}
	check("during the first run", "/healthz", 200, "")
	check("during the first run", "/readyz", 503, "the first run has not finished yet")

	r.next <- struct{}{}
	waitFor(t, "the first run is recorded", func() bool { c, _ := s.get(t, "/readyz"); return c == 200 })
	check("after a good run", "/readyz", 200, "")

	tm.fire(interval) // second run: fails
	<-r.started
	r.next <- struct{}{}
	waitFor(t, "the failed run is recorded", func() bool { c, _ := s.get(t, "/readyz"); return c == 503 })
	check("after a failed run", "/readyz", 503, "the last run failed (see the log)")
	check("after a failed run", "/healthz", 200, "")

	tm.fire(interval) // third run: good again
	<-r.started
	r.next <- struct{}{}
	waitFor(t, "the third run is recorded", func() bool { c, _ := s.get(t, "/readyz"); return c == 200 })
	_, body := s.get(t, "/readyz")
	if body["runs"] != float64(3) || body["last_outcome"] != "ok" {
		t.Errorf("/readyz body = %v, want runs 3 and last_outcome ok", body)
	}
	cancel()
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestIntervalWithJitter(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 1, started: make(chan struct{}, 1)}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	s := start(t, ctx, r, serve.Options{After: tm.after, Interval: 10 * time.Minute, Jitter: time.Minute,
		Rand: func() float64 { return 0.5 }})
	tm.fire(30 * time.Second) // first run after 0.5×jitter
	<-r.started
	tm.fire(10*time.Minute + 30*time.Second) // next run after interval + 0.5×jitter
	<-r.started
	cancel()
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if len(tm.asked) < 2 || tm.asked[0] != 30*time.Second || tm.asked[1] != 10*time.Minute+30*time.Second {
		t.Fatalf("waits asked for = %v, want [30s 10m30s ...]", tm.asked)
	}
	if runs, _, _ := r.stats(); runs != 2 {
		t.Fatalf("runs = %d, want 2", runs)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 2, started: make(chan struct{}, 1)}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// serve's own clock moves 5 s a reading; the report's times (2 s
	// apart, or frozen by a config's as_of) must not be what is measured.
	var clockMu sync.Mutex
	tick := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		tick = tick.Add(5 * time.Second)
		return tick
	}
	s := start(t, ctx, r, serve.Options{After: tm.after, Now: clock})
	<-r.started
	waitFor(t, "the run is recorded", func() bool { c, _ := s.get(t, "/readyz"); return c == 200 })
	s.reg.Observe("github", "GET", "/repos/{owner}/{repo}/milestones", 200)

	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	want := map[string]float64{
		"forewarn_milestone_on_time_probability": 0.4,
		"forewarn_tickets_total":                 2,
		"forewarn_runs_total":                    1,
		"forewarn_api_requests_total":            1,
	}
	for name, v := range want {
		f := fams[name]
		if f == nil || len(f.Metric) != 1 {
			t.Errorf("%s: missing from the scrape", name)
			continue
		}
		m := f.Metric[0]
		got := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		if got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if f := fams["forewarn_run_duration_seconds"]; f == nil || f.Metric[0].GetHistogram().GetSampleSum() < 5 {
		t.Errorf("run duration not measured with serve's clock: %v", f)
	}
	if f := fams["forewarn_last_success_timestamp_seconds"]; f == nil || f.Metric[0].GetGauge().GetValue() < float64(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("last success not on serve's clock: %v", f)
	}
}

func TestListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := &fakeRunner{st: &fakeStore{}}
	err = serve.Serve(context.Background(), r, serve.Options{Addr: ln.Addr().String()}, nil, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "listening on") {
		t.Fatalf("Serve on a busy port = %v, want a listen error", err)
	}
	if runs, _, _ := r.stats(); runs != 0 {
		t.Fatal("a run started although the server could not listen")
	}
}

// sample reads one counter or gauge from the registry through its handler.
func sample(t *testing.T, reg *metrics.Metrics, name, label, value string) float64 {
	t.Helper()
	rec := &responseRecorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	reg.Handler().ServeHTTP(rec, req)
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.body.String()))
	if err != nil {
		t.Fatal(err)
	}
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if l.GetName() == label && l.GetValue() == value {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

type responseRecorder struct {
	header http.Header
	body   strings.Builder
	code   int
}

func (r *responseRecorder) Header() http.Header         { return r.header }
func (r *responseRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *responseRecorder) WriteHeader(c int)           { r.code = c }

func TestRegisterFlags(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := serve.RegisterFlags(fs)
	if err := fs.Parse([]string{"--addr", "127.0.0.1:9000", "--interval", "30m", "--jitter", "2m", "--grace", "45s"}); err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:9000" || o.Interval != 30*time.Minute || o.Jitter != 2*time.Minute || o.Grace != 45*time.Second {
		t.Fatalf("options = %+v", *o)
	}
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	o = serve.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.Addr != ":9464" || o.Interval != 15*time.Minute || o.Grace != 30*time.Second {
		t.Fatalf("defaults = %+v", *o)
	}
}

// portfolioRunner is a PortfolioRunner whose runs wait for release.
type portfolioRunner struct {
	release chan struct{}
	runs    atomic.Int32
}

func (p *portfolioRunner) Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error) {
	rep, _, err := p.RunPortfolio(ctx, mode)
	return rep, err
}

func (p *portfolioRunner) RunPortfolio(ctx context.Context, mode tracker.Mode) (tracker.Report, report.Portfolio, error) {
	<-p.release
	n := p.runs.Add(1)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	rep := tracker.Report{Mode: mode, Started: at, Milestones: []tracker.MilestoneReport{{
		Milestone: model.Milestone{Key: fmt.Sprintf("run-%d", n), Title: "<b>Checkout</b>", Due: at.AddDate(0, 0, 14), State: model.StateOpen},
		Forecast:  model.Forecast{Status: model.ForecastOK, P50: at.AddDate(0, 0, 10), P85: at.AddDate(0, 0, 20), P95: at.AddDate(0, 0, 30), ProbOnTime: 0.3},
	}}}
	return rep, report.Build(report.Input{Report: rep}), nil
}

func TestPortfolioEndpoints(t *testing.T) {
	r := &portfolioRunner{release: make(chan struct{})}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), "portfolio.html")
	s := start(t, ctx, r, serve.Options{After: tm.after, ReportPath: path})

	fetch := func(p string) (*http.Response, string) {
		resp, err := http.Get(s.base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := fetch("/"); resp.StatusCode != 503 || !strings.Contains(body, "first run") {
		t.Errorf("before the first run: %d %q; want 503", resp.StatusCode, body)
	}
	if resp, _ := fetch("/api/portfolio.json"); resp.StatusCode != 503 {
		t.Errorf("JSON before the first run: %d; want 503", resp.StatusCode)
	}
	r.release <- struct{}{}
	waitFor(t, "the first run is recorded", func() bool { c, _ := s.get(t, "/readyz"); return c == 200 })

	resp, page := fetch("/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Content-Security-Policy") != report.ContentSecurityPolicy {
		t.Errorf("GET /: %d, %v", resp.StatusCode, resp.Header)
	}
	if !strings.Contains(page, `data-key="run-1"`) || !strings.Contains(page, "&lt;b&gt;Checkout&lt;/b&gt;") || strings.Contains(page, "<b>Checkout") {
		t.Errorf("the page does not show run 1's milestone, escaped")
	}
	var data report.Portfolio
	resp, body := fetch("/api/portfolio.json")
	if err := json.Unmarshal([]byte(body), &data); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /api/portfolio.json: %d %v", resp.StatusCode, err)
	}
	if data.AtRisk != 1 || len(data.Clients) != 1 || data.Clients[0].Milestones[0].Key != "run-1" {
		t.Errorf("portfolio data %+v", data)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != page {
		t.Errorf("report.path: %v; the file differs from the page served", err)
	}
	if resp, _ := fetch("/nothing-here"); resp.StatusCode != 404 {
		t.Errorf("GET /nothing-here: %d, want 404", resp.StatusCode)
	}

	// The next run replaces the page.
	tm.fire(interval)
	r.release <- struct{}{}
	waitFor(t, "the second page is served", func() bool { _, p := fetch("/"); return strings.Contains(p, `data-key="run-2"`) })
	cancel()
	close(r.release)
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
}

// TestJitterZeroMeansNone: --jitter 0s asks for no jitter (the first run
// at once, then exactly every interval), not for the default interval/10.
func TestJitterZeroMeansNone(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	o := serve.RegisterFlags(fs)
	if err := fs.Parse([]string{"--interval", "10m", "--jitter", "0s"}); err != nil {
		t.Fatal(err)
	}
	if err := serve.CheckFlags(fs, o); err != nil {
		t.Fatal(err)
	}
	st := &fakeStore{}
	r := &fakeRunner{st: st, writes: 1, started: make(chan struct{}, 1)}
	tm := newTimers()
	ctx, cancel := context.WithCancel(context.Background())
	opts := *o
	opts.After, opts.Rand = tm.after, func() float64 { return 0.5 }
	s := start(t, ctx, r, opts)
	tm.fire(0)
	<-r.started
	tm.fire(10 * time.Minute)
	<-r.started
	cancel()
	if err := s.wait(t); err != nil {
		t.Fatal(err)
	}
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if len(tm.asked) < 2 || tm.asked[0] != 0 || tm.asked[1] != 10*time.Minute {
		t.Fatalf("waits asked for = %v, want [0s 10m0s ...]", tm.asked)
	}
}

// TestCheckFlagsRefusesNonsense: a zero or negative interval and a
// negative jitter are usage errors, not silently 15 minutes.
func TestCheckFlagsRefusesNonsense(t *testing.T) {
	for args, want := range map[string]string{
		"--interval 0s":  "--interval must be a positive duration",
		"--interval -5m": "--interval must be a positive duration",
		"--jitter -1s":   "--jitter must not be negative",
		"--grace -1s":    "--grace must not be negative",
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		o := serve.RegisterFlags(fs)
		if err := fs.Parse(strings.Fields(args)); err != nil {
			t.Fatal(err)
		}
		if err := serve.CheckFlags(fs, o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", args, err, want)
		}
	}
}
