package rules_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/rules"
)

// benchRules builds 20 rules: the shipped seven and thirteen more of the
// same shape (conditions over milestone, forecast, signals, client, clock).
func benchRules(b *testing.B) *rules.Set {
	conds := []string{
		"milestone.open && forecast.ok && forecast.prob_on_time < 0.5 && milestone.days_left > 0",
		"milestone.open && forecast.ok && forecast.prob_on_time < 0.15 && milestone.days_left <= 14",
		"milestone.rebaselined && forecast.ok && forecast.p85 > milestone.due",
		"(milestone.overdue && milestone.open_items > 0) || milestone.closed_late",
		`milestone.open && client.id != "" && !forecast.done`,
		"forecast.insufficient && milestone.days_left <= 14",
		"signals.days_since_last_done >= 7 && milestone.open_items > 0",
		"signals.scope_creep > 0.25",
		"signals.blocked_items >= 3",
		"signals.stale_in_progress > 2 && forecast.remaining_items > 5",
		"forecast.pace_observed < forecast.pace_needed * 0.8",
		"forecast.slip_days > 7",
		"days(forecast.p95 - milestone.due) > 14",
		`weekday(now_local) == "mon" && milestone.open`,
		`has_label(milestone.labels, "client-facing") && forecast.prob_on_time < 0.7`,
		"signals.throughput_trend < 0.5 && milestone.open",
		"signals.unestimated_share > 0.5",
		`milestone.kind == "sprint" && milestone.days_left < 2 && forecast.remaining_items > 0`,
		"forecast.added_after_start > forecast.scope_items / 4",
		"now > milestone.due && forecast.remaining_items > 0",
	}
	purposes := []string{"client-notice", "progress-update", "post-mortem"}
	var src strings.Builder
	src.WriteString("version: 1\nrules:\n")
	for i, c := range conds {
		fmt.Fprintf(&src, "  - name: rule-%02d\n    when: '%s'\n    for: 1d\n    action: %s\n", i, c, purposes[i%3])
		if i%4 == 0 {
			src.WriteString("    annotations:\n      summary: \"{{ milestone.title }}: {{ percent(forecast.prob_on_time) }} by {{ ymd(milestone.due) }}\"\n")
		}
	}
	s, err := rules.Parse("bench.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func benchInputs(n int) []rules.Input {
	in := make([]rules.Input, n)
	for i := range in {
		x := input(fmt.Sprintf("bench:%05d", i), float64(i%100)/100)
		x.Forecast.Signals = model.Signals{ScopeCreep: float64(i%7) / 10, BlockedItems: i % 5, DaysSinceLastDone: i % 12,
			ThroughputTrend: float64(i%9) / 4, StaleInProgress: i % 4}
		x.Milestone.Labels = []string{"client-facing"}
		in[i] = x
	}
	return in
}

// BenchmarkEvaluate: 20 rules over 10,000 milestones, in steady state (the
// previous run's state in, most rules firing or pending). Compiled once.
func BenchmarkEvaluate(b *testing.B) {
	s := benchRules(b)
	in := benchInputs(10000)
	now := t0
	st := s.Evaluate(now.Add(-48*time.Hour), in, rules.State{}).State
	b.ReportAllocs()
	b.ResetTimer()
	findings := 0
	for b.Loop() {
		res := s.Evaluate(now, in, st)
		if len(res.Findings) == 0 {
			b.Fatal("nothing fired")
		}
		findings = len(res.Findings) + len(res.Suppressed)
	}
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(20*len(in)), "ns/rule-eval")
}

// BenchmarkEvaluateQuiet: the same rules over milestones where nothing
// holds — the cost of the conditions alone.
func BenchmarkEvaluateQuiet(b *testing.B) {
	s := benchRules(b)
	in := benchInputs(10000)
	for i := range in {
		in[i].Milestone.State = model.StateClosed
		in[i].Milestone.Labels = nil
		in[i].Forecast = model.Forecast{Status: model.ForecastDone, ProbOnTime: 1, Signals: model.Signals{ThroughputTrend: 1}}
		in[i].Milestone.Kind = model.KindMilestone
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res := s.Evaluate(t0, in, rules.State{}); len(res.Findings) != 0 {
			b.Fatalf("fired: %+v", res.Findings[0])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(20*len(in)), "ns/rule-eval")
}

func BenchmarkParseShipped(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rules.Load("../rules.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}
