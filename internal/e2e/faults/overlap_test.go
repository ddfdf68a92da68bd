package faults

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/worker"
)

// TestOverlappingRuns starts two runs on the same state at the same moment
// while every create is slow, so the first holds the store's lock for a
// while. With a long lock_wait the second waits its turn and finds every
// ticket made; with a short one it reports the lock and exits 1. Either
// way no ticket is made twice.
func TestOverlappingRuns(t *testing.T) {
	rows := []struct {
		name     string
		lockWait string
		delay    time.Duration
		// wantExits are the two exit codes, sorted.
		wantExits [2]int
	}{
		{"two runs started at once; the second waits for the lock (lock_wait 30s)", "30s", 300 * time.Millisecond, [2]int{0, 0}},
		{"two runs started at once; the second gives up on the lock (lock_wait 200ms)", "200ms", 500 * time.Millisecond, [2]int{0, 1}},
	}
	for i, tc := range rows {
		for _, wd := range worlds {
			t.Run(wd.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				w := wd.make()
				defer w.close()
				cfg := w.config(t, t.TempDir(), cfgOpts{lockWait: tc.lockWait})
				want := w.expected()
				w.inject(fault{side: primary, op: opCreate, kind: kSlow, delay: tc.delay, times: -1})

				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var outs, errs [2]bytes.Buffer
				var res [2]result
				done := make(chan int, 2)
				start := time.Now()
				for k := range 2 {
					cmd := command(ctx, w, cfg)
					cmd.Stdout, cmd.Stderr = &outs[k], &errs[k]
					if err := cmd.Start(); err != nil {
						t.Fatalf("starting run %d: %v", k, err)
					}
					go func() {
						err := cmd.Wait()
						res[k] = finish(t, err, &outs[k], &errs[k], time.Since(start))
						done <- k
					}()
				}
				<-done
				<-done

				exits := [2]int{res[0].code, res[1].code}
				if exits[0] > exits[1] {
					exits[0], exits[1] = exits[1], exits[0]
				}
				if exits != tc.wantExits {
					t.Errorf("exit codes %v, want %v\n--- run 0\n%s\n--- run 1\n%s", exits, tc.wantExits, res[0], res[1])
				}
				created := res[0].rep.Count(worker.ActionCreate) + res[1].rep.Count(worker.ActionCreate)
				if created != len(want) {
					t.Errorf("the two runs created %d tickets between them, want %d", created, len(want))
				}
				for k := range 2 {
					if res[k].code == 1 && !strings.Contains(res[k].stderr, "another forewarn run holds the lock") {
						t.Errorf("run %d exited 1 without naming the lock:\n%s", k, res[k])
					}
				}
				checkOnce(t, w)
				checkComplete(t, w, want)

				// A later clean run has nothing to do.
				w.clearFaults()
				before := w.createsSeen()
				r := run(t, w, cfg)
				if r.code != 0 || w.createsSeen() != before {
					t.Errorf("clean run after the overlap: exit %d, %d creates; want 0 and none\n%s", r.code, w.createsSeen()-before, r)
				}
				tickets, dups := checkOnce(t, w)
				record(row{Order: 200 + i, Tracker: w.name(), Fault: tc.name, Runs: 3, Creates: w.createsSeen(), Tickets: tickets,
					Expected: len(want), Dups: dups, NotJudged: -1,
					Exit: fmt.Sprintf("%d and %d → %d", exits[0], exits[1], r.code)})
			})
		}
	}
}
