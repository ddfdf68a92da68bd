package faults

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var worlds = []struct {
	name string
	make func() world
}{
	{"github", newGitHub},
	{"jira", newJira},
}

// faultRows are the misbehaviours of the matrix. Each row runs the binary
// once with the faults in place, then twice clean, and checks the
// guarantees after each run.
var faultRows = []struct {
	name string
	// only names the one world the row applies to ("" = all).
	only   string
	faults []fault
	// sTimeout is the secondary source's timeout ("" = 20s).
	sTimeout string
	// exit is the exit code of the faulty run: 0 when every fault was
	// absorbed (retried or looked up), 1 when a milestone or a write failed.
	exit int
	// unreadable: the secondary's milestone is reported and not judged by
	// the faulty run; the primary's are judged.
	unreadable bool
	// creates is the number of create requests the faulty run may send:
	// one per ticket, plus one per create refused without being acted on
	// (429). More would be a blind retry.
	creates int
}{
	{
		name: "5xx burst on reads (502 ×2 on items, 500 ×2 on a milestone list)",
		faults: []fault{
			{side: primary, op: opItems, kind: kStatus, status: 502, times: 2},
			{side: secondary, op: opMilestones, kind: kStatus, status: 500, times: 2},
		},
		exit: 0, creates: 3,
	},
	{
		name:     "5xx that does not end (503 on every secondary read)",
		faults:   []fault{{side: secondary, op: opItems, kind: kStatus, status: 503, times: -1}},
		sTimeout: "2s",
		exit:     1, unreadable: true, creates: 2,
	},
	{
		name:   "5xx answer to a create (502, not acted on)",
		faults: []fault{{side: primary, op: opCreate, kind: kStatus, status: 502}},
		exit:   1, creates: 3,
	},
	{
		name: "429 with Retry-After 1s on a read and on a create",
		faults: []fault{
			{side: primary, op: opItems, kind: kTooMany, retryAfter: time.Second},
			{side: primary, op: opCreate, kind: kTooMany, retryAfter: time.Second},
		},
		exit: 0, creates: 4,
	},
	{
		name:   "429 with Retry-After 30s, past max_wait (every secondary read)",
		faults: []fault{{side: secondary, op: opItems, kind: kTooMany, retryAfter: 30 * time.Second, times: -1}},
		exit:   1, unreadable: true, creates: 2,
	},
	{
		name:   "malformed JSON page (every secondary items page)",
		faults: []fault{{side: secondary, op: opItems, kind: kMalformed, times: -1}},
		exit:   1, unreadable: true, creates: 2,
	},
	{
		name:   "malformed JSON answer to a create (acted on)",
		faults: []fault{{side: primary, op: opCreate, kind: kMalformed}},
		exit:   0, creates: 3,
	},
	{
		name: "truncated body on reads (×2) and on a create answer",
		faults: []fault{
			{side: primary, op: opItems, kind: kTruncated, times: 2},
			{side: primary, op: opCreate, kind: kTruncated},
		},
		exit: 0, creates: 3,
	},
	{
		name:     "truncated body on every secondary read",
		faults:   []fault{{side: secondary, op: opItems, kind: kTruncated, times: -1}},
		sTimeout: "2s",
		exit:     1, unreadable: true, creates: 2,
	},
	{
		name: "connection reset on reads (×2) and on a create (not acted on)",
		faults: []fault{
			{side: primary, op: opItems, kind: kReset, times: 2},
			{side: primary, op: opCreate, kind: kReset},
		},
		exit: 1, creates: 3,
	},
	{
		name:     "answer slower than the timeout (4s against the secondary's 1s)",
		faults:   []fault{{side: secondary, op: opItems, kind: kSlow, delay: 4 * time.Second, times: -1}},
		sTimeout: "1s",
		exit:     1, unreadable: true, creates: 2,
	},
	{
		name:   "response lost after every successful create",
		faults: []fault{{side: primary, op: opCreate, kind: kLose, times: -1}},
		exit:   0, creates: 3,
	},
	{
		// GitHub drops the labels of a create without push access; the
		// answer is lost, so forewarn never labels the ticket either.
		name:   "response lost after every create, labels dropped (triage access)",
		only:   "github-triage",
		faults: []fault{{side: primary, op: opCreate, kind: kLose, times: -1}},
		exit:   0, creates: 3,
	},
}

// matrixWorlds are the worlds of the fault rows and the kill loop.
var matrixWorlds = append(worlds[:len(worlds):len(worlds)], struct {
	name string
	make func() world
}{"github-triage", newGitHubTriage})

func TestFaultMatrix(t *testing.T) {
	for i, fr := range faultRows {
		for _, wd := range matrixWorlds {
			if fr.only != wd.name && (fr.only != "" || wd.name == "github-triage") {
				continue
			}
			t.Run(wd.name+"/"+fr.name, func(t *testing.T) {
				t.Parallel()
				w := wd.make()
				defer w.close()
				cfg := w.config(t, t.TempDir(), cfgOpts{sTimeout: fr.sTimeout})
				want := w.expected()
				for _, f := range fr.faults {
					w.inject(f)
				}

				r1 := run(t, w, cfg)
				if r1.code != fr.exit {
					t.Errorf("faulty run: exit %d, want %d\n%s", r1.code, fr.exit, r1)
				}
				judged := r1.judged()
				for _, k := range w.primaryKeys() {
					if !slices.Contains(judged, k) {
						t.Errorf("faulty run: %s not judged; only the faulty source may be skipped (judged %v, failed %v)", k, judged, r1.notJudged())
					}
				}
				for _, k := range w.secondaryKeys() {
					switch {
					case fr.unreadable && slices.Contains(judged, k):
						t.Errorf("faulty run: %s judged although its data could not be read", k)
					case fr.unreadable && !reportedApp(r1):
						t.Errorf("faulty run: the unreadable source is not reported (failed %v)", r1.notJudged())
					case !fr.unreadable && !slices.Contains(judged, k):
						t.Errorf("faulty run: %s not judged although every fault was retried (failed %v)", k, r1.notJudged())
					}
				}
				if !fr.unreadable && len(r1.rep.Failed) > 0 {
					t.Errorf("faulty run: failures reported although every read fault was retried: %v", r1.notJudged())
				}
				if n := w.createsSeen(); n != fr.creates {
					t.Errorf("faulty run sent %d creates, want %d (one per ticket, plus one per refused 429): a create resent blindly?", n, fr.creates)
				}
				checkOnce(t, w)
				notJudged := len(r1.rep.Failed)

				// The next clean run opens whatever the faulty one could not.
				w.clearFaults()
				r2 := run(t, w, cfg)
				if r2.code != 0 || len(r2.rep.Failed) > 0 {
					t.Errorf("clean run: exit %d, failed %v, want 0 and none\n%s", r2.code, r2.notJudged(), r2)
				}
				checkComplete(t, w, want)

				// And a third changes nothing.
				before := w.createsSeen()
				r3 := run(t, w, cfg)
				if r3.code != 0 || w.createsSeen() != before {
					t.Errorf("second clean run: exit %d, %d more creates; want 0 and none\n%s", r3.code, w.createsSeen()-before, r3)
				}
				tickets, dups := checkOnce(t, w)
				checkComplete(t, w, want)
				record(row{Order: i, Tracker: w.name(), Fault: fr.name, Runs: 3, Creates: w.createsSeen(), Tickets: tickets,
					Expected: len(want), Dups: dups, NotJudged: notJudged, Exit: fmt.Sprintf("%d → %d → %d", r1.code, r2.code, r3.code)})
			})
		}
	}
}

// reportedApp: the secondary source ("app") or one of its milestones is
// in the report's failures.
func reportedApp(r result) bool {
	for _, f := range r.rep.Failed {
		if f.Source == "app" {
			return true
		}
	}
	return false
}
