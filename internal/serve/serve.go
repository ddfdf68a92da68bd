// Package serve is `forewarn serve`: it runs forewarn on an interval (with
// jitter) and serves the portfolio page at / (its data at
// /api/portfolio.json), /healthz, /readyz and Prometheus /metrics until its
// context is cancelled (SIGTERM), then lets the run in progress finish —
// or, past a grace period, cancels it so it stops between two writes — and
// returns.
package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/report"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Runner performs one pass: poll, forecast, evaluate, reconcile.
// *app.App satisfies it. Run must stop between writes when its context is
// cancelled and release everything it holds (the store lock) before it
// returns.
type Runner interface {
	Run(ctx context.Context, mode tracker.Mode) (tracker.Report, error)
}

// PortfolioRunner is a Runner that also builds the portfolio page's data
// (*app.App does). Serve then serves the latest page at / and its data at
// /api/portfolio.json.
type PortfolioRunner interface {
	RunPortfolio(ctx context.Context, mode tracker.Mode) (tracker.Report, report.Portfolio, error)
}

// Options configure Serve. Zero values take the defaults noted.
type Options struct {
	Addr     string        // listen address (default ":9464")
	Interval time.Duration // time between the end of one run and the start of the next (default 15m)
	Jitter   time.Duration // up to this much random delay is added to each wait (0: Interval/10; negative: none)
	Mode     tracker.Mode  // run (default) or plan

	// RunTimeout bounds one run (default 2×Interval, at least 10m).
	RunTimeout time.Duration
	// Grace is how long a run in progress may go on after shutdown begins;
	// then its context is cancelled and it stops between two writes
	// (default 30s; Kubernetes waits terminationGracePeriodSeconds, 60s in
	// deploy/).
	Grace time.Duration
	// StopWait is how long Serve waits, after cancelling a run, for it to
	// return before it gives up on it (default 10s).
	StopWait time.Duration
	// StaleAfter makes /readyz fail when no run has succeeded for this long
	// (default 3×Interval+RunTimeout).
	StaleAfter time.Duration

	// ReportPath, when set, is where the portfolio page is also written
	// after each run (the configuration's report.path).
	ReportPath string

	// Listener, when set, is used instead of listening on Addr (tests).
	Listener net.Listener
	// Now, Rand and After are the clock, the jitter source and the timer
	// (tests); Rand returns a number in [0, 1).
	Now   func() time.Time
	Rand  func() float64
	After func(time.Duration) <-chan time.Time
}

// RegisterFlags adds --addr, --interval, --jitter and --grace to fs and
// returns the options they fill in.
func RegisterFlags(fs *flag.FlagSet) *Options {
	o := &Options{}
	fs.StringVar(&o.Addr, "addr", ":9464", "listen `address` of the portfolio page (/), /api/portfolio.json, /healthz, /readyz and /metrics")
	fs.DurationVar(&o.Interval, "interval", 15*time.Minute, "time between runs")
	fs.DurationVar(&o.Jitter, "jitter", 0, "largest random delay added to each wait (default interval/10; 0 for none)")
	fs.DurationVar(&o.Grace, "grace", 30*time.Second, "how long a run may go on after SIGTERM before it is cancelled")
	return o
}

// CheckFlags validates the flags RegisterFlags added, after parsing:
// --interval must be positive, --jitter not negative, and --jitter 0
// means no jitter (left out, it is interval/10).
func CheckFlags(fs *flag.FlagSet, o *Options) error {
	if o.Interval <= 0 {
		return fmt.Errorf("--interval must be a positive duration such as 15m (got %s)", o.Interval)
	}
	if o.Jitter < 0 {
		return fmt.Errorf("--jitter must not be negative (got %s); 0 means no jitter", o.Jitter)
	}
	if o.Grace < 0 {
		return fmt.Errorf("--grace must not be negative (got %s)", o.Grace)
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "jitter" && o.Jitter == 0 {
			o.Jitter = -1 // asked for none
		}
	})
	return nil
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = ":9464"
	}
	if o.Interval <= 0 {
		o.Interval = 15 * time.Minute
	}
	if o.Jitter == 0 {
		o.Jitter = o.Interval / 10
	} else if o.Jitter < 0 {
		o.Jitter = 0
	}
	if o.Mode == "" {
		o.Mode = tracker.ModeRun
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = max(2*o.Interval, 10*time.Minute)
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.StopWait <= 0 {
		o.StopWait = 10 * time.Second
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 3*o.Interval + o.RunTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.After == nil {
		o.After = time.After
	}
	return o
}

// ErrRunDidNotStop is returned when a cancelled run did not return within
// StopWait. The process should exit: the store lock dies with it, and
// every write the store makes is a transaction, so nothing half-written
// is left behind.
var ErrRunDidNotStop = errors.New("the run in progress did not stop after it was cancelled")

// status is what /healthz and /readyz report.
type status struct {
	mu           sync.Mutex
	started      time.Time
	running      bool
	runStarted   time.Time
	runs         int
	lastFinished time.Time
	lastOutcome  string
	lastSuccess  time.Time
	stopping     bool
	// page and pageJSON are the latest portfolio page and its data (nil
	// until a run of a PortfolioRunner has finished).
	page, pageJSON []byte
}

type statusJSON struct {
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	Running     bool       `json:"running"`
	RunStarted  *time.Time `json:"run_started,omitempty"`
	Runs        int        `json:"runs"`
	LastRun     *time.Time `json:"last_run,omitempty"`
	LastOutcome string     `json:"last_outcome,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Serve runs r every Interval (plus jitter) and serves the endpoints until
// ctx is cancelled. It returns nil after a clean shutdown, an error when
// it cannot listen, or ErrRunDidNotStop.
func Serve(ctx context.Context, r Runner, o Options, reg *metrics.Metrics, log zerolog.Logger) error {
	o = o.withDefaults()
	if reg == nil {
		reg = metrics.New()
	}
	ln := o.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", o.Addr)
		if err != nil {
			return fmt.Errorf("serve: listening on %s: %w", o.Addr, err)
		}
	}
	st := &status{started: o.Now()}
	stopWatch := context.AfterFunc(ctx, func() {
		st.mu.Lock()
		st.stopping = true // /readyz fails from the first moment of shutdown
		st.mu.Unlock()
	})
	defer stopWatch()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { st.health(w, o) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { st.ready(w, o) })
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { st.portfolio(w, false) })
	mux.HandleFunc("GET /api/portfolio.json", func(w http.ResponseWriter, _ *http.Request) { st.portfolio(w, true) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srvErr <- err
		}
		close(srvErr)
	}()
	log.Info().Str("addr", ln.Addr().String()).Dur("interval", o.Interval).Dur("jitter", o.Jitter).
		Str("mode", string(o.Mode)).Msg("serving the portfolio page at /, /api/portfolio.json, /healthz, /readyz and /metrics")

	loopErr := loop(ctx, r, o, reg, st, log, srvErr)

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn().Err(err).Msg("closing the HTTP server")
	}
	log.Info().Msg("stopped")
	return loopErr
}

// loop waits, runs, and on shutdown settles the run in progress.
func loop(ctx context.Context, r Runner, o Options, reg *metrics.Metrics, st *status, log zerolog.Logger, srvErr <-chan error) error {
	wait := time.Duration(o.Rand() * float64(o.Jitter)) // spread the first run of many replicas
	for {
		select {
		case <-ctx.Done():
			log.Info().Msg("shutting down: no run in progress")
			return nil
		case err, ok := <-srvErr:
			if ok {
				return fmt.Errorf("serve: HTTP server: %w", err)
			}
			return nil
		case <-o.After(wait):
		}
		if err := runOnce(ctx, r, o, reg, st, log); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		wait = o.Interval + time.Duration(o.Rand()*float64(o.Jitter))
		log.Debug().Dur("next_in", wait).Msg("waiting for the next run")
	}
}

// runOnce performs one run. Shutdown does not cancel it at once: it gets
// Grace to finish; then its context is cancelled and it gets StopWait to
// return (the worker stops between writes, the store rolls back an
// unfinished transaction and releases the lock).
func runOnce(ctx context.Context, r Runner, o Options, reg *metrics.Metrics, st *status, log zerolog.Logger) error {
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.RunTimeout)
	defer cancel()
	start := o.Now()
	st.mu.Lock()
	st.running, st.runStarted = true, start
	st.mu.Unlock()
	log.Info().Str("mode", string(o.Mode)).Msg("run started")

	type result struct {
		rep       tracker.Report
		portfolio *report.Portfolio
		err       error
	}
	done := make(chan result, 1)
	go func() {
		if pr, ok := r.(PortfolioRunner); ok {
			rep, p, err := pr.RunPortfolio(runCtx, o.Mode)
			done <- result{rep, &p, err}
			return
		}
		rep, err := r.Run(runCtx, o.Mode)
		done <- result{rep, nil, err}
	}()

	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		log.Info().Dur("grace", o.Grace).Msg("shutting down: letting the run in progress finish")
		select {
		case res = <-done:
		case <-o.After(o.Grace):
			log.Warn().Msg("shutting down: the run did not finish in time; cancelling it between two writes")
			cancel()
			select {
			case res = <-done:
			case <-o.After(o.StopWait):
				log.Error().Dur("waited", o.StopWait).Msg("the cancelled run did not return; exiting anyway")
				return ErrRunDidNotStop
			}
		}
	}
	took := o.Now().Sub(start)
	outcome := metrics.OutcomeOK
	switch {
	case res.err != nil:
		outcome = metrics.OutcomeFailed
		reg.ObserveFailure(o.Mode, took)
		log.Error().Err(res.err).Dur("took", took).Msg("run failed")
	default:
		if res.rep.Partial() {
			outcome = metrics.OutcomePartial
		}
		// Duration and last success come from serve's own clock: the
		// report's follow the app's, which a configuration may freeze
		// (as_of), and metrics are about the process, not the data.
		timed := res.rep
		timed.Started, timed.Finished = start, start.Add(took)
		reg.ObserveReport(timed)
		log.Info().Str("outcome", outcome).Dur("took", took).
			Int("milestones", len(res.rep.Milestones)).Int("not_judged", len(res.rep.Failed)).
			Int("created", res.rep.Count(tracker.ActionCreate)).Int("updated", res.rep.Count(tracker.ActionUpdate)).
			Msg("run finished")
	}
	var page, pageJSON []byte
	if res.err == nil && res.portfolio != nil {
		page, pageJSON = publish(*res.portfolio, o.ReportPath, log)
	}
	st.mu.Lock()
	if page != nil {
		st.page, st.pageJSON = page, pageJSON
	}
	st.running = false
	st.runs++
	st.lastFinished, st.lastOutcome = o.Now(), outcome
	if outcome != metrics.OutcomeFailed {
		st.lastSuccess = st.lastFinished
	}
	st.mu.Unlock()
	return nil
}

func (s *status) snapshot(st string) statusJSON {
	return statusJSON{Status: st, Running: s.running, RunStarted: ptr(s.runStarted), Runs: s.runs,
		LastRun: ptr(s.lastFinished), LastOutcome: s.lastOutcome, LastSuccess: ptr(s.lastSuccess)}
}

// health: the process is alive and its loop is not wedged (a run that
// takes longer than RunTimeout plus the grace period is).
func (s *status) health(w http.ResponseWriter, o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.snapshot("ok")
	code := http.StatusOK
	if s.running && o.Now().Sub(s.runStarted) > o.RunTimeout+o.Grace+o.StopWait {
		j.Status, j.Reason, code = "stuck", "a run has been going on longer than its timeout", http.StatusServiceUnavailable
	}
	writeJSON(w, code, j)
}

// ready: a run has finished without failing, recently enough, and the
// server is not shutting down.
func (s *status) ready(w http.ResponseWriter, o Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.snapshot("ready")
	code := http.StatusOK
	switch {
	case s.stopping:
		j.Reason = "shutting down"
	case s.runs == 0:
		j.Reason = "the first run has not finished yet"
	case s.lastOutcome == metrics.OutcomeFailed:
		j.Reason = "the last run failed (see the log)"
	case o.Now().Sub(s.lastSuccess) > o.StaleAfter:
		j.Reason = "no run has succeeded for " + o.StaleAfter.String()
	}
	if j.Reason != "" {
		j.Status, code = "not ready", http.StatusServiceUnavailable
	}
	writeJSON(w, code, j)
}

// publish renders the page of a run (and writes it to path when set). A
// page that cannot be made is logged; the previous one stays served.
func publish(p report.Portfolio, path string, log zerolog.Logger) (page, data []byte) {
	var b bytes.Buffer
	if err := report.Render(&b, p); err != nil {
		log.Error().Err(err).Msg("portfolio page")
		return nil, nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		log.Error().Err(err).Msg("portfolio data")
		return nil, nil
	}
	if path != "" {
		if err := report.WriteFile(path, p); err != nil {
			log.Error().Err(err).Msg("writing the portfolio page")
		}
	}
	return b.Bytes(), data
}

// portfolio serves the latest page, or its data, or 503 before the first
// run has finished.
func (s *status) portfolio(w http.ResponseWriter, asJSON bool) {
	s.mu.Lock()
	page, data := s.page, s.pageJSON
	s.mu.Unlock()
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if page == nil {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "The portfolio page appears when the first run has finished.")
		return
	}
	if asJSON {
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(data)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", report.ContentSecurityPolicy)
	_, _ = w.Write(page)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
