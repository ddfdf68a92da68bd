package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/forewarn/forewarn/internal/metrics"
	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// bigReport is an installation with n milestones, each with a finding.
func bigReport(n int) tracker.Report {
	r := report(tracker.ModeRun)
	r.Milestones = nil
	for i := range n {
		r.Milestones = append(r.Milestones, tracker.MilestoneReport{
			Milestone: model.Milestone{Source: "github", Key: fmt.Sprintf("github:acme/repo%d#%d", i%40, i), Client: "acme"},
			Forecast:  model.Forecast{Status: model.ForecastOK, ProbOnTime: float64(i%100) / 100, RemainingItems: i % 50},
			Findings:  []model.Finding{{Rule: "milestone-at-risk", Severity: "warning", Purpose: model.PurposeClientNotice}},
		})
	}
	return r
}

func BenchmarkObserveReport500(b *testing.B) {
	m := metrics.New()
	r := bigReport(500)
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveReport(r)
	}
}

func BenchmarkScrape500(b *testing.B) {
	m := metrics.New()
	m.ObserveReport(bigReport(500))
	h := m.Handler()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, rec.Body)
	}
}
