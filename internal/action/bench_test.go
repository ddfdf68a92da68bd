package action_test

import (
	"testing"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/tracker"
)

func BenchmarkSummaryMarkdown(b *testing.B) {
	rep := sampleReport(tracker.ModeRun)
	s := &action.Summary{Mode: tracker.ModeRun, Report: &rep}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Markdown()
	}
}
