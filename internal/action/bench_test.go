package action_test

import (
	"testing"

	"github.com/forewarn/forewarn/internal/action"
	"github.com/forewarn/forewarn/internal/worker"
)

func BenchmarkSummaryMarkdown(b *testing.B) {
	rep := sampleReport(worker.ModeRun)
	s := &action.Summary{Mode: worker.ModeRun, Report: &rep}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Markdown()
	}
}
