package worker

import (
	"reflect"
	"testing"
	"time"

	"github.com/forewarn/forewarn/internal/model"
	"github.com/forewarn/forewarn/internal/tracker"
)

// TestDecide walks the reconciliation state machine the way Prometheus'
// alerting tests walk an alert's states: each row is a situation (what the
// rules asked, what the ledger remembers, what the target holds, what the
// draft says) and the ops that must follow, with the report line they make.
// The rows cover every situation the fault matrix drives the worker into.
func TestDecide(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	window := 14 * 24 * time.Hour
	draft := model.Ticket{Title: "Client notice", Body: "v2"}
	withComment := model.Ticket{Title: "Client notice", Body: "v2", Comment: "P85 moved 9 days later"}
	old := model.Ticket{Title: "Client notice", Body: "v1"}.Digest()

	firing := Firing{Finding: model.Finding{Purpose: model.PurposeClientNotice}, MayUpdate: true}
	held := Firing{Finding: firing.Finding} // repeat interval not passed
	commentOnly := Firing{Finding: model.Finding{Purpose: model.PurposeClientNotice, CommentOnly: true}, MayUpdate: true}

	open := func(digest string) *model.TicketRef {
		return &model.TicketRef{ID: "ACME-1", Open: true, Digest: digest}
	}
	edited := func(digest string) *model.TicketRef {
		return &model.TicketRef{ID: "ACME-1", Open: true, Digest: digest, Edited: true}
	}
	closed := func(ago time.Duration, wontDo bool) *model.TicketRef {
		return &model.TicketRef{ID: "ACME-1", ClosedAt: at.Add(-ago), WontDo: wontDo, Digest: draft.Digest()}
	}
	entry := func(st tracker.LedgerState, digest string) *tracker.LedgerEntry {
		return &tracker.LedgerEntry{State: st, Digest: digest}
	}
	leave := func(reason string, digest string) Op {
		return Op{Kind: OpLeave, Reason: reason, Record: true, Digest: digest}
	}

	for _, tc := range []struct {
		name       string
		s          Situation
		want       []Op
		wantKind   tracker.ActionKind
		wantReason string
	}{
		{
			name: "nothing anywhere: create",
			s:    Situation{Firing: firing, Draft: draft},
			want: []Op{{Kind: OpCreate}}, wantKind: tracker.ActionCreate,
		},
		{
			name: "pending ledger entry, no ticket found (killed before the create reached the target): create",
			s:    Situation{Firing: firing, Entry: entry(tracker.LedgerPending, ""), Draft: draft},
			want: []Op{{Kind: OpCreate}}, wantKind: tracker.ActionCreate,
		},
		{
			name: "comment-only firing and no ticket: nothing to comment on",
			s:    Situation{Firing: commentOnly, Draft: withComment},
			want: []Op{{Kind: OpLeave, Reason: "no ticket to comment on yet"}}, wantKind: tracker.ActionNone,
			wantReason: "no ticket to comment on yet",
		},
		{
			name:     "lost create answer: pending entry, ticket found by fingerprint: completed once by update",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerPending, ""), Found: open(draft.Digest()), Draft: draft},
			want:     []Op{{Kind: OpUpdate, Reason: "completing a create that was interrupted", Record: true, Digest: draft.Digest()}},
			wantKind: tracker.ActionUpdate, wantReason: "completing a create that was interrupted",
		},
		{
			name:     "found after a lost answer but not completed (created): completed by update",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerCreated, ""), Found: open(""), Draft: draft},
			want:     []Op{{Kind: OpUpdate, Reason: "completing a create that was interrupted", Record: true, Digest: draft.Digest()}},
			wantKind: tracker.ActionUpdate, wantReason: "completing a create that was interrupted",
		},
		{
			name: "pending entry, comment-only firing: comments, never completes someone else's create",
			s:    Situation{Firing: commentOnly, Entry: entry(tracker.LedgerPending, ""), Found: open(old), Draft: withComment},
			want: []Op{{Kind: OpComment, Record: true, Digest: old}}, wantKind: tracker.ActionComment,
		},
		{
			name: "ticket found by fingerprint, no ledger (state lost), same content: recorded, left",
			s:    Situation{Firing: firing, Found: open(draft.Digest()), Draft: draft},
			want: []Op{leave("up to date", draft.Digest())}, wantKind: tracker.ActionNone, wantReason: "up to date",
		},
		{
			name:     "ticket found by fingerprint, no ledger, draft changed: updated",
			s:        Situation{Firing: firing, Found: open(old), Draft: draft},
			want:     []Op{{Kind: OpUpdate, Reason: "the draft changed", Record: true, Digest: draft.Digest()}},
			wantKind: tracker.ActionUpdate, wantReason: "the draft changed",
		},
		{
			name: "unchanged: left",
			s:    Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, draft.Digest()), Found: open(draft.Digest()), Draft: draft},
			want: []Op{leave("up to date", draft.Digest())}, wantKind: tracker.ActionNone, wantReason: "up to date",
		},
		{
			name: "changed before the repeat interval: left, old digest kept",
			s:    Situation{Firing: held, Entry: entry(tracker.LedgerComplete, old), Found: open(old), Draft: draft},
			want: []Op{leave("changed, but the rule's repeat interval has not passed", old)}, wantKind: tracker.ActionNone,
			wantReason: "changed, but the rule's repeat interval has not passed",
		},
		{
			name:     "changed with something to say: update, then the comment",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old), Found: open(old), Draft: withComment},
			want:     []Op{{Kind: OpUpdate, Reason: "P85 moved 9 days later"}, {Kind: OpComment, FollowUp: true, Record: true, Digest: withComment.Digest()}},
			wantKind: tracker.ActionUpdate, wantReason: "P85 moved 9 days later",
		},
		{
			name:     "edited ticket, material change, ledger present: comment, never overwrite",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old), Found: edited("person"), Draft: withComment},
			want:     []Op{{Kind: OpComment, Reason: "edited by a person: not overwritten; the change is in a comment", Record: true, Digest: withComment.Digest()}},
			wantKind: tracker.ActionComment, wantReason: "edited by a person: not overwritten; the change is in a comment",
		},
		{
			name:     "edited ticket, change not material: left, draft remembered",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old), Found: edited("person"), Draft: draft},
			want:     []Op{leave("edited by a person: left as it is (the change is not material)", draft.Digest())},
			wantKind: tracker.ActionNone, wantReason: "edited by a person: left as it is (the change is not material)",
		},
		{
			name:     "edited ticket without a ledger: left (nothing would remember a comment)",
			s:        Situation{Firing: firing, Found: edited(old), Draft: withComment},
			want:     []Op{leave("edited by a person: left as it is (no state store to remember a comment)", withComment.Digest())},
			wantKind: tracker.ActionNone, wantReason: "edited by a person: left as it is (no state store to remember a comment)",
		},
		{
			name: "edited ticket whose change was already reported: up to date",
			s:    Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, withComment.Digest()), Found: edited("person"), Draft: withComment},
			want: []Op{leave("up to date", withComment.Digest())}, wantKind: tracker.ActionNone, wantReason: "up to date",
		},
		{
			name: "closed as won't do: never reopened, nothing recorded",
			s:    Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old), Found: closed(time.Hour, true), Draft: draft},
			want: []Op{{Kind: OpLeave, Reason: "closed as won't do: never reopened"}}, wantKind: tracker.ActionNone,
			wantReason: "closed as won't do: never reopened",
		},
		{
			name: "closed outside the reopen window: left closed",
			s:    Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old), Found: closed(30*24*time.Hour, false), Draft: draft},
			want: []Op{{Kind: OpLeave, Reason: "closed: the rule fires again, but not within the reopen window"}}, wantKind: tracker.ActionNone,
			wantReason: "closed: the rule fires again, but not within the reopen window",
		},
		{
			name: "closed with no closing date: left closed",
			s:    Situation{Firing: firing, Found: &model.TicketRef{ID: "ACME-1"}, Draft: draft},
			want: []Op{{Kind: OpLeave, Reason: "closed: the rule fires again, but not within the reopen window"}}, wantKind: tracker.ActionNone,
			wantReason: "closed: the rule fires again, but not within the reopen window",
		},
		{
			name:     "closed recently, content unchanged: reopened, then left",
			s:        Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, draft.Digest()), Found: closed(24*time.Hour, false), Draft: draft},
			want:     []Op{{Kind: OpReopen, Reason: "closed 24h0m0s ago and the rule fires again"}, leave("up to date", draft.Digest())},
			wantKind: tracker.ActionReopen, wantReason: "up to date",
		},
		{
			name: "closed recently, draft changed: reopened, then updated",
			s: Situation{Firing: firing, Entry: entry(tracker.LedgerComplete, old),
				Found: &model.TicketRef{ID: "ACME-1", ClosedAt: at.Add(-48 * time.Hour), Digest: old}, Draft: draft},
			want: []Op{{Kind: OpReopen, Reason: "closed 48h0m0s ago and the rule fires again"},
				{Kind: OpUpdate, Reason: "the draft changed", Record: true, Digest: draft.Digest()}},
			wantKind: tracker.ActionUpdate, wantReason: "the draft changed",
		},
		{
			name: "comment-only, something to say: comment",
			s:    Situation{Firing: commentOnly, Entry: entry(tracker.LedgerComplete, old), Found: open(old), Draft: withComment},
			want: []Op{{Kind: OpComment, Record: true, Digest: old}}, wantKind: tracker.ActionComment,
		},
		{
			name: "comment-only, repeat interval not passed: nothing new to say",
			s: Situation{Firing: Firing{Finding: commentOnly.Finding}, Entry: entry(tracker.LedgerComplete, old),
				Found: open(old), Draft: withComment},
			want: []Op{leave("nothing new to say", old)}, wantKind: tracker.ActionNone, wantReason: "nothing new to say",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.s, at, window)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decide:\n got %+v\nwant %+v", got, tc.want)
			}
			kind, reason := summary(got)
			if kind != tc.wantKind || reason != tc.wantReason {
				t.Fatalf("reported as %s (%q); want %s (%q)", kind, reason, tc.wantKind, tc.wantReason)
			}
		})
	}
}

// Decide looks at nothing but its arguments: the same situation gives the
// same ops however often it is asked, and asking changes nothing.
func TestDecideIsPure(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	e := &tracker.LedgerEntry{State: tracker.LedgerComplete, Digest: "d1"}
	ref := &model.TicketRef{ID: "ACME-1", ClosedAt: at.Add(-time.Hour), Digest: "d1"}
	s := Situation{Firing: Firing{MayUpdate: true}, Entry: e, Found: ref, Draft: model.Ticket{Body: "new", Comment: "moved"}}
	first := Decide(s, at, 24*time.Hour)
	for range 3 {
		if got := Decide(s, at, 24*time.Hour); !reflect.DeepEqual(got, first) {
			t.Fatalf("second answer %+v differs from the first %+v", got, first)
		}
	}
	if e.Digest != "d1" || e.State != tracker.LedgerComplete || ref.Open || ref.Digest != "d1" {
		t.Fatalf("Decide changed its inputs: %+v %+v", e, ref)
	}
}

// Drafting ahead in a run leaves one core to the write loop (on a machine
// with more than one): its answers are then taken up at once instead of at
// the next preemption of a goroutine drawing a chart. A plan writes
// nothing and drafts on every core.
func TestDraftersLeaveACoreToTheWriter(t *testing.T) {
	for cores, want := range map[int]int{1: 1, 2: 1, 4: 3, 16: 15} {
		if got := drafters(tracker.ModeRun, cores); got != want {
			t.Errorf("run: drafters(%d) = %d, want %d", cores, got, want)
		}
		if got := drafters(tracker.ModePlan, cores); got != cores {
			t.Errorf("plan: drafters(%d) = %d, want %d", cores, got, cores)
		}
	}
}

// Forecasting a source's milestones while another source is still being
// read leaves that read a core: its answers are decoded, and its next
// request sent, without waiting for a forecaster to be preempted. The
// last source read forecasts on every core.
func TestForecastersLeaveACoreToReads(t *testing.T) {
	for _, c := range []struct{ cores, reading, want int }{
		{1, 0, 1}, {1, 1, 1}, {2, 0, 2}, {2, 1, 1}, {2, 3, 1}, {8, 0, 8}, {8, 2, 7},
	} {
		if got := forecasters(c.cores, c.reading); got != c.want {
			t.Errorf("forecasters(%d cores, %d still reading) = %d, want %d", c.cores, c.reading, got, c.want)
		}
	}
}
