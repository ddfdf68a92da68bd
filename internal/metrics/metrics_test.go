package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func report(mode tracker.Mode) tracker.Report {
	due := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	return tracker.Report{
		Mode: mode, Started: t0, Finished: t0.Add(3 * time.Second),
		Milestones: []tracker.MilestoneReport{
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:demo#1", Client: "acme", Due: due},
				Forecast:  model.Forecast{Status: model.ForecastOK, ProbOnTime: 0.23, RemainingItems: 14},
				Findings: []model.Finding{
					{Rule: "milestone-at-risk", Severity: "warning", Purpose: model.PurposeClientNotice},
					{Rule: "weekly-update", Severity: "info", Purpose: model.PurposeProgressUpdate},
				},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:demo#2", Client: "acme", Due: due},
				Forecast:  model.Forecast{Status: model.ForecastDone},
				Findings:  []model.Finding{{Rule: "weekly-update", Severity: "info", Purpose: model.PurposeProgressUpdate}},
			},
			{
				Milestone: model.Milestone{Source: "demo", Key: "file:demo#3", Due: due},
				Forecast:  model.Forecast{Status: model.ForecastInsufficient, RemainingItems: 3},
			},
		},
		Failed: []tracker.FailureReport{{Source: "gh", Key: "github:acme/web#9", Err: "boom"}},
		Actions: []tracker.Action{
			{Kind: tracker.ActionCreate, Purpose: model.PurposeClientNotice, Target: "outbox", Done: mode == tracker.ModeRun},
			{Kind: tracker.ActionCreate, Purpose: model.PurposeProgressUpdate, Target: "outbox", Err: "502"},
			{Kind: tracker.ActionUpdate, Purpose: model.PurposeProgressUpdate, Target: "outbox", Done: mode == tracker.ModeRun},
			{Kind: tracker.ActionNone, Purpose: model.PurposeProgressUpdate, Target: "outbox", Done: mode == tracker.ModeRun},
		},
	}
}

// scrape fetches /metrics over HTTP and parses it as Prometheus text.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	return fams
}

// value returns the sample of a family whose labels include want; ok is
// false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestScrapeAfterRun(t *testing.T) {
	m := metrics.New()
	m.ObserveReport(report(tracker.ModeRun))
	m.Observe("github", "GET", "/repos/{owner}/{repo}/milestones", 200)
	m.Observe("github", "GET", "/repos/{owner}/{repo}/milestones", 200)
	m.Observe("jira", "POST", "/rest/api/2/issue", 0)
	m.RateLimit("github", 4711)
	fams := scrape(t, m)

	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
		absent bool
	}{
		{"likelihood of an open milestone", "forewarn_milestone_on_time_probability", map[string]string{"milestone": "file:demo#1", "source": "demo", "client": "acme"}, 0.23, false},
		{"a finished milestone is certain", "forewarn_milestone_on_time_probability", map[string]string{"milestone": "file:demo#2"}, 1, false},
		{"no likelihood without enough data", "forewarn_milestone_on_time_probability", map[string]string{"milestone": "file:demo#3"}, 0, true},
		{"items remaining", "forewarn_milestone_items_remaining", map[string]string{"milestone": "file:demo#3"}, 3, false},
		{"due date", "forewarn_milestone_due_timestamp_seconds", map[string]string{"milestone": "file:demo#1"}, float64(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Unix()), false},
		{"findings per rule", "forewarn_findings", map[string]string{"rule": "weekly-update", "severity": "info", "purpose": "progress-update"}, 2, false},
		{"findings of another rule", "forewarn_findings", map[string]string{"rule": "milestone-at-risk"}, 1, false},
		{"not judged", "forewarn_milestones_not_judged", nil, 1, false},
		{"a failed write makes the run partial", "forewarn_runs_total", map[string]string{"mode": "run", "outcome": "partial"}, 1, false},
		{"no ok run", "forewarn_runs_total", map[string]string{"outcome": "ok"}, 0, true},
		{"duration observed", "forewarn_run_duration_seconds", map[string]string{"mode": "run"}, 1, false},
		{"last success", "forewarn_last_success_timestamp_seconds", nil, float64(t0.Add(3 * time.Second).Unix()), false},
		{"tickets created (done only)", "forewarn_tickets_total", map[string]string{"action": "created", "purpose": "client-notice", "target": "outbox"}, 1, false},
		{"a failed create is not counted", "forewarn_tickets_total", map[string]string{"action": "created", "purpose": "progress-update"}, 0, true},
		{"tickets updated", "forewarn_tickets_total", map[string]string{"action": "updated"}, 1, false},
		{"API requests by status", "forewarn_api_requests_total", map[string]string{"tracker": "github", "method": "GET", "status": "200"}, 2, false},
		{"API transport errors", "forewarn_api_requests_total", map[string]string{"tracker": "jira", "status": "0"}, 1, false},
		{"rate limit remaining", "forewarn_rate_limit_remaining", map[string]string{"tracker": "github"}, 4711, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := value(fams, tc.metric, tc.labels)
			if tc.absent {
				if ok {
					t.Fatalf("%s%v = %v, want no sample", tc.metric, tc.labels, got)
				}
				return
			}
			if !ok {
				t.Fatalf("%s%v: no sample", tc.metric, tc.labels)
			}
			if got != tc.want {
				t.Fatalf("%s%v = %v, want %v", tc.metric, tc.labels, got, tc.want)
			}
		})
	}
	if fams["go_goroutines"] == nil {
		t.Error("the Go runtime collector is missing")
	}
}

// A rule that could not be evaluated makes the run partial and is counted
// per rule.
func TestRuleFailures(t *testing.T) {
	m := metrics.New()
	r := report(tracker.ModeRun)
	r.Failed, r.Actions = nil, nil
	r.RuleFailures = []tracker.RuleFailure{{Rule: "milestone-at-risk", MilestoneKey: "file:demo#1", Err: "memory budget exceeded"},
		{Rule: "milestone-at-risk", MilestoneKey: "file:demo#2", Err: "memory budget exceeded"}}
	m.ObserveReport(r)
	fams := scrape(t, m)
	if v, _ := value(fams, "forewarn_rule_failures", map[string]string{"rule": "milestone-at-risk"}); v != 2 {
		t.Errorf("forewarn_rule_failures{rule=milestone-at-risk} = %v, want 2", v)
	}
	if v, _ := value(fams, "forewarn_runs_total", map[string]string{"mode": "run", "outcome": "partial"}); v != 1 {
		t.Errorf("a run with a failed rule is not partial (runs_total partial = %v)", v)
	}
}

func TestPlanCountsNoTickets(t *testing.T) {
	m := metrics.New()
	m.ObserveReport(report(tracker.ModePlan))
	fams := scrape(t, m)
	if v, ok := value(fams, "forewarn_tickets_total", nil); ok {
		t.Fatalf("a plan wrote nothing, yet forewarn_tickets_total = %v", v)
	}
	if v, _ := value(fams, "forewarn_runs_total", map[string]string{"mode": "plan"}); v != 1 {
		t.Fatalf("plan runs = %v, want 1", v)
	}
}

func TestNextRunReplacesMilestones(t *testing.T) {
	m := metrics.New()
	if _, ok := value(scrape(t, m), "forewarn_milestones_not_judged", nil); ok {
		t.Fatal("before any run, run-derived gauges must be absent, not zero")
	}
	m.ObserveReport(report(tracker.ModeRun))
	r := report(tracker.ModeRun)
	r.Milestones = r.Milestones[1:] // milestone 1 closed or was exempted
	r.Failed, r.Actions = nil, nil
	m.ObserveReport(r)
	fams := scrape(t, m)
	if _, ok := value(fams, "forewarn_milestone_on_time_probability", map[string]string{"milestone": "file:demo#1"}); ok {
		t.Error("a milestone gone from the last run still has a likelihood")
	}
	if _, ok := value(fams, "forewarn_findings", map[string]string{"rule": "milestone-at-risk"}); ok {
		t.Error("a finding gone from the last run is still reported")
	}
	if v, _ := value(fams, "forewarn_runs_total", map[string]string{"mode": "run", "outcome": "ok"}); v != 1 {
		t.Errorf("ok runs = %v, want 1", v)
	}
	if v, _ := value(fams, "forewarn_tickets_total", map[string]string{"action": "created"}); v != 1 {
		t.Errorf("tickets created = %v, want 1 (counters accumulate)", v)
	}
}

func TestFailure(t *testing.T) {
	m := metrics.New()
	m.ObserveFailure(tracker.ModeRun, 2*time.Second)
	fams := scrape(t, m)
	if v, _ := value(fams, "forewarn_runs_total", map[string]string{"outcome": "failed"}); v != 1 {
		t.Fatalf("failed runs = %v, want 1", v)
	}
	if v, _ := value(fams, "forewarn_last_success_timestamp_seconds", nil); v != 0 {
		t.Fatalf("a failure moved the last-success time to %v", v)
	}
}

func TestDuplicateKeysDoNotBreakTheScrape(t *testing.T) {
	m := metrics.New()
	r := report(tracker.ModeRun)
	r.Milestones = append(r.Milestones, r.Milestones[0])
	m.ObserveReport(r)
	if v, ok := value(scrape(t, m), "forewarn_milestone_on_time_probability", map[string]string{"milestone": "file:demo#1"}); !ok || v != 0.23 {
		t.Fatalf("likelihood = %v, %v", v, ok)
	}
}
