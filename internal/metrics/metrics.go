// Package metrics holds forewarn's Prometheus metrics: the likelihood of
// hitting each due date, findings, runs and their duration, API requests by
// tracker and status, the rate limit left, and tickets written. Every
// Metrics has its own registry; nothing is registered globally.
package metrics

import (
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// Run outcomes (the outcome label of forewarn_runs_total).
const (
	OutcomeOK      = "ok"      // every milestone judged, every write done
	OutcomePartial = "partial" // something was not judged or a write failed
	OutcomeFailed  = "failed"  // the run as a whole failed (config, store, lock)
)

// Metrics is a registry with forewarn's collectors.
type Metrics struct {
	reg *prometheus.Registry

	runs        *prometheus.CounterVec
	runDuration *prometheus.HistogramVec
	lastSuccess prometheus.Gauge
	requests    *prometheus.CounterVec
	rateLimit   *prometheus.GaugeVec
	tickets     *prometheus.CounterVec

	// Per-milestone values are replaced whole after each run, so a scrape
	// never sees half of one run and half of the last.
	mu    sync.Mutex
	last  snapshot
	descs milestoneDescs
}

type milestoneDescs struct {
	prob, remaining, due, findings, notJudged, ruleFailures *prometheus.Desc
}

type milestoneRow struct {
	key, source, client string
	prob                float64 // NaN-free: only set when hasProb
	hasProb             bool
	remaining           int
	due                 time.Time
}

type findingRow struct {
	rule, severity, purpose string
	n                       int
}

type snapshot struct {
	milestones []milestoneRow
	findings   []findingRow
	notJudged  int
	ruleFails  map[string]int // rule → milestones it failed on
	valid      bool
}

// New returns metrics on a registry of their own, with the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forewarn_runs_total",
		Help: "Runs by mode (run, plan) and outcome (ok, partial, failed).",
	}, []string{"mode", "outcome"})
	m.runDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "forewarn_run_duration_seconds",
		Help:    "How long a run took, from start to finish, by mode.",
		Buckets: []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
	}, []string{"mode"})
	m.lastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "forewarn_last_success_timestamp_seconds",
		Help: "When the last run that was not a failure finished (Unix time).",
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forewarn_api_requests_total",
		Help: "Tracker API requests by tracker, method, route and status (0: no response).",
	}, []string{"tracker", "method", "route", "status"})
	m.rateLimit = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "forewarn_rate_limit_remaining",
		Help: "Requests the tracker says are left in the current rate-limit window.",
	}, []string{"tracker"})
	m.tickets = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "forewarn_tickets_total",
		Help: "Tickets written by action (created, updated, commented, reopened), purpose and target.",
	}, []string{"action", "purpose", "target"})
	m.descs = milestoneDescs{
		prob: prometheus.NewDesc("forewarn_milestone_on_time_probability",
			"Forecast likelihood (0-1) of finishing by the promised date, from the last run.",
			[]string{"milestone", "source", "client"}, nil),
		remaining: prometheus.NewDesc("forewarn_milestone_items_remaining",
			"Items not yet done in the milestone, from the last run.",
			[]string{"milestone", "source", "client"}, nil),
		due: prometheus.NewDesc("forewarn_milestone_due_timestamp_seconds",
			"The date the milestone is promised for (Unix time, midnight UTC).",
			[]string{"milestone", "source", "client"}, nil),
		findings: prometheus.NewDesc("forewarn_findings",
			"Findings (rules that fired) in the last run, by rule, severity and purpose.",
			[]string{"rule", "severity", "purpose"}, nil),
		notJudged: prometheus.NewDesc("forewarn_milestones_not_judged",
			"Milestones or sources the last run could not read.",
			nil, nil),
		ruleFailures: prometheus.NewDesc("forewarn_rule_failures",
			"Milestones a rule could not be evaluated for in the last run (the expression failed at run time), by rule.",
			[]string{"rule"}, nil),
	}
	m.reg.MustRegister(m.runs, m.runDuration, m.lastSuccess, m.requests, m.rateLimit, m.tickets,
		(*milestoneCollector)(m),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveReport records a finished run: its outcome and duration, the
// per-milestone likelihoods and the findings (replacing the last run's),
// and the tickets written. A plan records its run and forecasts but
// counts no tickets: nothing was written.
func (m *Metrics) ObserveReport(r tracker.Report) {
	mode := string(r.Mode)
	outcome := OutcomeOK
	if r.Partial() {
		outcome = OutcomePartial
	}
	m.runs.WithLabelValues(mode, outcome).Inc()
	if d := r.Finished.Sub(r.Started); d >= 0 && !r.Started.IsZero() {
		m.runDuration.WithLabelValues(mode).Observe(d.Seconds())
	}
	if !r.Finished.IsZero() {
		m.lastSuccess.Set(float64(r.Finished.UnixNano()) / 1e9)
	}
	if r.Mode == tracker.ModeRun {
		for _, a := range r.Actions {
			if !a.Done || a.Err != "" {
				continue
			}
			if name, ok := ticketAction[a.Kind]; ok {
				m.tickets.WithLabelValues(name, string(a.Purpose), a.Target).Inc()
			}
		}
	}
	m.setSnapshot(snapshotOf(r))
}

var ticketAction = map[tracker.ActionKind]string{
	tracker.ActionCreate:  "created",
	tracker.ActionUpdate:  "updated",
	tracker.ActionComment: "commented",
	tracker.ActionReopen:  "reopened",
}

// ObserveFailure records a run that failed as a whole (no report).
func (m *Metrics) ObserveFailure(mode tracker.Mode, took time.Duration) {
	m.runs.WithLabelValues(string(mode), OutcomeFailed).Inc()
	if took >= 0 {
		m.runDuration.WithLabelValues(string(mode)).Observe(took.Seconds())
	}
}

// Observe counts one tracker API response (status 0: no response). It
// matches connectors.Env.Observe.
func (m *Metrics) Observe(tracker, method, route string, status int) {
	m.requests.WithLabelValues(tracker, method, route, strconv.Itoa(status)).Inc()
}

// RateLimit records the requests a tracker says are left. It matches
// connectors.Env.RateLimit.
func (m *Metrics) RateLimit(tracker string, remaining int) {
	m.rateLimit.WithLabelValues(tracker).Set(float64(remaining))
}

func snapshotOf(r tracker.Report) snapshot {
	s := snapshot{valid: true, notJudged: len(r.Failed), ruleFails: map[string]int{}}
	for _, f := range r.RuleFailures {
		s.ruleFails[f.Rule]++
	}
	counts := map[findingRow]int{}
	seen := map[string]bool{}
	for _, mr := range r.Milestones {
		ms, f := mr.Milestone, mr.Forecast
		if seen[ms.Key] {
			continue // a key is one series; the first report of it wins
		}
		seen[ms.Key] = true
		row := milestoneRow{key: ms.Key, source: ms.Source, client: ms.Client,
			remaining: f.RemainingItems, due: ms.EffectiveDue()}
		switch f.Status {
		case model.ForecastOK, model.ForecastDiverging:
			row.prob, row.hasProb = f.ProbOnTime, true
		case model.ForecastDone:
			row.prob, row.hasProb = 1, true
		}
		s.milestones = append(s.milestones, row)
		for _, fd := range mr.Findings {
			counts[findingRow{rule: fd.Rule, severity: fd.Severity, purpose: string(fd.Purpose)}]++
		}
	}
	for k, n := range counts {
		k.n = n
		s.findings = append(s.findings, k)
	}
	sort.Slice(s.findings, func(i, j int) bool { return s.findings[i].rule < s.findings[j].rule })
	return s
}

func (m *Metrics) setSnapshot(s snapshot) {
	m.mu.Lock()
	m.last = s
	m.mu.Unlock()
}

// milestoneCollector exposes the last run's snapshot.
type milestoneCollector Metrics

func (c *milestoneCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.descs.prob
	ch <- c.descs.remaining
	ch <- c.descs.due
	ch <- c.descs.findings
	ch <- c.descs.notJudged
	ch <- c.descs.ruleFailures
}

func (c *milestoneCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	s := c.last
	c.mu.Unlock()
	if !s.valid {
		return // no run yet: absent, not zero
	}
	for _, r := range s.milestones {
		if r.hasProb {
			ch <- prometheus.MustNewConstMetric(c.descs.prob, prometheus.GaugeValue, r.prob, r.key, r.source, r.client)
		}
		ch <- prometheus.MustNewConstMetric(c.descs.remaining, prometheus.GaugeValue, float64(r.remaining), r.key, r.source, r.client)
		if !r.due.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.descs.due, prometheus.GaugeValue, float64(r.due.Unix()), r.key, r.source, r.client)
		}
	}
	for _, f := range s.findings {
		ch <- prometheus.MustNewConstMetric(c.descs.findings, prometheus.GaugeValue, float64(f.n), f.rule, f.severity, f.purpose)
	}
	ch <- prometheus.MustNewConstMetric(c.descs.notJudged, prometheus.GaugeValue, float64(s.notJudged))
	for rule, n := range s.ruleFails {
		ch <- prometheus.MustNewConstMetric(c.descs.ruleFailures, prometheus.GaugeValue, float64(n), rule)
	}
}
