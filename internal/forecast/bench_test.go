package forecast_test

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/forecast"
	"github.com/forewarn/forewarn/internal/model"
)

// benchMilestone is the reference case: 300 items, 90 calendar days
// of history, about half of them done at an irregular pace, 10 % added after
// the start. Variant v shifts the pattern so milestones differ.
func benchMilestone(v int) (model.Milestone, time.Time) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	now := start.AddDate(0, 0, 90).Add(10 * time.Hour)
	m := model.Milestone{Key: fmt.Sprintf("bench#%d", v), Start: start, Due: start.AddDate(0, 0, 150)}
	pattern := []int{1, 4, 2, 0, 3, 5, 2, 1, 3, 2, 4, 0, 2}
	done, p := 0, v
	for day := 0; day < 90; day++ {
		t := start.AddDate(0, 0, day)
		if t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
			continue
		}
		for j := 0; j < pattern[p%len(pattern)] && done < 150; j++ {
			m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("B-%d", done), Created: model.At(start), JoinedAt: model.At(start),
				JoinedKnown: true, Started: model.At(t.Add(-48 * time.Hour)), Closed: model.At(t.Add(15 * time.Hour)),
				Status: model.StatusDone, Points: float64(1 + done%5), Estimated: true})
			done++
		}
		p++
	}
	for i := len(m.Items); i < 300; i++ {
		joined := start
		if i%10 == 0 {
			joined = start.AddDate(0, 0, i%90)
		}
		m.Items = append(m.Items, model.WorkItem{Key: fmt.Sprintf("B-%d", i), Created: model.At(joined), JoinedAt: model.At(joined),
			JoinedKnown: true, Status: model.StatusTodo, Points: float64(1 + i%5), Estimated: i%7 != 0, Rank: i})
	}
	return m, now
}

// BenchmarkCompute: one forecast of the reference milestone, 10,000 trials.
//
//	go test -run '^$' -bench 'Compute$' -benchmem -cpu 1 ./internal/forecast/
func BenchmarkCompute(b *testing.B) {
	m, now := benchMilestone(0)
	f := forecast.Compute(m, now, forecast.Options{})
	if f.Status != model.ForecastOK || f.RemainingItems < 140 {
		b.Fatalf("reference milestone not forecastable: %s %s remaining %d", f.Status, f.Reason, f.RemainingItems)
	}
	b.ReportAllocs()
	for b.Loop() {
		forecast.Compute(m, now, forecast.Options{})
	}
}

// BenchmarkComputeNoResampling is BenchmarkCompute with resamples: 1 (the
// observed days as they are): faster, but overconfident on short histories.
//
//	go test -run '^$' -bench 'ComputeNoResampling' -benchmem -cpu 1 ./internal/forecast/
func BenchmarkComputeNoResampling(b *testing.B) {
	m, now := benchMilestone(0)
	b.ReportAllocs()
	for b.Loop() {
		forecast.Compute(m, now, forecast.Options{Resamples: 1})
	}
}

// BenchmarkComputeTrialsAllocs shows that allocations do not grow with the
// number of trials: compare allocs/op of the two sub-benchmarks.
//
//	go test -run '^$' -bench 'ComputeTrialsAllocs' -benchmem -cpu 1 ./internal/forecast/
func BenchmarkComputeTrialsAllocs(b *testing.B) {
	m, now := benchMilestone(0)
	for _, trials := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("trials=%d", trials), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				forecast.Compute(m, now, forecast.Options{Trials: trials})
			}
		})
	}
}

// BenchmarkCompute10k forecasts 10,000 distinct reference milestones spread
// over all CPUs, the way the worker does. One op is the whole batch.
//
//	go test -run '^$' -bench 'Compute10k' -benchtime 1x -cpu 2 ./internal/forecast/
func BenchmarkCompute10k(b *testing.B) {
	const n = 10000
	ms := make([]model.Milestone, 13) // 13 pattern shifts, reused round-robin
	var now time.Time
	for i := range ms {
		ms[i], now = benchMilestone(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= n {
						return
					}
					forecast.Compute(ms[i%int64(len(ms))], now, forecast.Options{})
				}
			})
		}
		wg.Wait()
	}
}

// BenchmarkCalibration: the calibration step alone (features and the
// logistic) on the reference forecast, to set beside BenchmarkCompute.
//
//	go test -run '^$' -bench 'Calibration$' -benchmem -cpu 1 ./internal/forecast/
func BenchmarkCalibration(b *testing.B) {
	m, now := benchMilestone(0)
	m.Record = &model.TeamRecord{Basis: "bench", Milestones: 10, OnTime: 5, DeliveredRatio: 0.9, Committed: 280,
		Throughput:      []float64{1, 1.2, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.5, 3},
		PointThroughput: []float64{3, 3.6, 4.2, 4.5, 4.8, 5.4, 6, 6.6, 7.5, 9}}
	f := forecast.Compute(m, now, forecast.Options{})
	b.ReportAllocs()
	for b.Loop() {
		forecast.CalibratedProb(forecast.CalibrationFeatures(m, f), nil)
	}
}
