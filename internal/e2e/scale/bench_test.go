package scale

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// The large scenario, generated once per process (seed 1).
var (
	largeOnce sync.Once
	large     *Scenario
)

func largeScenario() *Scenario {
	largeOnce.Do(func() { large = Generate(Large, 1, testNow) })
	return large
}

// The ten-times scenario, generated when a benchmark first asks for it.
var (
	hugeOnce sync.Once
	huge     *Scenario
)

func hugeScenario() *Scenario {
	hugeOnce.Do(func() { huge = Generate(Huge, 1, testNow) })
	return huge
}

// raw fetches the pages the sources read, with plain GETs, the way the
// connectors fetch them: the two trackers at once (the worker runs one
// goroutine per source), each tracker's pages one after the other (both
// connectors page and walk milestones sequentially), on one keep-alive
// connection per tracker. Bodies are read to the end and not decoded.
func raw(ctx context.Context, f *fakes, t traffic, rtt time.Duration) error {
	hc := &http.Client{Transport: roundTrip(&http.Transport{MaxIdleConnsPerHost: 2}, rtt)}
	defer hc.CloseIdleConnections()
	get := func(base, path string, auth func(*http.Request)) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return err
		}
		auth(req)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		for _, p := range t.ghRaw {
			if errs[0] = get(f.gh.URL, p, func(r *http.Request) {
				r.Header.Set("Authorization", "Bearer "+ghToken)
				r.Header.Set("Accept", "application/vnd.github.v3+json")
			}); errs[0] != nil {
				return
			}
		}
	})
	wg.Go(func() {
		for _, p := range t.jiraRaw {
			if errs[1] = get(f.jr.URL, p, func(r *http.Request) {
				r.SetBasicAuth(jiraEmail, jiraToken)
				r.Header.Set("Accept", "application/json")
			}); errs[1] != nil {
				return
			}
		}
	})
	wg.Wait()
	if errs[0] != nil {
		return errs[0]
	}
	return errs[1]
}

// roundTrip is t, each request delayed by rtt when rtt is set.
func roundTrip(t *http.Transport, rtt time.Duration) http.RoundTripper {
	if rtt > 0 {
		return slowTransport{next: t, rtt: rtt}
	}
	return t
}

// rawWrites sends the writes of a run again, with plain net/http: the same
// methods, paths and bodies (multipart chart uploads included), one after
// another on one keep-alive connection, as the worker writes (serially:
// GitHub asks for content-creating requests one at a time). Answers are
// read to the end and not decoded. Replayed on the fakes the run wrote to,
// so every issue an attachment or link names exists.
func rawWrites(ctx context.Context, f *fakes, ws []write, rtt time.Duration) error {
	hc := &http.Client{Transport: roundTrip(&http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}, rtt)}
	defer hc.CloseIdleConnections()
	for _, w := range ws {
		base := f.jr.URL
		if w.github {
			base = f.gh.URL
		}
		req, err := http.NewRequestWithContext(ctx, w.method, base+w.path, bytes.NewReader(w.body))
		if err != nil {
			return err
		}
		if w.contentType != "" {
			req.Header.Set("Content-Type", w.contentType)
		}
		if w.github {
			req.Header.Set("Authorization", "Bearer "+ghToken)
			req.Header.Set("Accept", "application/vnd.github.v3+json")
		} else {
			req.SetBasicAuth(jiraEmail, jiraToken)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Atlassian-Token", "no-check")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %s", w.method, w.path, resp.Status)
		}
	}
	return nil
}

// BenchmarkEndToEnd is a first sync of the large scenario through the
// whole app (app.Load + Run) against fresh fakes and a fresh SQLite state
// each iteration. "plan" reads, forecasts, judges, drafts and looks for
// existing tickets but writes nothing; "run" also creates every ticket.
// Each iteration also fetches the same pages raw and, for "run", sends
// the same writes raw (untimed by the benchmark, timed by the wall clock)
// and reports the ratio to their sum.
func BenchmarkEndToEnd(b *testing.B) { endToEnd(b, largeScenario, 0) }

// BenchmarkEndToEndWAN is BenchmarkEndToEnd with every request, the app's
// and the raw replays', sent 20 ms late: a tracker across a wide-area
// round trip instead of on loopback, where the transfer, not the CPU,
// sets the pace.
func BenchmarkEndToEndWAN(b *testing.B) { endToEnd(b, largeScenario, 20*time.Millisecond) }

// BenchmarkEndToEnd10x is BenchmarkEndToEnd on the ten-times scenario
// (Huge): its time over the large scenario's says whether the app grows
// linearly.
func BenchmarkEndToEnd10x(b *testing.B) { endToEnd(b, hugeScenario, 0) }

func endToEnd(b *testing.B, scenario func() *Scenario, rtt time.Duration) {
	for _, mode := range []tracker.Mode{tracker.ModePlan, tracker.ModeRun} {
		b.Run(string(mode), func(b *testing.B) {
			sc := scenario()
			ctx := context.Background()
			var e2e, fetch, rawTime, rawWriteTime, e2eCPU, rawCPU time.Duration
			var last traffic
			var tickets int
			var byPurpose map[model.Purpose]int
			for b.Loop() {
				b.StopTimer()
				f := newFakes(sc)
				dir := b.TempDir()
				cfg := writeConfig(b, dir, sc, f, writeRules(b, dir))
				clock := &fetchClock{rtt: rtt}
				cpu, start := cpuTime(), time.Now()
				b.StartTimer()
				rep, err := run(ctx, cfg, sc.Now, mode, clock)
				b.StopTimer()
				e2e += time.Since(start)
				e2eCPU += cpuTime() - cpu
				fetch += time.Duration(clock.last.Load() - start.UnixNano())
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Failed) > 0 || rep.Partial() {
					b.Fatalf("partial run: %+v", rep.Failed)
				}
				last = f.measure()
				if mode == tracker.ModeRun {
					byPurpose = checkTickets(b, f, rep)
					tickets = len(f.tickets())
				} else {
					tickets = rep.Count(tracker.ActionCreate)
				}
				cpu, start = cpuTime(), time.Now()
				if err := raw(ctx, f, last, rtt); err != nil {
					b.Fatal(err)
				}
				rawTime += time.Since(start)
				start = time.Now()
				if err := rawWrites(ctx, f, last.writes, rtt); err != nil {
					b.Fatal(err)
				}
				rawWriteTime += time.Since(start)
				rawCPU += cpuTime() - cpu
				f.Close()
				b.StartTimer()
			}
			min := sc.ReadMinimum()
			b.ReportMetric(float64(e2e.Milliseconds())/float64(b.N), "e2e-ms/op")
			b.ReportMetric(float64(rawTime.Milliseconds())/float64(b.N), "raw-ms/op")
			b.ReportMetric(float64(rawWriteTime.Milliseconds())/float64(b.N), "raw-writes-ms/op")
			b.ReportMetric(float64(e2e)/float64(rawTime+rawWriteTime), "e2e/raw")
			// CPU time of the process (app and fakes) for the run and for
			// the raw replays: what a loaded machine has to find cores for.
			b.ReportMetric(float64(e2eCPU.Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(rawCPU.Milliseconds())/float64(b.N), "raw-cpu-ms/op")
			b.ReportMetric(float64(fetch.Milliseconds())/float64(b.N), "fetch-ms/op")
			b.ReportMetric(float64(fetch)/float64(rawTime), "fetch/raw")
			b.ReportMetric(float64(last.ghReads+last.ghWrites), "gh-req/op")
			b.ReportMetric(float64(min.GitHub), "gh-min-reads")
			b.ReportMetric(float64(last.jiraReads+last.jiraFinds+last.jiraWrites), "jira-req/op")
			b.ReportMetric(float64(min.Jira), "jira-min-reads")
			b.ReportMetric(float64(tickets), "tickets")
			b.Logf("%s: %s; read minimum github %d, jira %d; %d tickets %v\n%s\n%s", mode, last, min.GitHub, min.Jira, tickets, byPurpose, last.ghTable, last.jiraTable)
		})
	}
}

// BenchmarkRawFetch is the baseline alone, from fakes holding the large
// scenario: "reads" fetches the pages the sources of one first sync read
// (see raw); "writes" sends the writes of that first sync's run (see
// rawWrites). Both lists are what the app sent in one `run`.
func BenchmarkRawFetch(b *testing.B) {
	sc := largeScenario()
	f := newFakes(sc)
	defer f.Close()
	dir := b.TempDir()
	ctx := context.Background()
	if _, err := run(ctx, writeConfig(b, dir, sc, f, writeRules(b, dir)), sc.Now, tracker.ModeRun); err != nil {
		b.Fatal(err)
	}
	t := f.measure()
	b.Run("reads", func(b *testing.B) {
		for b.Loop() {
			if err := raw(ctx, f, t, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(t.ghRaw)), "gh-pages/op")
		b.ReportMetric(float64(len(t.jiraRaw)), "jira-pages/op")
	})
	b.Run("writes", func(b *testing.B) {
		for b.Loop() {
			if err := rawWrites(ctx, f, t.writes, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(t.writes)), "writes/op")
	})
}

// BenchmarkRepoll is an unchanged re-poll an hour after the first run, on
// the same state: what it costs and how many requests GitHub counts
// against the rate limit (conditional requests answered 304 do not count).
// The first iteration is the second run, the one right after the
// creates. "jira-target" opens the tickets in the Jira project REV;
// "github-target" in the GitHub repository acme/delivery, whose lookups
// are conditional requests too.
func BenchmarkRepoll(b *testing.B) {
	for _, gh := range []bool{false, true} {
		b.Run(map[bool]string{false: "jira-target", true: "github-target"}[gh], func(b *testing.B) { repoll(b, gh) })
	}
}

func repoll(b *testing.B, ghTarget bool) {
	sc := largeScenario()
	f := newFakes(sc)
	defer f.Close()
	dir := b.TempDir()
	cfg := writeConfigTarget(b, dir, sc, f, writeRules(b, dir), ghTarget)
	ctx := context.Background()
	count := func() int {
		if ghTarget {
			return len(f.gh.Issues(ghReviewRepo))
		}
		return len(f.tickets())
	}
	if _, err := run(ctx, cfg, sc.Now, tracker.ModeRun); err != nil {
		b.Fatal(err)
	}
	tickets := count()
	if tickets == 0 {
		b.Fatal("the first run created no ticket")
	}
	var t traffic
	var cpu time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		f.ResetLog()
		i++
		start := cpuTime()
		b.StartTimer()
		rep, err := run(ctx, cfg, sc.Now.Add(time.Hour+time.Duration(i)*time.Minute), tracker.ModeRun)
		b.StopTimer()
		cpu += cpuTime() - start
		if err != nil {
			b.Fatal(err)
		}
		if n := rep.Count(tracker.ActionCreate); n != 0 || count() != tickets {
			b.Fatalf("re-poll created %d tickets", n)
		}
		t = f.measure()
		if t.ghCounted != 0 {
			b.Fatalf("re-poll %d: %d GitHub requests counted against the rate limit, want 0\n%s", i, t.ghCounted, t.ghTable)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op") // the process's: app and fakes
	b.ReportMetric(float64(t.ghCounted), "gh-rate-limited/op")
	b.ReportMetric(float64(t.ghReads+t.ghWrites), "gh-req/op")
	b.ReportMetric(float64(t.jiraReads+t.jiraFinds+t.jiraWrites), "jira-req/op")
	b.ReportMetric(float64(t.jiraWrites+t.ghWrites), "writes/op")
	b.ReportMetric(float64(tickets), "tickets")
	b.Logf("re-poll: %s\n%s\n%s", t, t.ghTable, t.jiraTable)
}

// BenchmarkBinaryPeakRSS runs the built binary (`forewarn run`) on a first
// sync of the large scenario and reports the child's peak resident set.
// The scenario is dated from the wall clock: the binary reads it.
func BenchmarkBinaryPeakRSS(b *testing.B) {
	b.Run("large", func(b *testing.B) { binaryPeakRSS(b, Large, 1) })
	b.Run("10x", func(b *testing.B) { binaryPeakRSS(b, Huge, 1) })
}

// BenchmarkWorkersPeakRSS is issue 19's memory target: the first sync of
// the large scenario by one `forewarn run` process and by four `forewarn
// run --shard i/4` processes at once on one state, each process's peak
// resident set measured; the figure is the largest of them.
//
//	go test -run '^$' -bench BenchmarkWorkersPeakRSS -benchtime 1x ./internal/e2e/scale/
func BenchmarkWorkersPeakRSS(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) { binaryPeakRSS(b, Large, n) })
	}
}

// binaryPeakRSS runs n forewarn processes at once (n > 1: `--shard i/n`
// each) on one state and reports the largest peak resident set of them.
func binaryPeakRSS(b *testing.B, size Size, n int) {
	// FOREWARN_SCALE_BIN measures a binary built elsewhere (a release, or
	// another commit) instead of this tree's.
	bin := os.Getenv("FOREWARN_SCALE_BIN")
	if bin == "" {
		bin = filepath.Join(b.TempDir(), "forewarn")
		build := exec.Command("go", "build", "-o", bin, "./cmd/forewarn")
		build.Dir = repoRoot(b)
		if out, err := build.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	sc := Generate(size, 1, time.Now())
	var peak, least int64
	for b.Loop() {
		b.StopTimer()
		f := newFakes(sc)
		dir := b.TempDir()
		cfg := writeConfig(b, dir, sc, f, writeRules(b, dir))
		kib, hwm := make([]int64, n), make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		b.StartTimer()
		for i := range n {
			argv := []string{bin, "run", "--config", cfg}
			if n > 1 {
				argv = append(argv, "--shard", fmt.Sprintf("%d/%d", i, n))
			}
			wg.Go(func() { kib[i], hwm[i], errs[i] = peakRSS(dir, argv) })
		}
		wg.Wait()
		b.StopTimer()
		for i, err := range errs {
			if err != nil {
				b.Fatalf("worker %d of %d: %v", i, n, err)
			}
			if hwm[i] > 0 {
				b.Logf("worker %d of %d: ru_maxrss %d KiB, /proc VmHWM %d KiB", i, n, kib[i], hwm[i])
			}
			peak = max(peak, kib[i]) // KiB on Linux
			if least == 0 || kib[i] < least {
				least = kib[i]
			}
		}
		if len(f.tickets()) == 0 {
			b.Fatal("the binary created no ticket")
		}
		f.Close()
		b.StartTimer()
	}
	if n > 1 {
		b.Logf("%d workers: peak RSS %.1f–%.1f MB", n, float64(least)/1024, float64(peak)/1024)
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
}

// peakRSS runs one forewarn process through the helper (rss_test.go), so
// the figure is forewarn's own, and returns its peak resident set in KiB
// (and /proc's VmHWM when FOREWARN_SCALE_RSS_PROBE asks for the cross-check).
func peakRSS(dir string, argv []string) (kib, hwm int64, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = []string{"GITHUB_TOKEN=" + ghToken, "JIRA_EMAIL=" + jiraEmail, "JIRA_TOKEN=" + jiraToken,
		"HOME=" + dir, "PATH=" + os.Getenv("PATH"), rssHelperEnv + "=" + strings.Join(argv, "\x1f")}
	if v := os.Getenv(rssProbeEnv); v != "" {
		cmd.Env = append(cmd.Env, rssProbeEnv+"="+v)
	}
	if v := os.Getenv(rssMemLimitEnv); v != "" {
		cmd.Env = append(cmd.Env, "GOMEMLIMIT="+v) // forewarn's own, not the benchmark's
	}
	var out capped
	cmd.Stderr = &out
	res, err := cmd.Output()
	var code int
	if _, serr := fmt.Sscanf(string(res), "maxrss_kib=%d exit=%d vmhwm_kib=%d", &kib, &code, &hwm); err != nil || serr != nil || code != 0 {
		return 0, 0, fmt.Errorf("%s (through the helper): %v %q exit %d\n%s", strings.Join(argv[1:], " "), err, res, code, out.String())
	}
	return kib, hwm, nil
}

// capped keeps the first 64 KiB of the child's output, for failures.
type capped struct{ buf []byte }

func (c *capped) Write(p []byte) (int, error) {
	if room := 64<<10 - len(c.buf); room > 0 {
		c.buf = append(c.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (c *capped) String() string { return string(c.buf) }
