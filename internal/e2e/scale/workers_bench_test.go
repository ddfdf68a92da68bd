package scale

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/rs/zerolog"

	"github.com/forewarn/forewarn/internal/app"
	"github.com/forewarn/forewarn/internal/tracker"
)

// latency is how long the benchmark's trackers take to answer: every
// request waits this long before it is sent, standing in for a real
// tracker's round trip (the fakes on loopback answer in microseconds).
const latency = 100 * time.Millisecond

type slowTransport struct{ next http.RoundTripper }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-time.After(latency):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return s.next.RoundTrip(r)
}

// workersRun runs n workers at once (--shard i/n each; n = 1 is an
// unsharded run), as separate app instances on one state, and returns when
// all have finished.
func workersRun(ctx context.Context, cfg string, now time.Time, n int) ([]tracker.Report, error) {
	reps := make([]tracker.Report, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			opt := app.Options{ConfigPath: cfg, Log: zerolog.Nop(), Getenv: getenv, Now: func() time.Time { return now },
				Transport: slowTransport{cleanhttp.DefaultPooledTransport()}}
			if n > 1 {
				opt.Shard = app.Shard{Index: i, Count: n}
			}
			a, err := app.Load(ctx, opt)
			if err != nil {
				errs[i] = err
				return
			}
			defer a.Close()
			reps[i], errs[i] = a.Run(ctx, tracker.ModeRun)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("worker %d: %w", i, err)
		}
		if reps[i].Partial() {
			return nil, fmt.Errorf("worker %d: partial run: %+v", i, reps[i].Failed)
		}
	}
	return reps, nil
}

// BenchmarkWorkers is issue 19's target: the large scenario with every
// request answered after 100 ms, judged by one worker and by four workers
// (--shard i/4) sharing one state: the first sync (every ticket created)
// and an unchanged re-poll, each timed; the milestones each worker judged
// and the bytes it allocated (the whole process's allocation divided by
// the workers) show the work and the memory are split, not repeated.
//
//	go test -run '^$' -bench BenchmarkWorkers -benchtime 1x ./internal/e2e/scale/
func BenchmarkWorkers(b *testing.B) {
	sc := largeScenario()
	ctx := context.Background()
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			var first, repoll time.Duration
			var allocPerWorker uint64
			maxJudged, total := 0, 0
			for b.Loop() {
				b.StopTimer()
				f := newFakes(sc)
				dir := b.TempDir()
				cfg := writeConfig(b, dir, sc, f, writeRules(b, dir))
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				b.StartTimer()
				reps, err := workersRun(ctx, cfg, sc.Now, n)
				b.StopTimer()
				first += time.Since(start)
				runtime.ReadMemStats(&after)
				if err != nil {
					b.Fatal(err)
				}
				allocPerWorker += (after.TotalAlloc - before.TotalAlloc) / uint64(n)
				seen := map[string]int{}
				total = 0
				for _, r := range reps {
					maxJudged = max(maxJudged, len(r.Milestones))
					total += len(r.Milestones)
					for _, m := range r.Milestones {
						seen[m.Milestone.Key]++
					}
				}
				if c := sc.Counts().Milestones(); total != c || len(seen) != c {
					b.Fatalf("%d workers judged %d milestones (%d distinct); want each of %d once", n, total, len(seen), c)
				}
				start = time.Now()
				b.StartTimer()
				if _, err := workersRun(ctx, cfg, sc.Now, n); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				repoll += time.Since(start)
				f.Close()
				b.StartTimer()
			}
			b.ReportMetric(first.Seconds()/float64(b.N), "first-s/op")
			b.ReportMetric(repoll.Seconds()/float64(b.N), "repoll-s/op")
			b.ReportMetric(float64(allocPerWorker)/float64(b.N)/(1<<20), "alloc-MB/worker")
			b.ReportMetric(float64(maxJudged), "max-milestones/worker")
		})
	}
}
