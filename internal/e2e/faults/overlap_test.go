package faults

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/tracker"
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
	// Each row starts from new state; the long mode repeats it, since the
	// race of two processes opening a new state file is rare.
	reps := max(1, kills()/10)
	for i, tc := range rows {
		for _, wd := range worlds {
			t.Run(wd.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				var tot row
				var exits []string
				for range reps {
					r := overlapOnce(t, wd.make, tc.lockWait, tc.delay, tc.wantExits)
					tot.Runs += r.Runs
					tot.Creates += r.Creates
					tot.Tickets += r.Tickets
					tot.Expected += r.Expected
					tot.Dups += r.Dups
					exits = append(exits, r.Exit)
					if t.Failed() {
						break
					}
				}
				record(row{Order: 200 + i, Tracker: wd.name, Fault: fmt.Sprintf("%s, ×%d", tc.name, len(exits)), Runs: tot.Runs,
					Creates: tot.Creates, Tickets: tot.Tickets, Expected: tot.Expected, Dups: tot.Dups, NotJudged: -1,
					Exit: summarize(exits)})
			})
		}
	}
}

// overlapOnce starts two runs at once on new state and checks them.
func overlapOnce(t *testing.T, mk func() world, lockWait string, delay time.Duration, wantExits [2]int) row {
	t.Helper()
	w := mk()
	defer w.close()
	cfg := w.config(t, t.TempDir(), cfgOpts{lockWait: lockWait})
	want := w.expected()
	w.inject(fault{side: primary, op: opCreate, kind: kSlow, delay: delay, times: -1})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var outs, errs [2]bytes.Buffer
	var res [2]result
	var cmds [2]*exec.Cmd
	for k := range 2 {
		cmds[k] = command(ctx, w, cfg)
		cmds[k].Stdout, cmds[k].Stderr = &outs[k], &errs[k]
	}
	start := time.Now()
	for k := range 2 {
		if err := cmds[k].Start(); err != nil {
			t.Fatalf("starting run %d: %v", k, err)
		}
	}
	for k := range 2 {
		err := cmds[k].Wait()
		res[k] = finish(t, err, &outs[k], &errs[k], time.Since(start))
	}

	exits := [2]int{res[0].code, res[1].code}
	if exits[0] > exits[1] {
		exits[0], exits[1] = exits[1], exits[0]
	}
	if exits != wantExits {
		t.Errorf("exit codes %v, want %v\n--- run 0\n%s\n--- run 1\n%s", exits, wantExits, res[0], res[1])
	}
	created := res[0].rep.Count(tracker.ActionCreate) + res[1].rep.Count(tracker.ActionCreate)
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
	return row{Runs: 3, Creates: w.createsSeen(), Tickets: tickets, Expected: len(want), Dups: dups,
		Exit: fmt.Sprintf("%d and %d → %d", exits[0], exits[1], r.code)}
}

// summarize counts identical exit summaries: "10× 0 and 0 → 0".
func summarize(exits []string) string {
	n := map[string]int{}
	var order []string
	for _, e := range exits {
		if n[e] == 0 {
			order = append(order, e)
		}
		n[e]++
	}
	var parts []string
	for _, e := range order {
		parts = append(parts, fmt.Sprintf("%d× %s", n[e], e))
	}
	return strings.Join(parts, "; ")
}
