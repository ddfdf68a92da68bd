package scale

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
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

// slowTransport delays every request by rtt (standing in for a tracker's
// round trip) and counts them (sent may be nil).
type slowTransport struct {
	next http.RoundTripper
	rtt  time.Duration
	sent *atomic.Int64
}

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.sent != nil {
		s.sent.Add(1)
	}
	select {
	case <-time.After(s.rtt):
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return s.next.RoundTrip(r)
}

// workersRun runs n workers at once (--shard i/n each; n = 1 is an
// unsharded run), as separate app instances on one state, and returns when
// all have finished, with each worker's report and the requests it sent.
func workersRun(ctx context.Context, cfg string, now time.Time, n int) ([]tracker.Report, []int64, error) {
	reps := make([]tracker.Report, n)
	errs := make([]error, n)
	sent := make([]atomic.Int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			opt := app.Options{ConfigPath: cfg, Log: zerolog.Nop(), Getenv: getenv, Now: func() time.Time { return now },
				Transport: slowTransport{cleanhttp.DefaultPooledTransport(), latency, &sent[i]}}
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
	requests := make([]int64, n)
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("worker %d: %w", i, err)
		}
		if reps[i].Partial() {
			return nil, nil, fmt.Errorf("worker %d: partial run: %+v", i, reps[i].Failed)
		}
		requests[i] = sent[i].Load()
	}
	return reps, requests, nil
}

// cpuTime is the CPU time this process has used so far (user and system):
// the fakes answering and every worker, all on this machine's cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWorkers is issue 19's target: the large scenario with every
// request answered after 100 ms, judged by one worker and by four workers
// (--shard i/4) sharing one state: the first sync (every ticket created)
// and an unchanged re-poll, each timed. Each iteration runs both worker
// counts one after the other, on fresh fakes and state, and reports the
// ratios (four workers' time over one's): measured minutes apart rather
// than in separate benchmarks, they carry over on a machine whose load
// drifts. The milestones and the requests of the busiest worker and the
// bytes each worker allocated (the whole process's allocation divided by
// the workers) show the work and the memory are split, not repeated. The
// CPU time of the first sync (the process's: workers and fakes) shows how
// much of it a 2-core machine under other load has to fit in.
//
//	go test -run '^$' -bench BenchmarkWorkers -benchtime 1x ./internal/e2e/scale/
func BenchmarkWorkers(b *testing.B) {
	sc := largeScenario()
	ctx := context.Background()
	type cycle struct {
		first, repoll time.Duration
		cpu           time.Duration // of the first sync
		alloc         uint64        // per worker
		busiest       int           // milestones judged by the busiest worker
		requests      int64         // first sync: sent by the busiest worker
	}
	// measure runs the first sync and the re-poll with n workers.
	measure := func(n int) cycle {
		f := newFakes(sc)
		defer f.Close()
		dir := b.TempDir()
		cfg := writeConfig(b, dir, sc, f, writeRules(b, dir))
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cpu, start := cpuTime(), time.Now()
		reps, requests, err := workersRun(ctx, cfg, sc.Now, n)
		c := cycle{first: time.Since(start), cpu: cpuTime() - cpu}
		runtime.ReadMemStats(&after)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range requests {
			c.requests = max(c.requests, r)
		}
		c.alloc = (after.TotalAlloc - before.TotalAlloc) / uint64(n)
		seen := map[string]int{}
		total := 0
		for _, r := range reps {
			c.busiest = max(c.busiest, len(r.Milestones))
			total += len(r.Milestones)
			for _, m := range r.Milestones {
				seen[m.Milestone.Key]++
			}
		}
		if want := sc.Counts().Milestones(); total != want || len(seen) != want {
			b.Fatalf("%d workers judged %d milestones (%d distinct); want each of %d once", n, total, len(seen), want)
		}
		start = time.Now()
		if _, _, err := workersRun(ctx, cfg, sc.Now, n); err != nil {
			b.Fatal(err)
		}
		c.repoll = time.Since(start)
		return c
	}
	var one, four cycle
	var firstRatio, repollRatio float64
	for b.Loop() {
		o, w := measure(1), measure(4)
		b.Logf("first sync %.1f s → %.1f s (%.3f×; CPU %.1f s → %.1f s; requests %d → %d on the busiest), re-poll %.2f s → %.2f s (%.3f×)",
			o.first.Seconds(), w.first.Seconds(), w.first.Seconds()/o.first.Seconds(), o.cpu.Seconds(), w.cpu.Seconds(), o.requests, w.requests,
			o.repoll.Seconds(), w.repoll.Seconds(), w.repoll.Seconds()/o.repoll.Seconds())
		one.first, one.repoll, one.alloc = one.first+o.first, one.repoll+o.repoll, one.alloc+o.alloc
		four.first, four.repoll, four.alloc = four.first+w.first, four.repoll+w.repoll, four.alloc+w.alloc
		four.busiest = max(four.busiest, w.busiest)
		one.cpu, four.cpu = one.cpu+o.cpu, four.cpu+w.cpu
		one.requests, four.requests = max(one.requests, o.requests), max(four.requests, w.requests)
		firstRatio += w.first.Seconds() / o.first.Seconds()
		repollRatio += w.repoll.Seconds() / o.repoll.Seconds()
	}
	n := float64(b.N)
	b.ReportMetric(one.first.Seconds()/n, "first-1w-s")
	b.ReportMetric(four.first.Seconds()/n, "first-4w-s")
	b.ReportMetric(firstRatio/n, "first-ratio")
	b.ReportMetric(one.repoll.Seconds()/n, "repoll-1w-s")
	b.ReportMetric(four.repoll.Seconds()/n, "repoll-4w-s")
	b.ReportMetric(repollRatio/n, "repoll-ratio")
	b.ReportMetric(float64(one.alloc)/n/(1<<20), "alloc-MB/1w")
	b.ReportMetric(float64(four.alloc)/n/(1<<20), "alloc-MB/4w-each")
	b.ReportMetric(float64(four.busiest), "max-milestones/4w")
	b.ReportMetric(float64(one.requests), "requests-1w")
	b.ReportMetric(float64(four.requests), "max-requests/4w")
	b.ReportMetric(one.cpu.Seconds()/n, "first-cpu-1w-s")
	b.ReportMetric(four.cpu.Seconds()/n, "first-cpu-4w-s")
}
